package importer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
	"go.uber.org/zap"
)

// MaxPush is the largest file an HR system may push (SPEC §11's upload
// limit).
const MaxPush = 256 << 20

// ErrTooLarge is the error of a pushed file over the size limit.
var ErrTooLarge = Errorf(EINVALID, "the file is larger than the limit of 256 MiB: split it, or drop it in the feed's folder")

// FeedService takes the feeds' files in serve: it polls every feed's
// folder (a network share has no change notifications), takes each file
// once it is complete (unchanged for StableFor; for a feed with a
// schedule, the newest complete file at each tick), one at a time per
// feed, and runs the daily housekeeping once a day for the whole
// directory. Several processes may run one each on one directory: every
// file is claimed by its SHA-256 in the directory before it is run, so
// that each drop is processed once. Its methods are safe for concurrent
// use.
type FeedService struct {
	Dir   Directory
	Store DropStore
	// Run is the wiring of a feed's run (reader, outputs, hasher, mail,
	// log) for feed f; the service sets its file and clock.
	Run func(f Feed) FeedRun
	// Done, when set, is told of each run's report (to mail its
	// credentials notice, say).
	Done func(ctx context.Context, f Feed, rep FeedReport)
	Log  *zap.Logger
	Now  func() time.Time
	// MaxPush limits a pushed file; 0 means MaxPush.
	MaxPush int64
	// Daily, when set, is this process's own daily chore, run at its first
	// poll of each day in every process (the web page's notices under its
	// --data): the directory's housekeeping runs in one process only.
	Daily func(ctx context.Context, now time.Time) error

	pushes   sync.WaitGroup // pushed files being run in the background
	mu       sync.Mutex
	failures map[string]string // held batch → why its last approval here failed
	watchers map[string]*Watcher
	lastPoll time.Time
	lastDay  string                 // the day Daily last ran
	running  map[string]*sync.Mutex // one run at a time per feed
}

func (s *FeedService) init() {
	if s.watchers == nil {
		s.watchers, s.running = map[string]*Watcher{}, map[string]*sync.Mutex{}
	}
	if s.Log == nil {
		s.Log = zap.NewNop()
	}
	if s.Now == nil {
		s.Now = time.Now
	}
}

func (s *FeedService) feedLock(name string) *sync.Mutex {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	m := s.running[name]
	if m == nil {
		m = &sync.Mutex{}
		s.running[name] = m
	}
	return m
}

// Serve polls every interval until ctx is done, then returns nil. A poll
// that fails (the directory away for a moment) is logged and tried again
// at the next.
func (s *FeedService) Serve(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := s.Poll(ctx); err != nil && ctx.Err() == nil {
			s.Log.Warn("feeds: poll failed; trying again", zap.Error(err))
		}
		select {
		case <-ctx.Done():
			s.Wait() // pushed files in flight finish: their HR systems were told 202
			return nil
		case <-t.C:
		}
	}
}

