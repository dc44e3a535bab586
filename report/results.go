package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gocarina/gocsv"
	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

// Sheet names of the result workbook.
const (
	ResultsSheet = "Results"
	SummarySheet = "Summary"
)

// resultColumns are the Results sheet's columns, in order, with their widths
// in characters.
var resultColumns = []struct {
	name  string
	width float64
}{
	{"Row", 8},
	{"User Name", 36},
	{"Display Name", 28},
	{"Outcome", 12},
	{"License Status", 15},
	{"Licenses", 40},
	{"Message", 80},
	{"User ID", 38}, // a UUID is 36 characters
}

// lastResultColumn is the letter of the Results sheet's last column.
const lastResultColumn = "H"

// ResultsHeader returns the header row of the Results sheet and of the
// results CSV.
func ResultsHeader() []string {
	h := make([]string, len(resultColumns))
	for i, c := range resultColumns {
		h[i] = c.name
	}
	return h
}

// csvBOM starts the results CSV so that Excel opens it as UTF-8 rather than
// in the system's ANSI code page.
const csvBOM = "\uFEFF"

// resultRecord is a line of the results CSV, marshalled by gocsv. Its tags
// are the Results sheet's header (ResultsHeader), in the same order.
type resultRecord struct {
	Row           int     `csv:"Row"`
	UserName      csvText `csv:"User Name"`
	DisplayName   csvText `csv:"Display Name"`
	Outcome       csvText `csv:"Outcome"`
	LicenseStatus csvText `csv:"License Status"`
	Licenses      csvText `csv:"Licenses"`
	Message       csvText `csv:"Message"`
	UserID        csvText `csv:"User ID"`
}

// csvText is a CSV value that a spreadsheet must show as text: gocsv
// writes it escaped (EscapeFormula).
type csvText string

// MarshalCSV implements gocsv.TypeMarshaller.
func (t csvText) MarshalCSV() (string, error) { return EscapeFormula(string(t)), nil }

// Results writes the result workbook, and optionally the results CSV, one row
// at a time. Memory use does not grow with the number of rows: excelize's
// StreamWriter spills the sheet to a temporary file (in os.TempDir, that is
// $TMPDIR) and the workbook is zipped straight to its file.
//
// A Results is not safe for concurrent use.
type Results struct {
	xlsxPath, csvPath string
	dryRun            bool
	now               func() time.Time
	xlsxTmp, csvTmp   *os.File // under a hidden temporary name next to the final file

	f      *excelize.File
	sw     *excelize.StreamWriter
	styles resultStyles

	sheet     string            // the Results sheet being written
	sheetNo   int               // 1 for "Results", 2 for "Results 2", …
	sheetRow  int               // last sheet row written (1 is the header)
	sheetRows int               // data rows per sheet before spilling to the next one
	lastRow   int               // last Result.Row written
	vals      []any             // reused for every row
	dims      map[string]string // sheet name → its dimension, "A1:H9"

	csvBuf *bufio.Writer
	csv    *csv.Writer
	rec    [1]resultRecord // reused for every row

	err  error // first write error; the files are then unusable
	done bool  // closed or aborted
}

// CreateResults starts the result workbook xlsxPath and, if csvPath is not
// empty, the results CSV csvPath, of a real batch: it is
// ResultFiles{XLSX: xlsxPath, CSV: csvPath}.Create().
func CreateResults(xlsxPath, csvPath string) (*Results, error) {
	return ResultFiles{XLSX: xlsxPath, CSV: csvPath}.Create()
}

// Create starts the result workbook f.XLSX and, if f.CSV is not empty, the
// results CSV f.CSV. Both are written under hidden temporary names in their
// directories (".<name>.<random>.tmp", mode 0644 before the umask) and
// renamed into place by Close, so that a crash never leaves a half-written
// file under the final name; an existing file (ReserveResults' empty one, a
// resumed batch's own, the last dry run's) is replaced. Temporary files of
// the same names that a killed writer left are removed first. The caller
// must call Close or Abort.
//
// The workbook's first sheet is Results; a batch with more rows than a sheet
// holds (1,048,575 under the header) continues on sheets "Results 2",
// "Results 3", … each with its own header. The CSV has no such limit.
func (f ResultFiles) Create() (*Results, error) {
	w := &Results{
		xlsxPath:  f.XLSX,
		csvPath:   f.CSV,
		dryRun:    f.DryRun,
		now:       f.Now,
		sheetRows: excelize.TotalRows - 1,
		vals:      make([]any, len(resultColumns)),
		dims:      map[string]string{},
	}
	if err := w.create(); err != nil {
		w.Abort()
		return nil, err
	}
	return w, nil
}

