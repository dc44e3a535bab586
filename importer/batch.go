package importer

import (
	"context"
	"time"
)

// Modes of an import.
const (
	ModeCreate = "create"
	ModeUpsert = "upsert"
)

// Actions of a planned row.
const (
	ActionCreate = "create"
	ActionUpdate = "update"
)

// Batch states (SPEC §10).
const (
	BatchPreview     = "preview"
	BatchQueued      = "queued"
	BatchRunning     = "running"
	BatchInterrupted = "interrupted"
	BatchHeld        = "held"
	BatchDone        = "done"
	BatchCancelled   = "cancelled"
	BatchFailed      = "failed"
)

// Sources of a batch: which front end started it.
const (
	SourceCLI = "cli"
	SourceWeb = "web"
)

// Batch is one import of one file.
type Batch struct {
	ID          string
	File        string // the input's file name, as the admin knows it
	SHA256      string
	Mode        string
	Options     string // the flags, for the record
	Source      string // SourceCLI, SourceWeb or "feed:NAME"
	ActingAdmin string
	State       string
	ResultsName string // file name of its results workbook in the output folder, once chosen
	NoticeName  string // file name of its credentials notice in the output folder, once created
	Recipient   string // the age recipient its passwords are sealed to; "" when they are not sealed
	Started     time.Time
	Owner       string    // the run holding the batch's lease; "" when none does
	Heartbeat   time.Time // when the lease was last renewed
}

// PlannedLicense is one license a planned row asks for. Status is set when
// the row is staged: LicenseAssigned when a seat was reserved for it,
// LicensePending when none was free.
type PlannedLicense struct {
	SKU           string   `json:"sku"`
	DisabledPlans []string `json:"disabledPlans,omitempty"`
	Status        string   `json:"status,omitempty"`
}

// Planned is a row the plan step found good: what to write. It is kept in
// the batch journal (it never holds a password), so that a resumed batch
// provisions exactly what was planned and reserved.
type Planned struct {
	Row              int              `json:"row"`
	Action           string           `json:"action"`
	User             User             `json:"user"`               // create: the new user; update: the user as it will be
	Changed          []string         `json:"changed,omitempty"`  // the changed columns' keys (Column.Key)
	Licenses         []PlannedLicense `json:"licenses,omitempty"` // new assignments
	Held             []LicenseResult  `json:"held,omitempty"`     // asked for and held already (update)
	Disable          []PlannedLicense `json:"disable,omitempty"`  // held licenses whose disabled apps change (update)
	Roles            []Role           `json:"newRoles,omitempty"` // roles to give
	Blocked          bool             `json:"blocked"`
	NeedsPassword    bool             `json:"needsPassword"`
	PasswordFromFile bool             `json:"passwordFromFile"`
	// ImportedHash is a hash from another system (the Password Hash
	// Function column) in the form SignIn verifies (see StoredHash): it is
	// stored as given, instead of a password that is hashed.
	ImportedHash string `json:"importedHash,omitempty"`
	// PresetHash is the hash of a password from the file, hashed by the
	// process that staged the row (only it read the file), for the worker
	// that writes the row.
	PresetHash  string `json:"presetHash,omitempty"`
	RequestedAt int64  `json:"requestedAt"` // when the batch asked for the licenses (Unix µs)
	// SyncOutcome and Note are a feed's word on the row (SyncNote): an
	// update shown as Restored (a rehire), and a message added to the
	// result's.
	SyncOutcome Outcome `json:"syncOutcome,omitempty"`
	Note        string  `json:"note,omitempty"`
}

// JournalRow is one row as the plan step leaves it: either decided (Result
// set: Failed or Unchanged) or to be provisioned (Plan set).
type JournalRow struct {
	Row    int
	Result *Result
	Plan   *Planned
}

// Work is one planned row handed to a worker, with its password (if it
// gets one) and the password's hash.
type Work struct {
	Plan     *Planned
	Password Secret
	Hash     string
	Sealed   string // the password sealed to the batch's key, kept in the journal until it is in the notice

	chunk int // the read chunk the row came in, for the results follower
}

// Counts are a batch's outcome counts.
type Counts struct {
	Rows, Created, Updated, Unchanged, Failed int
	LicensesAssigned, LicensesPending         int
}

