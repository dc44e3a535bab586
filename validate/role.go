package validate

import "strings"

// The admin roles (SPEC §2), by their canonical names.
const (
	GlobalAdmin  = "Global admin"
	UserAdmin    = "User admin"
	LicenseAdmin = "License admin"
)

// Roles returns the canonical names of every admin role, most powerful first.
func Roles() []string { return []string{GlobalAdmin, UserAdmin, LicenseAdmin} }

// Action is something an admin does to a user, as the role matrix of SPEC
// §2 names it.
type Action int

const (
	CreateUser       Action = iota // create users
	UpdateUser                     // change profile fields, block or unblock, delete, restore
	SetPassword                    // set a user's password
	AssignLicense                  // assign or remove licenses
	SetUsageLocation               // set a user's usage location
	SetDisabledApps                // set the apps disabled in a user's licenses
	GiveRole                       // give or remove admin roles
)

// String returns what the action does, as in "may not create users".
func (a Action) String() string {
	switch a {
	case CreateUser:
		return "create users"
	case UpdateUser:
		return "change users"
	case SetPassword:
		return "set passwords"
	case AssignLicense:
		return "assign licenses"
	case SetUsageLocation:
		return "set usage locations"
	case SetDisabledApps:
		return "set disabled apps"
	case GiveRole:
		return "give admin roles"
	}
	return "do an unknown action"
}

// Allowed reports whether an admin who holds roles may do a. Role names are
// matched as RoleName does; names that are no admin role give nothing.
//
//	Global admin    everything
//	User admin      everything but GiveRole
//	License admin   AssignLicense, SetUsageLocation and SetDisabledApps
//
// A License admin's actions are on existing users only: whether the user
// exists is for the caller to know (a new user needs CreateUser first).
func Allowed(roles []string, a Action) bool {
	for _, r := range roles {
		name, _ := RoleName(r)
		switch name {
		case GlobalAdmin:
			return true
		case UserAdmin:
			switch a {
			case CreateUser, UpdateUser, SetPassword, AssignLicense, SetUsageLocation, SetDisabledApps:
				return true
			}
		case LicenseAdmin:
			if a == AssignLicense || a == SetUsageLocation || a == SetDisabledApps {
				return true
			}
		}
	}
	return false
}

// IsAdmin reports whether roles hold any admin role.
func IsAdmin(roles []string) bool {
	for _, r := range roles {
		if _, ok := RoleName(r); ok {
			return true
		}
	}
	return false
}

// RoleName returns the canonical name of the admin role s names, and
// whether it names one. Case, spaces, hyphens, underscores and periods do
// not matter, and
// "administrator" may stand for "admin": "global administrator",
// "GLOBAL ADMIN" and "Global_Admin" are all "Global admin". The names the
// Microsoft 365 admin center has used are understood too ("Company
// Administrator" for Global admin, "User Administrator", "License
// Administrator").
func RoleName(s string) (string, bool) {
	if len(s) > 64 { // no role name is this long
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z' || '0' <= c && c <= '9':
			b.WriteByte(c)
		case 'A' <= c && c <= 'Z':
			b.WriteByte(c + 'a' - 'A')
		case c == ' ' || c == '-' || c == '_' || c == '.':
		default: // nothing else may hide inside a role's name
			return "", false
		}
	}
	key := strings.TrimSuffix(b.String(), "istrator")
	switch key {
	case "globaladmin", "companyadmin":
		return GlobalAdmin, true
	case "useradmin":
		return UserAdmin, true
	case "licenseadmin":
		return LicenseAdmin, true
	}
	return "", false
}

// ActOn returns the rule that keeps an admin holding actor roles from doing
// a to a user holding target roles, or "" when nothing does. It adds to
// Allowed the rules about admins as targets (SPEC §2, as Microsoft 365 has
// them):
//
//   - No one but a Global admin may change, block, delete, restore or set
//     the password of a Global admin (UpdateUser, SetPassword,
//     SetUsageLocation, GiveRole).
//   - A License admin changes no admin's profile (SetUsageLocation of a
//     user who holds any admin role).
//
// Licenses and disabled apps of an admin may be changed by whoever may
// change them for anyone.
func ActOn(actor, target []string, a Action) string {
	if !Allowed(actor, a) {
		return "your role may not " + a.String()
	}
	actorGlobal := Allowed(actor, GiveRole) // only a Global admin gives roles
	targetGlobal := Allowed(target, GiveRole)
	profile := a == UpdateUser || a == SetPassword || a == SetUsageLocation || a == GiveRole
	switch {
	case targetGlobal && !actorGlobal && profile:
		return "only a Global admin may change, block, delete, restore or set the password of a Global admin"
	case IsAdmin(target) && !actorGlobal && !Allowed(actor, UpdateUser) && profile:
		return "a License admin changes no admin's profile"
	}
	return ""
}
