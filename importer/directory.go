package importer

import "time"

// Settings are the organization's settings.
type Settings struct {
	Name                 string `json:"name"`
	PasswordExpiryDays   int    `json:"passwordExpiryDays"` // 0 means passwords never expire; otherwise 14–730
	DefaultUsageLocation string `json:"usageLocation"`
	SignInURL            string `json:"signInUrl"`
	TimeZone             string `json:"timeZone"` // IANA name; "" until set (UTC), kept for the feeds' schedules
}

// Domain is a DNS domain of the organization. Users can only be created in
// verified domains.
type Domain struct {
	Name     string `json:"name"`
	Verified bool   `json:"verified"`
}

// Product is a license SKU with its prepaid seats.
type Product struct {
	SKU      string   `json:"sku"`
	Name     string   `json:"name"`
	Seats    int      `json:"seats"`
	Assigned int      `json:"assigned"`
	Pending  int      `json:"pending"`
	Plans    []string `json:"plans"`
}

// Role is an admin role.
type Role string

const (
	GlobalAdmin  Role = "Global admin"
	UserAdmin    Role = "User admin"
	LicenseAdmin Role = "License admin"
)

// Roles returns every admin role.
func Roles() []Role { return []Role{GlobalAdmin, UserAdmin, LicenseAdmin} }

// License states.
const (
	LicenseAssigned = "assigned"
	LicensePending  = "pending"
)

// License is one product assigned to, or waiting for a seat for, a user.
type License struct {
	SKU           string    `json:"sku"`
	Status        string    `json:"status"`
	DisabledPlans []string  `json:"disabledPlans"`
	RequestedAt   time.Time `json:"-"`
}

// User is an account of the directory. Its password hash never leaves the
// store.
type User struct {
	ID                 string    `json:"id"`
	UserPrincipalName  string    `json:"userPrincipalName"`
	DisplayName        string    `json:"displayName"`
	FirstName          string    `json:"firstName"`
	LastName           string    `json:"lastName"`
	JobTitle           string    `json:"jobTitle"`
	Department         string    `json:"department"`
	UsageLocation      string    `json:"usageLocation"`
	EmployeeID         string    `json:"employeeId"`
	AccountEnabled     bool      `json:"accountEnabled"`
	MustChangePassword bool      `json:"mustChangePassword"`
	Deleted            bool      `json:"deleted"`
	Source             string    `json:"source"`
	Roles              []Role    `json:"roles"`
	Licenses           []License `json:"licenses"`
	OfficeNumber       string    `json:"officeNumber"`
	OfficePhone        string    `json:"officePhone"`
	MobilePhone        string    `json:"mobilePhone"`
	Fax                string    `json:"fax"`
	AlternateEmail     string    `json:"alternateEmail"`
	Address            string    `json:"address"`
	City               string    `json:"city"`
	State              string    `json:"state"`
	PostalCode         string    `json:"postalCode"`
	Country            string    `json:"country"`
	CreatedAt          time.Time `json:"createdAt"`
	UpdatedAt          time.Time `json:"updatedAt"`

	HasPassword bool       `json:"-"`
	DeletedAt   *time.Time `json:"-"`
}

// RoleNames returns the names of u's roles.
func (u *User) RoleNames() []string {
	names := make([]string, len(u.Roles))
	for i, r := range u.Roles {
		names[i] = string(r)
	}
	return names
}

// HasRole reports whether u holds role r.
func (u *User) HasRole(r Role) bool {
	for _, have := range u.Roles {
		if have == r {
			return true
		}
	}
	return false
}

// RestoreWindow is how long a deleted user can be restored before it is purged.
const RestoreWindow = 30 * 24 * time.Hour