func (w *Results) create() error {
	var err error
	if w.xlsxTmp, err = createTemp(w.xlsxPath); err != nil {
		return fmt.Errorf("create result workbook: %w", err)
	}
	if w.csvPath != "" {
		if w.csvTmp, err = createTemp(w.csvPath); err != nil {
			return fmt.Errorf("create results CSV: %w", err)
		}
		w.csvBuf = bufio.NewWriterSize(w.csvTmp, 64<<10)
		w.csv = csv.NewWriter(w.csvBuf)
		// Lines end in LF, not RFC 4180's CRLF: encoding/csv's UseCRLF
		// would drop a lone CR inside a value. Excel reads either.
		_, _ = w.csvBuf.WriteString(csvBOM)
		// gocsv writes the header from the struct's tags. Its settings are
		// global, so it is handed our own csv.Writer rather than making one.
		if err := gocsv.MarshalCSV(w.rec[:0], w.csv); err != nil {
			return fmt.Errorf("write results CSV: %w", err)
		}
	}

	w.f = excelize.NewFile()
	// Renaming the default sheet, rather than adding one and deleting
	// "Sheet1", keeps Results first and active.
	if err := w.f.SetSheetName("Sheet1", ResultsSheet); err != nil {
		return fmt.Errorf("create result workbook: %w", err)
	}
	if w.styles, err = newResultStyles(w.f); err != nil {
		return fmt.Errorf("create result workbook: %w", err)
	}
	if err := w.startSheet(); err != nil {
		return fmt.Errorf("create result workbook: %w", err)
	}
	return nil
}

// startSheet starts the next Results sheet: column widths, frozen header
// row and the header itself, which the StreamWriter needs before any row.
func (w *Results) startSheet() error {
	w.sheetNo++
	w.sheet = ResultsSheet
	if w.sheetNo > 1 {
		w.sheet = fmt.Sprintf("%s %d", ResultsSheet, w.sheetNo)
		if _, err := w.f.NewSheet(w.sheet); err != nil {
			return err
		}
	}
	sw, err := w.f.NewStreamWriter(w.sheet)
	if err != nil {
		return err
	}
	w.sw = sw
	for i, c := range resultColumns {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(frozenHeader()); err != nil {
		return err
	}
	header := make([]any, len(resultColumns))
	for i, c := range resultColumns {
		header[i] = excelize.Cell{StyleID: w.styles.header, Value: c.name}
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	w.sheetRow = 1
	return nil
}

// finishSheet puts the autofilter over the header and every row of the
// current Results sheet and ends its stream. The StreamWriter writes the
// worksheet's autoFilter element in Flush, so it can be set last, once the
// range is known.
func (w *Results) finishSheet() error {
	ref := fmt.Sprintf("A1:%s%d", lastResultColumn, w.sheetRow)
	if err := w.f.AutoFilter(w.sheet, ref, nil); err != nil {
		return err
	}
	w.dims[w.sheet] = ref
	return w.sw.Flush()
}

func frozenHeader() *excelize.Panes {
	return &excelize.Panes{
		Freeze:      true,
		YSplit:      1,
		TopLeftCell: "A2",
		ActivePane:  "bottomLeft",
		Selection:   []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}},
	}
}

// Write adds r to the Results sheet and the CSV. Results must come in
// ascending Row order; a row out of order is an error. After any error the
// files are unusable: Close returns the error and removes them.
func (w *Results) Write(r importer.Result) error {
	if w.done {
		return errors.New("write result: results already closed")
	}
	if w.err != nil {
		return w.err
	}
	if err := w.write(r); err != nil {
		w.err = err
		return err
	}
	return nil
}