// Directory is what the import pipeline needs of the directory store.
// Every method is one transaction; the implementation is safe for
// concurrent use by several goroutines and processes.
type Directory interface {
	// RefreshStatistics has the database take the measure of its users
	// again, after a batch that created many: the statements that follow
	// (the next night of a feed, an hour later) are planned for the users
	// there are, not for the few there were (autovacuum would do it too,
	// within minutes).
	RefreshStatistics(ctx context.Context) error
	Settings(ctx context.Context) (Settings, error)
	Domains(ctx context.Context) ([]Domain, error)
	Products(ctx context.Context) ([]Product, error)
	// Lookup returns the users (deleted ones too) whose lower-cased user
	// names are in upnKeys, by that key, and the owners (lower-cased user
	// names) of the lower-cased employee IDs in empKeys.
	Lookup(ctx context.Context, upnKeys, empKeys []string) (users map[string]*User, empOwners map[string]string, err error)

	// ResumableBatch returns the unfinished batch of a file with this
	// SHA-256 and mode, or nil.
	ResumableBatch(ctx context.Context, sha256, mode string) (*Batch, error)
	// CreateBatch records a new running batch leased to b.Owner.
	CreateBatch(ctx context.Context, b *Batch) error
	// SavePreview records a dry run as batch b.ID in state preview, with
	// its counts.
	SavePreview(ctx context.Context, b *Batch, s Summary) error
	// AdoptBatch turns the preview batch b.ID into a running batch leased
	// to b.Owner.
	AdoptBatch(ctx context.Context, b *Batch) error
	// ClaimBatch gives the batch's lease to run, with actor as its acting
	// admin, unless another run than dead ("": none known to have ended)
	// holds a lease renewed since staleBefore.
	ClaimBatch(ctx context.Context, batchID, run, actor, dead string, staleBefore time.Time) (bool, error)
	// Heartbeat renews run's lease and reports whether run still holds it.
	Heartbeat(ctx context.Context, batchID, run string) (bool, error)
	// SetOutputNames records the file names of the batch's outputs ("":
	// unchanged).
	SetOutputNames(ctx context.Context, batchID, results, notice string) error
	// StaleBatches returns the unfinished batches of the file name and mode
	// with other bytes than sha256 and no live lease.
	StaleBatches(ctx context.Context, file, mode, sha256 string, staleBefore time.Time) ([]Batch, error)
	// CancelBatch fails the staged rows of a batch no live run holds with
	// reason, gives back their seats, and cancels it.
	CancelBatch(ctx context.Context, batchID, actor, reason string, staleBefore time.Time) (int, error)
	// FailStaged fails the given staged rows with their messages and gives
	// back their seats.
	FailStaged(ctx context.Context, batchID string, messages map[int]string) error
	// Journal calls fn for every journaled row in row order: plan is nil for
	// a row that is done, the staged plan for one that is not.
	Journal(ctx context.Context, batchID string, fn func(row int, plan *Planned) error) error
	// Stage writes rows to the journal and, in the same transaction, gives
	// each product's free seats to the rows' licenses in row order, setting
	// each PlannedLicense's Status.
	Stage(ctx context.Context, batchID string, rows []JournalRow) error
	// StageAndProvision is Stage and Provision in one transaction, for
	// rows that need no password hashing (they are journaled as done). It
	// returns the rows' results as journaled, in row order, or none when a
	// conflict made it fall back to Stage and Provision (Results reads
	// them then).
	StageAndProvision(ctx context.Context, batchID, actor string, rows []JournalRow) ([]Result, error)
	// Provision writes each work item whole (user, licenses, roles, journal)
	// and returns each one's result. A row that cannot be written (its user
	// name taken meanwhile, say) fails alone, and its reserved seats are
	// released.
	Provision(ctx context.Context, batchID, actor string, work []Work) ([]Result, error)
	// Unnoticed calls fn for each user the batch created with a password
	// that is not yet known to be in the credentials notice.
	Unnoticed(ctx context.Context, batchID string, fn func(row int, upn string, mustChange bool) error) error
	// MarkNoticed records that the passwords of these rows' users are on
	// disk in the credentials notice.
	MarkNoticed(ctx context.Context, batchID string, rows []int) error
	SetPassword(ctx context.Context, actor, upn, hash string, mustChange bool) error
	// Results calls fn with the result of every done row numbered from
	// first to last (last 0: to the end), in row order.
	Results(ctx context.Context, batchID string, first, last int, fn func(Result) error) error
	// BatchCounts returns the outcome counts of the batch's done rows.
	BatchCounts(ctx context.Context, batchID string) (Counts, error)
	// FinishBatch records the end state (BatchDone or BatchInterrupted),
	// with its counts, of a batch whose lease run holds, and frees the
	// lease. The counts are counted unless the caller did a moment ago
	// (counted, not nil: those its results workbook shows).
	FinishBatch(ctx context.Context, batchID, run, state string, counted *Counts) (Counts, error)
}