// Poll looks at every feed's folder once, at s.Now(), and takes the files
// that are ready, and does the day's housekeeping if no process did yet.
func (s *FeedService) Poll(ctx context.Context) error {
	s.mu.Lock()
	s.init()
	now := s.Now()
	last := s.lastPoll
	s.lastPoll = now
	s.mu.Unlock()
	if err := s.housekeeping(ctx, now); err != nil {
		return err
	}
	feeds, err := s.Store.Feeds(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, f := range feeds {
		s.mu.Lock()
		w := s.watchers[f.Name]
		if w == nil {
			w = NewWatcher()
			s.watchers[f.Name] = w
		}
		s.mu.Unlock()
		// A tick whose file had to wait (the feed busy elsewhere, the
		// directory away) is still due at the next poll.
		tick := w.tickDue
		if f.Schedule != "" && !last.IsZero() {
			if next := f.NextRun(last); next != nil && !next.After(now) {
				tick = true
			}
		}
		w.tickDue = false
		ready, superseded, err := w.Ready(f, now, tick)
		if err != nil {
			w.tickDue = tick
			s.Log.Warn("feeds: cannot read a feed's folder", zap.String("feed", f.Name), zap.Error(err))
			continue
		}
		if len(ready) == 0 && len(superseded) == 0 {
			continue
		}
		waiting, err := s.takeAll(ctx, f, ready, superseded)
		if err != nil {
			errs = append(errs, err)
		}
		w.tickDue = tick && (waiting || err != nil)
	}
	return errors.Join(errs...)
}

// takeAll takes a feed's ready files in order, holding the feed's lease
// (and, in this process, its lock, or else it leaves them waiting)
// throughout; the superseded ones (older
// complete files at a scheduled feed's tick) move to processed/ unrun
// first. While the feed runs a file elsewhere, its files wait: none is
// taken, none superseded. It stops at a failure of the directory, so that
// no later file is applied before the one that failed.
func (s *FeedService) takeAll(ctx context.Context, f Feed, ready, superseded []Drop) (waiting bool, err error) {
	log := s.Log.With(zap.String("feed", f.Name))
	m := s.feedLock(f.Name)
	if !m.TryLock() {
		// A pushed file or an approval of this feed runs in this process:
		// the feed's files wait, and the poll goes on to the other feeds.
		log.Info("feeds: the feed runs a file in this process; its files wait")
		return true, nil
	}
	defer m.Unlock()
	ctx, release, err := leaseFeed(ctx, s.Store, f.Name, s.Now, log)
	if IsFeedBusy(err) {
		log.Info("feeds: the feed runs a file in another process; its files wait")
		return true, nil
	}
	if err != nil {
		return true, err
	}
	defer release()
	for _, d := range superseded {
		if err := Supersede(f, d, s.Log); err != nil {
			log.Warn("feeds: cannot move a superseded file", zap.Error(err))
		}
	}
	for _, d := range ready {
		err := s.takeOne(ctx, f, d, true)
		if IsFeedBusy(err) {
			log.Info("feeds: a file waits", zap.String("file", filepath.Base(d.Path)), zap.String("why", ErrorMessage(err)))
			return true, nil
		}
		if err != nil && ErrorCode(err) != EINVALID && !isRowsFailed(err) {
			return true, err // the directory failed: the rest wait for the next poll
		}
	}
	return false, nil
}

// take runs the feed on one drop (a pushed file), alone among the feed's
// runs in this process, under the feed's lease.
func (s *FeedService) take(ctx context.Context, f Feed, d Drop) error {
	m := s.feedLock(f.Name)
	m.Lock()
	defer m.Unlock()
	return s.takeOne(ctx, f, d, false)
}

// takeOne runs TakeDrop with the wiring of the feed's runs; leased says
// that the caller holds the feed's lease, ctx being its context.
func (s *FeedService) takeOne(ctx context.Context, f Feed, d Drop, leased bool) error {
	fr := s.Run(f)
	fr.Feed = f
	fr.Now = s.Now
	fr.leased = leased
	if fr.Log == nil {
		fr.Log = s.Log.With(zap.String("feed", f.Name))
	}
	rep, err := TakeDrop(ctx, s.Dir, s.Store, fr, d)
	if rep != nil && s.Done != nil {
		s.Done(context.WithoutCancel(ctx), f, *rep) // its notice is mailed even when the lease's context ended
	}
	return err
}

// Approve applies held batch id as actor (ApproveHeld) with the wiring of
// the feed's runs, alone among the feed's runs in this process, and tells
// Done of the report.
func (s *FeedService) Approve(ctx context.Context, actor User, id string) (FeedReport, error) {
	f, err := s.heldFeed(ctx, actor, id)
	if err != nil {
		return FeedReport{}, err
	}
	return s.approve(ctx, actor, f, id)
}

// StartApprove checks that actor may approve held batch id and that it is
// held, then applies it in the background (the web page's Approve: a big
// file takes longer than a request should). Wait waits for it.
func (s *FeedService) StartApprove(ctx context.Context, actor User, id string) error {
	f, err := s.heldFeed(ctx, actor, id)
	if err != nil {
		return err
	}
	s.setFailure(id, "")
	s.pushes.Add(1)
	go func() {
		defer s.pushes.Done()
		if _, err := s.approve(context.WithoutCancel(ctx), actor, f, id); err != nil && !isRowsFailed(err) {
			s.Log.Warn("feeds: approving a held batch failed", zap.String("feed", f.Name), zap.String("batch", id), zap.Error(err))
			s.setFailure(id, ErrorMessage(err))
		}
	}()
	return nil
}

// ApprovalFailed says why the last approval of held batch id that this
// process started in the background (StartApprove) failed; "" when none
// did.
func (s *FeedService) ApprovalFailed(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[id]
}

func (s *FeedService) setFailure(id, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures == nil {
		s.failures = map[string]string{}
	}
	if msg == "" {
		delete(s.failures, id)
		return
	}
	s.failures[id] = msg
}

// heldFeed returns the feed of held batch id, once actor may approve it.
func (s *FeedService) heldFeed(ctx context.Context, actor User, id string) (Feed, error) {
	s.mu.Lock()
	s.init()
	s.mu.Unlock()
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return Feed{}, err
	}
	h, err := s.Store.HeldBatch(ctx, id)
	if err != nil {
		return Feed{}, err
	}
	return s.Store.Feed(ctx, h.Feed)
}

