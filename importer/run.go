package importer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

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

// follower tells when results can be written while the batch runs: once
// every row of the first unwritten chunks is done, their rows' results are
// final, and they go to the workbook in row order. Safe for concurrent use.
type follower struct {
	mu      sync.Mutex
	pending map[int]int // chunk → rows still being written
	last    map[int]int // chunk → its last row number
	next    int         // the first chunk not yet complete
	upTo    int         // every row up to this one is done
	signal  chan struct{}
}

func newFollower() *follower {
	return &follower{pending: map[int]int{}, last: map[int]int{}, signal: make(chan struct{}, 1)}
}

// register says chunk is journaled, with pending rows left to write.
func (f *follower) register(chunk, lastRow, pending int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending[chunk], f.last[chunk] = pending, lastRow
	f.advance()
}

// done says n rows of chunk are written.
func (f *follower) done(chunk, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.pending[chunk] -= n
	f.advance()
}

func (f *follower) advance() {
	moved := false
	for {
		p, ok := f.pending[f.next]
		if !ok || p > 0 {
			break
		}
		f.upTo = f.last[f.next]
		delete(f.pending, f.next)
		delete(f.last, f.next)
		f.next++
		moved = true
	}
	if moved {
		select {
		case f.signal <- struct{}{}:
		default:
		}
	}
}

// writeResults writes results as the follower allows, until stop closes.
func (r *run) writeResults(ctx context.Context, stop <-chan struct{}) error {
	for {
		select {
		case <-r.follow.signal:
		case <-stop:
			return nil
		}
		r.follow.mu.Lock()
		upTo := r.follow.upTo
		r.follow.mu.Unlock()
		if upTo > r.written {
			if err := r.dir.Results(ctx, r.batchID, r.written+1, upTo, r.results.Write); err != nil {
				return err
			}
			r.written = upTo
		}
	}
}

// readChunks streams the file's rows in chunks; it closes out when done.
func (r *run) readChunks(ctx context.Context, out chan<- []Row) error {
	defer close(out)
	total, failing, last := 0, 0, 0
	chunk := make([]Row, 0, readChunk)
	for {
		row, err := r.src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A row that cannot be read fails alone, as a bad row does;
			// only a reader that makes no progress stops the batch.
			failing++
			if ErrorCode(err) != EINVALID || row.Number <= last || failing > maxUnreadable {
				return err
			}
			row = Row{Number: row.Number, Problem: ErrorMessage(err)}
		} else {
			failing = 0
		}
		last = row.Number
		total++
		chunk = append(chunk, row)
		if len(chunk) == readChunk {
			select {
			case out <- chunk:
			case <-ctx.Done():
				return ctx.Err()
			}
			chunk = make([]Row, 0, readChunk)
		}
	}
	if len(chunk) > 0 {
		select {
		case out <- chunk:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.o.Progress.setTotal(total)
	// The reader learns of some things (cells read as Windows-1252) only
	// as it reads: say those too, and count them all in the summary.
	ws := r.src.Warnings()
	for _, w := range ws {
		if !r.warned[w] {
			r.o.Log.Warn(w, zap.String("file", filepath.Base(r.o.Path)))
		}
	}
	r.rep.Summary.Warnings = len(ws)
	return nil
}

// planChunk looks the chunk's users up in bulk and plans each row. skip
// tells rows already journaled (resume): those are only remembered for the
// duplicate check.
func (p *planner) chunk(ctx context.Context, dir Directory, rows []Row, skip func(row int) bool) ([]JournalRow, error) {
	upnKeys := make([]string, len(rows))
	empKeys := make([]string, len(rows))
	var lookUPN, lookEmp []string
	for i := range rows {
		upnKeys[i], empKeys[i] = p.keys(&rows[i])
		if skip(rows[i].Number) {
			continue
		}
		if upnKeys[i] != "" {
			lookUPN = append(lookUPN, upnKeys[i])
		}
		if empKeys[i] != "" {
			lookEmp = append(lookEmp, empKeys[i])
		}
	}
	users, owners, err := dir.Lookup(ctx, lookUPN, lookEmp)
	if err != nil {
		return nil, err
	}
	out := make([]JournalRow, 0, len(rows))
	for i := range rows {
		dupUPN, dupEmp := p.remember(rows[i].Number, upnKeys[i], empKeys[i])
		if skip(rows[i].Number) {
			continue
		}
		out = append(out, p.plan(&rows[i], upnKeys[i], dupUPN, dupEmp, users[upnKeys[i]], owners[empKeys[i]]))
	}
	return out, nil
}

// dryRun does everything but the writing: seats are counted in row order
// in memory, and results go straight to the workbook.
func (r *run) dryRun(ctx context.Context, products []Product) error {
	free, waiting := map[string]int{}, map[string]int{}
	for _, p := range products {
		free[p.SKU] = p.Seats - p.Assigned
	}
	w, err := r.o.Outputs.Results(r.rep.ResultsPath, r.rep.CSVPath)
	if err != nil {
		return err
	}
	s := &r.rep.Summary
	s.BatchID = "dry run"
	chunks := make(chan []Row, 2)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.readChunks(gctx, chunks) })
	g.Go(func() error {
		for rows := range chunks {
			jrs, err := r.plan.chunk(gctx, r.dir, rows, func(int) bool { return false })
			if err != nil {
				return err
			}
			for _, jr := range jrs {
				res := jr.Result
				if jr.Plan != nil {
					for i := range jr.Plan.Licenses {
						l := &jr.Plan.Licenses[i]
						l.Status = LicensePending
						if free[l.SKU] > 0 {
							free[l.SKU]--
							l.Status = LicenseAssigned
						} else {
							waiting[l.SKU]++
						}
					}
					pr := jr.Plan.Result(jr.Plan.Outcome())
					res = &pr
				}
				count(s, res, jr.Plan)
				if err := w.Write(*res); err != nil {
					return err
				}
			}
			r.o.Progress.add(len(rows))
		}
		return nil
	})
	err = g.Wait()
	s.Finished = r.o.Now()
	for _, p := range products {
		p.Assigned, p.Pending = p.Seats-free[p.SKU], p.Pending+waiting[p.SKU]
		s.Products = append(s.Products, p)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		w.Abort()
		return err
	}
	if cerr := w.Close(*s); cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	return failedErr(s)
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

