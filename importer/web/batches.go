package web

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
)

// batches lists the batches started from the web page, newest first.
func (h *Handler) batches(w http.ResponseWriter, r *http.Request, rq *request) {
	ents, err := os.ReadDir(filepath.Join(h.cfg.DataDir, "batches"))
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	var list []batchJSON
	for _, e := range ents {
		if !e.IsDir() || h.batchDir(e.Name()) == "" {
			continue
		}
		rec, err := h.load(e.Name())
		if err != nil {
			continue // a folder whose upload broke off has no record
		}
		j := h.jsonOf(rec)
		if j.StartedAt == nil {
			t := rec.UploadedAt
			j.StartedAt = &t
		}
		list = append(list, j)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].StartedAt.After(*list[j].StartedAt) })
	h.render(w, r, rq, http.StatusOK, "batches", page{Title: "Batches", Data: list})
}
