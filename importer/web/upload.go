package web

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/uuid"

	"userimport/importer"
)

type importData struct {
	Options formOptions
	Max     string
}

// importForm is the Import page: the upload form.
func (h *Handler) importForm(w http.ResponseWriter, r *http.Request, rq *request) {
	h.render(w, r, rq, http.StatusOK, "import", page{Title: "Import users", Data: importData{Options: defaultOptions(), Max: sizeText(h.cfg.MaxUpload)}})
}

// upload takes the file of POST /batches (multipart field file, the
// option fields beside it), spools it under DataDir (mode 0600, hashed as
// it is written), previews it (a dry run), and answers 303 to the batch's
// page. An upload over MaxUpload is 413; a file the reader rejects is shown
// with the reader's message, and nothing is kept.
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, rq *request) {
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxUpload+1<<20)
	mr, err := r.MultipartReader()
	if err != nil {
		h.errorPage(w, r, rq, http.StatusBadRequest, "send the file as multipart/form-data, in the field file")
		return
	}
	id := uuid.NewString()
	dir := h.batchDir(id)
	if err := os.MkdirAll(filepath.Join(dir, outDirName), 0o700); err != nil {
		h.fail(w, r, rq, err)
		return
	}
	kept := false
	defer func() {
		if !kept {
			os.RemoveAll(dir)
		}
	}()
	fields := url.Values{}
	var name, sum string
	var size int64
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			h.uploadError(w, r, rq, err)
			return
		}
		if part.FormName() == "file" && name == "" {
			name = cleanFileName(part.FileName())
			if size, sum, err = h.spool(part, filepath.Join(dir, uploadName)); err != nil {
				h.uploadError(w, r, rq, err)
				return
			}
			continue
		}
		v, err := io.ReadAll(io.LimitReader(part, 64<<10))
		if err != nil {
			h.uploadError(w, r, rq, err)
			return
		}
		fields.Add(part.FormName(), string(v))
	}
	if !sameToken(fields.Get("csrf"), rq.sess.CSRF) {
		h.errorPage(w, r, rq, http.StatusForbidden, "the form has expired or did not come from this site: reload the page and try again")
		return
	}
	opts, err := parseOptions(fields)
	if err == nil && name == "" {
		err = importer.Errorf(importer.EINVALID, "choose a CSV or XLSX file to upload")
	}
	if err != nil {
		h.render(w, r, rq, statusOf(err), "import", page{Title: "Import users", Error: importer.ErrorMessage(err),
			Data: importData{Options: opts, Max: sizeText(h.cfg.MaxUpload)}})
		return
	}
	rec := &record{ID: id, File: name, SHA256: sum, Size: size, Options: opts, UploadedBy: rq.user.UserPrincipalName,
		UploadedAt: h.now(), State: statePreview}
	if err := h.runPreview(r.Context(), rq.user, rec); err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			h.fail(w, r, rq, err)
			return
		}
		h.render(w, r, rq, statusOf(err), "import", page{Title: "Import users", Error: importer.ErrorMessage(err),
			Data: importData{Options: opts, Max: sizeText(h.cfg.MaxUpload)}})
		return
	}
	kept = true
	http.Redirect(w, r, "/batches/"+id, http.StatusSeeOther)
}

// errTooLarge is an upload over the limit.
var errTooLarge = errors.New("upload too large")

func (h *Handler) uploadError(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	var mbe *http.MaxBytesError
	if errors.Is(err, errTooLarge) || errors.As(err, &mbe) {
		h.errorPage(w, r, rq, http.StatusRequestEntityTooLarge, "the file is larger than "+sizeText(h.cfg.MaxUpload)+": split it, or import it with `userimport import`")
		return
	}
	h.errorPage(w, r, rq, http.StatusBadRequest, "the upload broke off: try again")
}

// spool writes the upload to path (mode 0600, not through a symlink: the
// folder is new) and returns its size and SHA-256, or errTooLarge.
func (h *Handler) spool(src io.Reader, path string) (int64, string, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	hash := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, hash), io.LimitReader(src, h.cfg.MaxUpload+1))
	if err != nil {
		return 0, "", err
	}
	if n > h.cfg.MaxUpload {
		return 0, "", errTooLarge
	}
	if err := f.Sync(); err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(hash.Sum(nil)), f.Close()
}

// cleanFileName makes the upload's name safe to show and to name outputs
// after: its last path element, without control characters or quotes,
// at most 120 characters; "upload.csv" when nothing is left.
func cleanFileName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = filepath.Base(name)
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || strings.ContainsRune("\"'<>:|?*/", r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if rs := []rune(name); len(rs) > 120 {
		name = string(rs[len(rs)-120:])
	}
	if name == "" || name == "_" {
		return "upload.csv"
	}
	return name
}

func sizeText(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
