package importer

// Column is one column of the import template. The order is ours: the
// Microsoft 365 admin center's sixteen first, in its order.
type Column int

const (
	ColUserName Column = iota
	ColFirstName
	ColLastName
	ColDisplayName
	ColJobTitle
	ColDepartment
	ColOfficeNumber
	ColOfficePhone
	ColMobilePhone
	ColFax
	ColAlternateEmail
	ColAddress
	ColCity
	ColState
	ColPostalCode
	ColCountry
	ColUsageLocation
	ColLicenses
	ColDisabledApps
	ColRoles
	ColPassword
	ColRequirePasswordChange
	ColBlockSignIn
	ColEmployeeID
	ColPasswordHashFunction // Google's: the Password cell then holds a hash of this function
	ColStatus               // Google's New Status: Active or Suspended
	ColStartDate            // feeds: the day a future starter starts (SPEC §12)

	NumColumns int = iota
)

// String returns the column's name in our template, as SPEC §4 spells it.
func (c Column) String() string {
	switch c {
	case ColUserName:
		return "User Name"
	case ColFirstName:
		return "First Name"
	case ColLastName:
		return "Last Name"
	case ColDisplayName:
		return "Display Name"
	case ColJobTitle:
		return "Job Title"
	case ColDepartment:
		return "Department"
	case ColOfficeNumber:
		return "Office Number"
	case ColOfficePhone:
		return "Office Phone"
	case ColMobilePhone:
		return "Mobile Phone"
	case ColFax:
		return "Fax"
	case ColAlternateEmail:
		return "Alternate email address"
	case ColAddress:
		return "Address"
	case ColCity:
		return "City"
	case ColState:
		return "State or Province"
	case ColPostalCode:
		return "ZIP or Postal Code"
	case ColCountry:
		return "Country or Region"
	case ColUsageLocation:
		return "Usage Location"
	case ColLicenses:
		return "Licenses"
	case ColDisabledApps:
		return "Disabled Apps"
	case ColRoles:
		return "Roles"
	case ColPassword:
		return "Password"
	case ColRequirePasswordChange:
		return "Require Password Change"
	case ColBlockSignIn:
		return "Block Sign In"
	case ColEmployeeID:
		return "Employee ID"
	case ColPasswordHashFunction:
		return "Password Hash Function"
	case ColStatus:
		return "Status"
	case ColStartDate:
		return "Start Date"
	}
	return "unknown column"
}

// Columns returns every column in template order.
func Columns() []Column {
	cs := make([]Column, NumColumns)
	for i := range cs {
		cs[i] = Column(i)
	}
	return cs
}

// Row is one data row of an input file, its cells trimmed and placed by
// column. Number is the row number as a spreadsheet shows it (the header row
// counts, so the first data row under a one-line header is 2).
type Row struct {
	Number int
	Cells  [NumColumns]string

	// Problem, when set, says why the row could not be read (broken
	// quoting, say): the row fails alone with this message.
	Problem string

	// Sync, when set, is what a feed's sync decided about the row before
	// the planner (see SyncNote).
	Sync *SyncNote
	// Known, when set, is the row's user as its source just looked it up
	// (a feed's sync, by Employee ID, with its roles and licenses): the
	// planner takes it and does not look the user up again.
	Known *User
	// Joiner says that a sync feed found no user of the row's Employee ID:
	// the row creates one, as in create mode, and never takes a user of
	// its User Name (a sync feed matches people by Employee ID only).
	Joiner bool
}

// Get returns the cell of column c.
func (r *Row) Get(c Column) string { return r.Cells[c] }
