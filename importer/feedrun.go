package importer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"userimport/validate"
)

// SyncNote is a feed's word on one row, set before the planner sees it.
// A Decided row is not planned: it ends with Outcome and Message (a leaver
// in the file: Disabled; a future starter: Unchanged). Otherwise the row is
// planned as any other, and Outcome (Restored, for a rehire) replaces an
// update's or unchanged row's outcome, and Message is added to the
// result's.
type SyncNote struct {
	Decided  bool
	Outcome  Outcome
	Message  string
	UserName string // a decided row's user, for its result line
}

func (n *SyncNote) result(r *Row) JournalRow {
	name := strings.TrimSpace(r.Cells[ColFirstName] + " " + r.Cells[ColLastName])
	if d := r.Cells[ColDisplayName]; d != "" {
		name = d
	}
	return JournalRow{Row: r.Number, Result: &Result{Row: r.Number, UserName: n.UserName, DisplayName: name,
		Outcome: n.Outcome, LicenseStatus: StatusNone, Message: n.Message}}
}

// note applies the note to the planner's decision.
func (n *SyncNote) note(jr *JournalRow) {
	if jr.Plan != nil {
		if jr.Plan.Action == ActionUpdate && n.Outcome != "" {
			jr.Plan.SyncOutcome = n.Outcome
		}
		jr.Plan.Note = n.Message
		return
	}
	if res := jr.Result; res != nil && res.Outcome != Failed {
		if n.Outcome != "" && res.Outcome == Unchanged {
			res.Outcome = n.Outcome
		}
		res.Message = joinMessage(n.Message, res.Message)
	}
}