func (s *FeedService) approve(ctx context.Context, actor User, f Feed, id string) (FeedReport, error) {
	m := s.feedLock(f.Name)
	m.Lock()
	defer m.Unlock()
	fr := s.Run(f)
	fr.Now = s.Now
	if fr.Log == nil {
		fr.Log = s.Log.With(zap.String("feed", f.Name))
	}
	rep, err := ApproveHeld(ctx, s.Dir, s.Store, actor, id, fr)
	if rep.Summary.BatchID != "" && s.Done != nil {
		s.Done(ctx, f, rep)
	}
	return rep, err
}

// housekeeping runs the daily chores once a day (the organization's day):
// Daily in this process, the directory's in one process of all those on
// it.
func (s *FeedService) housekeeping(ctx context.Context, now time.Time) error {
	settings, err := s.Dir.Settings(ctx)
	if err != nil {
		return err
	}
	loc := time.UTC
	if settings.TimeZone != "" {
		if l, err := time.LoadLocation(settings.TimeZone); err == nil {
			loc = l
		}
	}
	day := now.In(loc).Format(time.DateOnly)
	if s.Daily != nil && s.takeDay(day) {
		if err := s.Daily(ctx, now); err != nil {
			s.Log.Warn("daily chore failed; trying again tomorrow", zap.Error(err))
		}
	}
	mine, err := s.Store.ClaimDay(ctx, "housekeeping", day)
	if err != nil || !mine {
		return err
	}
	c, err := Housekeep(ctx, s.Store, now)
	if err != nil {
		return err
	}
	s.Log.Info("housekeeping done", zap.Int("leaversDeleted", c.Deleted), zap.Int("startersEnabled", c.Enabled),
		zap.Int("usersPurged", c.Purged), zap.Int("sessionsEnded", c.Sessions), zap.Int("sealsForgotten", c.Unsealed))
	return nil
}

