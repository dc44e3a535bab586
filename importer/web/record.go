package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"userimport/importer"
)

// A batch of the web page lives in its own folder of DataDir/batches,
// named by its ID: the upload (mode 0600), the outputs, the preview's rows
// (rows.jsonl), and record.json, what the pages show of it. The folder
// survives a restart of serve, so that an interrupted batch can be started
// again, which resumes it.
const (
	uploadName = "upload"
	rowsName   = "rows.jsonl"
	recordName = "record.json"
	outDirName = "out"
)

// Web states of a batch besides SPEC §10's: a record says running while its
// run lives; one found running with no run in this process was interrupted.
const (
	statePreview     = "preview"
	stateRunning     = "running"
	stateInterrupted = "interrupted"
	stateDone        = "done"
	stateCancelled   = "cancelled"
	stateFailed      = "failed"
)

// record is what the web page keeps of a batch.
type record struct {
	ID          string            `json:"id"`
	File        string            `json:"file"`
	SHA256      string            `json:"sha256"`
	Size        int64             `json:"size"`
	Options     formOptions       `json:"options"`
	UploadedBy  string            `json:"uploadedBy"`
	UploadedAt  time.Time         `json:"uploadedAt"`
	State       string            `json:"state"`
	Preview     preview           `json:"preview"`
	StartedBy   string            `json:"startedBy,omitempty"`
	StartedAt   time.Time         `json:"startedAt"`
	FinishedAt  time.Time         `json:"finishedAt"`
	Result      *importer.Summary `json:"result,omitempty"`
	Total       int               `json:"total"`
	ResultsXLSX string            `json:"resultsXlsx,omitempty"` // file names in out/
	ResultsCSV  string            `json:"resultsCsv,omitempty"`
	Notice      string            `json:"notice,omitempty"`
	NoticeGone  string            `json:"noticeGone,omitempty"` // why the notice is no longer served: downloaded or emailed
	Error       string            `json:"error,omitempty"`
	StoppedBy   string            `json:"stoppedBy,omitempty"` // who last pressed Cancel while it ran
}

// preview is what the last dry run found.
type preview struct {
	Summary importer.Summary `json:"summary"`
	Total   int              `json:"total"`
	Seats   []seatLine       `json:"seats"`
	Problem int              `json:"problems"` // rows with a message
	DryRun  string           `json:"dryRun"`   // the dry-run workbook's name in out/
}

// seatLine is a line of the seats table: for a product, the seats the file
// asks for, those free now, and how many assignments would wait.
type seatLine struct {
	SKU   string `json:"sku"`
	Name  string `json:"name"`
	Asked int    `json:"asked"`
	Free  int    `json:"free"`
	Waits int    `json:"waits"`
}

var idPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// batchDir returns the folder of batch id, or "" when id is no batch ID
// (so that no path of the request reaches outside DataDir).
func (h *Handler) batchDir(id string) string {
	if !idPattern.MatchString(id) {
		return ""
	}
	return filepath.Join(h.cfg.DataDir, "batches", id)
}

// load reads batch id's record; ENOTFOUND when there is none.
func (h *Handler) load(id string) (*record, error) {
	dir := h.batchDir(id)
	if dir == "" {
		return nil, importer.Errorf(importer.ENOTFOUND, "no batch %q", id)
	}
	b, err := os.ReadFile(filepath.Join(dir, recordName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, importer.Errorf(importer.ENOTFOUND, "no batch %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("read batch record: %w", err)
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, fmt.Errorf("read batch record %s: %w", id, err)
	}
	h.mu.Lock()
	_, live := h.progress[id]
	h.mu.Unlock()
	if rec.State == stateRunning && !live {
		rec.State = stateInterrupted
	}
	return &rec, nil
}

// save writes rec whole (a new file renamed over the old one).
func (h *Handler) save(rec *record) error {
	dir := h.batchDir(rec.ID)
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, recordName+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write batch record: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, recordName)); err != nil {
		return fmt.Errorf("write batch record: %w", err)
	}
	return nil
}

// update applies fn to batch id's record under the lock and saves it.
func (h *Handler) update(id string, fn func(*record) error) (*record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	dir := h.batchDir(id)
	if dir == "" {
		return nil, importer.Errorf(importer.ENOTFOUND, "no batch %q", id)
	}
	b, err := os.ReadFile(filepath.Join(dir, recordName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, importer.Errorf(importer.ENOTFOUND, "no batch %s", id)
	}
	if err != nil {
		return nil, err
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil {
		return nil, err
	}
	if _, live := h.progress[id]; rec.State == stateRunning && !live {
		rec.State = stateInterrupted
	}
	if err := fn(&rec); err != nil {
		return nil, err
	}
	return &rec, h.save(&rec)
}
