// Package httpapi is the service's HTTP front end: the listener rules
// (loopback, TLS), the security headers every response carries, and the
// endpoints GET /healthz and GET /metrics. The web page (SPEC §11) and the
// feeds' endpoints will be mounted here too; none of them holds a rule of
// the directory's.
package httpapi

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"
)

// Pinger is a part of the service that says whether it can reach the
// directory: the directory itself, the job engine's pool.
type Pinger interface {
	Ping(ctx context.Context) error
}

// healthTimeout bounds /healthz: a database that does not answer in time is
// as good as down to a load balancer.
const healthTimeout = 5 * time.Second

// Config is what the handler serves.
type Config struct {
	// Health are pinged by /healthz, in order; all must answer.
	Health []Pinger
	// Metrics serves /metrics; nil means 404.
	Metrics http.Handler
	// Log receives why /healthz said 503; nil discards it.
	Log *zap.Logger
	// Web serves every other path: the web page (package web), which
	// sets its own, less strict, Content-Security-Policy. Nil means 404.
	Web http.Handler
	// Feeds takes the files HR systems push (SPEC §12); nil: no such
	// endpoint. FeedMaxBytes refuses a larger body up front (413).
	Feeds        FeedFiles
	FeedMaxBytes int64
}

// New returns the service's handler.
func New(cfg Config) http.Handler {
	log := cfg.Log
	if log == nil {
		log = zap.NewNop()
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
		defer cancel()
		for _, p := range cfg.Health {
			if err := p.Ping(ctx); err != nil {
				// The reason goes to the log, not to whoever asks.
				log.Warn("healthz: the directory does not answer", zap.Error(err))
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
				w.WriteHeader(http.StatusServiceUnavailable)
				w.Write([]byte("unavailable\n"))
				return
			}
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	})
	if cfg.Metrics != nil {
		mux.Handle("GET /metrics", cfg.Metrics)
	}
	if cfg.Feeds != nil {
		feedHandlers(mux, cfg.Feeds, cfg.FeedMaxBytes)
	}
	if cfg.Web != nil {
		mux.Handle("/", cfg.Web)
	}
	return securityHeaders(mux)
}

// securityHeaders sets on every response, errors included, the headers that
// keep a browser from sniffing types, leaking the URL to other sites, or
// framing or running anything of ours it was not meant to. The web page
// will relax the CSP for its own paths only.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}