// Push takes a file an HR system pushed to feed name with its upload
// token: the body (at most MaxPush bytes, else ErrTooLarge) is written to
// the feed's folder and run at once, in the background, as a drop is. A
// wrong or revoked token is EFORBIDDEN, whether or not the feed exists.
// It returns the file as the feed took it (state FileTaking).
func (s *FeedService) Push(ctx context.Context, name, token string, body io.Reader) (FeedFile, error) {
	if err := FeedForToken(ctx, s.Store, name, token); err != nil {
		return FeedFile{}, err
	}
	f, err := s.Store.Feed(ctx, name)
	if err != nil {
		return FeedFile{}, err
	}
	limit := s.MaxPush
	if limit <= 0 {
		limit = MaxPush
	}
	tmp := filepath.Join(f.Dir, ".push-"+uuid.NewString())
	out, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return FeedFile{}, fmt.Errorf("feed %s: store the pushed file: %w", name, err)
	}
	h := sha256.New()
	var head bytes.Buffer
	n, err := io.Copy(io.MultiWriter(out, h, &limitedBuffer{&head, 4}), io.LimitReader(body, limit+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > limit {
		err = ErrTooLarge
	}
	if err != nil {
		os.Remove(tmp)
		if errors.Is(err, ErrTooLarge) {
			return FeedFile{}, err
		}
		return FeedFile{}, fmt.Errorf("feed %s: store the pushed file: %w", name, err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	ext := ".csv"
	if bytes.HasPrefix(head.Bytes(), []byte("PK")) {
		ext = ".xlsx"
	}
	now := s.Now()
	path := filepath.Join(f.Dir, pushName(now, sum, ext))
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return FeedFile{}, fmt.Errorf("feed %s: store the pushed file: %w", name, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		return FeedFile{}, fmt.Errorf("feed %s: %w", name, err)
	}
	s.pushes.Add(1)
	go func() {
		defer s.pushes.Done()
		ctx := context.WithoutCancel(ctx)
		err := s.take(ctx, f, Drop{Path: path, Size: info.Size(), ModTime: info.ModTime()})
		if IsFeedBusy(err) {
			s.Log.Info("feeds: the pushed file waits for a later poll", zap.String("feed", name),
				zap.String("file", filepath.Base(path)), zap.String("why", ErrorMessage(err)))
			return
		}
		if err != nil {
			s.Log.Warn("feeds: pushed file", zap.String("feed", name), zap.String("file", filepath.Base(path)), zap.Error(err))
		}
	}()
	return FeedFile{Name: filepath.Base(path), SHA256: sum, State: FileTaking, TakenAt: now}, nil
}

// Wait waits for the runs of pushed files still in flight.
func (s *FeedService) Wait() { s.pushes.Wait() }

// Status returns what became of a file pushed to feed name, for its HR
// system (the same token).
func (s *FeedService) Status(ctx context.Context, name, token, sha string) (FeedFile, error) {
	if err := FeedForToken(ctx, s.Store, name, token); err != nil {
		return FeedFile{}, err
	}
	ff, err := s.Store.FeedFile(ctx, name, sha)
	if ErrorCode(err) != ENOTFOUND || len(sha) != 64 {
		return ff, err
	}
	// Not taken yet: a pushed file that waits in the folder (the feed ran
	// another file, or an older one goes first) is taken at a later poll.
	f, ferr := s.Store.Feed(ctx, name)
	if ferr != nil {
		return ff, err
	}
	ds, lerr := listDrops(&f)
	if lerr != nil {
		return ff, err
	}
	for _, d := range ds {
		if b := filepath.Base(d.Path); isPushOf(b, sha) {
			return FeedFile{Name: b, SHA256: sha, State: FileWaiting, TakenAt: d.ModTime}, nil
		}
	}
	return ff, err
}

// pushName is the name a pushed file gets in the feed's folder: when it
// came, and the start of its SHA-256 (isPushOf).
func pushName(at time.Time, sha, ext string) string {
	return "push-" + at.UTC().Format("20060102T150405Z") + "-" + sha[:12] + ext
}

// isPushOf says whether name is one pushName gave a file of SHA-256 sha.
func isPushOf(name, sha string) bool {
	return strings.HasPrefix(name, "push-") && strings.Contains(name, "-"+sha[:12]+".")
}

// limitedBuffer keeps the first n bytes written to it.
type limitedBuffer struct {
	b *bytes.Buffer
	n int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.n - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

// takeDay reports whether day is new to this process's Daily.
func (s *FeedService) takeDay(day string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lastDay == day {
		return false
	}
	s.lastDay = day
	return true
}
