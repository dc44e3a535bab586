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
	"sort"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Folders of a feed's folder.
const (
	ProcessedDir = "processed" // files done, with their results workbooks
	FailedDir    = "failed"    // files rejected, with a note saying why
	HeldDir      = "held"      // copies of held files, until approved or cancelled
)

// StableFor is how long a dropped file must stay unchanged before a feed
// without a schedule takes it.
const StableFor = 30 * time.Second

// Drop is a file waiting in a feed's folder.
type Drop struct {
	Path    string
	Size    int64
	ModTime time.Time
}

// DropStore is what taking drops needs of the directory, on top of a feed
// run's.
type DropStore interface {
	SyncStore
	// ClaimFeedFile records that the feed takes the file with this
	// SHA-256, or takes over a claim still "taking" since before
	// staleBefore; when it does not, it returns the standing claim's state.
	ClaimFeedFile(ctx context.Context, feed, sha256, name string, at, staleBefore time.Time) (bool, string, error)
	// ReleaseFeedFile forgets a claim whose run failed for want of the
	// directory, so that the file is taken again.
	ReleaseFeedFile(ctx context.Context, feed, sha256 string) error
	FinishFeedFile(ctx context.Context, feed, sha256, state, batchID, message string) error
	FeedFile(ctx context.Context, feed, sha256 string) (FeedFile, error)
	// ClaimDay says whether the caller does the daily chore name on day.
	ClaimDay(ctx context.Context, name, day string) (bool, error)
}

// States of a feed's file.
const (
	FileWaiting  = "waiting" // a pushed file in the feed's folder, not taken yet (Status only)
	FileTaking   = "taking"
	FileDone     = "done"
	FileHeld     = "held"
	FileRejected = "rejected"
)

// FeedFile is what became of a file a feed took.
type FeedFile struct {
	Name    string    `json:"file"`
	SHA256  string    `json:"sha256"`
	State   string    `json:"state"` // FileWaiting, FileTaking, FileDone, FileHeld, FileRejected
	BatchID string    `json:"batch"`
	Message string    `json:"message"`
	TakenAt time.Time `json:"takenAt"`
}

