package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"userimport/validate"
)

// Options are one import's settings: the flags of `userimport import`.
type Options struct {
	// FileName is the input's file name as the admin knows it (an upload's
	// name, not the spool file's): outputs are named after it.
	FileName string
	Mode     string // ModeCreate or ModeUpsert
	DryRun   bool
	OutDir   string // the folder the outputs go to
	Workers  int    // provisioning concurrency; 0 means the number of CPUs
	// ChunkSize is how many rows are read, looked up and staged together;
	// 0 means DefaultChunkSize.
	ChunkSize int
	Source    string // which front end starts the batch: SourceCLI (default), SourceWeb, "feed:NAME"
	// BatchID, when set, names the batch: a dry run is recorded as that
	// batch in state preview (the web page's preview, again after its
	// options change); a real run starts that preview batch instead of a
	// new one.
	BatchID string
	// NewBatchID, when set, is the ID a new batch gets: a feed's run
	// disables its leavers before the import starts, under the ID its
	// batch will have. A resumed batch keeps its own.
	NewBatchID string

	// Defaults for blank cells (new users only).
	Domain                string
	Licenses              []string
	DisabledApps          []string
	UsageLocation         string
	RequirePasswordChange bool
	BlockSignIn           bool
	NoPasswords           bool
	ResultsCSV            bool

	Actor User // the acting admin, with its roles

	// Open opens the input; a rejected file is an *Error EINVALID. Run may
	// open it more than once (to count the rows while they are written).
	Open func() (RowSource, error)
	// Hasher hashes passwords; one for the whole process, shared by every
	// batch running in it, so that they hash at most one password per core.
	Hasher Hasher
	// Sealer, with a directory that has a job queue, makes a batch with
	// passwords a batch of chunk jobs that every process on the directory
	// works, its passwords sealed (jobpath.go). Without one, this process
	// hashes and writes every row itself.
	Sealer Sealer
	// StopWork, when set, is called once the batch stops (done,
	// interrupted or failed), before its outputs are written: it stops
	// this process's job workers, letting their chunks in flight finish.
	StopWork func() error
	// StallAfter is how long rows of a job batch may stay staged with
	// nothing moving before they get new jobs; 0 means a minute.
	StallAfter time.Duration
	Outputs    Outputs

	Progress *Progress
	Log      *zap.Logger
	Now      func() time.Time
}

// Hasher hashes passwords (argon2id.Hasher). Safe for concurrent use.
type Hasher interface {
	Hash(ctx context.Context, password string) (string, error)
}

// HashFunc adapts a function to a Hasher.
type HashFunc func(ctx context.Context, password string) (string, error)

// Hash calls f.
func (f HashFunc) Hash(ctx context.Context, password string) (string, error) { return f(ctx, password) }

// DefaultChunkSize is how many rows are read, looked up and staged together
// unless Options.ChunkSize says otherwise.
const DefaultChunkSize = 2000

// Report is what Run did: the summary and the files it wrote.
type Report struct {
	Summary     Summary
	Total       int // data rows in the file; -1 when reading did not get to its end
	ResultsPath string
	CSVPath     string
	NoticePath  string // "" when no notice was written
	Resumed     bool
}

// maxUnreadable is how many unreadable rows in a row end the reading.
const maxUnreadable = 1000

const (
	bulkChunk    = 1000 // rows a worker writes in one transaction when no hashing is needed
	hashingChunk = 4    // ... and when each row's password is hashed
)

// Run imports the file: read, validate, plan, stage, provision, report.
// Bad rows are outcomes, not errors: the returned error is a
// *RowsFailedError when the batch ran and some rows failed, an *Error for a
// file or flag that was rejected before anything was written, ctx's error
// when interrupted (outputs written for what was done), or an internal
// error (what was done is kept; running the same command resumes).
func Run(ctx context.Context, dir Directory, o Options) (Report, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Workers <= 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.ChunkSize <= 0 {
		o.ChunkSize = DefaultChunkSize
	}
	if o.Source == "" {
		o.Source = SourceCLI
	}
	if o.Hasher == nil && !o.DryRun && !o.NoPasswords {
		return Report{}, errors.New("importer: Run needs a Hasher")
	}
	started := o.Now()
	src, err := o.Open()
	if err != nil {
		return Report{}, err
	}
	defer src.Close()
	hasName := src.Has(ColDisplayName) || (src.Has(ColFirstName) && src.Has(ColLastName))
	if o.Mode == ModeCreate && !hasName {
		return Report{}, Errorf(EINVALID, "%s: missing column Display Name (or both First Name and Last Name), needed to create users; the headers found are: %s",
			o.FileName, quoteAll(src.Header()))
	}
	warned := map[string]bool{}
	for _, w := range src.Warnings() {
		o.Log.Warn(w)
		warned[w] = true
	}
	settings, err := dir.Settings(ctx)
	if err != nil {
		return Report{}, err
	}
	domains, err := dir.Domains(ctx)
	if err != nil {
		return Report{}, err
	}
	products, err := dir.Products(ctx)
	if err != nil {
		return Report{}, err
	}
	if err := checkDefaults(&o, products); err != nil {
		return Report{}, err
	}

	sum, err := src.SHA256()
	if err != nil {
		return Report{}, Errorf(EINVALID, "cannot read %s: %v", o.FileName, err)
	}
	base := strings.TrimSuffix(o.FileName, filepath.Ext(o.FileName))
	rep := Report{Total: -1}
	rep.Summary = Summary{
		File: o.FileName, SHA256: sum, Mode: o.Mode, DryRun: o.DryRun,
		ActingAdmin: o.Actor.UserPrincipalName, Started: started,
		Warnings: len(src.Warnings()), WarningLines: src.Warnings(),
	}
	r := &run{o: &o, dir: dir, src: src, settings: settings, rep: &rep, base: base, warned: warned, inNotice: map[string]bool{}}
	r.plan = newPlanner(&o, settings, domains, products, o.Actor, started.UnixMicro())
	if o.DryRun {
		err = r.dryRun(ctx, products)
	} else {
		err = r.batch(ctx)
	}
	return rep, err
}

