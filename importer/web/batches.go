package web

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"

	"userimport/importer"
)

type batchesData struct {
	Previews []*record            // uploads of the page not started yet
	Batches  []importer.BatchInfo // every other batch the directory lists
}

// batches lists the batches of every front end (the command line, the
// page, the feeds), newest first, with the page's previews above them.
func (h *Handler) batches(w http.ResponseWriter, r *http.Request, rq *request) {
	bs, err := h.cfg.Store.Batches(r.Context(), false)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	ents, err := os.ReadDir(filepath.Join(h.cfg.DataDir, "batches"))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		h.fail(w, r, rq, err)
		return
	}
	d := batchesData{Batches: bs}
	for _, e := range ents {
		if !e.IsDir() || h.batchDir(e.Name()) == "" {
			continue
		}
		if rec, err := h.load(e.Name()); err == nil && rec.State == statePreview {
			d.Previews = append(d.Previews, rec)
		}
	}
	sort.Slice(d.Previews, func(i, j int) bool { return d.Previews[i].UploadedAt.After(d.Previews[j].UploadedAt) })
	h.render(w, r, rq, http.StatusOK, "batches", page{Title: "Batches", Data: d})
}
