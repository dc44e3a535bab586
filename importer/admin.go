package importer

import (
	"context"
	"strings"

	"userimport/validate"
)

// Permission says who may run an admin operation: any admin, the admins
// whose roles allow an action of the role matrix (validate.Allowed), or
// Global admins alone.
type Permission struct {
	action     validate.Action
	anyAdmin   bool
	globalOnly string // what only a Global admin may do, e.g. "add domains"
}

// AnyAdmin is the permission of listings: every admin has it.
func AnyAdmin() Permission { return Permission{anyAdmin: true} }

// Allows is the permission of admins whose roles allow a.
func Allows(a validate.Action) Permission { return Permission{action: a} }

// GlobalAdminOnly is the permission of what only a Global admin may do;
// what says it for the message ("add domains").
func GlobalAdminOnly(what string) Permission { return Permission{globalOnly: what} }

// Authorize returns nil when actor has p, else an EFORBIDDEN *Error that
// names the actor, its roles and what it may not do.
func Authorize(actor User, p Permission) error {
	switch {
	case p.anyAdmin:
		if !validate.IsAdmin(actor.RoleNames()) {
			return Errorf(EFORBIDDEN, "%s is no admin (Global admin, User admin or License admin)", actor.UserPrincipalName)
		}
	case p.globalOnly != "":
		if !actor.HasRole(GlobalAdmin) {
			return Errorf(EFORBIDDEN, "only a Global admin may %s (%s is %s)", p.globalOnly, actor.UserPrincipalName, rolesOf(actor))
		}
	case !validate.Allowed(actor.RoleNames(), p.action):
		return Errorf(EFORBIDDEN, "%s (%s) may not %s", actor.UserPrincipalName, rolesOf(actor), p.action)
	}
	return nil
}

// MayChange returns nil when actor may do a to target, else an EFORBIDDEN
// *Error naming the rule broken: the role matrix, and the rules about
// admins as targets (validate.ActOn: only a Global admin acts on a Global
// admin; a License admin changes no admin's profile).
func MayChange(actor, target User, a validate.Action) error {
	if err := Authorize(actor, Allows(a)); err != nil {
		return err
	}
	if rule := validate.ActOn(actor.RoleNames(), target.RoleNames(), a); rule != "" {
		return Errorf(EFORBIDDEN, "%s (%s) may not act on %s (%s): %s", actor.UserPrincipalName, rolesOf(actor),
			target.UserPrincipalName, rolesOf(target), rule)
	}
	return nil
}

// Guard decides whether actor may act on target. The store calls it inside
// the transaction that writes, on both users as they are at that moment, so
// that a role given or taken meanwhile counts; a non-nil error aborts the
// write and is returned as it is.
type Guard func(actor, target User) error

// guardFor is the Guard of action a: MayChange.
func guardFor(a validate.Action) Guard {
	return func(actor, target User) error { return MayChange(actor, target, a) }
}

// targetRule is the rule about admins as targets that keeps the acting
// admin (its role names) from changing col of the existing user ex in an
// upsert, or "" when none does. What the role matrix alone forbids is the
// planner's to say.
func targetRule(actor []string, ex *User, col Column) string {
	a := validate.UpdateUser
	switch col {
	case ColLicenses:
		a = validate.AssignLicense
	case ColDisabledApps:
		a = validate.SetDisabledApps
	case ColUsageLocation:
		a = validate.SetUsageLocation
	case ColRoles:
		a = validate.GiveRole
	}
	if !validate.Allowed(actor, a) {
		return ""
	}
	if rule := validate.ActOn(actor, ex.RoleNames(), a); rule != "" {
		return rule + " (" + ex.UserPrincipalName + " is " + rolesOf(*ex) + ")"
	}
	return ""
}

// ActorStore is what ActingAdmin needs of the directory.
type ActorStore interface {
	User(ctx context.Context, upn string) (User, error)
	InitialAdmin(ctx context.Context) (string, error)
}

// ActingAdmin returns the acting admin: the user named upn, or when upn is
// "", the Global admin that init created. A user who does not exist, is
// deleted or is no admin is EFORBIDDEN.
func ActingAdmin(ctx context.Context, s ActorStore, upn string) (User, error) {
	if upn == "" {
		var err error
		if upn, err = s.InitialAdmin(ctx); err != nil {
			return User{}, err
		}
	}
	u, err := s.User(ctx, upn)
	if ErrorCode(err) == ENOTFOUND {
		return User{}, Errorf(EFORBIDDEN, "--as %s: no such user", upn)
	}
	if err != nil {
		return User{}, err
	}
	if u.Deleted {
		return User{}, Errorf(EFORBIDDEN, "--as %s: this user is deleted", upn)
	}
	if !validate.IsAdmin(u.RoleNames()) {
		return User{}, Errorf(EFORBIDDEN,
			"--as %s: this user is no admin (Global admin, User admin or License admin)", u.UserPrincipalName)
	}
	return u, nil
}

// rolesOf names u's roles for a message.
func rolesOf(u User) string {
	if len(u.Roles) == 0 {
		return "no admin"
	}
	return strings.Join(u.RoleNames(), ", ")
}

// UserStore is what the user operations need of the directory. Each method
// is one transaction that calls the Guard on the acting admin and the
// target as they are then, before it writes.
type UserStore interface {
	DeleteUserChecked(ctx context.Context, actor, upn string, g Guard) error
	RestoreUserChecked(ctx context.Context, actor, upn string, g Guard) error
	SetSignInBlocked(ctx context.Context, actor, upn string, blocked bool, g Guard) error
}

