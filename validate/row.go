package validate

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Input is one row of an import file: one field per column of our
// template, each cell already trimmed of surrounding white space.
type Input struct {
	UserName, FirstName, LastName, DisplayName, JobTitle, Department, OfficeNumber,
	OfficePhone, MobilePhone, Fax, AlternateEmail, Address, City, State, PostalCode,
	Country, UsageLocation, Licenses, DisabledApps, Roles, Password,
	RequirePasswordChange, BlockSignIn, EmployeeID string

	// PasswordHashFunction names the function of a hash in Password
	// (Google's "Password Hash Function [UPLOAD ONLY]"); Status is Active or
	// Suspended (Google's "New Status [UPLOAD ONLY]").
	PasswordHashFunction, Status string
}

// Product is a license SKU as the rules need it.
type Product struct {
	SKU   string   // part number, e.g. ENTERPRISEPACK
	Name  string   // display name, e.g. Office 365 E3
	Plans []string // the service plans (apps) it contains
}

// Context is what Row needs to know beyond the row: the directory's domains
// and products, the import's flags, the acting admin, and whether the user
// exists. The caller looks these up once per batch (or, for Existing, in
// bulk); Row never asks the directory.
type Context struct {
	VerifiedDomains map[string]bool // lower-case names of the directory's verified domains; nil means none
	Products        []Product       // every product of the directory
	DefaultDomain   string          // --domain, for User Name cells without @

	// Defaults for the blank cells of new users only: an existing user's
	// blank cell means "leave as is". The caller checks the flags
	// themselves; Row ignores a DefaultUsageLocation that is not a code and
	// DefaultDisabledApps that are not in the row's licenses.
	DefaultLicenses       []string // --license, by SKU or display name
	DefaultDisabledApps   []string // --disabled-apps
	DefaultUsageLocation  string   // --usage-location, else the organization's default
	RequirePasswordChange bool     // --require-password-change
	BlockSignIn           bool     // --block-sign-in

	NoPasswords bool      // --no-passwords: a non-blank Password cell is a problem
	Actor       []string  // the acting admin's role names
	Existing    *Existing // the user as the directory holds it; nil for a new user
}

// Existing is what Row needs to know of a user that already exists.
type Existing struct {
	UsageLocation string
	Licenses      []string // SKUs the user holds
}

// User is a row after the rules: its values normalized and ready to write.
// For an existing user, an empty field (or nil list, or false XxxSet) means
// the cell was blank: leave the value as it is.
type User struct {
	UPN, Alias, Domain string // Domain lower-case; UPN is Alias + "@" + Domain

	DisplayName, FirstName, LastName, JobTitle, Department, OfficeNumber, OfficePhone,
	MobilePhone, Fax, AlternateEmail, Address, City, State, PostalCode, Country string

	// UsageLocation is an upper-case alpha-2 code, or "". For a new user it
	// is the cell, else the country Country or Region names, else
	// DefaultUsageLocation; for an existing user the cell, else the one it
	// has, else the country, else the default.
	UsageLocation string
	Licenses      []string // canonical SKUs, in cell order, each once; blank cell of a new user: DefaultLicenses
	DisabledApps  []string // canonical plan names, each once
	Roles         []string // canonical role names, each once
	Password      string   // as given; "" when blank (the caller generates one, unless NoPasswords)

	// PasswordHashFunction is the canonical name (HashFunction) of the
	// function whose hash PasswordHash holds, given in place of a password;
	// both are "" otherwise, and then Password is "" whenever they are set.
	PasswordHashFunction, PasswordHash string

	RequirePasswordChange, BlockSignIn       bool
	RequirePasswordChangeSet, BlockSignInSet bool // the cell, or for a new user the default, decided it

	EmployeeID string
}

// The columns of our template, in its order (SPEC §4).
const (
	colUserName = iota
	colFirstName
	colLastName
	colDisplayName
	colJobTitle
	colDepartment
	colOfficeNumber
	colOfficePhone
	colMobilePhone
	colFax
	colAlternateEmail
	colAddress
	colCity
	colState
	colPostalCode
	colCountry
	colUsageLocation
	colLicenses
	colDisabledApps
	colRoles
	colPassword
	colRequirePasswordChange
	colBlockSignIn
	colEmployeeID
	colPasswordHashFunction
	colStatus
	numColumns
)

var columnNames = [numColumns]string{
	"User Name", "First Name", "Last Name", "Display Name", "Job Title", "Department",
	"Office Number", "Office Phone", "Mobile Phone", "Fax", "Alternate email address",
	"Address", "City", "State or Province", "ZIP or Postal Code", "Country or Region",
	"Usage Location", "Licenses", "Disabled Apps", "Roles", "Password",
	"Require Password Change", "Block Sign In", "Employee ID", "Password Hash Function", "Status",
}

