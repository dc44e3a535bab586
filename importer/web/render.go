package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"

	"userimport/importer"
)

// page is what every template gets: the layout's parts and the page's own
// Data.
type page struct {
	Title   string
	Error   string // shown at the top, as an alert
	Notice  string // shown at the top, as a status
	Refresh int    // seconds: the page reloads itself when scripts are off
	Script  string // a script of /static/ the page needs
	Data    any

	// Filled in by render.
	Signed bool
	UPN    string
	CSRF   string
	Admin  bool
	Global bool
	Feeds  bool // may manage feeds: the Feeds page is in the menu
}

var funcs = template.FuncMap{
	"join": strings.Join,
	"when": func(v any) string {
		var t time.Time
		switch v := v.(type) {
		case time.Time:
			t = v
		case *time.Time:
			if v != nil {
				t = *v
			}
		}
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"add":       func(a, b int) int { return a + b },
	"hasPrefix": strings.HasPrefix,
}

// parseTemplates parses each page of templates/ with the layout.
func (h *Handler) parseTemplates() error {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return err
	}
	h.pages = map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return fmt.Errorf("web: template %s: %w", n, err)
		}
		h.pages[base] = t
	}
	return nil
}

// render writes the page name with status. It renders into a buffer
// first, so that a template error is a clean 500, not half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, rq *request, status int, name string, p page) {
	if rq != nil {
		p.Signed, p.UPN, p.CSRF = true, rq.user.UserPrincipalName, rq.sess.CSRF
		p.Admin, p.Global = rq.isAdmin() && !rq.sess.MustChange, rq.isGlobal() && !rq.sess.MustChange
		p.Feeds = p.Admin && importer.Authorize(rq.user, importer.ManageFeeds()) == nil
	}
	var buf bytes.Buffer
	t := h.pages[name]
	if t == nil {
		h.cfg.Log.Error("web: no such template", zap.String("template", name))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.cfg.Log.Error("web: render", zap.String("template", name), zap.Error(err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
