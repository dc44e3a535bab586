package validate

import (
	"fmt"
	"testing"
)

func TestAllowed(t *testing.T) {
	actions := []Action{CreateUser, UpdateUser, SetPassword, AssignLicense, SetUsageLocation, SetDisabledApps, GiveRole}
	// SPEC §2's matrix: one row per holder, one column per action, in the
	// order of actions.
	for _, tt := range []struct {
		name  string
		roles []string
		may   [7]bool
	}{
		{"GlobalAdmin", []string{"Global admin"}, [7]bool{true, true, true, true, true, true, true}},
		{"UserAdmin", []string{"User admin"}, [7]bool{true, true, true, true, true, true, false}},
		{"LicenseAdmin", []string{"License admin"}, [7]bool{false, false, false, true, true, true, false}},
		{"UserAndLicenseAdmin", []string{"License admin", "User admin"}, [7]bool{true, true, true, true, true, true, false}},
		{"AnyCase", []string{"GLOBAL ADMINISTRATOR"}, [7]bool{true, true, true, true, true, true, true}},
		{"NoRole", nil, [7]bool{}},
		{"NotARole", []string{"Helpdesk admin"}, [7]bool{}},
		{"NotARoleAndLicenseAdmin", []string{"Owner", "license admin"}, [7]bool{false, false, false, true, true, true, false}},
	} {
		for i, a := range actions {
			t.Run(fmt.Sprintf("%s/%s", tt.name, a), func(t *testing.T) {
				if got := Allowed(tt.roles, a); got != tt.may[i] {
					t.Errorf("Allowed(%q, %s) = %v, want %v", tt.roles, a, got, tt.may[i])
				}
			})
		}
	}
	t.Run("UnknownAction", func(t *testing.T) {
		if Allowed([]string{"User admin"}, Action(99)) || Allowed([]string{"User admin"}, Action(-1)) {
			t.Error("a User admin may do an action that does not exist")
		}
	})
}

func TestIsAdmin(t *testing.T) {
	for _, tt := range []struct {
		name  string
		roles []string
		want  bool
	}{
		{"Global", []string{"Global admin"}, true},
		{"License", []string{"license administrator"}, true},
		{"OneOfMany", []string{"Owner", "User admin"}, true},
		{"None", nil, false},
		{"Unknown", []string{"Owner", "Reader"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := IsAdmin(tt.roles); got != tt.want {
				t.Errorf("IsAdmin(%q) = %v, want %v", tt.roles, got, tt.want)
			}
		})
	}
}

func TestRoleName(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"Canonical", "Global admin", GlobalAdmin},
		{"UpperCase", "GLOBAL ADMIN", GlobalAdmin},
		{"Administrator", "global administrator", GlobalAdmin},
		{"NoSpace", "GlobalAdmin", GlobalAdmin},
		{"Underscore", "global_admin", GlobalAdmin},
		{"CompanyAdministrator", "Company Administrator", GlobalAdmin},
		{"UserAdministrator", "User Administrator", UserAdmin},
		{"LicenseAdmin", "license admin", LicenseAdmin},
		{"ExtraSpaces", "  User   admin ", UserAdmin},
		{"Empty", "", ""},
		{"Admin", "admin", ""},
		{"Global", "Global", ""},
		{"OtherRole", "Helpdesk admin", ""},
		{"ZeroWidthSpace", "Global\u200badmin", ""},
		{"NUL", "Global\x00admin", ""},
		{"Huge", "Global admin" + string(make([]byte, 1<<20)), ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := RoleName(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("RoleName(%.40q) = %q, %v, want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}
