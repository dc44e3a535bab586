// Package web is the web page of SPEC §11: sign-in and sessions, /me for
// every user, and the admin pages (Import, Batches, Users, Licenses,
// Domains, Feeds, Template). Pages are rendered on the server with html/template
// from embedded templates; the only script is the progress poller, and
// every page works without it.
//
// Handlers parse the request and call the core (package importer), which
// holds every rule; one file per handler, as Miniflux's internal/ui does.
// A Handler is safe for concurrent use.
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"userimport/importer"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// MaxUpload is the largest file the Import page takes (SPEC §11): a larger
// one is answered 413.
const MaxUpload = 256 << 20

// Store is what the web page needs of the directory (sqldb.DB).
type Store interface {
	importer.Directory
	importer.SessionStore
	importer.PasswordStore
	importer.UserStore
	importer.LicenseStore
	importer.SessionEnder
	importer.ActorStore
	RecordAudit(ctx context.Context, actor, action, target, detail, batchID string) error
	importer.AdminPagesStore
	importer.BatchStore
	importer.FeedBatchStore
}

// Config is what New needs.
type Config struct {
	Store  Store
	Hasher importer.Hasher
	// Sealer, when the directory has a job queue (serve), makes a started
	// batch with passwords chunk jobs that every process on the directory
	// works (importer.Options.Sealer); nil: the run writes every row.
	Sealer  importer.Sealer
	Starter Starter
	// Feeds applies the held feed batches approved on the Feeds page;
	// nil: the page shows the feeds, and approving is the command line's.
	Feeds FeedApprover
	// DataDir holds the uploads and the outputs of the batches started
	// from the page (serve's --data), one folder per batch.
	DataDir string
	// Secure marks the cookies Secure: set it when served over TLS.
	Secure bool
	// MaxUpload is the largest upload in bytes; 0 means MaxUpload.
	MaxUpload int64
	// Mailer sends credentials notices for the notify option; nil
	// refuses notify.
	Mailer importer.Mailer
	// Metrics counts failed sign-ins (metrics.Metrics); nil counts none.
	Metrics Metrics
	Log     *zap.Logger
	Now     func() time.Time // the clock; nil means time.Now
}

// Metrics is what the page reports to the service's figures.
type Metrics interface {
	SignInFailed()
}

// Handler serves the web page.
type Handler struct {
	cfg   Config
	mux   *http.ServeMux
	pages map[string]*template.Template
	cop   *http.CrossOriginProtection
	next  http.Handler

	mu       sync.Mutex // guards the batches' record files and progress
	progress map[string]*importer.Progress

	cacheMu sync.Mutex
	cache   map[string]cachedInfo // JSON of running batches, by ID
}

// New returns the web page's handler. DataDir is created (mode 0700) at
// the first upload.
func New(cfg Config) (*Handler, error) {
	if cfg.Store == nil || cfg.Starter == nil || cfg.DataDir == "" {
		return nil, errors.New("web: New needs a Store, a Starter and a DataDir")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.MaxUpload <= 0 {
		cfg.MaxUpload = MaxUpload
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection(),
		progress: map[string]*importer.Progress{}, cache: map[string]cachedInfo{}}
	if err := h.parseTemplates(); err != nil {
		return nil, err
	}
	h.routes()
	h.next = h.cop.Handler(h.mux)
	return h, nil
}

// ServeHTTP serves r with the security headers of every page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Frame-Options", "DENY")
	h.next.ServeHTTP(w, r)
}

func (h *Handler) routes() {
	m := h.mux
	static, _ := fs.Sub(staticFS, "static")
	files := http.StripPrefix("/static/", http.FileServerFS(static))
	m.HandleFunc("GET /static/{file}", func(w http.ResponseWriter, r *http.Request) { files.ServeHTTP(w, r) })
	m.HandleFunc("GET /{$}", h.signedIn(h.home))

	m.HandleFunc("GET /signin", h.signInForm)
	m.HandleFunc("POST /signin", h.signIn)
	m.HandleFunc("POST /signout", h.signedIn(h.signOut))
	m.HandleFunc("GET /me", h.signedIn(h.me))
	m.HandleFunc("GET /me/password", h.signedIn(h.passwordForm))
	m.HandleFunc("POST /me/password", h.signedIn(h.changePassword))

	m.HandleFunc("GET /import", h.admin(h.importForm))
	m.HandleFunc("POST /batches", h.adminUpload(h.upload))
	m.HandleFunc("GET /batches", h.admin(h.batches))
	m.HandleFunc("GET /batches/{id}", h.admin(h.batch))
	m.HandleFunc("POST /batches/{id}/preview", h.admin(h.repreview))
	m.HandleFunc("POST /batches/{id}/start", h.admin(h.start))
	m.HandleFunc("POST /batches/{id}/cancel", h.admin(h.cancel))
	m.HandleFunc("POST /batches/{id}/approve", h.admin(h.approve))
	m.HandleFunc("GET /batches/{id}/{file}", h.admin(h.download))

	m.HandleFunc("GET /users", h.admin(h.users))
	m.HandleFunc("GET /users/{upn}", h.admin(h.user))
	m.HandleFunc("POST /users/{upn}/{action}", h.admin(h.userAction))
	m.HandleFunc("GET /licenses", h.admin(h.licenses))
	m.HandleFunc("POST /licenses/{sku}/seats", h.admin(h.setSeats))
	m.HandleFunc("GET /domains", h.admin(h.domains))
	m.HandleFunc("POST /domains", h.admin(h.addDomain))
	m.HandleFunc("POST /domains/{name}/{action}", h.admin(h.domainAction))
	m.HandleFunc("GET /feeds", h.admin(h.feeds))
	m.HandleFunc("GET /feeds/{name}/batches/{id}/results.xlsx", h.admin(h.feedResults))
	m.HandleFunc("GET /template", h.admin(h.templatePage))
	m.HandleFunc("GET /template/{file}", h.admin(h.template))
}

// home sends admins to the Import page and everyone else to /me.
func (h *Handler) home(w http.ResponseWriter, r *http.Request, rq *request) {
	if rq.isAdmin() {
		http.Redirect(w, r, "/import", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/me", http.StatusSeeOther)
}

func (h *Handler) now() time.Time { return h.cfg.Now() }

// fail answers err: an *importer.Error with the status its code means and
// its message, anything else 500 "internal error" (and logged).
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	status := statusOf(err)
	if status == http.StatusInternalServerError {
		h.cfg.Log.Error("web request failed", zap.String("path", r.URL.Path), zap.Error(err))
	}
	h.errorPage(w, r, rq, status, importer.ErrorMessage(err))
}

func statusOf(err error) int {
	switch importer.ErrorCode(err) {
	case importer.EINVALID:
		return http.StatusBadRequest
	case importer.ECONFLICT:
		return http.StatusConflict // the batch or feed is busy, or in another state
	case importer.ENOTFOUND:
		return http.StatusNotFound
	case importer.EFORBIDDEN:
		return http.StatusForbidden
	case importer.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// errorPage answers status with msg, as JSON for .json paths.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, rq *request, status int, msg string) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]string{"error": msg})
		return
	}
	h.render(w, r, rq, status, "error", page{Title: http.StatusText(status), Error: msg})
}

func wantsJSON(r *http.Request) bool {
	return strings.HasSuffix(r.URL.Path, ".json") || strings.Contains(r.Header.Get("Accept"), "application/json")
}
