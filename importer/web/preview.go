package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"userimport/importer"
	"userimport/report"
)

// runPreview dry-runs rec's upload as actor (importer.Run with DryRun) and
// keeps what it found in rec: the counts, the seats table, every row's
// result (rows.jsonl, for the paged table) and the dry-run workbook. A
// rejected file or option is the core's *Error; rec is saved only when
// the dry run went through.
func (h *Handler) runPreview(ctx context.Context, actor importer.User, rec *record) error {
	dir := h.batchDir(rec.ID)
	products, err := h.cfg.Store.Products(ctx)
	if err != nil {
		return err
	}
	rows, err := os.OpenFile(filepath.Join(dir, rowsName+".tmp"), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer rows.Close()
	tee := &rowTee{w: bufio.NewWriter(rows), asked: map[string]int{}, waits: map[string]int{}}
	outputs := report.Outputs()
	results := outputs.Results
	outputs.Results = func(dir, base, name string, dryRun, withCSV bool) (importer.ResultWriter, string, string, error) {
		w, x, c, err := results(dir, base, name, dryRun, withCSV)
		tee.next = w
		return tee, x, c, err
	}
	o := rec.Options.importOptions(filepath.Join(dir, uploadName))
	o.FileName, o.DryRun, o.OutDir, o.Actor, o.BatchID = rec.File, true, filepath.Join(dir, outDirName), actor, rec.ID
	o.Outputs, o.Log, o.Now = outputs, h.cfg.Log, h.cfg.Now
	rep, err := importer.Run(ctx, h.cfg.Store, o)
	var failed *importer.RowsFailedError
	if err != nil && !errors.As(err, &failed) {
		return err
	}
	if err := tee.w.Flush(); err != nil {
		return err
	}
	if tee.err != nil {
		return tee.err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := os.Rename(rows.Name(), filepath.Join(dir, rowsName)); err != nil {
		return err
	}
	p := preview{Summary: rep.Summary, Total: rep.Total, Problem: tee.problems, DryRun: filepath.Base(rep.ResultsPath)}
	for _, pr := range products {
		if tee.asked[pr.SKU] == 0 {
			continue
		}
		p.Seats = append(p.Seats, seatLine{SKU: pr.SKU, Name: pr.Name, Asked: tee.asked[pr.SKU],
			Free: max(pr.Seats-pr.Assigned, 0), Waits: tee.waits[pr.SKU]})
	}
	rec.Preview = p
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.save(rec)
}

// rowTee passes a dry run's results on to the workbook and keeps each row
// as a line of JSON, counting the seats asked and those that would wait.
type rowTee struct {
	next     importer.ResultWriter
	w        *bufio.Writer
	asked    map[string]int
	waits    map[string]int
	problems int
	err      error
}

// rowLine is a row of the preview's table.
type rowLine struct {
	Row         int              `json:"row"`
	UserName    string           `json:"userName"`
	DisplayName string           `json:"displayName"`
	Outcome     importer.Outcome `json:"outcome"`
	Licenses    string           `json:"licenses"`
	Message     string           `json:"message"`
}

func (t *rowTee) Write(res importer.Result) error {
	var ls []string
	for _, l := range res.Licenses {
		t.asked[l.SKU]++
		if l.Status == importer.LicensePending {
			t.waits[l.SKU]++
		}
		ls = append(ls, l.SKU+" ("+l.Status+")")
	}
	if res.Message != "" {
		t.problems++
	}
	if t.err == nil {
		b, err := json.Marshal(rowLine{Row: res.Row, UserName: res.UserName, DisplayName: res.DisplayName,
			Outcome: res.Outcome, Licenses: strings.Join(ls, "; "), Message: res.Message})
		if err == nil {
			b = append(b, '\n')
			_, err = t.w.Write(b)
		}
		t.err = err
	}
	return t.next.Write(res)
}

func (t *rowTee) Close(s importer.Summary) error { return t.next.Close(s) }
func (t *rowTee) Abort()                         { t.next.Abort() }

// previewPageSize is how many rows a page of the preview's table holds.
const previewPageSize = 50

type rowsPage struct {
	Rows       []rowLine
	Show       string // "problems" (default) or "all"
	Q          string
	Page       int
	More       bool
	Matched    int
	FirstShown int
}

// readRows reads page (from 1) of the preview's rows of dir that match
// show and q (case ignored, in user name, display name or message).
func readRows(dir, show, q string, pg int) (rowsPage, error) {
	out := rowsPage{Show: show, Q: q, Page: pg}
	f, err := os.Open(filepath.Join(dir, rowsName))
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return out, err
	}
	defer f.Close()
	q = strings.ToLower(q)
	skip := (pg - 1) * previewPageSize
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var l rowLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			return out, fmt.Errorf("read the preview's rows: %w", err)
		}
		if show != "all" && l.Message == "" {
			continue
		}
		if q != "" && !strings.Contains(strings.ToLower(l.UserName+"\x00"+l.DisplayName+"\x00"+l.Message), q) {
			continue
		}
		out.Matched++
		if out.Matched <= skip {
			continue
		}
		if len(out.Rows) == previewPageSize {
			out.More = true
			continue
		}
		out.Rows = append(out.Rows, l)
	}
	out.FirstShown = skip + 1
	return out, sc.Err()
}

// repreview runs the preview again with the options of the form.
func (h *Handler) repreview(w http.ResponseWriter, r *http.Request, rq *request) {
	rec, err := h.load(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, rq, err)
		return
	}
	if rec.State != statePreview {
		h.errorPage(w, r, rq, http.StatusConflict, "this batch has started: its options can no longer change")
		return
	}
	opts, err := parseOptions(r.PostForm)
	if err == nil {
		rec.Options = opts
		err = h.runPreview(r.Context(), rq.user, rec)
	}
	if err != nil {
		if statusOf(err) == http.StatusInternalServerError {
			h.fail(w, r, rq, err)
			return
		}
		rec, _ = h.load(rec.ID)
		h.showBatch(w, r, rq, rec, statusOf(err), importer.ErrorMessage(err))
		return
	}
	http.Redirect(w, r, "/batches/"+rec.ID, http.StatusSeeOther)
}

func pageNumber(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 1
	}
	return n
}
