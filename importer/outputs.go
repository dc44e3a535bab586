package importer

import (
	"strings"
	"sync/atomic"
	"time"
)

// RowSource streams the data rows of an input file (sheet.Reader).
type RowSource interface {
	Next() (Row, error) // io.EOF at the end
	Has(c Column) bool
	Header() []string
	Warnings() []string
	// SHA256 returns the hex SHA-256 of the whole file; it may be asked
	// before the rows are read.
	SHA256() (string, error)
	Close() error
}

// ResultWriter writes the result workbook (report.Results). Rows come in
// ascending row order.
type ResultWriter interface {
	Write(Result) error
	Close(Summary) error
	Abort()
}

// NoticeHeader is what the credentials notice says above the passwords.
type NoticeHeader struct {
	Organization string
	BatchID      string
	Time         time.Time
	SignInURL    string
	// MustChange is the batch's default (the --require-password-change
	// flag). The notice's header line says what its lines say, not this
	// value: "yes", "no", or "mixed" once lines differ.
	MustChange bool
}

// Notice is the credentials notice (report.Notice): the one file that holds
// passwords.
type Notice interface {
	// AddUser appends a user's line; it is on disk once Sync returns nil.
	AddUser(upn string, password Secret, mustChange bool) error
	Sync() error
	Path() string
	Close() error
}

// Outputs make the files a batch writes; cmd wires them to package report.
type Outputs struct {
	// Results creates the results writer of a batch of the input named
	// base, in dir (SPEC §6): a resumed batch passes the name of its own
	// workbook, which is rewritten; a dry run writes <base>.dry-run.xlsx,
	// replacing the last one; any other batch takes, at once and for good,
	// the first free name of <base>.results.xlsx, <base>.results.2.xlsx, …,
	// so that no batch overwrites another's. With withCSV the CSV goes
	// along under the same name. It returns the writer and the paths.
	Results      func(dir, base, name string, dryRun, withCSV bool) (w ResultWriter, xlsx, csv string, err error)
	CreateNotice func(dir, base string, h NoticeHeader) (Notice, error)
	// ReopenNotice reopens a resumed batch's notice at path for appending,
	// with the lower-cased user names it holds, when that is safe (a
	// regular file of this user, mode 0600, not a symlink); otherwise it
	// creates the next free notice for dir and base, as CreateNotice does,
	// and refused says why the old one was not used.
	ReopenNotice func(path, dir, base string, h NoticeHeader) (n Notice, have map[string]bool, refused, err error)
}

func createResults(o *Options, base, name string) (ResultWriter, string, string, error) {
	return o.Outputs.Results(o.OutDir, base, name, o.DryRun, o.ResultsCSV)
}

// Progress counts rows as a batch goes; cmd shows it. Safe for concurrent
// use.
type Progress struct {
	done    atomic.Int64
	total   atomic.Int64 // -1 until known
	resumed atomic.Int64 // rows done before this run started
}

// Resumed returns how many of Done's rows an earlier run of the batch did.
func (p *Progress) Resumed() int64 { return p.resumed.Load() }

// set says that n rows are done.
func (p *Progress) set(n int) {
	if p != nil {
		p.done.Store(int64(n))
	}
}

// resume says that n rows were done by an earlier run.
func (p *Progress) resume(n int) {
	if p != nil {
		p.resumed.Store(int64(n))
		p.done.Add(int64(n))
	}
}

// NewProgress returns a Progress with an unknown total.
func NewProgress() *Progress {
	p := &Progress{}
	p.total.Store(-1)
	return p
}

// Done returns how many rows are done.
func (p *Progress) Done() int64 { return p.done.Load() }

// Total returns the number of data rows, or -1 while unknown.
func (p *Progress) Total() int64 { return p.total.Load() }

func (p *Progress) add(n int) {
	if p != nil {
		p.done.Add(int64(n))
	}
}

func (p *Progress) setTotal(n int) {
	if p != nil {
		p.total.Store(int64(n))
	}
}

// Outcome is what writing the plan makes of its row: Created or Updated.
func (p *Planned) Outcome() Outcome {
	if p.SyncOutcome != "" && p.Action == ActionUpdate {
		return p.SyncOutcome
	}
	if p.Action == ActionUpdate {
		return Updated
	}
	return Created
}

// Result returns the result of a planned row that ended with outcome o.
func (p *Planned) Result(o Outcome) (r Result) {
	r = Result{
		Row: p.Row, UserName: p.User.UserPrincipalName, DisplayName: p.User.DisplayName,
		Outcome: o, LicenseStatus: StatusNone, UserID: p.User.ID,
	}
	if o == Failed {
		r.UserID = ""
		return r
	}
	if p.Note != "" {
		defer func() { r.Message = joinMessage(p.Note, r.Message) }()
	}
	r.Licenses = append(r.Licenses, p.Held...)
	for _, l := range p.Licenses {
		r.Licenses = append(r.Licenses, LicenseResult{SKU: l.SKU, Status: l.Status})
	}
	var msg string
	r.LicenseStatus, msg = licenseStatus(r.Licenses, o)
	if (o == Updated || o == Restored) && len(p.Changed) > 0 {
		// Say what changed, as the columns are named in the file's template.
		r.Message = "Changed: " + strings.Join(p.ChangedNames(), ", ")
		if msg != "" {
			r.Message += "; " + msg
		}
		return r
	}
	r.Message = msg
	return r
}

// NewLicenses counts the licenses the row gets in this batch: with a seat,
// and waiting for one.
func (p *Planned) NewLicenses() (assigned, pending int) {
	for _, l := range p.Licenses {
		if l.Status == LicenseAssigned {
			assigned++
		} else {
			pending++
		}
	}
	return assigned, pending
}

// licenseStatus sums up a row's licenses: Assigned when every one is,
// Pending (and a message saying which wait) when any waits, None when the
// row asks for none.
func licenseStatus(ls []LicenseResult, o Outcome) (status, message string) {
	if len(ls) == 0 {
		return StatusNone, ""
	}
	var waiting []string
	for _, l := range ls {
		if l.Status == LicensePending {
			waiting = append(waiting, l.SKU)
		}
	}
	if len(waiting) == 0 {
		return StatusAssigned, ""
	}
	msg := "Licenses: " + strings.Join(waiting, ", ") + " waits for a free seat; "
	if o == Created {
		return StatusPending, msg + "the user is created and gets it when a seat frees up"
	}
	return StatusPending, msg + "it is assigned when a seat frees up"
}
