package web

import (
	"net/http"

	"userimport/importer"
)

// me shows the signed-in user's own profile and licenses.
func (h *Handler) me(w http.ResponseWriter, r *http.Request, rq *request) {
	notice := ""
	if r.URL.Query().Get("changed") == "1" {
		notice = "your password is changed"
	}
	h.render(w, r, rq, http.StatusOK, "me", page{Title: "Me", Notice: notice, Data: rq.user})
}

type passwordData struct {
	MustChange bool
}

// passwordForm shows the form to change one's own password.
func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request, rq *request) {
	h.render(w, r, rq, http.StatusOK, "password", page{Title: "Change your password",
		Data: passwordData{MustChange: rq.sess.MustChange}})
}

// changePassword changes the user's own password (importer.ChangeOwnPassword):
// the user's other sessions end; this one may go on.
func (h *Handler) changePassword(w http.ResponseWriter, r *http.Request, rq *request) {
	err := importer.ChangeOwnPassword(r.Context(), h.cfg.Store, h.cfg.Store, h.cfg.Hasher, rq.sess,
		r.PostFormValue("current"), r.PostFormValue("new"))
	if code := importer.ErrorCode(err); code == importer.EINVALID {
		h.render(w, r, rq, http.StatusBadRequest, "password", page{Title: "Change your password",
			Error: importer.ErrorMessage(err), Data: passwordData{MustChange: rq.sess.MustChange}})
		return
	}
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	http.Redirect(w, r, "/me?changed=1", http.StatusSeeOther)
}
