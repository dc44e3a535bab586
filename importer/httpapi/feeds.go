package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	"userimport/importer"
)

// FeedFiles is what the feeds' push endpoint needs (importer.FeedService).
type FeedFiles interface {
	Push(ctx context.Context, name, token string, body io.Reader) (importer.FeedFile, error)
	Status(ctx context.Context, name, token, sha string) (importer.FeedFile, error)
}

// feedFile is the JSON of a pushed file: where it stands, and its batch's
// URL once it has one.
type feedFile struct {
	importer.FeedFile
	Status   string `json:"statusUrl"`
	BatchURL string `json:"batchUrl,omitempty"`
}

// feedHandlers mounts POST /api/v1/feeds/{name}/files (the body is the
// file; Authorization: Bearer <the feed's token>; 202 with where to follow
// it) and GET /api/v1/feeds/{name}/files/{sha256} (what became of it).
func feedHandlers(mux *http.ServeMux, ff FeedFiles, maxBytes int64) {
	mux.HandleFunc("POST /api/v1/feeds/{name}/files", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		if maxBytes > 0 && r.ContentLength > maxBytes {
			feedError(w, importer.ErrTooLarge)
			return
		}
		f, err := ff.Push(r.Context(), name, bearer(r), r.Body)
		if err != nil {
			feedError(w, err)
			return
		}
		out := feedJSON(name, f)
		w.Header().Set("Location", out.Status)
		writeJSON(w, http.StatusAccepted, out)
	})
	mux.HandleFunc("GET /api/v1/feeds/{name}/files/{sha}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("name")
		f, err := ff.Status(r.Context(), name, bearer(r), r.PathValue("sha"))
		if err != nil {
			feedError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, feedJSON(name, f))
	})
}

func feedJSON(name string, f importer.FeedFile) feedFile {
	out := feedFile{FeedFile: f, Status: "/api/v1/feeds/" + name + "/files/" + f.SHA256}
	if f.BatchID != "" {
		out.BatchURL = "/batches/" + f.BatchID
	}
	return out
}

func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// feedError answers with the status an HR system acts on: 401 for a wrong
// or revoked token (whether or not the feed exists), 413 for a file over
// the limit, 404 for an unknown file, 400 for other bad input, 500
// otherwise (the reason logged, not told).
func feedError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	msg := "internal error"
	switch {
	case errors.Is(err, importer.ErrTooLarge):
		status, msg = http.StatusRequestEntityTooLarge, importer.ErrorMessage(err)
	case importer.ErrorCode(err) == importer.EFORBIDDEN:
		w.Header().Set("WWW-Authenticate", `Bearer realm="userimport feeds"`)
		status, msg = http.StatusUnauthorized, importer.ErrorMessage(err)
	case importer.ErrorCode(err) == importer.ENOTFOUND:
		status, msg = http.StatusNotFound, importer.ErrorMessage(err)
	case importer.ErrorCode(err) == importer.EINVALID:
		status, msg = http.StatusBadRequest, importer.ErrorMessage(err)
	}
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