func (w *Results) write(r importer.Result) error {
	if r.Row <= w.lastRow {
		return fmt.Errorf("write result of row %d: rows out of order (after row %d)", r.Row, w.lastRow)
	}
	w.lastRow = r.Row
	licenses := FormatLicenses(r.Licenses)
	if w.dryRun && r.Outcome == importer.Created {
		r.UserID = "" // the ID of a user who will never exist
	}

	if w.sheetRow-1 >= w.sheetRows {
		if err := w.finishSheet(); err != nil {
			return fmt.Errorf("write result workbook: %w", err)
		}
		if err := w.startSheet(); err != nil {
			return fmt.Errorf("write result workbook: %w", err)
		}
	}
	w.sheetRow++
	v := w.vals
	v[0] = r.Row
	v[1] = textCell(r.UserName)
	v[2] = textCell(r.DisplayName)
	v[3] = w.styles.cell(string(r.Outcome))
	v[4] = w.styles.cell(r.LicenseStatus)
	v[5] = textCell(licenses)
	v[6] = textCell(r.Message)
	v[7] = textCell(r.UserID)
	if err := w.sw.SetRow("A"+strconv.Itoa(w.sheetRow), v); err != nil {
		return fmt.Errorf("write result workbook: %w", err)
	}

	if w.csv != nil {
		w.rec[0] = resultRecord{
			Row: r.Row, UserName: csvText(r.UserName), DisplayName: csvText(r.DisplayName),
			Outcome: csvText(r.Outcome), LicenseStatus: csvText(r.LicenseStatus), Licenses: csvText(licenses),
			Message: csvText(r.Message), UserID: csvText(r.UserID),
		}
		// gocsv flushes the csv.Writer into csvBuf after each call; csvBuf
		// still writes to the file in 64 KiB blocks.
		if err := gocsv.MarshalCSVWithoutHeaders(w.rec[:], w.csv); err != nil {
			return fmt.Errorf("write results CSV: %w", err)
		}
	}
	return nil
}

// FormatLicenses formats a row's licenses as in the Licenses column:
// "ENTERPRISEPACK (assigned); EMS (pending)".
func FormatLicenses(ls []importer.LicenseResult) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(l.SKU)
		if l.Status != "" {
			b.WriteString(" (")
			b.WriteString(l.Status)
			b.WriteString(")")
		}
	}
	return b.String()
}

// Close writes the Summary sheet from s, finishes the workbook and the CSV
// and renames them into place. If a Write failed, or Close fails, the
// temporary files are removed, nothing is renamed, and the error is
// returned. Close after Close or Abort does nothing.
func (w *Results) Close(s importer.Summary) error {
	if w.done {
		return nil
	}
	err := w.err
	if err == nil {
		err = w.close(s)
	}
	if err != nil {
		w.Abort()
		return err
	}
	w.done = true
	return nil
}

func (w *Results) close(s importer.Summary) error {
	if err := w.finishSheet(); err != nil {
		return fmt.Errorf("write result workbook: %w", err)
	}
	if err := w.writeSummary(s); err != nil {
		return fmt.Errorf("write result workbook: %w", err)
	}
	if s.Feed {
		if err := w.writeLeavers(s.Leavers); err != nil {
			return fmt.Errorf("write result workbook: %w", err)
		}
	}
	modified := s.Finished
	if modified.IsZero() && w.now != nil {
		modified = w.now()
	} else if modified.IsZero() {
		modified = time.Now()
	}
	if err := w.saveWorkbook(modified); err != nil {
		return fmt.Errorf("write result workbook: %w", err)
	}
	if w.csv != nil {
		w.csv.Flush()
		err := w.csv.Error()
		if err == nil {
			err = w.csvBuf.Flush()
		}
		if err == nil {
			err = commit(w.csvTmp, w.csvPath)
		}
		w.csvTmp = nil
		if err != nil {
			return fmt.Errorf("write results CSV: %w", err)
		}
	}
	return nil
}

// saveWorkbook zips the workbook into its temporary file and renames it into
// place. excelize's WriteTo assembles the whole zip in a bytes.Buffer; the
// zip writer given to SetZipWriter ignores that buffer and writes to the
// file instead, so the workbook never sits in memory. Its entries are dated
// modified, and each sheet declares its real dimension.
func (w *Results) saveWorkbook(modified time.Time) error {
	buf := bufio.NewWriterSize(w.xlsxTmp, 256<<10)
	dims := map[string]string{}
	for id, name := range w.f.GetSheetMap() {
		if ref, ok := w.dims[name]; ok {
			dims["xl/worksheets/sheet"+strconv.Itoa(id)+".xml"] = ref
		}
	}
	zw := &workbookZip{Writer: newZip(buf), modified: modified, dims: dims}
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zw })
	if _, err := w.f.WriteTo(io.Discard); err != nil {
		return err
	}
	if zw.err != nil { // excelize ignores some errors of its writers
		return zw.err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	_ = w.f.Close() // removes excelize's temporary files; the workbook is already out
	w.f = nil
	err := commit(w.xlsxTmp, w.xlsxPath)
	w.xlsxTmp = nil
	return err
}

