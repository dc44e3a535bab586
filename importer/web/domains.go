package web

import (
	"net/http"

	"userimport/importer"
)

// domains is the Domains page, a Global admin's only.
func (h *Handler) domains(w http.ResponseWriter, r *http.Request, rq *request) {
	h.showDomains(w, r, rq, http.StatusOK, "", "")
}

func (h *Handler) showDomains(w http.ResponseWriter, r *http.Request, rq *request, status int, msg, notice string) {
	ds, err := importer.ListDomains(r.Context(), h.cfg.Store, rq.user)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	h.render(w, r, rq, status, "domains", page{Title: "Domains", Error: msg, Notice: notice, Data: ds})
}

// addDomain adds a domain (importer.AddDomain).
func (h *Handler) addDomain(w http.ResponseWriter, r *http.Request, rq *request) {
	name := r.PostFormValue("name")
	h.domainResult(w, r, rq, importer.AddDomain(r.Context(), h.cfg.Store, rq.user, name, r.PostFormValue("verified") != ""), name+" added")
}

// domainAction verifies or removes a domain.
func (h *Handler) domainAction(w http.ResponseWriter, r *http.Request, rq *request) {
	name := r.PathValue("name")
	switch r.PathValue("action") {
	case "verify":
		h.domainResult(w, r, rq, importer.VerifyDomain(r.Context(), h.cfg.Store, rq.user, name), name+" verified")
	case "remove":
		h.domainResult(w, r, rq, importer.RemoveDomain(r.Context(), h.cfg.Store, rq.user, name), name+" removed")
	default:
		h.errorPage(w, r, rq, http.StatusNotFound, "no such action")
	}
}

func (h *Handler) domainResult(w http.ResponseWriter, r *http.Request, rq *request, err error, notice string) {
	switch code := importer.ErrorCode(err); {
	case err == nil:
		h.showDomains(w, r, rq, http.StatusOK, "", notice)
	case code == importer.EFORBIDDEN || statusOf(err) == http.StatusInternalServerError:
		h.fail(w, r, rq, err)
	default:
		h.showDomains(w, r, rq, statusOf(err), importer.ErrorMessage(err), "")
	}
}
