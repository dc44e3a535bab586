package web

import (
	"net/http"

	"userimport/importer"
)

type signInData struct {
	Next     string
	Username string
	CSRF     string
}

// signInForm shows the sign-in form, with a fresh CSRF token in a cookie of
// its own (there is no session yet to hold it).
func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if rq, err := h.session(r); err == nil && rq != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.showSignIn(w, r, http.StatusOK, signInData{Next: next}, "")
}

func (h *Handler) showSignIn(w http.ResponseWriter, r *http.Request, status int, d signInData, msg string) {
	token, err := importer.NewToken()
	if err != nil {
		h.fail(w, r, nil, err)
		return
	}
	h.setCookie(w, signinCookie, token, "/signin", 3600)
	d.CSRF = token
	h.render(w, r, nil, status, "signin", page{Title: "Sign in", Error: msg, Data: d})
}

// signIn checks the user name and password (importer.StartSession): a
// success sets the session cookie and answers 303, to the password page
// when the password must change; a failure shows the form again (401), and
// a locked account, known or not, 429.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c, err := r.Cookie(signinCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), c.Value) {
		h.errorPage(w, r, nil, http.StatusForbidden, "the sign-in form has expired or did not come from this site: reload it and try again")
		return
	}
	d := signInData{Next: safeNext(r.PostFormValue("next")), Username: r.PostFormValue("username")}
	res, err := importer.StartSession(r.Context(), h.cfg.Store, h.cfg.Store, h.cfg.Hasher, h.now(),
		d.Username, r.PostFormValue("password"))
	switch {
	case err != nil:
		h.fail(w, r, nil, err)
		return
	case res.Locked:
		h.signInFailed()
		h.showSignIn(w, r, http.StatusTooManyRequests, d, "too many failed sign-ins for this user name: wait a minute and try again")
		return
	case res.Result == importer.SignInFailed:
		h.signInFailed()
		h.showSignIn(w, r, http.StatusUnauthorized, d, "the user name or the password is wrong, or this account may not sign in")
		return
	}
	h.setCookie(w, signinCookie, "", "/signin", -1)
	h.setCookie(w, sessionCookie, res.Token, "/", int(importer.SessionAbsolute.Seconds()))
	if res.Session.MustChange {
		http.Redirect(w, r, "/me/password", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, d.Next, http.StatusSeeOther)
}

// signOut ends the session in the directory and forgets the cookie.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request, rq *request) {
	if err := importer.EndSession(r.Context(), h.cfg.Store, rq.token); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	h.setCookie(w, sessionCookie, "", "/", -1)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (h *Handler) signInFailed() {
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.SignInFailed()
	}
}
