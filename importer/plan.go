package importer

import (
	"fmt"
	"hash/maphash"
	"slices"
	"strings"

	"github.com/google/uuid"

	"userimport/validate"
)

// planner turns rows into journal rows: it applies the rules, finds
// duplicates within the file, and compares each row with the directory.
// It is used by one goroutine, rows in file order.
type planner struct {
	opts     *Options
	base     validate.Context
	products map[string]Product // by SKU
	actor    []string
	now      int64

	seed    maphash.Seed
	seenUPN firstRows // hash of lower-cased UPN → first row
	seenEmp firstRows // hash of lower-cased employee ID → first row
}

func newPlanner(o *Options, s Settings, domains []Domain, products []Product, actor User, now int64) *planner {
	verified := map[string]bool{}
	for _, d := range domains {
		if d.Verified {
			verified[strings.ToLower(d.Name)] = true
		}
	}
	p := &planner{
		opts: o, products: map[string]Product{}, actor: actor.RoleNames(), now: now,
		seed: maphash.MakeSeed(),
	}
	var vps []validate.Product
	for _, pr := range products {
		p.products[pr.SKU] = pr
		vps = append(vps, validate.Product{SKU: pr.SKU, Name: pr.Name, Plans: pr.Plans})
	}
	usage := o.UsageLocation
	if usage == "" {
		usage = s.DefaultUsageLocation
	}
	p.base = validate.Context{
		VerifiedDomains: verified, Products: vps, DefaultDomain: o.Domain,
		DefaultLicenses: o.Licenses, DefaultDisabledApps: o.DisabledApps, DefaultUsageLocation: usage,
		RequirePasswordChange: o.RequirePasswordChange, BlockSignIn: o.BlockSignIn,
		NoPasswords: o.NoPasswords, Actor: p.actor,
	}
	return p
}

// keys returns the lower-cased user name and employee ID a row asks for,
// for the bulk lookup; "" where the cell is unusable.
func (p *planner) keys(r *Row) (upnKey, empKey string) {
	if r.Problem != "" {
		return "", ""
	}
	if upn, _, _, err := validate.Username(r.Cells[ColUserName], p.opts.Domain); err == nil {
		upnKey = strings.ToLower(upn)
	}
	return upnKey, strings.ToLower(r.Cells[ColEmployeeID])
}

// remember records the row's keys for the duplicate check and returns the
// earlier rows that had them (0 when none).
func (p *planner) remember(row int, upnKey, empKey string) (dupUPN, dupEmp int) {
	if upnKey != "" {
		dupUPN = int(p.seenUPN.firstOrAdd(maphash.String(p.seed, upnKey), int32(row)))
	}
	if empKey != "" {
		dupEmp = int(p.seenEmp.firstOrAdd(maphash.String(p.seed, empKey), int32(row)))
	}
	return dupUPN, dupEmp
}

func inputOf(r *Row) validate.Input {
	c := &r.Cells
	return validate.Input{
		UserName: c[ColUserName], FirstName: c[ColFirstName], LastName: c[ColLastName], DisplayName: c[ColDisplayName],
		JobTitle: c[ColJobTitle], Department: c[ColDepartment], OfficeNumber: c[ColOfficeNumber],
		OfficePhone: c[ColOfficePhone], MobilePhone: c[ColMobilePhone], Fax: c[ColFax], AlternateEmail: c[ColAlternateEmail],
		Address: c[ColAddress], City: c[ColCity], State: c[ColState], PostalCode: c[ColPostalCode], Country: c[ColCountry],
		UsageLocation: c[ColUsageLocation], Licenses: c[ColLicenses], DisabledApps: c[ColDisabledApps], Roles: c[ColRoles],
		Password: c[ColPassword], RequirePasswordChange: c[ColRequirePasswordChange], BlockSignIn: c[ColBlockSignIn],
		EmployeeID: c[ColEmployeeID], PasswordHashFunction: c[ColPasswordHashFunction], Status: c[ColStatus],
	}
}