// cell returns the value of column col.
func (in *Input) cell(col int) string {
	switch col {
	case colUserName:
		return in.UserName
	case colFirstName:
		return in.FirstName
	case colLastName:
		return in.LastName
	case colDisplayName:
		return in.DisplayName
	case colJobTitle:
		return in.JobTitle
	case colDepartment:
		return in.Department
	case colOfficeNumber:
		return in.OfficeNumber
	case colOfficePhone:
		return in.OfficePhone
	case colMobilePhone:
		return in.MobilePhone
	case colFax:
		return in.Fax
	case colAlternateEmail:
		return in.AlternateEmail
	case colAddress:
		return in.Address
	case colCity:
		return in.City
	case colState:
		return in.State
	case colPostalCode:
		return in.PostalCode
	case colCountry:
		return in.Country
	case colUsageLocation:
		return in.UsageLocation
	case colLicenses:
		return in.Licenses
	case colDisabledApps:
		return in.DisabledApps
	case colRoles:
		return in.Roles
	case colPassword:
		return in.Password
	case colRequirePasswordChange:
		return in.RequirePasswordChange
	case colBlockSignIn:
		return in.BlockSignIn
	case colEmployeeID:
		return in.EmployeeID
	case colPasswordHashFunction:
		return in.PasswordHashFunction
	case colStatus:
		return in.Status
	}
	return ""
}

// Row applies every rule of SPEC §5 to one row and returns the user it
// describes and every problem found, in the template's column order (not
// just the first). The row may be written only when there are none; the
// User is returned either way, filled as far as the rules allowed.
//
// The rules, each broken one a Problem on its column:
//
//   - Every cell must be valid UTF-8; free-text cells may hold no control
//     characters (Address may hold line breaks).
//   - User Name is required and follows Username; its domain must be one of
//     VerifiedDomains.
//   - Display Name at most 256 characters; blank for a new user, it is made
//     from First Name and Last Name, and all three blank is a problem.
//   - The lengths of SPEC §5; phones and Fax follow Phone, Alternate email
//     address follows Email.
//   - Password, when given, follows Password (never shown in a Problem); with
//     NoPasswords it must be blank.
//   - Usage Location, when given, follows UsageLocation; a row that ends with
//     a license and no usage location fails.
//   - Licenses must name products by SKU or display name; Disabled Apps must
//     be plans of the user's licenses; Roles must name admin roles.
//   - Require Password Change and Block Sign In follow Bool.
//   - The actor's roles must allow the row (Allowed): a new user needs
//     CreateUser; a non-blank Password cell SetPassword; licenses
//     AssignLicense; a non-blank Disabled Apps cell SetDisabledApps, Usage
//     Location cell SetUsageLocation, Roles cell GiveRole. Whether an
//     existing user's profile cells change anything, and so need
//     UpdateUser, only the caller knows.
//
// Duplicates within a file are the caller's to find.
func Row(in Input, c Context) (User, []Problem) {
	r := rowRules{in: in, c: c, isNew: c.Existing == nil}
	r.run()
	slices.SortStableFunc(r.problems, func(a, b colProblem) int { return cmp.Compare(a.col, b.col) })
	var ps []Problem
	for _, p := range r.problems {
		ps = append(ps, p.Problem)
	}
	return r.u, ps
}

type colProblem struct {
	col int
	Problem
}

// rowRules holds one row's state while Row applies the rules.
type rowRules struct {
	in       Input // by value, as c: a pointer to Row's arguments would move them to the heap, every row
	c        Context
	isNew    bool
	bad      [numColumns]bool // the cell is not valid UTF-8: no other rule looks at it
	u        User
	problems []colProblem
}

func (r *rowRules) add(col int, value, rule string) {
	if col == colPassword {
		value = "" // a password never goes into a message, not even a bad one
	}
	r.problems = append(r.problems, colProblem{col, Problem{Column: columnNames[col], Value: value, Rule: rule}})
}