func joinMessage(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

// ScanRow is one row of a feed's file as the set-based sync statements
// need it: its lower-cased employee ID, whether its status says gone, and
// its start (Unix µs, 0 when none).
type ScanRow struct {
	EmpKey   string
	Leaver   bool
	StartsAt int64
}

// EmployeeUser is the user an employee ID belongs to, as a feed's rows
// are matched to users.
type EmployeeUser struct {
	// User is the whole user, roles and licenses too: the planner takes
	// it rather than look the user up again.
	*User
	Left bool // a leaver of its feed (sign-in blocked by it)
}

// Hold is a held feed batch: what its run would have done, and the file
// kept for approval.
type Hold struct {
	BatchID  string
	Feed     string
	Path     string // the kept copy of the file
	SHA256   string // of the file as it was held: the one an approval applies
	At       time.Time
	FileName string
	Rows     int
	Leavers  int
	Active   int
	Reason   string
}

// Chores is what a housekeeping run did.
type Chores struct {
	Deleted  int // leavers deleted after their feed's --delete-after days
	Enabled  int // future starters whose start came
	Purged   int // users deleted more than 30 days ago
	Sessions int // web sessions that ended unused (idle an hour, or 12 hours old)
	// Unsealed is how many passwords were forgotten from batches older
	// than NoticeLifetime that no notice took (their starting run died,
	// and nobody resumed them): those users need a new password.
	Unsealed int
}

// NoticeLifetime is how long a credentials notice waits to be taken: the
// passwords still sealed in a batch started longer ago, and a notice of
// the web page not downloaded by then, are deleted by the housekeeping
// (an admin gives those users new passwords). A password must not wait
// for ever where a copy of the database or the data folder could take it.
const NoticeLifetime = 7 * 24 * time.Hour

// SyncStore is what a feed run needs of the directory besides the
// pipeline's Directory. Each method is one transaction, set-based: none
// works user by user over the feed's users.
type SyncStore interface {
	FeedStore
	ActorStore
	ScanRows(ctx context.Context, scanID string, rows []ScanRow) error
	DropScan(ctx context.Context, scanID string) error
	// Leavers returns the feed's leavers for the scan and the number of
	// its active users.
	Leavers(ctx context.Context, source, scanID string) ([]Leaver, int, error)
	DisableLeavers(ctx context.Context, actor, source, scanID, batchID string, now time.Time, deleteNow bool) ([]Leaver, error)
	Rehire(ctx context.Context, actor, source, scanID, batchID string, now time.Time, dryRun bool) (map[string]bool, error)
	Adopt(ctx context.Context, actor, source, scanID, batchID string, dryRun bool) (map[string]string, error)
	ByEmployeeID(ctx context.Context, keys []string) (map[string]EmployeeUser, error)
	TakenUPNs(ctx context.Context, upnKeys []string) (map[string]bool, error)
	SetStartDates(ctx context.Context, source, scanID string, since, now time.Time) error
	HoldBatch(ctx context.Context, b Batch, h Hold) error
	HeldBatch(ctx context.Context, batchID string) (Hold, error)
	// ClaimHeld gives the held batch to the approval run, unless another
	// live approval has it; Heartbeat renews the claim, ReleaseHeld gives
	// it up, EndHold ends it approved.
	ClaimHeld(ctx context.Context, batchID, run string, staleBefore time.Time) (bool, error)
	Heartbeat(ctx context.Context, batchID, run string) (bool, error)
	// ClaimFeedRun gives the feed's run lease to run, at at, unless another
	// run renewed it since staleBefore; RenewFeedRun renews it at at and
	// reports whether run still holds it; ReleaseFeedRun gives it up.
	ClaimFeedRun(ctx context.Context, feed, run string, at, staleBefore time.Time) (bool, error)
	RenewFeedRun(ctx context.Context, feed, run string, at time.Time) (bool, error)
	ReleaseFeedRun(ctx context.Context, feed, run string) error
	ReleaseHeld(ctx context.Context, batchID, run string) error
	EndHold(ctx context.Context, actor, batchID, appliedAs string, at time.Time) error
	SetSyncCounts(ctx context.Context, batchID string, disabled, deleted, restored int) error
	FeedRan(ctx context.Context, name, batchID string, rows int, at time.Time) error
	Housekeep(ctx context.Context, now time.Time) (Chores, error)
}

// FeedRun is one run of a feed on one file.
type FeedRun struct {
	Feed     Feed
	Path     string // the file
	FileName string // its name as the HR system gave it; default: Path's base
	DryRun   bool
	// Approved is the held batch this run applies: the safeguards that
	// held it are not applied again, and the file must be the one held
	// (ApprovedSHA256).
	Approved       string
	ApprovedSHA256 string
	OutDir         string // where the results go; default: beside the file
	// Open opens a feed's file with the feed's header mapping (cmd wires
	// sheet.Open with FeedReadOptions).
	Open   func(path string) (RowSource, error)
	Hasher Hasher
	// Sealer, where the directory has a job queue (serve), makes the run's
	// joiners with passwords chunk jobs that every process on the
	// directory works (Options.Sealer); nil: this process writes every row.
	Sealer   Sealer
	Outputs  Outputs
	Workers  int
	Progress *Progress
	Log      *zap.Logger
	Now      func() time.Time
	// Mail sends a plain-text email (report's SMTP); nil when no mail
	// server is set up, in which case a held run only logs.
	Mail func(ctx context.Context, to []string, subject, body string) error

	leased bool // the caller holds the feed's run lease (leaseFeed)
}

// FeedReport is what a feed run did.
type FeedReport struct {
	Feed    string // the feed's name
	Report         // of the import; zero when held
	Held    *Hold  // set when the run was held: nothing was written
	Leavers []Leaver
	Rows    int
}

// Header mapping of a feed's file: their header → our column's name, with
// the status column as our Status.
func (f *Feed) Rename() map[string]string {
	m := map[string]string{}
	for _, e := range f.Map {
		m[e.Theirs] = e.Column.String()
	}
	if f.StatusColumn != "" {
		if _, mapped := m[f.StatusColumn]; !mapped {
			m[f.StatusColumn] = ColStatus.String()
		}
	}
	return m
}

// RunFeed runs a feed on a file (SPEC §12). In sync mode: it reads the file
// once to record its employee IDs, finds the leavers in one set-based
// statement, and holds the run (nothing written, the notify addresses
// told) when a safeguard says so; otherwise it brings rehires back, adopts
// the users the file names that came from elsewhere, disables (or, with
// --delete-after 0, deletes) the leavers, and imports the file as an
// upsert matched by Employee ID, whose results workbook gains the Leavers
// sheet. In upsert mode it is an import with the feed's settings. The
// error is Run's, or an *Error for a file the feed rejects.
func RunFeed(ctx context.Context, dir Directory, st SyncStore, fr FeedRun) (FeedReport, error) {
	if fr.Now == nil {
		fr.Now = time.Now
	}
	if fr.Log == nil {
		fr.Log = zap.NewNop()
	}
	if fr.FileName == "" {
		fr.FileName = filepath.Base(fr.Path)
	}
	if fr.OutDir == "" {
		fr.OutDir = filepath.Dir(fr.Path)
	}
	f := &fr.Feed
	actor, err := ActingAdmin(ctx, st, f.ActingAdmin)
	if err != nil {
		return FeedReport{}, err
	}
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return FeedReport{}, err
	}
	if !fr.DryRun && !fr.leased {
		var release func()
		if ctx, release, err = leaseFeed(ctx, st, f.Name, fr.Now, fr.Log); err != nil {
			return FeedReport{}, err
		}
		defer release()
	}
	settings, err := dir.Settings(ctx)
	if err != nil {
		return FeedReport{}, err
	}
	loc := time.UTC
	if settings.TimeZone != "" {
		if l, err := time.LoadLocation(settings.TimeZone); err == nil {
			loc = l
		}
	}
	now := fr.Now()
	// The scan's rows carry the ID that the import's batch gets when it
	// is a new one.
	scanID := newUserID() // a version 7 UUID, as batches get
	defer st.DropScan(context.WithoutCancel(ctx), scanID)
	rows, sha, err := scanFeedFile(ctx, st, &fr, scanID, loc)
	if err != nil {
		return FeedReport{}, err
	}
	if fr.Approved != "" && sha != fr.ApprovedSHA256 {
		return FeedReport{}, Errorf(EINVALID, "the file kept for held batch %s (%s) is not the one that was held: it changed since (SHA-256 %s, held %s); nothing was done: cancel the batch, and let the HR system drop the file again",
			fr.Approved, fr.Path, sha, fr.ApprovedSHA256)
	}
	rep := FeedReport{Feed: f.Name, Rows: rows}
	sync := f.Mode == ModeSync
	o := Options{
		FileName: fr.FileName, Mode: ModeUpsert, DryRun: fr.DryRun, OutDir: fr.OutDir, Workers: fr.Workers,
		Source: f.Source(), Domain: f.Domain, Licenses: f.Licenses, DisabledApps: f.DisabledApps,
		UsageLocation: f.UsageLocation, RequirePasswordChange: true, NoPasswords: f.NoPasswords,
		Actor: actor, Hasher: fr.Hasher, Sealer: fr.Sealer, Progress: fr.Progress, Log: fr.Log, Now: fr.Now,
		NewBatchID: scanID,
	}
	products, err := dir.Products(ctx)
	if err != nil {
		return rep, err
	}
	if err := checkDefaults(&o, products); err != nil { // before any leaver is disabled
		return rep, err
	}
	var leavers []Leaver
	active := 0
	if sync {
		if leavers, active, err = st.Leavers(ctx, f.Source(), scanID); err != nil {
			return rep, err
		}
	}
	if reason := holdReason(f, rows, len(leavers), active); reason != "" && fr.Approved == "" && !fr.DryRun {
		h, err := hold(ctx, st, &fr, actor, sha, rows, len(leavers), active, reason, now)
		rep.Held = h
		return rep, err
	}
	// What this run does before its import is audited under the import's
	// batch: a new one (scanID), or the unfinished batch of this file that
	// the import will resume.
	auditID := scanID
	if !fr.DryRun {
		b, err := dir.ResumableBatch(ctx, sha, o.Mode)
		if err != nil {
			return rep, err
		}
		if b != nil {
			auditID = b.ID
		}
	}
	restored, adopted := map[string]bool{}, map[string]string{}
	// Adopted first: a user another feed had disabled, whom this file
	// lists, is this feed's now, and so comes back as a rehire does.
	if adopted, err = st.Adopt(ctx, actor.UserPrincipalName, f.Source(), scanID, auditID, fr.DryRun); err != nil {
		return rep, err
	}
	if sync {
		if restored, err = st.Rehire(ctx, actor.UserPrincipalName, f.Source(), scanID, auditID, now, fr.DryRun); err != nil {
			return rep, err
		}
	}
	if sync && !fr.DryRun && len(leavers) > 0 { // none found a moment ago: no need to look again
		if leavers, err = st.DisableLeavers(ctx, actor.UserPrincipalName, f.Source(), scanID, auditID, now, f.DeleteAfter == 0); err != nil {
			return rep, err
		}
	}
	for i := range leavers {
		l := &leavers[i]
		l.Outcome, l.Message = Disabled, "not in the file: sign-in blocked"
		if l.ByStatus {
			l.Message = "a leaver in the file (" + f.StatusColumn + "): sign-in blocked"
		}
		switch {
		case f.DeleteAfter == 0:
			l.Outcome, l.Message = Deleted, strings.Replace(l.Message, "sign-in blocked", "deleted at once (--delete-after 0); its seats are free", 1)
		default:
			l.Message += fmt.Sprintf("; deleted on %s unless rehired", now.In(loc).AddDate(0, 0, f.DeleteAfter).Format(time.DateOnly))
		}
	}
	rep.Leavers = leavers
	leftNow := make(map[string]bool, len(leavers))
	for _, l := range leavers {
		leftNow[strings.ToLower(l.UserName)] = true
	}
	counts := &syncCounts{leavers: leavers}
	for _, l := range leavers {
		if l.Outcome == Deleted {
			counts.deleted++
		} else {
			counts.disabled++
		}
	}
	o.Outputs = fr.Outputs
	results := fr.Outputs.Results
	o.Outputs.Results = func(dir, base, name string, dryRun, withCSV bool) (ResultWriter, string, string, error) {
		w, x, c, err := results(dir, base, name, dryRun, withCSV)
		if err != nil {
			return nil, "", "", err
		}
		return &syncResults{ResultWriter: w, counts: counts, mode: f.Mode}, x, c, nil
	}
	opened := false
	o.Open = func() (RowSource, error) {
		src, err := fr.Open(fr.Path)
		if err != nil || opened {
			// Run opens the file again only to count its rows: the
			// file's own reader counts them as well, without the lookups.
			return src, err
		}
		opened = true
		return &syncSource{ctx: ctx, src: src, st: st, f: f, sync: sync, now: now, loc: loc,
			restored: restored, adopted: adopted, joiners: map[string]bool{}, leftNow: leftNow}, nil
	}
	started := fr.Now()
	rep.Report, err = Run(ctx, dir, o)
	err = leaseLost(ctx, err)
	rep.Report.Summary.Feed = true
	rep.Report.Summary.Disabled, rep.Report.Summary.Deleted, rep.Report.Summary.Restored = counts.disabled, counts.deleted, counts.restored
	if fr.DryRun || (err != nil && !isRowsFailed(err)) {
		return rep, err
	}
	wctx := context.WithoutCancel(ctx)
	id := rep.Report.Summary.BatchID
	if serr := st.SetStartDates(wctx, f.Source(), scanID, started, now); serr != nil {
		return rep, serr
	}
	if serr := st.SetSyncCounts(wctx, id, counts.disabled, counts.deleted, counts.restored); serr != nil {
		return rep, serr
	}
	if serr := st.FeedRan(wctx, f.Name, id, rows, now); serr != nil {
		return rep, serr
	}
	return rep, err
}

