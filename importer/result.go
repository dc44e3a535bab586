package importer

import "time"

// Outcome is what happened to a row (or, in a dry run, what would).
type Outcome string

const (
	Created   Outcome = "Created"
	Updated   Outcome = "Updated"
	Unchanged Outcome = "Unchanged"
	Failed    Outcome = "Failed"
	// Feeds (SPEC §12): a rehire brought back, a leaver's sign-in blocked,
	// and (Leavers sheet only) a leaver deleted at once.
	Restored Outcome = "Restored"
	Disabled Outcome = "Disabled"
	Deleted  Outcome = "Deleted"
)

// License statuses of a row's result.
const (
	StatusAssigned = "Assigned" // every requested license assigned
	StatusPending  = "Pending"  // at least one waits for a seat
	StatusNone     = "None"     // none requested, or the row failed
)

// LicenseResult is the state of one license a row asked for.
type LicenseResult struct {
	SKU    string `json:"sku"`
	Status string `json:"status"` // LicenseAssigned or LicensePending
}

// Result is the fate of one data row of the input. It never holds a password.
type Result struct {
	Row           int
	UserName      string
	DisplayName   string
	Outcome       Outcome
	LicenseStatus string
	Licenses      []LicenseResult
	Message       string
	UserID        string
}

// Summary describes a finished (or interrupted) batch, for the Summary sheet
// and the closing line.
type Summary struct {
	File             string
	SHA256           string
	BatchID          string
	Mode             string
	DryRun           bool
	ActingAdmin      string
	Started          time.Time
	Finished         time.Time
	Rows             int
	Created          int
	Updated          int
	Unchanged        int
	Failed           int
	LicensesAssigned int
	LicensesPending  int
	Warnings         int       // len(WarningLines)
	WarningLines     []string  // every warning about the file, in the order found
	Products         []Product // seats per product at the end

	// Feed is set for a feed's batch: the Summary then counts Disabled,
	// Deleted and Restored, and the workbook has a Leavers sheet.
	Feed     bool
	Disabled int
	Deleted  int
	Restored int
	Leavers  []Leaver // the Leavers sheet, by user name
}

// Leaver is a line of a feed batch's Leavers sheet: a user of the feed
// whose Employee ID the file lacked, or whose status said gone.
type Leaver struct {
	UserName    string
	DisplayName string
	EmployeeID  string
	Outcome     Outcome // Disabled or Deleted
	Message     string
	UserID      string
	ByStatus    bool // in the file with a leaver value, rather than absent
}

// Secret is a string that never shows itself: formatting, logging and
// encoding it print "[REDACTED]". Passwords travel as Secrets so that a
// stray log field or error message cannot leak one.
type Secret string

const redacted = "[REDACTED]"

func (Secret) String() string               { return redacted }
func (Secret) GoString() string             { return redacted }
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }
func (Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
func (s Secret) Reveal() string             { return string(s) }