func quoteAll(ss []string) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// checkDefaults rejects default flags that name nothing, before any row.
func checkDefaults(o *Options, products []Product) error {
	if o.Mode != ModeCreate && o.Mode != ModeUpsert {
		return Errorf(EINVALID, "--mode %q: use create or upsert", o.Mode)
	}
	if o.Domain != "" {
		if err := validate.Domain(o.Domain); err != nil {
			return Errorf(EINVALID, "--domain %q: %v", o.Domain, err)
		}
	}
	vps := make([]validate.Product, len(products))
	for i, p := range products {
		vps[i] = validate.Product{SKU: p.SKU, Name: p.Name, Plans: p.Plans}
	}
	var plans []string
	for _, l := range o.Licenses {
		sku, ok := validate.LicenseSKU(vps, l)
		if !ok {
			return Errorf(EINVALID, "--license %q: no such license; see `userimport license list`", l)
		}
		for _, p := range products {
			if p.SKU == sku {
				plans = append(plans, p.Plans...)
			}
		}
	}
	for _, a := range o.DisabledApps {
		if !slices.ContainsFunc(plans, func(p string) bool { return strings.EqualFold(a, p) }) {
			return Errorf(EINVALID, "--disabled-apps %q: not a plan of the --license licenses", a)
		}
	}
	if o.UsageLocation != "" {
		code, err := validate.UsageLocation(o.UsageLocation)
		if err != nil {
			return Errorf(EINVALID, "--usage-location %q: %v", o.UsageLocation, err)
		}
		o.UsageLocation = code
	}
	return nil
}

// run is the state of one Run.
type run struct {
	o        *Options
	dir      Directory
	src      RowSource
	settings Settings
	rep      *Report
	base     string
	plan     *planner
	batchID  string
	runID    string          // this run's lease of the batch
	warned   map[string]bool // the reader's warnings logged so far

	noticeMu sync.Mutex
	notice   Notice
	inNotice map[string]bool // lower-cased user names whose lines are in the notice

	results ResultWriter
	follow  *follower
	written int // results are written for rows up to this one

	counted atomic.Int64 // data rows countRows found; 0 until it has
	shown   *Counts      // the counts the results workbook shows, once wrapUp read them: the batch's record

	// The job path (jobpath.go).
	recipient     string                              // the batch's key's recipient
	unseal        func(sealed string) (Secret, error) // opens the batch's sealed passwords
	journaled     atomic.Int64                        // the last row journaled so far
	journaledRows atomic.Int64                        // how many rows are journaled, by this run and the ones it resumes
}

// countRows counts the file's data rows with a second reader and sets the
// progress's total: with passwords to hash, the batch's own reader is held
// back by the hashers, and the total would stay unknown for most of the
// batch. It gives up quietly where that reader will say what is wrong.
func (r *run) countRows(ctx context.Context) {
	src, err := r.o.Open()
	if err != nil {
		return
	}
	defer src.Close()
	n, failing := 0, 0
	for ctx.Err() == nil {
		_, err := src.Next()
		switch {
		case errors.Is(err, io.EOF):
			r.o.Progress.setTotal(n)
			r.counted.Store(int64(n))
			return
		case err != nil:
			if failing++; ErrorCode(err) != EINVALID || failing > maxUnreadable {
				return
			}
		default:
			failing = 0
		}
		n++
	}
}

// count adds a row's outcome, and the licenses plan gives it, to s.
func count(s *Summary, res *Result, plan *Planned) {
	s.Rows++
	switch res.Outcome {
	case Created:
		s.Created++
	case Updated:
		s.Updated++
	case Unchanged:
		s.Unchanged++
	case Failed:
		s.Failed++
	}
	if plan != nil {
		assigned, pending := plan.NewLicenses()
		s.LicensesAssigned += assigned
		s.LicensesPending += pending
	}
}

func failedErr(s *Summary) error {
	if s.Failed > 0 {
		return &RowsFailedError{Failed: s.Failed}
	}
	return nil
}

func (r *run) optionsText() string {
	o := r.o
	return fmt.Sprintf("mode=%s domain=%s license=%s disabled-apps=%s usage-location=%s require-password-change=%t block-sign-in=%t no-passwords=%t workers=%d",
		o.Mode, o.Domain, strings.Join(o.Licenses, ";"), strings.Join(o.DisabledApps, ";"), o.UsageLocation,
		o.RequirePasswordChange, o.BlockSignIn, o.NoPasswords, o.Workers)
}