// SessionEnder ends a user's web sessions. The web page (SPEC §11) will
// implement it; until then there are none to end.
type SessionEnder interface {
	EndSessions(ctx context.Context, upn string) error
}

// DeleteUser soft-deletes upn (restorable for 30 days); its seats go to
// pending assignments. The actor needs UpdateUser, and only a Global admin
// deletes a Global admin.
func DeleteUser(ctx context.Context, s UserStore, actor User, upn string) error {
	if err := Authorize(actor, Allows(validate.UpdateUser)); err != nil {
		return err
	}
	return s.DeleteUserChecked(ctx, actor.UserPrincipalName, upn, guardFor(validate.UpdateUser))
}

// RestoreUser brings back a deleted user with its licenses, as DeleteUser's
// rules allow.
func RestoreUser(ctx context.Context, s UserStore, actor User, upn string) error {
	if err := Authorize(actor, Allows(validate.UpdateUser)); err != nil {
		return err
	}
	return s.RestoreUserChecked(ctx, actor.UserPrincipalName, upn, guardFor(validate.UpdateUser))
}

// BlockSignIn blocks (blocked true) or allows the sign-in of upn. The actor
// needs UpdateUser, and only a Global admin blocks a Global admin. Blocking
// ends the user's web sessions through sessions (nil: there are none yet);
// the block holds even when that fails, and the error is returned.
func BlockSignIn(ctx context.Context, s UserStore, sessions SessionEnder, actor User, upn string, blocked bool) error {
	if err := Authorize(actor, Allows(validate.UpdateUser)); err != nil {
		return err
	}
	if err := s.SetSignInBlocked(ctx, actor.UserPrincipalName, upn, blocked, guardFor(validate.UpdateUser)); err != nil {
		return err
	}
	if blocked && sessions != nil {
		return sessions.EndSessions(ctx, upn)
	}
	return nil
}

// LicenseStore is what the license operations need of the directory.
type LicenseStore interface {
	// AssignLicense gives upn the product sku, with a seat when one is
	// free (else pending), and returns the assignment's status.
	AssignLicense(ctx context.Context, actor, upn, sku string, disabledPlans []string, g Guard) (string, error)
	// RemoveLicense takes sku from upn; its seat goes to the oldest
	// pending assignment.
	RemoveLicense(ctx context.Context, actor, upn, sku string, g Guard) error
	Products(ctx context.Context) ([]Product, error)
}

// AssignLicense gives upn the license named sku (by SKU or display name),
// with disabledApps (plans of that product) turned off: assigned when a seat
// is free, else pending. It returns the SKU and the status. The actor needs
// AssignLicense (and SetDisabledApps for apps).
func AssignLicense(ctx context.Context, s LicenseStore, actor User, upn, sku string, disabledApps []string) (string, string, error) {
	if err := Authorize(actor, Allows(validate.AssignLicense)); err != nil {
		return "", "", err
	}
	if len(disabledApps) > 0 {
		if err := Authorize(actor, Allows(validate.SetDisabledApps)); err != nil {
			return "", "", err
		}
	}
	p, plans, err := productPlans(ctx, s, sku, disabledApps)
	if err != nil {
		return "", "", err
	}
	status, err := s.AssignLicense(ctx, actor.UserPrincipalName, upn, p.SKU, plans, guardFor(validate.AssignLicense))
	return p.SKU, status, err
}

// RemoveLicense takes the license named sku from upn; its seat goes to the
// oldest pending assignment. It returns the SKU. The actor needs
// AssignLicense.
func RemoveLicense(ctx context.Context, s LicenseStore, actor User, upn, sku string) (string, error) {
	if err := Authorize(actor, Allows(validate.AssignLicense)); err != nil {
		return "", err
	}
	p, _, err := productPlans(ctx, s, sku, nil)
	if err != nil {
		return "", err
	}
	return p.SKU, s.RemoveLicense(ctx, actor.UserPrincipalName, upn, p.SKU, guardFor(validate.AssignLicense))
}

// productPlans finds the product name names and the canonical names of
// apps among its plans; an unknown product or app is EINVALID.
func productPlans(ctx context.Context, s LicenseStore, name string, apps []string) (Product, []string, error) {
	ps, err := s.Products(ctx)
	if err != nil {
		return Product{}, nil, err
	}
	vps := make([]validate.Product, len(ps))
	for i, p := range ps {
		vps[i] = validate.Product{SKU: p.SKU, Name: p.Name, Plans: p.Plans}
	}
	sku, ok := validate.LicenseSKU(vps, name)
	if !ok {
		return Product{}, nil, Errorf(ENOTFOUND, "no license %q: see `userimport license list`", name)
	}
	var p Product
	for _, pr := range ps {
		if pr.SKU == sku {
			p = pr
		}
	}
	var plans []string
	for _, app := range apps {
		i := -1
		for j, plan := range p.Plans {
			if strings.EqualFold(plan, app) {
				i = j
			}
		}
		if i < 0 {
			return Product{}, nil, Errorf(EINVALID, "--disabled-apps: %s has no app %q (its apps: %s)", p.SKU, app, strings.Join(p.Plans, ", "))
		}
		if !containsFold(plans, p.Plans[i]) {
			plans = append(plans, p.Plans[i])
		}
	}
	return p, plans, nil
}

func containsFold(ss []string, s string) bool {
	for _, x := range ss {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
