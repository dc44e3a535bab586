package importer

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// RecentFeedBatches is how many of a feed's latest batches the Feeds page
// shows.
const RecentFeedBatches = 10

// FeedActivity is a feed as the Feeds page shows it: its listing, the
// batches it holds for approval, and its latest batches.
type FeedActivity struct {
	FeedView
	Held   []HeldBatch // newest first
	Recent []BatchInfo // the latest batches not held, newest first
}

// HeldBatch is a held feed batch with why it was held.
type HeldBatch struct {
	BatchInfo
	Hold Hold
}

// FeedBatchStore is what the Feeds page needs of the directory.
type FeedBatchStore interface {
	FeedStore
	BatchStore
	// FeedBatches returns the batches of source (a feed's Source()) that
	// are held, and its latest recent others, newest first.
	FeedBatches(ctx context.Context, source string, recent int) ([]BatchInfo, error)
	HeldBatch(ctx context.Context, batchID string) (Hold, error)
}

// FeedsActivity returns every feed with its held and latest batches, for
// those who may manage feeds.
func FeedsActivity(ctx context.Context, st FeedBatchStore, actor User, now time.Time) ([]FeedActivity, error) {
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return nil, err
	}
	views, err := ViewFeeds(ctx, st, now)
	if err != nil {
		return nil, err
	}
	out := make([]FeedActivity, 0, len(views))
	for _, v := range views {
		bs, err := st.FeedBatches(ctx, v.Feed.Source(), RecentFeedBatches)
		if err != nil {
			return nil, err
		}
		a := FeedActivity{FeedView: v}
		for _, b := range bs {
			if b.State == BatchHeld {
				h, err := st.HeldBatch(ctx, b.ID)
				if ErrorCode(err) == ECONFLICT {
					continue // approved or cancelled meanwhile
				}
				if err != nil {
					return nil, err
				}
				a.Held = append(a.Held, HeldBatch{BatchInfo: b, Hold: h})
			} else {
				a.Recent = append(a.Recent, b)
			}
		}
		out = append(out, a)
	}
	return out, nil
}

// FeedResults opens the results workbook of feed name's batch id, which
// its run wrote beside the processed file, in processed/. ENOTFOUND when the batch is not
// the feed's or has no workbook (a held or rejected file, a dry run).
func FeedResults(ctx context.Context, st FeedBatchStore, actor User, name, id string) (*os.File, BatchInfo, error) {
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return nil, BatchInfo{}, err
	}
	f, err := st.Feed(ctx, name)
	if err != nil {
		return nil, BatchInfo{}, err
	}
	b, err := st.Batch(ctx, id)
	if err != nil {
		return nil, b, err
	}
	if b.Source != f.Source() {
		return nil, b, Errorf(ENOTFOUND, "batch %s is not a batch of feed %s", id, name)
	}
	base := filepath.Base(b.ResultsName)
	if b.ResultsName == "" || base == "." || base == string(filepath.Separator) {
		return nil, b, Errorf(ENOTFOUND, "batch %s has no results workbook", id)
	}
	file, err := openRegular(filepath.Join(f.Dir, ProcessedDir, base))
	if err == nil {
		return file, b, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, b, err
	}
	return nil, b, Errorf(ENOTFOUND, "the results workbook %s of batch %s is no longer in %s", base, id, filepath.Join(f.Dir, ProcessedDir))
}

// openRegular opens path for reading if it is a regular file, never
// through a symlink.
func openRegular(path string) (*os.File, error) {
	// O_NONBLOCK: a FIFO put there must not hang the request; a regular
	// file reads as ever.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fs.ErrNotExist
	}
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fs.ErrNotExist
	}
	return f, nil
}