func isRowsFailed(err error) bool {
	var rf *RowsFailedError
	return errors.As(err, &rf)
}

// holdReason says why a run must be held, or "" when it need not be.
func holdReason(f *Feed, rows, leavers, active int) string {
	switch {
	case active > 0 && leavers*100 > f.MaxLeavers*active:
		return fmt.Sprintf("it would disable %d of the feed's %d active users (%.1f%%), more than --max-leavers %d%%",
			leavers, active, float64(leavers)*100/float64(active), f.MaxLeavers)
	case rows < f.MinRows:
		return fmt.Sprintf("the file has %d rows, fewer than --min-rows %d", rows, f.MinRows)
	case f.LastRows > 0 && rows*100 < MinShareOfLastFile*f.LastRows:
		return fmt.Sprintf("the file has %d rows, fewer than %d%% of the %d rows of the feed's last applied file", rows, MinShareOfLastFile, f.LastRows)
	}
	return ""
}

// hold records the run as a held batch, keeps a copy of the file for the
// approval, and tells the notify addresses.
func hold(ctx context.Context, st SyncStore, fr *FeedRun, actor User, sha string, rows, leavers, active int, reason string, now time.Time) (*Hold, error) {
	f := &fr.Feed
	id := newUserID() // a version 7 UUID, as batches get
	keep := filepath.Join(f.Dir, "held")
	if err := os.MkdirAll(keep, 0o700); err != nil {
		return nil, fmt.Errorf("keep held file: %w", err)
	}
	path := filepath.Join(keep, id+"-"+fr.FileName)
	if err := copyFile(fr.Path, path); err != nil {
		return nil, fmt.Errorf("keep held file: %w", err)
	}
	h := Hold{BatchID: id, Feed: f.Name, Path: path, FileName: fr.FileName, Rows: rows, Leavers: leavers, Active: active, Reason: reason}
	b := Batch{ID: id, File: fr.FileName, SHA256: sha, Mode: ModeSync, Options: "feed=" + f.Name, Source: f.Source(),
		ActingAdmin: actor.UserPrincipalName, State: BatchHeld, Started: now}
	if err := st.HoldBatch(ctx, b, h); err != nil {
		os.Remove(path)
		return nil, err
	}
	fr.Log.Warn("feed run held", zap.String("batch", id), zap.String("reason", reason))
	if len(f.Notify) > 0 && fr.Mail == nil {
		fr.Log.Warn("the hold notice was not emailed: no mail server (set USERIMPORT_SMTP_URL)", zap.Strings("notify", f.Notify))
	}
	if len(f.Notify) > 0 && fr.Mail != nil {
		subject := fmt.Sprintf("userimport: feed %s: file %s held", f.Name, fr.FileName)
		if err := fr.Mail(ctx, f.Notify, subject, HoldMessage(h)); err != nil {
			fr.Log.Warn("cannot mail the hold notice", zap.Error(err))
		}
	}
	return &h, nil
}