// listDrops returns the regular files in the feed's folder, not hidden,
// oldest first (the order they arrived).
func listDrops(f *Feed) ([]Drop, error) {
	es, err := os.ReadDir(f.Dir)
	if err != nil {
		return nil, Errorf(EINVALID, "feed %s: cannot read its folder %s: %v", f.Name, f.Dir, err)
	}
	var out []Drop
	for _, e := range es {
		if strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone meanwhile
		}
		out = append(out, Drop{Path: filepath.Join(f.Dir, e.Name()), Size: info.Size(), ModTime: info.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ModTime.Equal(out[j].ModTime) {
			return out[i].ModTime.Before(out[j].ModTime)
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

// WaitingDrops returns the files waiting in the feed's folder, oldest
// first, for `feed run NAME` (an admin or cron asking now: every file is
// taken).
func WaitingDrops(ctx context.Context, st FeedStore, f Feed, now time.Time, _ time.Duration) ([]Drop, error) {
	return listDrops(&f)
}

// Watcher tells when files dropped in a feed's folder are complete: a file
// is ready once its size and modification time have not changed for
// StableFor, as polls (the clock passed in) see them. A network share has
// no change notifications, so the folder is polled. Not safe for
// concurrent use.
type Watcher struct {
	seen map[string]watched
	// tickDue: a scheduled feed's tick came, and its file waits (the feed
	// ran elsewhere, or the directory failed): the next poll takes it.
	tickDue bool
}

type watched struct {
	size   int64
	mod    time.Time
	stable time.Time // since when it is as it is now
}

// NewWatcher returns a Watcher that has seen nothing yet.
func NewWatcher() *Watcher { return &Watcher{seen: map[string]watched{}} }

// Ready polls the feed's folder at now and returns the files that have
// been unchanged for StableFor, oldest first. For a feed with a schedule
// it returns nothing but at a tick, and then only the newest of them (SPEC
// §12: the newest complete file is taken at each tick), and as superseded
// the older complete ones: a snapshot older than the one taken is never
// applied after it.
func (w *Watcher) Ready(f Feed, now time.Time, tick bool) (ready, superseded []Drop, err error) {
	ds, err := listDrops(&f)
	if err != nil {
		return nil, nil, err
	}
	present := map[string]bool{}
	for _, d := range ds {
		present[d.Path] = true
		s, ok := w.seen[d.Path]
		if !ok || s.size != d.Size || !s.mod.Equal(d.ModTime) {
			// Unchanged since it was last modified, as far as we know: a
			// file that was there before this process started need not
			// wait another 30 s.
			since := now
			if !ok && d.ModTime.Before(now) {
				since = d.ModTime
			}
			s = watched{size: d.Size, mod: d.ModTime, stable: since}
			w.seen[d.Path] = s
		}
		if now.Sub(s.stable) >= StableFor {
			ready = append(ready, d)
		}
	}
	for p := range w.seen {
		if !present[p] {
			delete(w.seen, p)
		}
	}
	if f.Schedule != "" {
		if !tick || len(ready) == 0 {
			return nil, nil, nil
		}
		return ready[len(ready)-1:], ready[:len(ready)-1], nil
	}
	return ready, nil, nil
}

// Supersede moves a complete file that a newer one replaced, at a feed's
// tick, to processed/ unrun, and says so in the log.
func Supersede(f Feed, d Drop, log *zap.Logger) error {
	to, err := moveInto(d.Path, filepath.Join(f.Dir, ProcessedDir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err == nil {
		log.Info("file skipped: a newer complete file was taken at the same tick", zap.String("feed", f.Name),
			zap.String("file", filepath.Base(d.Path)), zap.String("movedTo", to))
	}
	return err
}

// TakeDrop runs the feed on a dropped file, once: a file whose SHA-256 the
// feed took before is skipped (logged, moved to processed/). A processed
// file moves to DIR/processed/ with its results workbook beside it, a
// rejected one to DIR/failed/ with a note of why, a held one to
// DIR/held/. When the directory fails, the file stays where it is and is
// taken again later. The report is nil when the file was skipped. While
// the feed runs another file (in this or another process), or an older
// file of the feed waits in its folder, the error is one IsFeedBusy tells,
// and the file waits: it is taken after them. A dry run only shows what
// the file would do (its preview in fr.OutDir; processed/ when unset): no
// claim, no move, the file stays. With fr.leased (FeedService's polls),
// the caller holds the feed's lease, ctx being its context.
func TakeDrop(ctx context.Context, dir Directory, st DropStore, fr FeedRun, d Drop) (*FeedReport, error) {
	f := &fr.Feed
	log := fr.Log
	if log == nil {
		log = zap.NewNop()
	}
	now := time.Now
	if fr.Now != nil {
		now = fr.Now
	}
	name := filepath.Base(d.Path)
	processed := filepath.Join(f.Dir, ProcessedDir)
	sum, err := fileSHA256(d.Path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // another process took it meanwhile
	}
	if errors.Is(err, fs.ErrPermission) && !fr.DryRun {
		// Not the directory's failure, nor one that passes: the file is
		// rejected, so that the feed's later files are not held up by it.
		why := fmt.Sprintf("%s: cannot read it (%v): give userimport's account read access to the feed's files, and drop it again", name, err)
		if merr := fail(d.Path, f.Dir, name, why); merr != nil {
			return nil, merr
		}
		log.Warn("file rejected", zap.String("file", name), zap.String("reason", why))
		return nil, Errorf(EINVALID, "%s", why)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", d.Path, err)
	}
	if fr.DryRun {
		if ff, err := st.FeedFile(ctx, f.Name, sum); err == nil && ff.State != FileTaking {
			log.Info("dry run: the feed took a file with the same SHA-256 before: this one would be skipped",
				zap.String("file", name), zap.String("sha256", sum), zap.String("batch", ff.BatchID))
			return nil, nil
		}
		if fr.OutDir == "" || sameDir(fr.OutDir, f.Dir) {
			fr.OutDir = processed // never the folder itself, where the preview would be taken for a drop
		}
		if err := os.MkdirAll(fr.OutDir, 0o700); err != nil {
			return nil, fmt.Errorf("feed %s: %w", f.Name, err)
		}
		fr.Path, fr.FileName = d.Path, name
		rep, err := RunFeed(ctx, dir, st, fr)
		return &rep, err
	}
	if !fr.leased {
		// The feed's lease first: one file of a feed at a time, in every
		// process, in the order of the folder.
		var release func()
		if ctx, release, err = leaseFeed(ctx, st, f.Name, now, log); err != nil {
			return nil, err
		}
		defer release()
		fr.leased = true
	}
	if older, err := olderDrop(f, d); err != nil {
		return nil, err
	} else if older != "" {
		return nil, &feedBusyError{Errorf(ECONFLICT, "feed %s: %s arrived before %s and waits to be taken: it goes first", f.Name, older, name)}
	}
	// A claim still "taking" since before staleAfter was left by a run
	// that died or stopped: it held the feed's lease, which this run holds
	// now. The file is taken over, before the feed's later files.
	ok, state, err := st.ClaimFeedFile(ctx, f.Name, sum, name, now(), now().Add(-staleAfter))
	if err != nil {
		return nil, err
	}
	if !ok {
		if state == FileTaking {
			return nil, &feedBusyError{Errorf(ECONFLICT, "feed %s: %s is being taken by a run that stopped a moment ago; it is taken over at a later poll", f.Name, name)}
		}
		_, err := moveInto(d.Path, processed)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil // the process that took it moved it meanwhile
		}
		log.Info("file skipped: the feed took a file with the same SHA-256 before", zap.String("file", name), zap.String("sha256", sum))
		return nil, err
	}
	if err := os.MkdirAll(processed, 0o700); err != nil {
		return nil, fmt.Errorf("feed %s: %w", f.Name, err)
	}
	fr.Path, fr.FileName, fr.OutDir = d.Path, name, processed
	rep, err := RunFeed(ctx, dir, st, fr)
	err = leaseLost(ctx, err)
	wctx := context.WithoutCancel(ctx)
	switch {
	case errors.Is(err, errLostLease):
		return &rep, err // the file's claim is the next holder's to take over
	case err == nil || isRowsFailed(err):
		// The file's fate is recorded first, then it moves: should the move
		// fail, the file left in the folder is one the feed took (skipped),
		// never one to apply again.
		if rep.Held != nil {
			if serr := st.FinishFeedFile(wctx, f.Name, sum, FileHeld, rep.Held.BatchID, rep.Held.Reason); serr != nil {
				return &rep, serr
			}
			os.Remove(d.Path) // hold kept a copy in held/
			return &rep, nil
		}
		if serr := st.FinishFeedFile(wctx, f.Name, sum, FileDone, rep.Summary.BatchID, ""); serr != nil {
			return &rep, serr
		}
		if _, merr := moveInto(d.Path, processed); merr != nil {
			return &rep, merr
		}
		log.Info("file processed", zap.String("file", name), zap.String("batch", rep.Summary.BatchID))
		return &rep, err
	case ErrorCode(err) == EINVALID:
		if serr := st.FinishFeedFile(wctx, f.Name, sum, FileRejected, "", ErrorMessage(err)); serr != nil {
			return &rep, serr
		}
		if merr := fail(d.Path, f.Dir, name, ErrorMessage(err)); merr != nil {
			return &rep, merr
		}
		log.Warn("file rejected", zap.String("file", name), zap.String("reason", ErrorMessage(err)))
		return &rep, err
	default:
		if rerr := st.ReleaseFeedFile(wctx, f.Name, sum); rerr != nil {
			log.Warn("cannot release the file's claim", zap.Error(rerr))
		}
		return &rep, err
	}
}

// sameDir says whether a and b are the same folder.
func sameDir(a, b string) bool {
	ia, err := os.Stat(a)
	if err != nil {
		return filepath.Clean(a) == filepath.Clean(b)
	}
	ib, err := os.Stat(b)
	return err == nil && os.SameFile(ia, ib)
}

// olderDrop returns the name of a file in the feed's folder that arrived
// before d (listDrops' order), or "" when none did.
func olderDrop(f *Feed, d Drop) (string, error) {
	ds, err := listDrops(f)
	if err != nil {
		return "", err
	}
	for _, o := range ds {
		if o.Path == d.Path {
			return "", nil
		}
		if o.ModTime.Before(d.ModTime) || (o.ModTime.Equal(d.ModTime) && o.Path < d.Path) {
			return filepath.Base(o.Path), nil
		}
	}
	return "", nil
}

// fail moves the file at path into feed folder dir's failed/, under the
// name base (or the first free one), with a note beside it saying why.
func fail(path, dir, base, why string) error {
	to, err := moveAs(path, filepath.Join(dir, FailedDir), base)
	if err != nil {
		return err
	}
	note := strings.TrimSuffix(to, filepath.Ext(to)) + ".error.txt"
	_ = os.WriteFile(note, []byte(why+"\n"), 0o644)
	return nil
}

// moveInto moves the file at path into folder (created mode 0700), under
// its name or, when that is taken, the first free name.2.ext, name.3.ext, …
func moveInto(path, folder string) (string, error) {
	return moveAs(path, folder, filepath.Base(path))
}

// moveAs is moveInto under the name base.
func moveAs(path, folder, base string) (string, error) {
	if err := os.MkdirAll(folder, 0o700); err != nil {
		return "", fmt.Errorf("move %s: %w", base, err)
	}
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for n := 1; ; n++ {
		to := filepath.Join(folder, base)
		if n > 1 {
			to = filepath.Join(folder, stem+"."+strconv.Itoa(n)+ext)
		}
		if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
			if err := os.Rename(path, to); err != nil {
				return "", fmt.Errorf("move %s: %w", base, err) // fs.ErrNotExist when path is gone
			}
			return to, nil
		}
	}
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
