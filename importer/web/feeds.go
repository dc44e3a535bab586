package web

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"

	"userimport/importer"
)

// FeedApprover applies held feed batches (importer.FeedService).
type FeedApprover interface {
	StartApprove(ctx context.Context, actor importer.User, id string) error
	// ApprovalFailed says why the last approval of held batch id failed
	// ("" when none did).
	ApprovalFailed(id string) string
}

type feedsData struct {
	Feeds      []importer.FeedActivity
	CanApprove bool
	Failures   map[string]string // held batch → why its last approval failed
}

// feeds is the Feeds page (SPEC §12): each feed with its last and next
// run and its users, the batches it holds with Approve and Cancel, and
// its latest results.
func (h *Handler) feeds(w http.ResponseWriter, r *http.Request, rq *request) {
	fs, err := importer.FeedsActivity(r.Context(), h.cfg.Store, rq.user, h.now())
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d := feedsData{Feeds: fs, CanApprove: h.cfg.Feeds != nil, Failures: map[string]string{}}
	if h.cfg.Feeds != nil {
		for _, f := range fs {
			for _, b := range f.Held {
				if msg := h.cfg.Feeds.ApprovalFailed(b.ID); msg != "" {
					d.Failures[b.ID] = msg
				}
			}
		}
	}
	p := page{Title: "Feeds", Data: d}
	// The notices of the redirects after Approve and Cancel, said only
	// of a feed batch in that state: a link cannot make the page claim
	// what did not happen.
	if id := r.URL.Query().Get("approved"); h.feedBatchIs(r.Context(), id, importer.BatchHeld, importer.BatchDone) {
		p.Notice = "batch " + id + " approved: its file is being applied; its results appear below when it is done"
	}
	if id := r.URL.Query().Get("cancelled"); h.feedBatchIs(r.Context(), id, importer.BatchCancelled) {
		p.Notice = "batch " + id + " cancelled: nothing was changed"
	}
	h.render(w, r, rq, http.StatusOK, "feeds", p)
}

// feedBatchIs says whether id is a feed's batch in one of states.
func (h *Handler) feedBatchIs(ctx context.Context, id string, states ...string) bool {
	if !idPattern.MatchString(id) {
		return false
	}
	b, err := h.cfg.Store.Batch(ctx, id)
	return err == nil && importer.IsFeedSource(b.Source) && slices.Contains(states, b.State)
}

// approve applies a held feed batch (POST /batches/{id}/approve): planned
// again against the directory as it is now, in the background.
func (h *Handler) approve(w http.ResponseWriter, r *http.Request, rq *request) {
	id := r.PathValue("id")
	if h.cfg.Feeds == nil {
		h.errorPage(w, r, rq, http.StatusServiceUnavailable, "feeds are not run here: approve with `userimport batch approve "+id+"`")
		return
	}
	if err := h.cfg.Feeds.StartApprove(r.Context(), rq.user, id); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/feeds?approved="+id, http.StatusSeeOther)
}

// feedResults serves the results workbook of a feed's batch
// (GET /feeds/{name}/batches/{id}/results.xlsx), in the audit log.
func (h *Handler) feedResults(w http.ResponseWriter, r *http.Request, rq *request) {
	name, id := r.PathValue("name"), r.PathValue("id")
	f, b, err := importer.FeedResults(r.Context(), h.cfg.Store, rq.user, name, id)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	defer f.Close()
	if err := h.cfg.Store.RecordAudit(r.Context(), rq.user.UserPrincipalName, "batch download", "results.xlsx", b.ResultsName, id); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	serveAttachment(w, r, f, xlsxType, filepath.Base(b.ResultsName))
}
