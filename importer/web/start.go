package web

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"

	"go.uber.org/zap"

	"userimport/importer"
	"userimport/report"
	"userimport/validate"
)

// start starts a previewed (or interrupted) batch with the signed-in admin
// as its acting admin: the core checks that admin's rights for every row
// as it is written. Starting an interrupted batch resumes it.
func (h *Handler) start(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	var opts formOptions
	rec, err := h.update(id, func(rec *record) error {
		if rec.State != statePreview && rec.State != stateInterrupted {
			return importer.Errorf(importer.ECONFLICT, "this batch is %s: only a previewed or interrupted batch can start", rec.State)
		}
		if len(validate.List(rec.Options.Notify)) > 0 && h.cfg.Mailer == nil {
			return importer.Errorf(importer.EINVALID, "notify needs a mail server: start serve with USERIMPORT_SMTP_URL set, or leave notify empty and download the notice")
		}
		rec.State, rec.StartedBy, rec.StartedAt, rec.Error = stateRunning, rq.user.UserPrincipalName, h.now(), ""
		opts = rec.Options
		h.progress[rec.ID] = importer.NewProgress()
		return nil
	})
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	dir := h.batchDir(id)
	o := opts.importOptions(filepath.Join(dir, uploadName))
	o.FileName, o.OutDir, o.Actor, o.BatchID = rec.File, filepath.Join(dir, outDirName), rq.user, id
	o.Hasher, o.Outputs, o.Log, o.Now = h.cfg.Hasher, report.Outputs(), h.cfg.Log.With(zap.String("batch", id)), h.cfg.Now
	o.ResultsCSV = true // GET /batches/{id}/results.csv
	o.Sealer = h.cfg.Sealer
	h.mu.Lock()
	o.Progress = h.progress[id]
	h.mu.Unlock()
	h.forget(id)
	if err := h.cfg.Starter.Start(id, o, func(rep importer.Report, err error) { h.finished(id, opts, rep, err) }); err != nil {
		h.finished(id, opts, importer.Report{}, err)
		h.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/batches/"+id, http.StatusSeeOther)
}

// finished records how a batch's run ended, and mails its notice when
// notify asks (a notice that was mailed is not kept for download).
func (h *Handler) finished(id string, opts formOptions, rep importer.Report, runErr error) {
	log := h.cfg.Log.With(zap.String("batch", id))
	emailed := false
	if to := validate.List(opts.Notify); len(to) > 0 && h.cfg.Mailer != nil && rep.NoticePath != "" {
		emailed = importer.MailNotice(context.Background(), h.cfg.Mailer, log, to, rep)
	}
	defer h.forget(id)
	_, err := h.update(id, func(rec *record) error {
		delete(h.progress, id)
		var failed *importer.RowsFailedError
		switch {
		case runErr == nil || errors.As(runErr, &failed):
			rec.State = stateDone
		case errors.Is(runErr, context.Canceled):
			rec.State = stateInterrupted // Cancel pressed, or serve stopped: Start resumes it
		default:
			rec.State, rec.Error = stateFailed, importer.ErrorMessage(runErr)
			if rep.Summary.Finished.IsZero() {
				log.Error("batch failed", zap.Error(runErr))
			}
		}
		if !rep.Summary.Finished.IsZero() {
			s := rep.Summary
			rec.Result, rec.Total, rec.FinishedAt = &s, rep.Total, s.Finished
		} else {
			rec.FinishedAt = h.now()
		}
		rec.ResultsXLSX, rec.ResultsCSV, rec.Notice = base(rep.ResultsPath), base(rep.CSVPath), base(rep.NoticePath)
		if emailed {
			rec.NoticeGone = "emailed"
		}
		return nil
	})
	if err != nil {
		log.Error("cannot record the end of the batch", zap.Error(err))
	}
	if emailed {
		h.removeNotice(id, rep.NoticePath)
	}
}

func base(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Base(path)
}

// cancel stops a running batch as Ctrl-C stops `userimport import`: rows
// in flight finish or roll back, the outputs are written for what was
// done, and the batch is interrupted: Start resumes it. An interrupted
// batch is cancelled for good (importer.CancelBatch: the rows not written
// fail "cancelled" and their seats are freed at once). A preview is
// dropped.
func (h *Handler) cancel(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	rec, err := h.load(id)
	if importer.ErrorCode(err) == importer.ENOTFOUND && h.batchDir(id) != "" {
		h.cancelOther(w, r, rq, id)
		return
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	switch rec.State {
	case stateRunning:
		if _, err := h.update(id, func(rec *record) error { rec.StoppedBy = rq.user.UserPrincipalName; return nil }); err != nil {
			h.fail(w, r, rq, err)
			return
		}
		h.cfg.Starter.Cancel(id)
	case stateInterrupted:
		if _, err := importer.CancelBatch(r.Context(), h.cfg.Store, rq.user, id, h.now()); err != nil {
			h.fail(w, r, rq, err)
			return
		}
		if _, err := h.update(id, func(rec *record) error {
			rec.State, rec.FinishedAt = stateCancelled, h.now()
			return nil
		}); err != nil {
			h.fail(w, r, rq, err)
			return
		}
	case statePreview:
		if _, err := h.update(id, func(rec *record) error {
			rec.State, rec.FinishedAt = stateCancelled, h.now()
			return nil
		}); err != nil {
			h.fail(w, r, rq, err)
			return
		}
	default:
		h.errorPage(w, r, rq, http.StatusConflict, "this batch is "+rec.State+": there is nothing to cancel")
		return
	}
	http.Redirect(w, r, "/batches/"+id, http.StatusSeeOther)
}

// cancelOther cancels a batch that did not start on the page: a held feed
// batch, or a batch of the command line that was interrupted
// (importer.CancelBatch, as `batch cancel` does).
func (h *Handler) cancelOther(w http.ResponseWriter, r *http.Request, rq *request, id string) {
	if _, err := importer.CancelBatch(r.Context(), h.cfg.Store, rq.user, id, h.now()); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if r.PostFormValue("from") == "feeds" {
		http.Redirect(w, r, "/feeds?cancelled="+id, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/batches/"+id, http.StatusSeeOther)
}