func (r *rowRules) run() {
	in, c, u := &r.in, &r.c, &r.u
	for col := range numColumns {
		if v := in.cell(col); !utf8.ValidString(v) {
			r.add(col, v, errNotUTF8.Error()+" (save the file as UTF-8)")
			r.bad[col] = true
		}
	}

	r.userName()

	u.FirstName = r.text(colFirstName, MaxNameLen)
	u.LastName = r.text(colLastName, MaxNameLen)
	u.DisplayName = r.text(colDisplayName, MaxDisplayNameLen)
	if in.DisplayName == "" && r.isNew {
		if in.FirstName == "" && in.LastName == "" {
			r.add(colDisplayName, "", "required when First Name and Last Name are blank")
		}
		u.DisplayName = strings.TrimSpace(u.FirstName + " " + u.LastName)
	}
	u.JobTitle = r.text(colJobTitle, MaxNameLen)
	u.Department = r.text(colDepartment, MaxNameLen)
	u.OfficeNumber = r.text(colOfficeNumber, MaxPlaceLen)
	u.OfficePhone = r.check(colOfficePhone, Phone)
	u.MobilePhone = r.check(colMobilePhone, Phone)
	u.Fax = r.check(colFax, Phone)
	u.AlternateEmail = r.check(colAlternateEmail, Email)
	u.Address = r.text(colAddress, MaxAddressLen)
	u.City = r.text(colCity, MaxPlaceLen)
	u.State = r.text(colState, MaxPlaceLen)
	u.PostalCode = r.text(colPostalCode, MaxPostalCodeLen)
	u.Country = r.text(colCountry, MaxPlaceLen)
	u.EmployeeID = r.text(colEmployeeID, MaxEmployeeIDLen)

	r.licenses()
	r.disabledApps()
	r.usageLocation()
	r.roles()
	r.password()
	u.RequirePasswordChange, u.RequirePasswordChangeSet = r.boolean(colRequirePasswordChange, c.RequirePasswordChange)
	u.BlockSignIn, u.BlockSignInSet = r.boolean(colBlockSignIn, c.BlockSignIn)
	r.status()
	r.permissions()
}

func (r *rowRules) userName() {
	v := r.in.UserName
	switch {
	case r.bad[colUserName]:
	case v == "":
		r.add(colUserName, "", "required")
	default:
		upn, alias, domain, err := Username(v, r.c.DefaultDomain)
		if err != nil {
			r.add(colUserName, v, err.Error())
			return
		}
		r.u.UPN, r.u.Alias, r.u.Domain = upn, alias, domain
		if !r.c.VerifiedDomains[domain] {
			r.add(colUserName, v, fmt.Sprintf("domain %q is not a verified domain of the directory (verify it with: userimport domain verify %s)", domain, domain))
		}
	}
}

// text checks a free-text cell: at most max characters, no control
// characters (but line breaks in Address), no direction overrides. It returns the cell, or "" when
// it breaks a rule.
func (r *rowRules) text(col, max int) string {
	v := r.in.cell(col)
	if v == "" || r.bad[col] {
		return ""
	}
	if err := MaxLen(v, max); err != nil {
		r.add(col, v, err.Error())
		return ""
	}
	for _, ch := range v {
		if unicode.IsControl(ch) && !(col == colAddress && (ch == '\n' || ch == '\r')) {
			r.add(col, v, fmt.Sprintf("may not contain control characters (U+%04X)", ch))
			return ""
		}
		if bidiOverride(ch) {
			r.add(col, v, fmt.Sprintf("may not contain characters that change the direction text is shown in (U+%04X): a name with one can read as another", ch))
			return ""
		}
	}
	return v
}

// bidiOverride reports whether r is one of Unicode's explicit direction
// embeddings, overrides or isolates (U+202A–U+202E, U+2066–U+2069). Names
// in right-to-left scripts need none of them: the marks U+200E and U+200F
// are allowed.
func bidiOverride(r rune) bool {
	return '\u202a' <= r && r <= '\u202e' || '\u2066' <= r && r <= '\u2069'
}

// check checks a non-blank cell with rule. It returns the cell, or "" when
// it breaks the rule.
func (r *rowRules) check(col int, rule func(string) error) string {
	v := r.in.cell(col)
	if v == "" || r.bad[col] {
		return ""
	}
	if err := rule(v); err != nil {
		r.add(col, v, err.Error())
		return ""
	}
	return v
}

func (r *rowRules) boolean(col int, def bool) (v, set bool) {
	cell := r.in.cell(col)
	if r.bad[col] {
		return false, false
	}
	v, set, err := Bool(cell)
	if err != nil {
		r.add(col, cell, err.Error())
		return false, false
	}
	if !set && r.isNew {
		return def, true
	}
	return v, set
}

