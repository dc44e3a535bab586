package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"userimport/importer"
)

// Cookie names. The session cookie holds the session's token, which the
// directory knows only by its hash; the sign-in cookie holds the sign-in
// form's CSRF token, before there is a session.
const (
	sessionCookie = "userimport_session"
	signinCookie  = "userimport_signin"
)

// request is what a signed-in request carries: the session and the user
// as the directory has it now (roles included), read for every request so
// that a role taken away counts at once.
type request struct {
	sess  importer.Session
	user  importer.User
	token string
}

func (rq *request) isAdmin() bool {
	return rq != nil && importer.Authorize(rq.user, importer.AnyAdmin()) == nil
}

func (rq *request) isGlobal() bool { return rq != nil && rq.user.HasRole(importer.GlobalAdmin) }

type handlerFunc func(w http.ResponseWriter, r *http.Request, rq *request)

// session returns the request's live session and user, or nil when there
// is none: no cookie, an ended session, or a user who is now blocked or
// deleted (whose session is then ended).
func (h *Handler) session(r *http.Request) (*request, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	ctx := r.Context()
	sess, err := importer.LookupSession(ctx, h.cfg.Store, h.now(), c.Value)
	if importer.ErrorCode(err) == importer.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	u, err := h.cfg.Store.User(ctx, sess.UPN)
	if importer.ErrorCode(err) == importer.ENOTFOUND || (err == nil && (u.Deleted || !u.AccountEnabled)) {
		return nil, importer.EndSession(ctx, h.cfg.Store, c.Value)
	}
	if err != nil {
		return nil, err
	}
	return &request{sess: sess, user: u, token: c.Value}, nil
}

// signedIn serves fn to signed-in users. Without a session, a page is
// answered 303 to /signin (coming back here after) and JSON 401. A user
// who must change the password gets only the password page and sign-out.
// Unsafe requests must carry the session's CSRF token in the field csrf.
func (h *Handler) signedIn(fn handlerFunc) http.HandlerFunc {
	return h.withSession(fn, false)
}

func (h *Handler) withSession(fn handlerFunc, multipart bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rq, err := h.session(r)
		if err != nil {
			h.fail(w, r, nil, err)
			return
		}
		if rq == nil {
			if wantsJSON(r) || r.Method != http.MethodGet {
				h.errorPage(w, r, nil, http.StatusUnauthorized, "not signed in: sign in at /signin")
				return
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if rq.sess.MustChange && r.URL.Path != "/me/password" && r.URL.Path != "/signout" {
			if wantsJSON(r) || r.Method != http.MethodGet {
				h.errorPage(w, r, rq, http.StatusForbidden, "change your password first, at /me/password")
				return
			}
			http.Redirect(w, r, "/me/password", http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead && !multipart {
			r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
			if !sameToken(r.PostFormValue("csrf"), rq.sess.CSRF) {
				h.errorPage(w, r, rq, http.StatusForbidden, "the form has expired or did not come from this site: reload the page and try again")
				return
			}
		}
		fn(w, r, rq)
	}
}

// admin is signedIn for admins only: anyone else gets 403.
func (h *Handler) admin(fn handlerFunc) http.HandlerFunc {
	return h.signedIn(adminOnly(h, fn))
}

// adminUpload is admin for a multipart upload, whose handler checks the
// CSRF token itself (it comes in the body, read as a stream).
func (h *Handler) adminUpload(fn handlerFunc) http.HandlerFunc {
	return h.withSession(adminOnly(h, fn), true)
}

func adminOnly(h *Handler, fn handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, rq *request) {
		if err := importer.Authorize(rq.user, importer.AnyAdmin()); err != nil {
			h.fail(w, r, rq, err)
			return
		}
		fn(w, r, rq)
	}
}

func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// safeNext returns where to go after sign-in: next when it is a path of
// this site, else "/" (no open redirect to another site).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return next
}

func (h *Handler) setCookie(w http.ResponseWriter, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: h.cfg.Secure, SameSite: http.SameSiteLaxMode})
}