// HoldMessage is the text that tells an admin of a held run.
func HoldMessage(h Hold) string {
	return fmt.Sprintf(`The file %s of feed %s was held: nothing was changed.

Why: %s.

Rows in the file:        %d
Active users of the feed: %d
Users it would disable:  %d
Batch:                   %s

If the file is right, approve it (it is planned again against the directory as it is then):

    userimport batch approve %s

or cancel it:

    userimport batch cancel %s
`, h.FileName, h.Feed, h.Reason, h.Rows, h.Active, h.Leavers, h.BatchID, h.BatchID, h.BatchID)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// ApproveHeld applies a held feed batch: its kept file is run again (and
// planned against the directory as it is now) without the safeguard that
// held it, with actor as its acting admin. The held batch ends done; the
// report is that of the new batch. It is refused (ECONFLICT) while another
// approval of it runs, in any process, and when the feed applied a newer
// file since it was held (an older snapshot never undoes a newer one);
// and (EINVALID) when the kept file is not the one that was held.
func ApproveHeld(ctx context.Context, dir Directory, st SyncStore, actor User, batchID string, fr FeedRun) (FeedReport, error) {
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return FeedReport{}, err
	}
	if fr.Now == nil {
		fr.Now = time.Now
	}
	if fr.Log == nil {
		fr.Log = zap.NewNop()
	}
	h, err := st.HeldBatch(ctx, batchID)
	if err != nil {
		return FeedReport{}, err
	}
	// The feed's lease first: no file of the feed is applied meanwhile,
	// and the feed read now is the one the approval applies to.
	ctx, release, err := leaseFeed(ctx, st, h.Feed, fr.Now, fr.Log)
	if err != nil {
		return FeedReport{}, err
	}
	defer release()
	fr.leased = true
	f, err := st.Feed(ctx, h.Feed)
	if err != nil {
		return FeedReport{}, err
	}
	if f.LastRun != nil && f.LastRun.After(h.At) {
		return FeedReport{}, Errorf(ECONFLICT, "feed %s applied a newer file (batch %s, %s) since %s was held: approving the older snapshot would undo it; cancel batch %s",
			f.Name, f.LastBatch, f.LastRun.UTC().Format(time.DateTime+" UTC"), h.FileName, batchID)
	}
	if fi, err := os.Lstat(h.Path); err != nil || !fi.Mode().IsRegular() {
		return FeedReport{}, Errorf(EINVALID, "the file kept for held batch %s (%s) is gone or not a regular file: nothing was done; cancel the batch", batchID, h.Path)
	}
	run := newRunID()
	ok, err := st.ClaimHeld(ctx, batchID, run, fr.Now().Add(-staleAfter))
	if err != nil {
		return FeedReport{}, err
	}
	if !ok {
		return FeedReport{}, Errorf(ECONFLICT, "batch %s is being approved right now, or is no longer held", batchID)
	}
	applied := false
	defer func() {
		if !applied {
			if rerr := st.ReleaseHeld(context.WithoutCancel(ctx), batchID, run); rerr != nil {
				fr.Log.Warn("cannot release the held batch", zap.String("batch", batchID), zap.Error(rerr))
			}
		}
	}()
	// The claim is renewed while the file is applied; should another
	// approval take it over (this one could not renew it for a while),
	// this one stops.
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go func() {
		renew := func(ctx context.Context) (bool, error) { return st.Heartbeat(ctx, batchID, run) }
		if err := keepLease(ctx, renew, lostLease(batchID), fr.Log, nil); err != nil {
			stop(err)
		}
	}()
	// The admin who approves the run answers for it: it acts as them.
	f.ActingAdmin = actor.UserPrincipalName
	fr.Feed, fr.Path, fr.FileName, fr.Approved, fr.ApprovedSHA256 = f, h.Path, h.FileName, batchID, h.SHA256
	processed := filepath.Join(f.Dir, ProcessedDir)
	if fr.OutDir == "" {
		// Beside the processed files, never in the folder itself, where
		// the workbook would be taken for a drop.
		fr.OutDir = processed
		if err := os.MkdirAll(fr.OutDir, 0o700); err != nil {
			return FeedReport{}, fmt.Errorf("feed %s: %w", f.Name, err)
		}
	}
	rep, err := RunFeed(ctx, dir, st, fr)
	if err = leaseLost(ctx, err); err != nil && !isRowsFailed(err) {
		return rep, err
	}
	applied = true
	if eerr := st.EndHold(context.WithoutCancel(ctx), actor.UserPrincipalName, batchID, rep.Summary.BatchID, fr.Now()); eerr != nil {
		return rep, eerr
	}
	// The kept copy is now a processed file, as a drop applied at once is.
	if _, merr := moveAs(h.Path, processed, h.FileName); merr != nil {
		fr.Log.Warn("cannot move the approved file to processed/", zap.String("file", h.Path), zap.Error(merr))
	}
	return rep, err
}

