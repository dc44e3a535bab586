package web

import (
	"bytes"
	"net/http"

	"userimport/importer/sheet"
	"userimport/validate"
)

// templatePage offers the blank templates.
func (h *Handler) templatePage(w http.ResponseWriter, r *http.Request, rq *request) {
	h.render(w, r, rq, http.StatusOK, "template", page{Title: "Template"})
}

// template serves template.xlsx (drop-down lists from the directory) or
// template.csv, as `userimport template` writes them.
func (h *Handler) template(w http.ResponseWriter, r *http.Request, rq *request) {
	var format, ctype string
	switch r.PathValue("file") {
	case "template.xlsx":
		format, ctype = "xlsx", xlsxType
	case "template.csv":
		format, ctype = "csv", "text/csv; charset=utf-8"
	default:
		h.errorPage(w, r, rq, http.StatusNotFound, "no such template")
		return
	}
	ps, err := h.cfg.Store.Products(r.Context())
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	var buf bytes.Buffer
	if err := sheet.WriteTemplate(&buf, format, ps, validate.CountryCodes()); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	attachment(w, ctype, r.PathValue("file"))
	w.Write(buf.Bytes())
}
