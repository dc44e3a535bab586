package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"go.uber.org/zap"

	"userimport/validate"
)

// A batch with passwords to hash can be shared by every process on the
// directory (SPEC §10): its staged rows are cut into chunks, each chunk is
// a job of the job engine, inserted in the transaction that stages it, and
// any process that works jobs (import, serve, worker) hashes, seals and
// writes a chunk's rows. A generated password leaves that process only
// sealed to the batch's key, in the journal row written in the transaction
// that creates the user. The run that started the batch holds the key, in
// a file of mode 0600 in its output folder, follows the journal, opens the
// sealed passwords into the credentials notice and then deletes them.

// jobChunk is how many rows one chunk job hashes and writes.
const jobChunk = 16

// stallAfter is how long staged rows may stay staged with nothing moving
// before their jobs are handed out again, unless Options.StallAfter says.
const stallAfter = time.Minute

func (r *run) stallAfter() time.Duration {
	if r.o.StallAfter > 0 {
		return r.o.StallAfter
	}
	return stallAfter
}

// followEvery is how often the starting run looks at the journal while
// the jobs run.
const followEvery = 200 * time.Millisecond

// ChunkDirectory is what the job path needs of the directory beyond
// Directory (sqldb.DB with a job queue set).
type ChunkDirectory interface {
	Directory
	HasQueue() bool
	StageChunks(ctx context.Context, batchID string, rows []JournalRow, chunks [][]int, sealed map[int]string) error
	Requeue(ctx context.Context, batchID string, size int) (int, error)
	StagedPlans(ctx context.Context, batchID string, rows []int) (plans []*Planned, recipient, actor string, err error)
	Staged(ctx context.Context, batchID string) (n, first int, err error)
	// SealedPasswords calls fn for the first done rows holding a sealed
	// password (a page of them); once they are forgotten, the next.
	SealedPasswords(ctx context.Context, batchID string, fn func(row int, upn string, mustChange bool, sealed string) error) error
	ForgetSealed(ctx context.Context, batchID string, rows []int) error
	SetRecipient(ctx context.Context, batchID, recipient string) error
}

// Sealer seals passwords to a batch's key and keeps the keys in files
// (package seal).
type Sealer interface {
	// NewKey creates a batch's key in a new file at path (mode 0600, never
	// through a symlink) and returns its recipient.
	NewKey(path string) (recipient string, err error)
	// OpenKey loads the key at path and returns what opens its seals.
	OpenKey(path string) (func(sealed string) (Secret, error), error)
	Seal(recipient string, password Secret) (string, error)
}

// jobs returns the directory's job path when the run may use it: a
// Sealer, a directory with a job queue, and passwords to hash.
func (r *run) jobs() (ChunkDirectory, bool) {
	if r.o.Sealer == nil || r.o.NoPasswords {
		return nil, false
	}
	cd, ok := r.dir.(ChunkDirectory)
	if !ok || !cd.HasQueue() {
		return nil, false
	}
	return cd, true
}

// keyPath is where the run keeps the batch's key.
func (r *run) keyPath() string {
	return filepath.Join(r.o.OutDir, "."+r.base+"."+r.batchID+".key")
}

// openKey makes the key of a new batch, or loads that of a resumed one. A
// resumed batch whose key is gone cannot open its sealed passwords: they
// are dropped, and reconcileNotice gives those users new ones.
func (r *run) openKey(ctx context.Context, cd ChunkDirectory, b *Batch, resumed bool) error {
	if resumed && b.Recipient != "" {
		open, err := r.o.Sealer.OpenKey(r.keyPath())
		if err == nil {
			r.unseal = open
			return nil
		}
		r.o.Log.Warn("the batch's key is gone or unusable, so the passwords sealed to it cannot be opened: their users get new passwords",
			zap.String("key", r.keyPath()), zap.Error(err))
		if _, err := forgetAllSealed(ctx, cd, b.ID); err != nil {
			return err
		}
		os.Remove(r.keyPath())
	}
	recipient, err := r.o.Sealer.NewKey(r.keyPath())
	if err != nil {
		return fmt.Errorf("create the batch's key: %w", err)
	}
	if err := cd.SetRecipient(ctx, b.ID, recipient); err != nil {
		return err
	}
	if r.unseal, err = r.o.Sealer.OpenKey(r.keyPath()); err != nil {
		return fmt.Errorf("load the batch's key: %w", err)
	}
	r.recipient = recipient
	return nil
}

