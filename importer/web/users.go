package web

import (
	"net/http"
	"net/url"
	"strings"

	"userimport/importer"
	"userimport/validate"
)

type usersData struct {
	Q     string
	Users []importer.User
	Next  string // the query string of the next page, "" on the last
	First bool
}

// users is the Users page: a search by name, user name or employee ID, a
// page at a time after the last user name shown (keyset paging).
func (h *Handler) users(w http.ResponseWriter, r *http.Request, rq *request) {
	q, after := r.URL.Query().Get("q"), r.URL.Query().Get("after")
	us, more, err := importer.FindUsers(r.Context(), h.cfg.Store, rq.user, q, after)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	d := usersData{Q: q, Users: us, First: after == ""}
	if more {
		d.Next = "?" + url.Values{"q": {q}, "after": {us[len(us)-1].UserPrincipalName}}.Encode()
	}
	h.render(w, r, rq, http.StatusOK, "users", page{Title: "Users", Data: d})
}

type userData struct {
	U        importer.User
	Products []importer.Product
	Password string // a password just reset, shown once
}

// user is one user's page: details, licenses, roles and what an admin may
// do to them.
func (h *Handler) user(w http.ResponseWriter, r *http.Request, rq *request) {
	h.showUser(w, r, rq, http.StatusOK, r.PathValue("upn"), "", "", "")
}

func (h *Handler) showUser(w http.ResponseWriter, r *http.Request, rq *request, status int, upn, msg, notice, password string) {
	u, err := h.cfg.Store.User(r.Context(), upn)
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	ps, err := h.cfg.Store.Products(r.Context())
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	h.render(w, r, rq, status, "user", page{Title: u.UserPrincipalName, Error: msg, Notice: notice,
		Data: userData{U: u, Products: ps, Password: password}})
}

// userAction does one admin action to a user, through the core function
// that holds its rules: block, unblock, reset-password, delete, restore,
// assign-license, remove-license.
func (h *Handler) userAction(w http.ResponseWriter, r *http.Request, rq *request) {
	ctx, s, upn := r.Context(), h.cfg.Store, r.PathValue("upn")
	var (
		err              error
		notice, password string
	)
	switch r.PathValue("action") {
	case "block":
		err, notice = importer.BlockSignIn(ctx, s, s, rq.user, upn, true), "sign-in blocked; the user's sessions have ended"
	case "unblock":
		err, notice = importer.BlockSignIn(ctx, s, s, rq.user, upn, false), "sign-in allowed"
	case "reset-password":
		password, err = importer.ResetPassword(ctx, s, s, h.cfg.Hasher, rq.user, upn)
		notice = "new temporary password set; it is shown once, below, and must be changed at next sign-in"
	case "delete":
		err, notice = importer.DeleteUser(ctx, s, rq.user, upn), "user deleted; it can be restored for 30 days"
	case "restore":
		err, notice = importer.RestoreUser(ctx, s, rq.user, upn), "user restored"
	case "assign-license":
		var sku, status string
		sku, status, err = importer.AssignLicense(ctx, s, rq.user, upn, strings.TrimSpace(r.PostFormValue("sku")),
			validate.List(r.PostFormValue("disabled-apps")))
		notice = sku + " " + status
	case "remove-license":
		var sku string
		sku, err = importer.RemoveLicense(ctx, s, rq.user, upn, r.PostFormValue("sku"))
		notice = sku + " removed"
	default:
		h.errorPage(w, r, rq, http.StatusNotFound, "no such action")
		return
	}
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			h.fail(w, r, rq, err)
			return
		}
		// The user's page with the core's answer (a user that does not
		// exist is the page's own 404).
		h.showUser(w, r, rq, statusOf(err), upn, importer.ErrorMessage(err), "", "")
		return
	}
	// The answer is the user's page itself: a reset password is shown in
	// it once, never in a URL or a log.
	h.showUser(w, r, rq, http.StatusOK, upn, "", notice, password)
}