// plan decides one row. existing is the directory's user of that name (nil
// for none); empOwner the lower-cased user name that holds the row's
// employee ID ("" for none).
func (p *planner) plan(r *Row, upnKey string, dupUPN, dupEmp int, existing *User, empOwner string) (jr JournalRow) {
	if r.Sync != nil { // a feed's sync decided the row, or has a word to add (feedrun.go)
		if r.Sync.Decided {
			return r.Sync.result(r)
		}
		defer func() { r.Sync.note(&jr) }()
	}
	if r.Problem != "" {
		return JournalRow{Row: r.Number, Result: &Result{Row: r.Number, Outcome: Failed, LicenseStatus: StatusNone,
			Message: r.Problem}}
	}
	in := inputOf(r)
	c := p.base
	upsertExisting := existing != nil && p.opts.Mode == ModeUpsert && !r.Joiner && !existing.Deleted
	if upsertExisting {
		held := make([]string, 0, len(existing.Licenses))
		for _, l := range existing.Licenses {
			held = append(held, l.SKU)
		}
		c.Existing = &validate.Existing{UsageLocation: existing.UsageLocation, Licenses: held}
	}
	vu, problems := validate.Row(in, c)
	if dupUPN > 0 {
		problems = append(problems, validate.Problem{Column: ColUserName.String(), Value: in.UserName,
			Rule: fmt.Sprintf("duplicate of row %d", dupUPN)})
	}
	if dupEmp > 0 {
		problems = append(problems, validate.Problem{Column: ColEmployeeID.String(), Value: in.EmployeeID,
			Rule: fmt.Sprintf("duplicate of row %d", dupEmp)})
	}
	switch {
	case existing != nil && existing.Deleted:
		problems = append(problems, validate.Problem{Column: ColUserName.String(), Value: existing.UserPrincipalName,
			Rule: "belongs to a deleted user: restore it with `userimport user restore`, or wait 30 days until it is purged"})
	case existing != nil && p.opts.Mode == ModeCreate:
		// That is the row's one problem that matters: the others (a role
		// that may not create users, say) were about creating it.
		problems = append(problems[:0:0], validate.Problem{Column: ColUserName.String(), Value: existing.UserPrincipalName,
			Rule: "already exists (use --mode upsert to update existing users)"})
	case existing != nil && r.Joiner:
		id := "none"
		if existing.EmployeeID != "" {
			id = existing.EmployeeID
		}
		problems = append(problems[:0:0], validate.Problem{Column: ColUserName.String(), Value: existing.UserPrincipalName,
			Rule: "already taken by another user (Employee ID: " + id + "); a sync feed matches people by Employee ID, never by name: " +
				"give this row another User Name (or leave it blank for --upn), or give that user this row's Employee ID if it is this person"})
	}
	if vu.EmployeeID != "" && empOwner != "" && empOwner != upnKey && dupEmp == 0 {
		problems = append(problems, validate.Problem{Column: ColEmployeeID.String(), Value: vu.EmployeeID,
			Rule: "already belongs to another user (" + empOwner + ")"})
	}
	result := func(o Outcome, msg string) JournalRow {
		id := existingID(existing)
		if o == Failed {
			id = ""
		}
		return JournalRow{Row: r.Number, Result: &Result{
			Row: r.Number, UserName: displayUPN(vu.UPN, in.UserName), DisplayName: vu.DisplayName,
			Outcome: o, LicenseStatus: StatusNone, Message: msg, UserID: id,
		}}
	}
	if len(problems) > 0 {
		return result(Failed, validate.Message(problems))
	}
	if existing == nil {
		return JournalRow{Row: r.Number, Plan: p.create(r.Number, vu)}
	}
	pl, denied := p.update(r.Number, vu, existing)
	if len(denied) > 0 {
		return result(Failed, validate.Message(denied))
	}
	if pl == nil {
		if vu.DisplayName == "" {
			vu.DisplayName = existing.DisplayName // the file gave none: show the directory's
		}
		jr := result(Unchanged, "")
		jr.Result.Licenses = held(vu.Licenses, existing)
		jr.Result.LicenseStatus, jr.Result.Message = licenseStatus(jr.Result.Licenses, Unchanged)
		return jr
	}
	return JournalRow{Row: r.Number, Plan: pl}
}