// writeJobs journals each planned chunk with its seats, in row order, and
// in the same transaction the jobs that provision its rows; a chunk with
// nothing to hash it writes whole at once, as the in-process path does.
// Passwords from the file are hashed and sealed here: only this process
// read the file.
func (r *run) writeJobs(ctx context.Context, cd ChunkDirectory, in <-chan planned) error {
	for p := range in {
		whole, _, err := r.writeWhole(ctx, &p) // the jobs' results are followed in the journal
		if err != nil {
			return err
		}
		if !whole {
			sealed := map[int]string{}
			var rows []int
			for _, w := range p.fresh {
				if w.Password != "" && w.Plan.NeedsPassword && w.Plan.Action == ActionCreate {
					h, err := r.o.Hasher.Hash(ctx, w.Password.Reveal())
					if err != nil {
						return err
					}
					s, err := r.o.Sealer.Seal(r.recipient, w.Password)
					if err != nil {
						return fmt.Errorf("seal a password: %w", err)
					}
					w.Plan.PresetHash, sealed[w.Plan.Row] = h, s
				}
				rows = append(rows, w.Plan.Row)
			}
			var chunks [][]int
			for len(rows) > 0 {
				n := min(jobChunk, len(rows))
				chunks = append(chunks, rows[:n:n])
				rows = rows[n:]
			}
			if err := cd.StageChunks(ctx, r.batchID, p.rows, chunks, sealed); err != nil {
				return err
			}
		}
		r.journaledRows.Add(int64(len(p.rows)))
		r.journaled.Store(int64(p.lastRow))
	}
	return nil
}

