package web

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"

	"userimport/importer"
)

// noticeExpired is the record's NoticeGone once the housekeeping deleted
// a notice nobody downloaded.
const noticeExpired = "expired"

// Expire is the page's daily chore (importer.FeedService.Daily): in every
// batch folder of DataDir, a credentials notice not downloaded within
// importer.NoticeLifetime of the batch's end is deleted (in the audit
// log), and so is the upload of a batch that ended, or of a preview not
// started, that long ago: a file's Password column must not wait on disk
// for ever. The results stay.
func (h *Handler) Expire(ctx context.Context, now time.Time) error {
	ents, err := os.ReadDir(filepath.Join(h.cfg.DataDir, "batches"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	cut := now.Add(-importer.NoticeLifetime)
	var errs []error
	for _, e := range ents {
		if !e.IsDir() || h.batchDir(e.Name()) == "" {
			continue
		}
		errs = append(errs, h.expire(ctx, e.Name(), cut))
	}
	return errors.Join(errs...)
}

func (h *Handler) expire(ctx context.Context, id string, cut time.Time) error {
	rec, err := h.load(id)
	if err != nil {
		return err
	}
	ended := !rec.FinishedAt.IsZero() && rec.FinishedAt.Before(cut) && rec.State != stateRunning && rec.State != stateInterrupted
	stale := rec.State == statePreview && rec.UploadedAt.Before(cut)
	if !ended && !stale {
		return nil
	}
	dir := h.batchDir(id)
	if rec.Notice != "" && rec.NoticeGone == "" {
		if err := os.Remove(filepath.Join(dir, outDirName, rec.Notice)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if err := h.cfg.Store.RecordAudit(ctx, "system", "notice expire", "credentials.txt", rec.Notice, id); err != nil {
			return err
		}
		if _, err := h.update(id, func(rec *record) error { rec.NoticeGone = noticeExpired; return nil }); err != nil {
			return err
		}
		h.cfg.Log.Info("credentials notice expired unread", zap.String("batch", id))
	}
	for _, name := range []string{uploadName, rowsName} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	if stale {
		_, err := h.update(id, func(rec *record) error { // its upload is gone: it cannot be started
			rec.State, rec.FinishedAt = stateCancelled, h.now()
			return nil
		})
		return err
	}
	return nil
}