func (r *rowRules) licenses() {
	if r.bad[colLicenses] {
		return
	}
	cell := r.in.Licenses
	names, value, from := List(cell), cell, ""
	if len(names) == 0 && r.isNew {
		names, value, from = r.c.DefaultLicenses, "", " (from --license)"
	}
	for _, name := range names {
		p := findProduct(r.c.Products, name)
		if p == nil {
			shown := value
			if strings.TrimSpace(value) == name {
				shown = "" // the rule quotes it already
			}
			r.add(colLicenses, shown, fmt.Sprintf("no such license %s%s%s", quote(name), from, r.knownLicenses()))
			continue
		}
		if !slices.Contains(r.u.Licenses, p.SKU) {
			r.u.Licenses = append(r.u.Licenses, p.SKU)
		}
	}
}

// knownLicenses lists the directory's SKUs for a "no such license" rule,
// when there are few enough to read.
func (r *rowRules) knownLicenses() string {
	ps := r.c.Products
	switch {
	case len(ps) == 0:
		return " (the directory has no licenses)"
	case len(ps) > 8:
		return ""
	}
	skus := make([]string, len(ps))
	for i, p := range ps {
		skus[i] = p.SKU
	}
	return " (licenses: " + strings.Join(skus, ", ") + ")"
}

// LicenseSKU returns the SKU of the product that name names, by SKU part
// number or display name without regard to case or runs of spaces, and
// whether one does: what Row does with each item of a Licenses cell, for
// checking --license before a batch starts.
func LicenseSKU(products []Product, name string) (string, bool) {
	if p := findProduct(products, name); p != nil {
		return p.SKU, true
	}
	return "", false
}

// findProduct returns the product whose SKU or display name is name, case
// and runs of spaces aside, or nil.
func findProduct(ps []Product, name string) *Product {
	for i := range ps {
		if strings.EqualFold(ps[i].SKU, name) || strings.EqualFold(ps[i].Name, name) {
			return &ps[i]
		}
	}
	squeezed := strings.Join(strings.Fields(name), " ")
	for i := range ps {
		if strings.EqualFold(strings.Join(strings.Fields(ps[i].Name), " "), squeezed) {
			return &ps[i]
		}
	}
	return nil
}

// findPlan returns the canonical name of the plan named name in any of
// products, and whether there is one.
func findPlan(products []*Product, name string) (string, bool) {
	for _, p := range products {
		for _, plan := range p.Plans {
			if strings.EqualFold(plan, name) {
				return plan, true
			}
		}
	}
	return "", false
}

func (r *rowRules) disabledApps() {
	if r.bad[colDisabledApps] {
		return
	}
	cell := r.in.DisabledApps
	apps, fromDefault := List(cell), false
	if len(apps) == 0 && r.isNew {
		apps, fromDefault = r.c.DefaultDisabledApps, true
	}
	if len(apps) == 0 {
		return
	}
	// The user's licenses: the row's, and for an existing user those it holds.
	var held []*Product
	skus := r.u.Licenses
	if r.c.Existing != nil {
		skus = append(slices.Clip(skus), r.c.Existing.Licenses...)
	}
	for _, sku := range skus {
		if p := findProduct(r.c.Products, sku); p != nil && !slices.Contains(held, p) {
			held = append(held, p)
		}
	}
	for _, app := range apps {
		plan, ok := findPlan(held, app)
		switch {
		case ok:
			if !slices.Contains(r.u.DisabledApps, plan) {
				r.u.DisabledApps = append(r.u.DisabledApps, plan)
			}
		case fromDefault:
			// --disabled-apps applies to the licenses that have the app.
		case !r.anyPlan(app):
			r.add(colDisabledApps, cell, fmt.Sprintf("no such app %s", quote(app)))
		default:
			r.add(colDisabledApps, cell, fmt.Sprintf("no license of this user has the app %s", quote(app)))
		}
	}
}

func (r *rowRules) anyPlan(name string) bool {
	for i := range r.c.Products {
		if _, ok := findPlan([]*Product{&r.c.Products[i]}, name); ok {
			return true
		}
	}
	return false
}

func (r *rowRules) usageLocation() {
	cell := r.in.UsageLocation
	switch {
	case r.bad[colUsageLocation]:
		return
	case cell != "":
		code, err := UsageLocation(cell)
		if err != nil {
			r.add(colUsageLocation, cell, err.Error())
			return
		}
		r.u.UsageLocation = code
		return
	}
	if e := r.c.Existing; e != nil && e.UsageLocation != "" {
		r.u.UsageLocation = strings.ToUpper(e.UsageLocation)
	} else if code, ok := CountryCode(r.u.Country); ok {
		r.u.UsageLocation = code
	} else if code, err := UsageLocation(r.c.DefaultUsageLocation); err == nil {
		r.u.UsageLocation = code
	}
	if r.u.UsageLocation == "" && len(r.u.Licenses) > 0 {
		r.add(colUsageLocation, "", "required to assign a license; set the cell, Country or Region, or --usage-location")
	}
}