// batch runs the import for real: a journaled batch, resumed if the same
// file's batch was left unfinished.
func (r *run) batch(ctx context.Context) error {
	b, err := r.dir.ResumableBatch(ctx, r.rep.Summary.SHA256, r.o.Mode)
	if err != nil {
		return err
	}
	owner := processOwner()
	if b != nil {
		if err := r.claim(ctx, b, owner); err != nil {
			return err
		}
	}
	done := map[int]bool{}
	staged := map[int]*Planned{}
	if b != nil {
		r.rep.Resumed = true
		r.rep.Summary.Started = b.Started
		r.o.Log.Info("resuming the unfinished batch of this file", zap.String("batch", b.ID))
		err := r.dir.Journal(ctx, b.ID, func(row int, plan *Planned) error {
			if plan == nil {
				done[row] = true
			} else {
				staged[row] = plan
			}
			return nil
		})
		if err != nil {
			return err
		}
		r.rep.NoticePath = b.NoticePath
		r.batchID = b.ID
		if err := r.reconcileNotice(ctx); err != nil {
			return err
		}
	} else {
		b = &Batch{
			ID: uuid.NewString(), File: filepath.Base(r.o.Path), SHA256: r.rep.Summary.SHA256, Mode: r.o.Mode,
			Options: r.optionsText(), ActingAdmin: r.o.Actor.UserPrincipalName, Started: r.rep.Summary.Started,
			Owner: owner,
		}
		if err := r.dir.CreateBatch(ctx, b); err != nil {
			return err
		}
		r.batchID = b.ID
	}
	r.rep.Summary.BatchID = b.ID

	if r.results, err = r.o.Outputs.Results(r.rep.ResultsPath, r.rep.CSVPath); err != nil {
		return err
	}
	r.follow = newFollower()
	stop := make(chan struct{})
	followed := make(chan error, 1)
	go func() { followed <- r.writeResults(context.WithoutCancel(ctx), stop) }()

	beat, stopBeat := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBeat()
	go r.heartbeat(beat)

	chunks := make(chan []Row, 2)
	work := make(chan []Work, r.o.Workers)
	hashed := make(chan []Work, r.o.Workers)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.readChunks(gctx, chunks) })
	plans := make(chan planned, 1)
	g.Go(func() error { return r.planAll(gctx, chunks, plans, done, staged) })
	g.Go(func() error { return r.write(gctx, plans, work) })
	var hashers sync.WaitGroup
	for range runtime.NumCPU() {
		hashers.Add(1)
		g.Go(func() error { defer hashers.Done(); return r.hash(gctx, work, hashed) })
	}
	go func() { hashers.Wait(); close(hashed) }()
	for range r.o.Workers {
		g.Go(func() error { return r.provision(gctx, hashed) })
	}
	runErr := g.Wait()
	close(stop)
	if err := <-followed; err != nil && runErr == nil {
		runErr = err
	}
	return r.finish(ctx, runErr)
}