// leaseFeed takes the feed's run lease, in every process on the
// directory: a feed runs one file at a time, so that two snapshots of it
// are never applied at once, nor out of order. The lease is renewed while
// the returned context lasts; once it could not be (see keepLease), that
// context ends with errLostLease as its cause (leaseLost). release gives it
// up. While another run holds the lease, the error is one IsFeedBusy
// tells.
func leaseFeed(ctx context.Context, st SyncStore, feed string, now func() time.Time, log *zap.Logger) (context.Context, func(), error) {
	run := newRunID()
	ok, err := st.ClaimFeedRun(ctx, feed, run, now(), now().Add(-staleAfter))
	if err != nil {
		return ctx, nil, err
	}
	if !ok {
		return ctx, nil, &feedBusyError{Errorf(ECONFLICT, "feed %s is running a file right now (in this or another process): a feed runs one file at a time; try again once it is done", feed)}
	}
	ctx, stop := context.WithCancelCause(ctx)
	done := make(chan struct{})
	go func() {
		renew := func(ctx context.Context) (bool, error) { return st.RenewFeedRun(ctx, feed, run, now()) }
		lost := fmt.Errorf("feed %s: this run lost the feed's lease (it could not renew it for %s, or another run took it over) and stopped: %w",
			feed, selfStopAfter, errLostLease)
		if err := keepLease(ctx, renew, lost, log.With(zap.String("lease", "feed "+feed)), done); err != nil {
			stop(err)
		}
	}()
	return ctx, func() {
		close(done)
		stop(nil)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := st.ReleaseFeedRun(rctx, feed, run); err != nil {
			log.Warn("cannot release the feed's run lease", zap.String("feed", feed), zap.Error(err))
		}
	}, nil
}

// feedBusyError is the ECONFLICT of a feed whose lease another run holds,
// or whose older file waits to be taken first.
type feedBusyError struct{ e *Error }

func (b *feedBusyError) Error() string { return b.e.Message }
func (b *feedBusyError) Unwrap() error { return b.e }

// IsFeedBusy says whether err says that the feed runs a file elsewhere (or
// an older file of it comes first): its files wait for a later poll.
func IsFeedBusy(err error) bool {
	var b *feedBusyError
	return errors.As(err, &b)
}

// leaseLost returns the lease's loss when it is what cancelled the run
// that returned err, else err: a run stopped by it says why rather than
// "context canceled". A run that ended (nil, or some rows failed) ended,
// whatever became of the lease after.
func leaseLost(ctx context.Context, err error) error {
	if cause := context.Cause(ctx); errors.Is(err, context.Canceled) && errors.Is(cause, errLostLease) {
		return cause
	}
	return err
}

// Housekeep runs the daily chores (see SyncStore.Housekeep) at now.
func Housekeep(ctx context.Context, st SyncStore, now time.Time) (Chores, error) {
	return st.Housekeep(ctx, now)
}

