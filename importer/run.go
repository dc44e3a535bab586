package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"userimport/validate"
)

// Options are one import's settings: the flags of `userimport import`.
type Options struct {
	Path    string
	Mode    string // ModeCreate or ModeUpsert
	DryRun  bool
	OutDir  string
	Workers int // provisioning concurrency; 0 means the number of CPUs

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

	// Open opens the input file; a rejected file is an *Error EINVALID.
	Open func() (RowSource, error)
	// Hash hashes a password (argon2id in production).
	Hash    func(password string) (string, error)
	Outputs Outputs

	Progress *Progress
	Log      *zap.Logger
	Now      func() time.Time
}

// Report is what Run did: the summary and the files it wrote.
type Report struct {
	Summary     Summary
	ResultsPath string
	CSVPath     string
	NoticePath  string // "" when no notice was written
	Resumed     bool
}

// maxUnreadable is how many unreadable rows in a row end the reading.
const maxUnreadable = 1000

// readChunk is how many rows are read, looked up and staged together (a
// variable only so that tests can cross chunks with few rows).
var readChunk = 2000

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
	started := o.Now()
	sum, err := fileSHA256(o.Path)
	if err != nil {
		return Report{}, err
	}
	src, err := o.Open()
	if err != nil {
		return Report{}, err
	}
	defer src.Close()
	hasName := src.Has(ColDisplayName) || (src.Has(ColFirstName) && src.Has(ColLastName))
	if o.Mode == ModeCreate && !hasName {
		return Report{}, Errorf(EINVALID, "%s: missing column Display Name (or both First Name and Last Name), needed to create users; the headers found are: %s",
			filepath.Base(o.Path), quoteAll(src.Header()))
	}
	warned := map[string]bool{}
	for _, w := range src.Warnings() {
		o.Log.Warn(w, zap.String("file", filepath.Base(o.Path)))
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

	base := strings.TrimSuffix(filepath.Base(o.Path), filepath.Ext(o.Path))
	rep := Report{ResultsPath: filepath.Join(o.OutDir, base+".results.xlsx")}
	if o.ResultsCSV {
		rep.CSVPath = filepath.Join(o.OutDir, base+".results.csv")
	}
	rep.Summary = Summary{
		File: filepath.Base(o.Path), SHA256: sum, Mode: o.Mode, DryRun: o.DryRun,
		ActingAdmin: o.Actor.UserPrincipalName, Started: started, Warnings: len(src.Warnings()),
	}
	r := &run{o: &o, dir: dir, src: src, settings: settings, rep: &rep, base: base, warned: warned}
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

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", Errorf(EINVALID, "cannot read %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", Errorf(EINVALID, "cannot read %s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
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
	warned   map[string]bool // the reader's warnings logged so far

	noticeMu sync.Mutex
	notice   Notice

	results ResultWriter
	follow  *follower
	written int // results are written for rows up to this one
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