// Abort removes the temporary files; the final files are left as they were.
// Abort after Close does nothing.
func (w *Results) Abort() {
	if w.done {
		return
	}
	w.done = true
	if w.f != nil {
		_ = w.f.Close()
	}
	for _, f := range []*os.File{w.xlsxTmp, w.csvTmp} {
		if f != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}
}

// writeSummary adds the Summary sheet.
func (w *Results) writeSummary(s importer.Summary) error {
	if _, err := w.f.NewSheet(SummarySheet); err != nil {
		return err
	}
	sw, err := w.f.NewStreamWriter(SummarySheet)
	if err != nil {
		return err
	}
	if err := sw.SetColWidth(1, 1, 22); err != nil {
		return err
	}
	if err := sw.SetColWidth(2, 2, 70); err != nil {
		return err
	}
	row := 1
	defer func() { w.dims[SummarySheet] = "A1:B" + strconv.Itoa(row-1) }()
	add := func(item string, value any) error {
		if str, ok := value.(string); ok {
			value = textCell(str)
		}
		err := sw.SetRow("A"+strconv.Itoa(row), []any{textCell(item), value})
		row++
		return err
	}
	if err := sw.SetRow("A1", []any{
		excelize.Cell{StyleID: w.styles.header, Value: "Item"},
		excelize.Cell{StyleID: w.styles.header, Value: "Value"},
	}); err != nil {
		return err
	}
	row++
	s.DryRun = s.DryRun || w.dryRun
	if s.DryRun {
		if err := add(DryRunItem, "This workbook shows what the import would do; no user or license was changed."); err != nil {
			return err
		}
	}
	for _, it := range summaryItems(s) {
		if err := add(it.item, it.value); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// LeaversSheet is the sheet of a feed batch's leavers (SPEC §12).
const LeaversSheet = "Leavers"

// writeLeavers adds the Leavers sheet: User Name, Display Name, Employee
// ID, Outcome, Message; one line per leaver.
func (w *Results) writeLeavers(ls []importer.Leaver) error {
	if _, err := w.f.NewSheet(LeaversSheet); err != nil {
		return err
	}
	sw, err := w.f.NewStreamWriter(LeaversSheet)
	if err != nil {
		return err
	}
	for i, width := range []float64{34, 30, 14, 12, 60} {
		if err := sw.SetColWidth(i+1, i+1, width); err != nil {
			return err
		}
	}
	if err := sw.SetPanes(frozenHeader()); err != nil {
		return err
	}
	header := []any{}
	for _, h := range []string{"User Name", "Display Name", "Employee ID", "Outcome", "Message"} {
		header = append(header, excelize.Cell{StyleID: w.styles.header, Value: h})
	}
	if err := sw.SetRow("A1", header); err != nil {
		return err
	}
	for i, l := range ls {
		if err := sw.SetRow("A"+strconv.Itoa(i+2), []any{textCell(l.UserName), textCell(l.DisplayName),
			textCell(l.EmployeeID), w.styles.cell(string(l.Outcome)), textCell(l.Message)}); err != nil {
			return err
		}
	}
	w.dims[LeaversSheet] = "A1:E" + strconv.Itoa(len(ls)+1)
	return sw.Flush()
}

// DryRunItem is the first Item of a dry run's Summary sheet.
const DryRunItem = "Dry run — nothing was changed"

type summaryItem struct {
	item  string
	value any // string or int
}

func summaryItems(s importer.Summary) []summaryItem {
	items := []summaryItem{
		{"File", s.File},
		{"SHA-256", s.SHA256},
		{"Batch", s.BatchID},
		{"Mode", s.Mode},
		{"Dry run", yesNo(s.DryRun)},
		{"Acting admin", s.ActingAdmin},
		{"Started", formatTime(s.Started)},
		{"Finished", formatTime(s.Finished)},
		{"Duration", formatDuration(s.Started, s.Finished)},
		{"Rows", s.Rows},
		{"Created", s.Created},
		{"Updated", s.Updated},
		{"Unchanged", s.Unchanged},
		{"Failed", s.Failed},
		{"Licenses assigned", s.LicensesAssigned},
		{"Licenses pending", s.LicensesPending},
		{"Warnings", s.Warnings},
	}
	if s.Feed {
		items = append(items[:14:14], append([]summaryItem{
			{"Restored", s.Restored}, {"Disabled", s.Disabled}, {"Deleted", s.Deleted},
		}, items[14:]...)...)
	}
	for _, p := range s.Products {
		items = append(items, summaryItem{
			"Seats " + p.SKU,
			fmt.Sprintf("%d of %d assigned, %d pending", p.Assigned, p.Seats, p.Pending),
		})
	}
	for _, w := range s.WarningLines {
		items = append(items, summaryItem{"Warning", w})
	}
	return items
}

func yesNo(b bool) string {
	if b {
		return "Yes"
	}
	return "No"
}

// formatTime writes t in RFC 3339, in t's own zone, to the second; a zero
// time (a batch that never finished) is blank.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339)
}

// formatDuration writes the batch's duration as Go does ("1h2m3s"), rounded
// to the second, or to the millisecond under a second.
func formatDuration(start, end time.Time) string {
	if start.IsZero() || end.IsZero() {
		return ""
	}
	d := end.Sub(start)
	if d >= time.Second || d <= -time.Second {
		return d.Round(time.Second).String()
	}
	return d.Round(time.Millisecond).String()
}

// EscapeFormula returns s with a leading "'" when it starts with a
// character that makes a spreadsheet read it as a formula: "=", "+", "-",
// "@", TAB or CR (OWASP's CSV injection advice). Such a value is then shown
// as text, with the quote, in Excel, LibreOffice and Google Sheets, whether
// it comes from the workbook or the CSV.
func EscapeFormula(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + s
	}
	return s
}