// scanFeedFile reads the file once: it checks the feed's columns and
// records each row's employee ID, status and start under scanID, in bulk.
// It returns the number of data rows and the file's SHA-256.
func scanFeedFile(ctx context.Context, st SyncStore, fr *FeedRun, scanID string, loc *time.Location) (int, string, error) {
	src, err := fr.Open(fr.Path)
	if err != nil {
		return 0, "", err
	}
	defer src.Close()
	f := &fr.Feed
	for _, e := range f.Map {
		if !src.Has(e.Column) {
			return 0, "", Errorf(EINVALID, "%s: the column %q (our %s, in the feed's --map) is missing: the HR system's file changed, nothing was done; the headers found are: %s",
				fr.FileName, e.Theirs, e.Ours, quoteAll(src.Header()))
		}
	}
	if f.StatusColumn != "" && !src.Has(ColStatus) {
		return 0, "", Errorf(EINVALID, "%s: the status column %q (--status-column) is missing: nothing was done; the headers found are: %s",
			fr.FileName, f.StatusColumn, quoteAll(src.Header()))
	}
	if f.Mode == ModeSync && !src.Has(ColEmployeeID) {
		return 0, "", Errorf(EINVALID, "%s: no Employee ID column: a sync feed matches people by it (map it with --map \"Employee ID=Their Column\"); the headers found are: %s",
			fr.FileName, quoteAll(src.Header()))
	}
	sha, err := src.SHA256()
	if err != nil {
		return 0, "", Errorf(EINVALID, "cannot read %s: %v", fr.FileName, err)
	}
	// The rows are recorded while the file is read, by two goroutines:
	// PostgreSQL takes a batch longer to record than this one to read.
	const per = 10_000
	batches := make(chan []ScanRow, 2)
	g, gctx := errgroup.WithContext(ctx)
	for range 2 {
		g.Go(func() error {
			for b := range batches {
				if err := st.ScanRows(gctx, scanID, b); err != nil {
					return err
				}
			}
			return nil
		})
	}
	n := 0
	read := func() error {
		defer close(batches)
		batch := make([]ScanRow, 0, per)
		send := func() error {
			select {
			case batches <- batch:
			case <-gctx.Done():
				return gctx.Err()
			}
			batch = make([]ScanRow, 0, per)
			return nil
		}
		for {
			row, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			n++
			if err != nil {
				if ErrorCode(err) == EINVALID {
					continue // the import says what is wrong with the row
				}
				return err
			}
			emp := strings.ToLower(row.Cells[ColEmployeeID])
			if emp == "" {
				continue
			}
			sr := ScanRow{EmpKey: emp, Leaver: validate.IsLeaver(f.LeaverValues, row.Cells[ColStatus])}
			if t, ok := startDate(row.Cells[ColStartDate], loc); ok {
				sr.StartsAt = t.UnixMicro()
			}
			batch = append(batch, sr)
			if len(batch) == per {
				if err := send(); err != nil {
					return err
				}
			}
		}
		if len(batch) > 0 {
			return send()
		}
		return nil
	}
	rerr := read()
	if err := g.Wait(); err != nil {
		return 0, "", err
	}
	if rerr != nil {
		return 0, "", rerr
	}
	return n, sha, nil
}

// startDate reads a Start Date cell (YYYY-MM-DD, as the readers give
// dates) as midnight in loc.
func startDate(cell string, loc *time.Location) (time.Time, bool) {
	if cell == "" {
		return time.Time{}, false
	}
	t, err := time.ParseInLocation(time.DateOnly, cell, loc)
	return t, err == nil
}

// syncCounts are a feed batch's leaver and rehire counts, for its Summary.
type syncCounts struct {
	leavers                     []Leaver
	disabled, deleted, restored int
}

// syncResults is the results writer of a feed batch: it counts the
// Restored rows and gives the Summary the feed's counts and Leavers sheet.
type syncResults struct {
	ResultWriter
	counts *syncCounts
	mode   string // the feed's: sync or upsert (the run itself upserts)
}

func (w *syncResults) Write(r Result) error {
	if r.Outcome == Restored {
		w.counts.restored++
	}
	return w.ResultWriter.Write(r)
}

func (w *syncResults) Close(s Summary) error {
	s.Feed, s.Leavers, s.Mode = true, w.counts.leavers, w.mode
	s.Disabled, s.Deleted, s.Restored = w.counts.disabled, w.counts.deleted, w.counts.restored
	return w.ResultWriter.Close(s)
}

// syncSource is a feed's file as the pipeline reads it: each row is
// matched to its user by Employee ID, whose user name it then carries (so
// that the planner updates that user, and a changed name never changes
// the user name); a joiner without a user name gets one from the feed's
// --upn pattern; leavers, future starters and rehires get their SyncNote.
// It reads ahead a chunk of rows at a time and looks them up in bulk.
type syncSource struct {
	ctx      context.Context
	src      RowSource
	st       SyncStore
	f        *Feed
	sync     bool
	now      time.Time
	loc      *time.Location
	restored map[string]bool   // employee IDs of rehires
	adopted  map[string]string // employee IDs of users adopted from another source → that source
	joiners  map[string]bool   // lower-cased user names this file's joiners took so far
	leftNow  map[string]bool   // lower-cased user names of the leavers this run disabled

	chunks chan syncChunk // decided chunks, one read ahead
	stop   func()
	cur    syncChunk
	pos    int
}

type readRow struct {
	row Row
	err error
}

func (s *syncSource) Has(c Column) bool {
	switch c {
	case ColUserName:
		return true // filled from the directory, or made by --upn
	case ColStatus:
		return false // the feed's status means leaver or not, which the sync handles
	}
	return s.src.Has(c)
}
func (s *syncSource) Header() []string        { return s.src.Header() }
func (s *syncSource) Warnings() []string      { return s.src.Warnings() }
func (s *syncSource) SHA256() (string, error) { return s.src.SHA256() }

// Close stops the read-ahead and closes the file.
func (s *syncSource) Close() error {
	if s.stop != nil {
		s.stop()
		for range s.chunks { // let the read-ahead end
		}
	}
	return s.src.Close()
}