func displayUPN(upn, cell string) string {
	if upn != "" {
		return upn
	}
	return cell
}

func existingID(u *User) string {
	if u == nil {
		return ""
	}
	return u.ID
}

func (p *planner) create(row int, vu validate.User) *Planned {
	u := User{
		ID: newUserID(), UserPrincipalName: vu.UPN, DisplayName: vu.DisplayName, FirstName: vu.FirstName,
		LastName: vu.LastName, JobTitle: vu.JobTitle, Department: vu.Department, UsageLocation: vu.UsageLocation,
		EmployeeID: vu.EmployeeID, AccountEnabled: !vu.BlockSignIn, MustChangePassword: vu.RequirePasswordChange,
		Source: p.opts.Source, OfficeNumber: vu.OfficeNumber, OfficePhone: vu.OfficePhone, MobilePhone: vu.MobilePhone,
		Fax: vu.Fax, AlternateEmail: vu.AlternateEmail, Address: vu.Address, City: vu.City, State: vu.State,
		PostalCode: vu.PostalCode, Country: vu.Country,
	}
	for _, r := range vu.Roles {
		u.Roles = append(u.Roles, Role(r))
	}
	if p.opts.NoPasswords {
		u.MustChangePassword = false
	}
	return &Planned{
		Row: row, Action: ActionCreate, User: u, Licenses: p.licenses(vu.Licenses, vu.DisabledApps),
		Roles: u.Roles, Blocked: vu.BlockSignIn, NeedsPassword: !p.opts.NoPasswords && vu.PasswordHash == "",
		PasswordFromFile: vu.Password != "", ImportedHash: StoredHash(vu.PasswordHashFunction, vu.PasswordHash), RequestedAt: p.now,
	}
}

// licenses pairs each SKU with the disabled apps that are its plans.
func (p *planner) licenses(skus, disabled []string) []PlannedLicense {
	var ls []PlannedLicense
	for _, sku := range skus {
		l := PlannedLicense{SKU: sku}
		for _, plan := range disabled {
			if slices.Contains(p.products[sku].Plans, plan) {
				l.DisabledPlans = append(l.DisabledPlans, plan)
			}
		}
		ls = append(ls, l)
	}
	return ls
}