// textCell is a workbook value for s: nil (no cell) when s is empty, else s
// escaped. The StreamWriter writes strings as inline text cells, never as
// formulas.
func textCell(s string) any {
	if s == "" {
		return nil
	}
	return EscapeFormula(s)
}

// resultStyles are the style IDs of the result workbook. StreamWriter needs
// them created before the first row.
type resultStyles struct {
	header int
	green  int
	grey   int
	red    int
	amber  int
}

// Colours are Excel's own "Good", "Neutral" and "Bad" cell styles, plus a
// grey for "nothing happened".
func newResultStyles(f *excelize.File) (resultStyles, error) {
	var s resultStyles
	fill := func(bg, fg string) (int, error) {
		return f.NewStyle(&excelize.Style{
			Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{bg}},
			Font: &excelize.Font{Color: fg},
		})
	}
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{
		Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}},
		Border: []excelize.Border{
			{Type: "bottom", Color: "8EA9DB", Style: 1},
		},
	}); err != nil {
		return s, err
	}
	if s.green, err = fill("C6EFCE", "006100"); err != nil {
		return s, err
	}
	if s.grey, err = fill("EDEDED", "595959"); err != nil {
		return s, err
	}
	if s.red, err = fill("FFC7CE", "9C0006"); err != nil {
		return s, err
	}
	if s.amber, err = fill("FFEB9C", "9C5700"); err != nil {
		return s, err
	}
	return s, nil
}

// cell returns an Outcome or License Status value with its colour.
func (s resultStyles) cell(v string) any {
	var id int
	switch v {
	case string(importer.Created), string(importer.Updated), importer.StatusAssigned:
		id = s.green
	case string(importer.Unchanged), importer.StatusNone:
		id = s.grey
	case string(importer.Failed):
		id = s.red
	case string(importer.Restored):
		id = s.green
	case string(importer.Disabled), string(importer.Deleted):
		id = s.amber
	case importer.StatusPending:
		id = s.amber
	}
	if v == "" {
		return nil
	}
	return excelize.Cell{StyleID: id, Value: EscapeFormula(v)}
}

// createTemp creates a hidden temporary file next to final, with mode 0644
// before the umask, the mode the final file gets, since a rename keeps it.
// It first removes the temporary files of final that killed writers left.
func createTemp(final string) (*os.File, error) {
	dir, name := filepath.Split(final)
	removeStaleTemps(dir, "."+name+".")
	return createTempFile(dir, "."+name, 0, outputMode)
}

// commit makes tmp durable and renames it to final. On failure tmp is
// removed.
func commit(tmp *os.File, final string) error {
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	syncDir(filepath.Dir(final))
	return nil
}