// Next returns the next row, decided. The chunks are read and looked up
// one ahead, in a goroutine of their own, so that the lookups overlap the
// pipeline's work on the chunk before.
func (s *syncSource) Next() (Row, error) {
	if s.chunks == nil {
		ctx, stop := context.WithCancel(s.ctx)
		s.stop = stop
		s.chunks = make(chan syncChunk, 1)
		go s.readAhead(ctx)
	}
	for s.pos == len(s.cur.rows) {
		if s.cur.err != nil {
			return Row{}, s.cur.err
		}
		if s.cur.last {
			return Row{}, io.EOF
		}
		c, ok := <-s.chunks
		if !ok {
			// The read-ahead ended before the file's last chunk: the run
			// is cancelled (or its lease lost), which is not the end.
			if err := context.Cause(s.ctx); err != nil {
				return Row{}, err
			}
			return Row{}, errors.New("feed file: reading stopped before its end")
		}
		s.cur, s.pos = c, 0
	}
	r := s.cur.rows[s.pos]
	s.pos++
	return r.row, r.err
}

// syncChunk is a chunk of decided rows; err, a lookup's failure, comes
// after its rows; last says that no chunk follows.
type syncChunk struct {
	rows []readRow
	err  error
	last bool
}

// readAhead reads and decides chunks until the file ends, a lookup
// fails, or ctx is done. One goroutine reads the file (it alone reads
// s.src's rows); each chunk it read is looked up by a goroutine of its
// own, lookAhead of them at once; this one decides the chunks in row
// order (the user names made for joiners depend on the chunks before).
func (s *syncSource) readAhead(ctx context.Context) {
	defer close(s.chunks)
	looked := make(chan chan lookedUp, lookAhead-1)
	defer func() {
		for res := range looked { // let the reader and the lookups end
			<-res
		}
	}()
	ctx, stop := context.WithCancel(ctx)
	defer stop() // first: the reader stops reading
	go func() {
		defer close(looked)
		for ctx.Err() == nil {
			c := s.read()
			res := make(chan lookedUp, 1)
			select {
			case looked <- res:
			case <-ctx.Done():
				return
			}
			go func() { res <- s.lookUp(ctx, c) }()
			if c.last {
				return
			}
		}
	}()
	for res := range looked {
		l := <-res
		c := l.chunk
		if c.err == nil {
			c.err = s.decideAll(ctx, &c, l.users)
		}
		if c.err != nil {
			c.rows = nil // undecided: none of them may reach the planner
		}
		select {
		case s.chunks <- c:
		case <-ctx.Done():
			return
		}
		if c.last || c.err != nil {
			return
		}
	}
}

// lookAhead is how many chunks are looked up at once.
const lookAhead = 2

// lookedUp is a chunk with its users by lower-cased employee ID.
type lookedUp struct {
	chunk syncChunk
	users map[string]EmployeeUser
}

// read reads the next chunk's rows.
func (s *syncSource) read() syncChunk {
	c := syncChunk{rows: make([]readRow, 0, DefaultChunkSize)}
	for len(c.rows) < DefaultChunkSize {
		row, err := s.src.Next()
		if errors.Is(err, io.EOF) {
			c.last = true
			break
		}
		c.rows = append(c.rows, readRow{row, err})
		if err != nil && ErrorCode(err) != EINVALID {
			c.last = true // the pipeline stops at this error
			break
		}
	}
	return c
}

// lookUp looks the chunk's users up in one query.
func (s *syncSource) lookUp(ctx context.Context, c syncChunk) lookedUp {
	keys := make([]string, 0, len(c.rows))
	for i := range c.rows {
		if r := &c.rows[i]; r.err == nil && r.row.Cells[ColEmployeeID] != "" {
			keys = append(keys, strings.ToLower(r.row.Cells[ColEmployeeID]))
		}
	}
	users, err := s.st.ByEmployeeID(ctx, keys)
	if err != nil {
		c.err = err
	}
	return lookedUp{c, users}
}

// decideAll decides the chunk's rows, and makes its joiners' user names.
func (s *syncSource) decideAll(ctx context.Context, c *syncChunk, users map[string]EmployeeUser) error {
	var need []*Row // joiners whose user name the pattern makes
	for i := range c.rows {
		r := &c.rows[i]
		if r.err != nil {
			continue
		}
		if s.decide(&r.row, users) {
			need = append(need, &r.row)
		}
	}
	return s.makeNames(ctx, need)
}