// heartbeatEvery is how often a running batch says it is alive; a batch
// silent for staleAfter is taken to be dead.
const (
	heartbeatEvery = 5 * time.Second
	staleAfter     = 30 * time.Second
)

// processOwner names this process: "host:pid".
func processOwner() string {
	host, _ := os.Hostname()
	return host + ":" + strconv.Itoa(os.Getpid())
}

// claim takes over the unfinished batch b for owner, unless the process
// that owns it is still running it.
func (r *run) claim(ctx context.Context, b *Batch, owner string) error {
	if b.Owner != "" && ownerAlive(b.Owner) && r.o.Now().Sub(b.Heartbeat) < staleAfter {
		return Errorf(ECONFLICT, "%s is being imported right now by another process (%s, batch %s); wait for it to finish, then run this command again",
			b.File, b.Owner, b.ID)
	}
	ok, err := r.dir.ClaimBatch(ctx, b.ID, b.Owner, owner)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(ECONFLICT, "%s was just taken over by another process (batch %s); wait for it to finish, then run this command again", b.File, b.ID)
	}
	return nil
}

// ownerAlive reports whether the "host:pid" owner may still be running:
// on this host, whether that process exists; elsewhere, true (the
// heartbeat's age decides).
func ownerAlive(owner string) bool {
	host, pid, ok := strings.Cut(owner, ":")
	me, _ := os.Hostname()
	if !ok || host != me {
		return true
	}
	n, err := strconv.Atoi(pid)
	if err != nil || n <= 0 {
		return false
	}
	if n == os.Getpid() {
		return false // our own earlier run in this process (tests): it is over
	}
	p, err := os.FindProcess(n)
	if err != nil {
		return false
	}
	return p.Signal(syscall.Signal(0)) == nil
}

// heartbeat says the batch is alive every heartbeatEvery until ctx ends.
func (r *run) heartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.dir.Heartbeat(ctx, r.batchID); err != nil && ctx.Err() == nil {
				r.o.Log.Warn("batch heartbeat failed", zap.Error(err))
			}
		}
	}
}

func (r *run) optionsText() string {
	o := r.o
	return fmt.Sprintf("mode=%s domain=%s license=%s disabled-apps=%s usage-location=%s require-password-change=%t block-sign-in=%t no-passwords=%t workers=%d",
		o.Mode, o.Domain, strings.Join(o.Licenses, ";"), strings.Join(o.DisabledApps, ";"), o.UsageLocation,
		o.RequirePasswordChange, o.BlockSignIn, o.NoPasswords, o.Workers)
}

// planned is one chunk after the plan step, on its way to the writer.
type planned struct {
	chunk   int          // index of the read chunk, from 0
	lastRow int          // its last row number
	rows    []JournalRow // rows planned now
	fresh   []Work       // the planned rows' work, with passwords from the file
	resumed []Work       // rows a crashed run staged but did not write
	decided int          // rows that need no writing: journaled before
}

