package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"userimport/importer"

	"github.com/google/uuid"
	"go.uber.org/zap"
)

// download serves a batch's files: dry-run.xlsx (the preview's workbook),
// results.xlsx, results.csv, and credentials.txt, which only the admin who
// started the batch gets, once: it is deleted as it is served, and asked
// again it is 410 Gone. Every download is in the audit log.
func (h *Handler) download(w http.ResponseWriter, r *http.Request, rq *request) {
	id, file := r.PathValue("id"), r.PathValue("file")
	rec, err := h.load(id)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	var name, ctype string
	switch file {
	case "dry-run.xlsx":
		name, ctype = rec.Preview.DryRun, xlsxType
	case "results.xlsx":
		name, ctype = rec.ResultsXLSX, xlsxType
	case "results.csv":
		name, ctype = rec.ResultsCSV, "text/csv; charset=utf-8"
	case "credentials.txt":
		h.notice(w, r, rq, rec)
		return
	default:
		h.errorPage(w, r, rq, http.StatusNotFound, "no such file")
		return
	}
	if name == "" || name == "." {
		h.errorPage(w, r, rq, http.StatusNotFound, "this batch has no "+file)
		return
	}
	f, err := os.Open(filepath.Join(h.batchDir(id), outDirName, name))
	if errors.Is(err, os.ErrNotExist) {
		h.errorPage(w, r, rq, http.StatusNotFound, "this batch has no "+file)
		return
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	defer f.Close()
	if err := h.cfg.Store.RecordAudit(r.Context(), rq.user.UserPrincipalName, "batch download", file, name, id); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	serveAttachment(w, r, f, ctype, name)
}

// serveAttachment serves the open file f as a download named name.
func serveAttachment(w http.ResponseWriter, r *http.Request, f *os.File, ctype, name string) {
	attachment(w, ctype, name)
	var mod time.Time
	if st, err := f.Stat(); err == nil {
		mod = st.ModTime()
	}
	http.ServeContent(w, r, "", mod, f)
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// attachment sets the headers of a download named name, quoted as RFC
// 6266 asks (non-ASCII names in filename*).
func attachment(w http.ResponseWriter, ctype, name string) {
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
}

// notice serves the credentials notice once to the admin who started the
// batch. Taking it is a rename to a name of this request's, so that of two
// requests at once (in any process sharing DataDir) only one gets it.
func (h *Handler) notice(w http.ResponseWriter, r *http.Request, rq *request, rec *record) {
	if rec.StartedBy == "" || !strings.EqualFold(rec.StartedBy, rq.user.UserPrincipalName) {
		h.errorPage(w, r, rq, http.StatusForbidden, "only the admin who started this batch may download its credentials notice")
		return
	}
	if rec.Notice == "" {
		h.errorPage(w, r, rq, http.StatusNotFound, "this batch wrote no credentials notice")
		return
	}
	path := filepath.Join(h.batchDir(rec.ID), outDirName, rec.Notice)
	if r.Method == http.MethodHead {
		// A HEAD (a link checker, curl -I) must not use up the one
		// download: it only says whether the notice is there.
		if _, err := os.Lstat(path); err != nil {
			w.WriteHeader(http.StatusGone)
			return
		}
		attachment(w, "text/plain; charset=utf-8", rec.Notice)
		return
	}
	taken := path + ".serving-" + uuid.NewString()
	if err := os.Rename(path, taken); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			why := rec.NoticeGone
			switch why {
			case "":
				why = "downloaded"
			case noticeExpired:
				h.errorPage(w, r, rq, http.StatusGone, fmt.Sprintf("the credentials notice was not downloaded within %d days, and was deleted. Give new passwords on the Users page.",
					int(importer.NoticeLifetime.Hours()/24)))
				return
			}
			h.errorPage(w, r, rq, http.StatusGone, "the credentials notice was "+why+" already; it is served once. Give new passwords on the Users page.")
			return
		}
		h.fail(w, r, rq, err)
		return
	}
	// No download without its line in the audit log: when that cannot
	// be written, the notice is put back.
	if err := h.cfg.Store.RecordAudit(r.Context(), rq.user.UserPrincipalName, "batch download", "credentials.txt",
		rec.Notice, rec.ID); err != nil {
		os.Rename(taken, path)
		h.fail(w, r, rq, err)
		return
	}
	body, err := os.ReadFile(taken)
	os.Remove(taken)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if _, err := h.update(rec.ID, func(rec *record) error { rec.NoticeGone = "downloaded"; return nil }); err != nil {
		h.cfg.Log.Error("cannot record the notice's download", zap.Error(err))
	}
	attachment(w, "text/plain; charset=utf-8", rec.Notice)
	w.Write(body)
}

// removeNotice deletes a notice that was mailed.
func (h *Handler) removeNotice(id, path string) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		h.cfg.Log.Error("cannot delete the mailed notice", zap.String("batch", id), zap.Error(err))
	}
}
