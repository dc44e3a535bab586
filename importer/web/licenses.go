package web

import (
	"net/http"
	"strconv"
	"strings"

	"userimport/importer"
)

// licenses is the Licenses page: each product's seats, assigned and
// pending; a Global admin may set the seats.
func (h *Handler) licenses(w http.ResponseWriter, r *http.Request, rq *request) {
	h.showLicenses(w, r, rq, http.StatusOK, "", "")
}

func (h *Handler) showLicenses(w http.ResponseWriter, r *http.Request, rq *request, status int, msg, notice string) {
	ps, err := h.cfg.Store.Products(r.Context())
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	h.render(w, r, rq, status, "licenses", page{Title: "Licenses", Error: msg, Notice: notice, Data: ps})
}

// setSeats sets a product's seats (importer.SetSeats).
func (h *Handler) setSeats(w http.ResponseWriter, r *http.Request, rq *request) {
	sku := r.PathValue("sku")
	n, err := strconv.Atoi(strings.TrimSpace(r.PostFormValue("seats")))
	if err != nil {
		h.showLicenses(w, r, rq, http.StatusBadRequest, "seats: give a whole number, 0 or more", "")
		return
	}
	if err := importer.SetSeats(r.Context(), h.cfg.Store, rq.user, sku, n); err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			h.fail(w, r, rq, err)
			return
		}
		h.showLicenses(w, r, rq, statusOf(err), importer.ErrorMessage(err), "")
		return
	}
	h.showLicenses(w, r, rq, http.StatusOK, "", sku+": "+strconv.Itoa(n)+" seats")
}