// planAll plans each chunk (looking its users up in bulk) and hands it on.
// It alone reads done and staged.
func (r *run) planAll(ctx context.Context, chunks <-chan []Row, out chan<- planned, done map[int]bool, staged map[int]*Planned) error {
	defer close(out)
	journaled := func(row int) bool { return done[row] || staged[row] != nil }
	index := 0
	for rows := range chunks {
		jrs, err := r.plan.chunk(ctx, r.dir, rows, journaled)
		if err != nil {
			return err
		}
		p := planned{chunk: index, lastRow: rows[len(rows)-1].Number, rows: jrs}
		index++
		byNumber := make(map[int]*Row, len(rows))
		for i := range rows {
			byNumber[rows[i].Number] = &rows[i]
		}
		for _, jr := range jrs {
			if jr.Plan != nil {
				p.fresh = append(p.fresh, Work{Plan: jr.Plan, Password: passwordCell(jr.Plan, byNumber[jr.Row]), chunk: p.chunk})
			}
		}
		for i := range rows {
			n := rows[i].Number
			if done[n] {
				p.decided++
				delete(done, n)
			} else if pl := staged[n]; pl != nil {
				p.resumed = append(p.resumed, Work{Plan: pl, Password: passwordCell(pl, &rows[i]), chunk: p.chunk})
				delete(staged, n)
			}
		}
		select {
		case out <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// write journals each planned chunk with its seats, in row order, and
// hands the rows that need hashing to the workers; a chunk with nothing to
// hash it writes whole at once.
func (r *run) write(ctx context.Context, in <-chan planned, work chan<- []Work) error {
	defer close(work)
	size := bulkChunk
	if !r.o.NoPasswords {
		size = hashingChunk
	}
	for p := range in {
		decided := p.decided
		for _, jr := range p.rows {
			if jr.Plan == nil {
				decided++
			}
		}
		switch {
		case len(p.rows) == 0:
		case !needsHashing(p.rows):
			if _, err := r.dir.StageAndProvision(context.WithoutCancel(ctx), r.batchID, r.o.Actor.UserPrincipalName, p.rows); err != nil {
				return err
			}
			decided += len(p.fresh)
			p.fresh = nil
		default:
			if err := r.dir.Stage(ctx, r.batchID, p.rows); err != nil {
				return err
			}
		}
		r.o.Progress.add(decided)
		items := append(p.fresh, p.resumed...)
		r.follow.register(p.chunk, p.lastRow, len(items))
		for len(items) > 0 {
			n := min(size, len(items))
			select {
			case work <- items[:n:n]:
			case <-ctx.Done():
				return ctx.Err()
			}
			items = items[n:]
		}
	}
	return nil
}

func needsHashing(jrs []JournalRow) bool {
	for _, jr := range jrs {
		if jr.Plan != nil && jr.Plan.Action == ActionCreate && (jr.Plan.NeedsPassword || jr.Plan.ImportedHash != "") {
			return true
		}
	}
	return false
}

func passwordCell(p *Planned, row *Row) Secret {
	if p.PasswordFromFile && row != nil {
		return Secret(row.Cells[ColPassword])
	}
	return ""
}

// hash is one hasher: it gives each row that gets a password its password
// (from the file, else generated) and the password's hash. There is one
// hasher per CPU, so that every core hashes while the writers write.
func (r *run) hash(ctx context.Context, work <-chan []Work, hashed chan<- []Work) error {
	for {
		var items []Work
		select {
		case <-ctx.Done():
			return ctx.Err()
		case w, ok := <-work:
			if !ok {
				return nil
			}
			items = w
		}
		for i := range items {
			it := &items[i]
			if it.Plan.ImportedHash != "" {
				it.Hash = it.Plan.ImportedHash // stored as given: its password is not ours to know
				continue
			}
			if !it.Plan.NeedsPassword || it.Plan.Action != ActionCreate {
				continue
			}
			if it.Password == "" {
				alias, _, _ := strings.Cut(it.Plan.User.UserPrincipalName, "@")
				pw, err := validate.GeneratePasswordFor(alias)
				if err != nil {
					return err
				}
				it.Password = Secret(pw)
			}
			h, err := r.o.Hash(it.Password.Reveal())
			if err != nil {
				return err
			}
			it.Hash = h
		}
		select {
		case hashed <- items:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// provision is one writer: it writes hashed rows and notes their passwords.
func (r *run) provision(ctx context.Context, hashed <-chan []Work) error {
	for {
		var items []Work
		select {
		case <-ctx.Done():
			return ctx.Err()
		case w, ok := <-hashed:
			if !ok {
				return nil
			}
			items = w
		}
		// Rows in flight finish even when the run is interrupted: their
		// passwords exist only here, and the notice must get them.
		wctx := context.WithoutCancel(ctx)
		results, err := r.dir.Provision(wctx, r.batchID, r.o.Actor.UserPrincipalName, items)
		if err != nil {
			return err
		}
		for i, res := range results {
			if res.Outcome == Created && items[i].Hash != "" && items[i].Password != "" {
				if err := r.addToNotice(wctx, res.UserName, items[i].Password); err != nil {
					return err
				}
			}
		}
		r.o.Progress.add(len(items))
		r.follow.done(items[0].chunk, len(items))
	}
}

// addToNotice writes one user's password to the credentials notice,
// creating the notice (and recording its path in the batch) first if needed.
func (r *run) addToNotice(ctx context.Context, upn string, pw Secret) error {
	r.noticeMu.Lock()
	defer r.noticeMu.Unlock()
	if r.notice == nil {
		n, err := r.o.Outputs.CreateNotice(r.o.OutDir, r.base, NoticeHeader{
			Organization: r.settings.Name, BatchID: r.batchID, Time: r.o.Now(), SignInURL: r.settings.SignInURL,
			MustChange: r.o.RequirePasswordChange,
		})
		if err != nil {
			return fmt.Errorf("create the credentials notice: %w", err)
		}
		path, err := filepath.Abs(n.Path())
		if err != nil {
			path = n.Path()
		}
		if err := r.dir.SetNoticePath(ctx, r.batchID, path); err != nil {
			n.Close()
			return err
		}
		r.notice = n
		r.rep.NoticePath = n.Path()
	}
	if err := r.notice.Add(upn, pw); err != nil {
		return fmt.Errorf("write the credentials notice: %w", err)
	}
	return nil
}

// reconcileNotice, on resume, gives a new password to every user the batch
// created whose password did not reach the notice (the process died
// between the two), so that no user is left with a password nobody knows.
func (r *run) reconcileNotice(ctx context.Context) error {
	have := map[string]bool{}
	if r.rep.NoticePath != "" {
		n, upns, err := r.o.Outputs.OpenNotice(r.rep.NoticePath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Moved or deleted: a new notice takes the passwords still to give.
			r.o.Log.Warn("the batch's credentials notice is gone; a new one is written for the users still to get a password",
				zap.String("notice", r.rep.NoticePath))
			r.rep.NoticePath = ""
		case err != nil:
			return fmt.Errorf("reopen the credentials notice: %w", err)
		default:
			r.notice, have = n, upns
		}
	}
	type lost struct {
		upn        string
		mustChange bool
	}
	var missing []lost
	err := r.dir.Unnoticed(ctx, r.batchID, func(upn string, mustChange bool) error {
		if !have[strings.ToLower(upn)] {
			missing = append(missing, lost{upn, mustChange})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range missing {
		alias, _, _ := strings.Cut(m.upn, "@")
		pw, err := validate.GeneratePasswordFor(alias)
		if err != nil {
			return err
		}
		h, err := r.o.Hash(pw)
		if err != nil {
			return err
		}
		if err := r.dir.SetPassword(ctx, r.o.Actor.UserPrincipalName, m.upn, h, m.mustChange); err != nil {
			return err
		}
		if err := r.addToNotice(ctx, m.upn, Secret(pw)); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		r.o.Log.Warn("new passwords set for users whose password had not reached the notice before the crash",
			zap.Int("users", len(missing)))
	}
	return nil
}

// finish closes the notice, records the batch's state and writes the
// results for every row done. It does so after an interruption or an
// error too, so that what was done is kept, reported and resumable.
func (r *run) finish(ctx context.Context, runErr error) error {
	ctx = context.WithoutCancel(ctx)
	defer r.results.Abort() // a no-op once the workbook is closed
	if err := r.wrapUp(ctx, runErr == nil); err != nil {
		if runErr != nil {
			return runErr
		}
		return err
	}
	s := &r.rep.Summary
	switch {
	case runErr == nil:
		return failedErr(s)
	case errors.Is(runErr, context.Canceled):
		return runErr
	case s.Rows > 0:
		return &PartialError{Err: runErr, Done: s.Rows}
	}
	return runErr
}

func (r *run) wrapUp(ctx context.Context, complete bool) error {
	if r.notice != nil {
		if err := r.notice.Sync(); err != nil {
			return fmt.Errorf("write the credentials notice: %w", err)
		}
		if err := r.notice.Close(); err != nil {
			return fmt.Errorf("write the credentials notice: %w", err)
		}
		if err := r.dir.MarkNoticed(ctx, r.batchID); err != nil {
			return err
		}
	}
	state := "finished"
	if !complete {
		state = "interrupted"
	}
	counts, err := r.dir.FinishBatch(ctx, r.batchID, state)
	if err != nil {
		return err
	}
	s := &r.rep.Summary
	s.Rows, s.Created, s.Updated, s.Unchanged, s.Failed = counts.Rows, counts.Created, counts.Updated, counts.Unchanged, counts.Failed
	s.LicensesAssigned, s.LicensesPending = counts.LicensesAssigned, counts.LicensesPending
	if s.Products, err = r.dir.Products(ctx); err != nil {
		return err
	}
	if err := r.dir.Results(ctx, r.batchID, r.written+1, 0, r.results.Write); err != nil {
		return err
	}
	s.Finished = r.o.Now()
	return r.results.Close(*s)
}