// update compares a row with the user it names and returns the plan, nil
// when nothing changes, or the problems when the acting admin may not make
// the changes.
func (p *planner) update(row int, vu validate.User, ex *User) (*Planned, []validate.Problem) {
	u := *ex
	u.Roles, u.Licenses = nil, nil
	var changed []Column
	set := func(col Column, dst *string, v string) {
		if v != "" && v != *dst {
			*dst = v
			changed = append(changed, col)
		}
	}
	set(ColDisplayName, &u.DisplayName, vu.DisplayName)
	set(ColFirstName, &u.FirstName, vu.FirstName)
	set(ColLastName, &u.LastName, vu.LastName)
	set(ColJobTitle, &u.JobTitle, vu.JobTitle)
	set(ColDepartment, &u.Department, vu.Department)
	set(ColOfficeNumber, &u.OfficeNumber, vu.OfficeNumber)
	set(ColOfficePhone, &u.OfficePhone, vu.OfficePhone)
	set(ColMobilePhone, &u.MobilePhone, vu.MobilePhone)
	set(ColFax, &u.Fax, vu.Fax)
	set(ColAlternateEmail, &u.AlternateEmail, vu.AlternateEmail)
	set(ColAddress, &u.Address, vu.Address)
	set(ColCity, &u.City, vu.City)
	set(ColState, &u.State, vu.State)
	set(ColPostalCode, &u.PostalCode, vu.PostalCode)
	set(ColCountry, &u.Country, vu.Country)
	set(ColEmployeeID, &u.EmployeeID, vu.EmployeeID)
	set(ColUsageLocation, &u.UsageLocation, vu.UsageLocation)
	blocked := !ex.AccountEnabled
	if vu.BlockSignInSet && vu.BlockSignIn != blocked {
		blocked = vu.BlockSignIn
		u.AccountEnabled = !blocked
		changed = append(changed, ColBlockSignIn)
	}
	var newSKUs []string
	for _, sku := range vu.Licenses {
		if !slices.ContainsFunc(ex.Licenses, func(l License) bool { return l.SKU == sku }) {
			newSKUs = append(newSKUs, sku)
		}
	}
	if len(newSKUs) > 0 {
		changed = append(changed, ColLicenses)
	}
	disable := p.disabledChanges(vu, ex)
	if len(disable) > 0 {
		changed = append(changed, ColDisabledApps)
	}
	var newRoles []Role
	for _, r := range vu.Roles {
		if !ex.HasRole(Role(r)) {
			newRoles = append(newRoles, Role(r))
		}
	}
	if len(newRoles) > 0 {
		changed = append(changed, ColRoles)
	}
	if len(changed) == 0 {
		return nil, nil
	}
	var denied []validate.Problem
	for _, col := range changed {
		if rule := targetRule(p.actor, ex, col); rule != "" {
			denied = append(denied, validate.Problem{Column: col.String(), Value: cellOf(vu, col), Rule: rule})
			continue
		}
		if col == ColLicenses || col == ColUsageLocation || col == ColDisabledApps || col == ColRoles {
			continue // validate.Row checked those against the role matrix
		}
		if !validate.Allowed(p.actor, validate.UpdateUser) {
			denied = append(denied, validate.Problem{Column: col.String(), Value: cellOf(vu, col),
				Rule: "your role (" + strings.Join(p.actor, ", ") + ") may not change this; a License admin may only change licenses, usage location and disabled apps"})
		}
	}
	if len(denied) > 0 {
		return nil, denied
	}
	names := make([]string, len(changed))
	for i, c := range changed {
		names[i] = c.Key()
	}
	return &Planned{
		Row: row, Action: ActionUpdate, User: u, Changed: names, Licenses: p.licenses(newSKUs, vu.DisabledApps),
		Held: held(vu.Licenses, ex), Disable: disable, Roles: newRoles, Blocked: blocked, RequestedAt: p.now,
	}, nil
}

// disabledChanges returns the licenses ex holds whose disabled apps the
// row's non-blank Disabled Apps cell changes: those the row's Licenses cell
// names, or every one it holds when that cell is blank. Each gets the
// cell's apps that are plans of its product, as a new license does.
func (p *planner) disabledChanges(vu validate.User, ex *User) []PlannedLicense {
	if len(vu.DisabledApps) == 0 {
		return nil
	}
	var out []PlannedLicense
	for _, l := range ex.Licenses {
		if len(vu.Licenses) > 0 && !slices.Contains(vu.Licenses, l.SKU) {
			continue
		}
		want := p.licenses([]string{l.SKU}, vu.DisabledApps)[0]
		if !sameSet(want.DisabledPlans, l.DisabledPlans) {
			out = append(out, want)
		}
	}
	return out
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// held returns the licenses of skus that u holds already, with their state,
// so that a row's result shows every license it asks for.
func held(skus []string, u *User) []LicenseResult {
	var ls []LicenseResult
	for _, sku := range skus {
		for _, l := range u.Licenses {
			if l.SKU == sku {
				ls = append(ls, LicenseResult{SKU: sku, Status: l.Status})
			}
		}
	}
	return ls
}

func cellOf(vu validate.User, c Column) string {
	switch c {
	case ColDisplayName:
		return vu.DisplayName
	case ColFirstName:
		return vu.FirstName
	case ColLastName:
		return vu.LastName
	case ColJobTitle:
		return vu.JobTitle
	case ColDepartment:
		return vu.Department
	case ColEmployeeID:
		return vu.EmployeeID
	case ColBlockSignIn:
		if vu.BlockSignIn {
			return "Yes"
		}
		return "No"
	}
	return ""
}

// newUserID returns a new user's ID: a version 7 UUID, which begins with
// the time, so that a batch's users go at the end of the ID indexes rather
// than all over them.
func newUserID() string {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.NewString()
	}
	return id.String()
}