// followJobs follows the batch's jobs until every row is written (once
// staged closes) or ctx ends: it writes the results of the rows done in
// row order, moves the sealed passwords into the notice, and counts the
// progress.
func (r *run) followJobs(ctx context.Context, cd ChunkDirectory, staged <-chan struct{}) error {
	t := time.NewTicker(followEvery)
	defer t.Stop()
	lastStaged, since := -1, r.o.Now()
	for {
		all := false
		select {
		case <-staged:
			all = true
		default:
		}
		// The last row journaled is read first: every row up to it is in
		// the journal by then, so the staged rows counted next include
		// any of them not yet written.
		upTo := int(r.journaled.Load())
		n, first, err := cd.Staged(ctx, r.batchID)
		if err != nil {
			return err
		}
		if n > 0 && first-1 < upTo {
			upTo = first - 1
		}
		if upTo > 0 {
			if err := r.writeResultsUpTo(ctx, upTo); err != nil {
				return err
			}
		}
		if err := r.noticeSealed(ctx, cd); err != nil {
			return err
		}
		// Rows done: those journaled, by this run or the one it resumes,
		// less those still staged (no count over the whole journal).
		r.o.Progress.set(int(r.journaledRows.Load()) - n)
		if all && n == 0 {
			return nil
		}
		// Rows that stay staged while nothing moves belong to a job whose
		// process died (River hands such a job out again only after its
		// timeout and more): they get new jobs. A job that runs after
		// another has written its rows does nothing.
		switch now := r.o.Now(); {
		case n != lastStaged:
			lastStaged, since = n, now
		case all && n > 0 && now.Sub(since) >= r.stallAfter():
			if _, err := cd.Requeue(ctx, r.batchID, jobChunk); err != nil {
				return err
			}
			r.o.Log.Warn("rows of the batch were not written for a while: their jobs are given to any process again",
				zap.Int("rows", n), zap.Duration("after", now.Sub(since)))
			since = now
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
	}
}

// forgetAllSealed deletes every sealed password of the batch and returns
// their users.
func forgetAllSealed(ctx context.Context, s interface {
	SealedPasswords(ctx context.Context, batchID string, fn func(row int, upn string, mustChange bool, sealed string) error) error
	ForgetSealed(ctx context.Context, batchID string, rows []int) error
}, batchID string) ([]string, error) {
	var users []string
	for {
		var rows []int
		if err := s.SealedPasswords(ctx, batchID, func(row int, upn string, _ bool, _ string) error {
			rows = append(rows, row)
			users = append(users, upn)
			return nil
		}); err != nil || len(rows) == 0 {
			return users, err
		}
		if err := s.ForgetSealed(ctx, batchID, rows); err != nil {
			return users, err
		}
	}
}

// noticeSealed opens the sealed passwords of the rows written so far into
// the credentials notice and, once they are on disk, deletes them, a page
// at a time until none is left.
func (r *run) noticeSealed(ctx context.Context, cd ChunkDirectory) error {
	if r.unseal == nil {
		return nil
	}
	for {
		n, err := r.noticeSealedPage(ctx, cd)
		if err != nil || n == 0 {
			return err
		}
	}
}

// noticeSealedPage is noticeSealed for one page of sealed passwords, and
// returns how many it took.
func (r *run) noticeSealedPage(ctx context.Context, cd ChunkDirectory) (int, error) {
	var lines []noticeLine
	var there []int // rows whose line reached the notice before a crash or an interrupt
	err := cd.SealedPasswords(ctx, r.batchID, func(row int, upn string, mustChange bool, sealed string) error {
		if r.inNotice[strings.ToLower(upn)] {
			there = append(there, row)
			return nil
		}
		pw, err := r.unseal(sealed)
		if err != nil {
			return fmt.Errorf("open the sealed password of row %d: %w", row, err)
		}
		lines = append(lines, noticeLine{row: row, upn: upn, password: pw, mustChange: mustChange})
		return nil
	})
	if err != nil {
		return 0, err
	}
	taken := len(lines) + len(there)
	if len(there) > 0 {
		if err := r.dir.MarkNoticed(context.WithoutCancel(ctx), r.batchID, there); err != nil {
			return 0, err
		}
	}
	lines, withheld, err := r.mayKnow(ctx, lines)
	if err != nil {
		return 0, err
	}
	if len(withheld) > 0 {
		// Users an earlier run created whom this run's admin may not set
		// a password for (a Global admin, for a User admin): their
		// passwords are not handed to this admin, and are dropped.
		rows := make([]int, len(withheld))
		names := make([]string, len(withheld))
		for i, l := range withheld {
			rows[i], names[i] = l.row, l.upn
		}
		if err := cd.ForgetSealed(context.WithoutCancel(ctx), r.batchID, rows); err != nil {
			return 0, err
		}
		r.o.Log.Warn("users an earlier run of this batch created have passwords your role may not know: they are not in the notice, and a Global admin must set them (`userimport user set-password`)",
			zap.Strings("users", names))
	}
	if err := r.addToNotice(ctx, lines); err != nil {
		return 0, err
	}
	for _, l := range lines {
		there = append(there, l.row)
	}
	return taken, cd.ForgetSealed(context.WithoutCancel(ctx), r.batchID, there)
}

// WorkChunk is the job of one chunk of a batch (package jobs runs it in any
// process): it gives each of the rows still staged its password (the one
// from the file, hashed by the starting process, or a new one), hashes
// it, seals it to the batch's key, and writes the rows, each whole with
// its sealed password, in one transaction. Rows already written (a job
// run twice, a chunk another process took over) are left alone, so that no
// user gets two passwords. It returns the results of the rows it wrote.
func WorkChunk(ctx context.Context, dir ChunkDirectory, hasher Hasher, sealer Sealer, batchID string, rows []int) ([]Result, error) {
	for {
		plans, recipient, actor, err := dir.StagedPlans(ctx, batchID, rows)
		if err != nil || len(plans) == 0 {
			return nil, err
		}
		work := make([]Work, len(plans))
		for i, p := range plans {
			if work[i], err = chunkWork(ctx, hasher, sealer, recipient, p); err != nil {
				return nil, err
			}
		}
		results, err := dir.Provision(context.WithoutCancel(ctx), batchID, actor, work)
		if !errors.Is(err, ErrNotStaged) {
			return results, err
		}
		// Another run wrote some of these rows meanwhile: this one's
		// transaction rolled back; write the rest.
	}
}

// chunkWork makes the work of one staged row of a chunk job.
func chunkWork(ctx context.Context, hasher Hasher, sealer Sealer, recipient string, p *Planned) (Work, error) {
	w := Work{Plan: p}
	switch {
	case p.Action != ActionCreate:
	case p.ImportedHash != "":
		w.Hash = p.ImportedHash
	case p.PresetHash != "":
		w.Hash = p.PresetHash // its sealed password is in the journal already
	case p.NeedsPassword:
		if recipient == "" {
			return w, fmt.Errorf("the batch has no key to seal passwords to")
		}
		alias, _, _ := strings.Cut(p.User.UserPrincipalName, "@")
		pw, err := validate.GeneratePasswordFor(alias)
		if err != nil {
			return w, err
		}
		if w.Hash, err = hasher.Hash(ctx, pw); err != nil {
			return w, err
		}
		if w.Sealed, err = sealer.Seal(recipient, Secret(pw)); err != nil {
			return w, fmt.Errorf("seal a password: %w", err)
		}
	}
	return w, nil
}

// ErrNotStaged is returned (wrapped) by the directory's Provision when
// some of the rows it was to write were written meanwhile by another run:
// none of them is written.
var ErrNotStaged = errors.New("rows no longer staged")