func (r *rowRules) roles() {
	if r.bad[colRoles] {
		return
	}
	for _, name := range List(r.in.Roles) {
		role, ok := RoleName(name)
		if !ok {
			r.add(colRoles, r.in.Roles, fmt.Sprintf("no such role %s (roles are %s)", quote(name), strings.Join(Roles(), ", ")))
			continue
		}
		if !slices.Contains(r.u.Roles, role) {
			r.u.Roles = append(r.u.Roles, role)
		}
	}
}

func (r *rowRules) password() {
	pw, fn := r.in.Password, r.in.PasswordHashFunction
	if fn != "" && !r.bad[colPasswordHashFunction] {
		r.passwordHash(pw, fn)
		return
	}
	switch {
	case pw == "" || r.bad[colPassword]:
	case r.c.NoPasswords:
		r.add(colPassword, "", "must be blank with --no-passwords")
	default:
		if err := Password(pw, r.alias()); err != nil {
			r.add(colPassword, "", err.Error())
			return
		}
		r.u.Password = pw
	}
}

// passwordHash checks a Password cell that holds a hash of the function
// fn names, as Google's template allows.
func (r *rowRules) passwordHash(hash, fn string) {
	name, ok := HashFunction(fn)
	switch {
	case !ok:
		r.add(colPasswordHashFunction, fn, "no such hash function (use MD5, SHA-1, crypt or argon2id)")
	case r.bad[colPassword]:
	case r.c.NoPasswords:
		r.add(colPasswordHashFunction, fn, "must be blank with --no-passwords")
	case hash == "":
		r.add(colPassword, "", "must hold the "+name+" hash that Password Hash Function names")
	default:
		if err := PasswordHash(name, hash); err != nil {
			r.add(colPassword, "", "not a valid "+name+" hash, as Password Hash Function says: "+err.Error())
			return
		}
		r.u.PasswordHashFunction, r.u.PasswordHash = name, hash
	}
}

// status applies a Status cell: Suspended blocks sign-in, Active allows it,
// unless Block Sign In says otherwise, which is a problem.
func (r *rowRules) status() {
	cell := r.in.Status
	if cell == "" || r.bad[colStatus] {
		return
	}
	suspended, _, err := Status(cell)
	switch {
	case err != nil:
		r.add(colStatus, cell, err.Error())
	case r.in.BlockSignIn != "" && r.u.BlockSignInSet && r.u.BlockSignIn != suspended:
		r.add(colStatus, cell, "contradicts Block Sign In ("+r.in.BlockSignIn+")")
	default:
		r.u.BlockSignIn, r.u.BlockSignInSet = suspended, true
	}
}

// alias returns the user's alias for the password rule: the parsed one, or
// when the User Name is bad, its part before any @.
func (r *rowRules) alias() string {
	if r.u.Alias != "" {
		return r.u.Alias
	}
	alias, _, _ := strings.Cut(r.in.UserName, "@")
	return alias
}

func (r *rowRules) permissions() {
	actor, in := r.c.Actor, r.in
	deny := func(col int, value string, a Action) {
		r.add(col, value, fmt.Sprintf("%s may not %s", who(actor), a))
	}
	if r.isNew && !Allowed(actor, CreateUser) {
		deny(colUserName, in.UserName, CreateUser)
		return // nothing else matters for a row that cannot be
	}
	if in.Password != "" && !Allowed(actor, SetPassword) {
		deny(colPassword, "", SetPassword)
	}
	if len(r.u.Licenses) > 0 && !Allowed(actor, AssignLicense) {
		deny(colLicenses, in.Licenses, AssignLicense)
	}
	if in.DisabledApps != "" && !Allowed(actor, SetDisabledApps) {
		deny(colDisabledApps, in.DisabledApps, SetDisabledApps)
	}
	if in.UsageLocation != "" && !Allowed(actor, SetUsageLocation) {
		deny(colUsageLocation, in.UsageLocation, SetUsageLocation)
	}
	if in.Roles != "" && !Allowed(actor, GiveRole) {
		deny(colRoles, in.Roles, GiveRole)
	}
}

// who names the acting admin by role for a rule: "your role (User admin)".
func who(actor []string) string {
	var held []string
	for _, r := range actor {
		if name, ok := RoleName(r); ok && !slices.Contains(held, name) {
			held = append(held, name)
		}
	}
	switch len(held) {
	case 0:
		return "you hold no admin role and"
	case 1:
		return "your role (" + held[0] + ")"
	}
	return "your roles (" + strings.Join(held, ", ") + ")"
}
