package web

import (
	"net/http"
	"strings"
	"time"

	"userimport/importer"
)

type batchData struct {
	B        *record
	Rows     rowsPage
	Live     liveProgress
	Mine     bool // the viewer started the batch: the notice is theirs to download
	Running  bool
	Finished bool
	Options  formOptions
}

// liveProgress is the progress of a running batch as the page shows it.
type liveProgress struct {
	Done, Total int64
	Percent     int
	RowsPerSec  int
	Left        string
}

// batch is the page of one batch: the preview, the progress, or the
// results, as its state is; GET /batches/{id}.json is its JSON.
func (h *Handler) batch(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	if jid, ok := strings.CutSuffix(id, ".json"); ok {
		h.batchJSON(w, r, rq, jid)
		return
	}
	rec, err := h.load(id)
	if importer.ErrorCode(err) == importer.ENOTFOUND && h.batchDir(id) != "" {
		// A batch of the command line or a feed: what the directory says.
		info, ierr := h.cfg.Store.Batch(r.Context(), id)
		if ierr != nil {
			h.fail(w, r, rq, ierr)
			return
		}
		h.render(w, r, rq, http.StatusOK, "batchinfo", page{Title: "Batch " + info.File, Data: info})
		return
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	h.showBatch(w, r, rq, rec, http.StatusOK, "")
}

func (h *Handler) showBatch(w http.ResponseWriter, r *http.Request, rq *request, rec *record, status int, msg string) {
	q := r.URL.Query()
	show := q.Get("show")
	if show != "all" {
		show = "problems"
	}
	d := batchData{B: rec, Options: rec.Options, Mine: strings.EqualFold(rec.StartedBy, rq.user.UserPrincipalName),
		Running: rec.State == stateRunning, Finished: rec.State == stateDone || rec.State == stateCancelled || rec.State == stateFailed}
	if rec.State == statePreview {
		rows, err := readRows(h.batchDir(rec.ID), show, strings.TrimSpace(q.Get("q")), pageNumber(q.Get("page")))
		if err != nil {
			h.fail(w, r, rq, err)
			return
		}
		d.Rows = rows
	}
	p := page{Title: "Batch " + rec.File, Error: msg, Data: &d}
	if d.Running {
		d.Live = h.live(rec)
		p.Refresh, p.Script = 3, "progress.js"
	}
	h.render(w, r, rq, status, "batch", p)
}

// live returns the progress of rec's run in this process.
func (h *Handler) live(rec *record) liveProgress {
	h.mu.Lock()
	pr := h.progress[rec.ID]
	h.mu.Unlock()
	var l liveProgress
	if pr == nil {
		return l
	}
	l.Done, l.Total = pr.Done(), pr.Total()
	if l.Total > 0 {
		l.Percent = int(l.Done * 100 / l.Total)
	}
	if el := h.now().Sub(rec.StartedAt).Seconds(); el > 0 && l.Done > pr.Resumed() {
		rate := float64(l.Done-pr.Resumed()) / el
		l.RowsPerSec = int(rate)
		if l.Total > 0 && rate > 0 {
			l.Left = (time.Duration(float64(l.Total-l.Done)/rate) * time.Second).Round(time.Second).String()
		}
	}
	return l
}

// batchJSON answers the directory's batch JSON (importer.BatchInfo), of
// any batch: the command line's and the feeds' too. A preview discarded on
// the page says cancelled.
func (h *Handler) batchJSON(w http.ResponseWriter, r *http.Request, rq *request, id string) {
	if h.batchDir(id) == "" {
		h.errorPage(w, r, rq, http.StatusNotFound, "no such batch")
		return
	}
	if info, ok := h.cachedRunning(id); ok {
		writeJSON(w, http.StatusOK, info)
		return
	}
	rec, rerr := h.load(id)
	info, err := h.cfg.Store.Batch(r.Context(), id)
	if importer.ErrorCode(err) == importer.ENOTFOUND && rerr == nil {
		writeJSON(w, http.StatusOK, h.jsonOf(rec)) // a preview the directory never recorded
		return
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if rerr == nil && rec.State == stateCancelled && info.State == importer.BatchPreview {
		info.State = stateCancelled
	}
	if info.State == importer.BatchRunning {
		h.cacheRunning(id, info)
	}
	writeJSON(w, http.StatusOK, info)
}

// jsonEvery is how long the JSON of a running batch is served from memory:
// its followers (the page polls every second) then cost the directory one
// read a second however many they are, and the batch keeps its speed.
const jsonEvery = time.Second

type cachedInfo struct {
	at   time.Time
	info importer.BatchInfo
}

// cachedRunning returns the JSON of running batch id read less than
// jsonEvery ago.
func (h *Handler) cachedRunning(id string) (importer.BatchInfo, bool) {
	h.cacheMu.Lock()
	defer h.cacheMu.Unlock()
	c, ok := h.cache[id]
	if !ok || h.now().Sub(c.at) >= jsonEvery || h.now().Before(c.at) {
		return importer.BatchInfo{}, false
	}
	return c.info, true
}

func (h *Handler) cacheRunning(id string, info importer.BatchInfo) {
	h.cacheMu.Lock()
	defer h.cacheMu.Unlock()
	h.cache[id] = cachedInfo{at: h.now(), info: info}
}

// forget drops batch id's cached JSON: its state changed here.
func (h *Handler) forget(id string) {
	h.cacheMu.Lock()
	defer h.cacheMu.Unlock()
	delete(h.cache, id)
}

// jsonOf is the batch JSON of a batch the directory has no record of (a
// preview that was never recorded), from the page's own record.
func (h *Handler) jsonOf(rec *record) importer.BatchInfo {
	j := importer.BatchInfo{ID: rec.ID, File: rec.File, SHA256: rec.SHA256, Mode: rec.Options.Mode, Source: importer.SourceWeb,
		ActingAdmin: rec.UploadedBy, State: rec.State, StartedAt: rec.StartedAt.UTC()}
	s := rec.Preview.Summary
	j.DryRun = rec.State == statePreview
	j.Rows, j.Done = rec.Preview.Total, 0
	if rec.Result != nil {
		s = *rec.Result
		j.Rows, j.Done = rec.Total, s.Rows
	}
	if rec.StartedBy != "" {
		j.ActingAdmin = rec.StartedBy
	}
	if rec.State == stateRunning {
		l := h.live(rec)
		j.Done = int(l.Done)
		if l.Total >= 0 {
			j.Rows = int(l.Total)
		}
	}
	j.Created, j.Updated, j.Unchanged, j.Failed = s.Created, s.Updated, s.Unchanged, s.Failed
	j.LicensesAssigned, j.LicensesPending = s.LicensesAssigned, s.LicensesPending
	if !rec.FinishedAt.IsZero() {
		t := rec.FinishedAt.UTC()
		j.FinishedAt = &t
	}
	return j
}