// decide matches one row; it reports whether the row is a joiner whose
// user name the pattern must make.
func (s *syncSource) decide(r *Row, users map[string]EmployeeUser) bool {
	c := &r.Cells
	emp := strings.ToLower(c[ColEmployeeID])
	leaver := validate.IsLeaver(s.f.LeaverValues, c[ColStatus])
	status := c[ColStatus]
	c[ColStatus] = "" // the feed's status is leaver or not; Active/Suspended mean nothing here
	if emp == "" {
		if s.sync {
			r.Problem = "Employee ID: is required in every row of a feed's file (a sync feed matches people by it, never by name)"
		}
		return false
	}
	u, found := users[emp]
	if found {
		c[ColUserName] = u.UserPrincipalName // the user name never changes because a name did
		r.Known = u.User
		switch {
		case leaver && u.Source == s.f.Source() && (u.Left || u.Deleted) && !s.leftNow[strings.ToLower(u.UserPrincipalName)]:
			r.Sync = &SyncNote{Decided: true, Outcome: Unchanged, UserName: u.UserPrincipalName,
				Message: fmt.Sprintf("%s: %q, a leaver value: left already", s.f.StatusColumn, status)}
		case leaver && u.Source == s.f.Source():
			r.Sync = &SyncNote{Decided: true, Outcome: Disabled, UserName: u.UserPrincipalName,
				Message: fmt.Sprintf("%s: %q, a leaver value: sign-in blocked", s.f.StatusColumn, status)}
		case leaver:
			r.Sync = &SyncNote{Decided: true, Outcome: Unchanged, UserName: u.UserPrincipalName,
				Message: fmt.Sprintf("%s: %q, a leaver value, but %s is not a user of feed %s (%s): a feed never disables it",
					s.f.StatusColumn, status, u.UserPrincipalName, s.f.Name, sourceName(u.Source))}
		case s.restored[emp]:
			r.Sync = &SyncNote{Outcome: Restored, Message: "rehired: back from leaving, sign-in allowed"}
			if u.Deleted {
				r.Sync.Message = "rehired: restored with its licenses, as seats allow"
			}
		case s.adopted[emp] != "" || (u.Source != s.f.Source() && s.f.Mode == ModeSync):
			from := s.adopted[emp]
			if from == "" {
				from = u.Source
			}
			r.Sync = &SyncNote{Message: fmt.Sprintf("now a user of feed %s (before: %s)", s.f.Name, sourceName(from))}
		}
		return false
	}
	if leaver {
		r.Sync = &SyncNote{Decided: true, Outcome: Unchanged,
			Message: fmt.Sprintf("%s: %q, a leaver value: not created", s.f.StatusColumn, status)}
		return false
	}
	r.Joiner = s.sync // an upsert feed matches by user name, as an import does
	if start, ok := startDate(c[ColStartDate], s.loc); ok {
		today := time.Date(s.now.In(s.loc).Year(), s.now.In(s.loc).Month(), s.now.In(s.loc).Day(), 0, 0, 0, 0, s.loc)
		switch {
		case start.After(today.AddDate(0, 0, s.f.Prehire)):
			r.Sync = &SyncNote{Decided: true, Outcome: Unchanged,
				Message: fmt.Sprintf("starts on %s: created %d days before (--prehire)", start.Format(time.DateOnly), s.f.Prehire)}
			return false
		case start.After(today):
			c[ColBlockSignIn] = "Yes"
			r.Sync = &SyncNote{Message: "starts on " + start.Format(time.DateOnly) + ": sign-in blocked until then"}
		}
	}
	if c[ColUserName] != "" {
		if upn, _, _, err := validate.Username(c[ColUserName], s.f.Domain); err == nil {
			s.joiners[strings.ToLower(upn)] = true
		}
		return false
	}
	return s.f.UPN != ""
}

func sourceName(src string) string {
	switch src {
	case "", SourceCLI, SourceWeb:
		return "created by hand"
	}
	return src
}

// candidates is how many numbered user names are looked up at once for
// each joiner.
const candidates = 10

// makeNames gives each joiner the user name its pattern makes, with the
// first free numeric suffix: the names are looked up in one query for the
// chunk (a few more when ten are taken).
func (s *syncSource) makeNames(ctx context.Context, rows []*Row) error {
	if len(rows) == 0 {
		return nil
	}
	if s.f.Domain == "" {
		for _, r := range rows {
			r.Problem = "User Name: blank, and the feed has no --domain for its --upn pattern: set one with `userimport feed set " + s.f.Name + " --domain D`"
		}
		return nil
	}
	bases := make([]string, len(rows))
	var keys []string
	asked := map[string]bool{}
	for i, r := range rows {
		alias, fromID, err := validate.AliasOrEmployeeID(s.f.UPN, r.Cells[ColFirstName], r.Cells[ColLastName], r.Cells[ColEmployeeID], s.f.Fold)
		if err != nil {
			r.Problem = "User Name: blank, and " + err.Error()
			continue
		}
		if fromID {
			note := "User Name: made from the Employee ID: no letter of the name is one a user name allows"
			if r.Sync == nil {
				r.Sync = &SyncNote{}
			}
			r.Sync.Message = joinMessage(note, r.Sync.Message)
		}
		bases[i] = alias
		for n := 1; n <= candidates; n++ {
			k := numbered(alias, n) + "@" + s.f.Domain
			keys, asked[k] = append(keys, k), true
		}
	}
	taken, err := s.st.TakenUPNs(ctx, keys)
	if err != nil {
		return err
	}
	for i, r := range rows {
		if bases[i] == "" {
			continue
		}
		var lookErr error
		alias := validate.FreeAlias(bases[i], func(a string) bool {
			k := a + "@" + s.f.Domain
			if s.joiners[k] || taken[k] {
				return true
			}
			if !asked[k] && lookErr == nil {
				more, err := s.st.TakenUPNs(ctx, []string{k})
				if err != nil {
					lookErr = err
					return false
				}
				return more[k]
			}
			return false
		})
		if lookErr != nil {
			return lookErr
		}
		upn := alias + "@" + s.f.Domain
		s.joiners[upn] = true
		r.Cells[ColUserName] = upn
	}
	return nil
}

func numbered(alias string, n int) string {
	if n == 1 {
		return alias
	}
	return fmt.Sprintf("%s%d", alias, n)
}
