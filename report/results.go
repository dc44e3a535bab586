package report

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gocarina/gocsv"

	"userimport/importer"
	"userimport/report/internal/xlsxw"
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
// at a time. Memory use does not grow with the number of rows: the sheets'
// rows are deflated as they come into a temporary file next to the
// workbook (package xlsxw; unlinked at once), and Close puts the zip
// together from them and the small parts.
//
// A Results is not safe for concurrent use.
type Results struct {
	xlsxPath, csvPath string
	dryRun            bool
	now               func() time.Time
	xlsxTmp, csvTmp   *os.File // under a hidden temporary name next to the final file

	wb *xlsxw.Workbook

	sheetNo   int          // 1 for "Results", 2 for "Results 2", …
	sheetRow  int          // last sheet row written (1 is the header)
	sheetRows int          // data rows per sheet before spilling to the next one
	lastRow   int          // last Result.Row written
	cells     []xlsxw.Cell // reused for every row

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
		sheetRows: xlsxw.MaxRows - 1,
		cells:     make([]xlsxw.Cell, len(resultColumns)),
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

	// The rows are spooled beside the workbook, on the disk it goes to
	// (a full disk fails the batch's writes, not its end), never in $TMPDIR.
	dir, name := filepath.Split(w.xlsxPath)
	if dir == "" {
		dir = "."
	}
	if w.wb, err = xlsxw.New(dir, "."+name+".rows.", resultStyleList()); err != nil {
		return fmt.Errorf("create result workbook: %w", err)
	}
	if err := w.startSheet(); err != nil {
		return fmt.Errorf("create result workbook: %w", err)
	}
	return nil
}

// startSheet starts the next Results sheet (which ends the one before):
// column widths, frozen header row, an autofilter over the header and
// every row, and the header itself.
func (w *Results) startSheet() error {
	w.sheetNo++
	sheet := ResultsSheet
	if w.sheetNo > 1 {
		sheet = fmt.Sprintf("%s %d", ResultsSheet, w.sheetNo)
	}
	widths := make([]float64, len(resultColumns))
	header := make([]xlsxw.Cell, len(resultColumns))
	for i, c := range resultColumns {
		widths[i] = c.width
		header[i] = xlsxw.Cell{Text: c.name, Style: styleHeader}
	}
	if err := w.wb.StartSheet(sheet, xlsxw.SheetOptions{Widths: widths, FreezeHeader: true, AutoFilter: true}); err != nil {
		return err
	}
	if err := w.wb.Row(header); err != nil {
		return err
	}
	w.sheetRow = 1
	return nil
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
		if err := w.startSheet(); err != nil {
			return fmt.Errorf("write result workbook: %w", err)
		}
	}
	w.sheetRow++
	v := w.cells
	v[0] = xlsxw.Cell{Number: int64(r.Row), IsNumber: true}
	v[1] = textCell(r.UserName)
	v[2] = textCell(r.DisplayName)
	v[3] = statusCell(string(r.Outcome))
	v[4] = statusCell(r.LicenseStatus)
	v[5] = textCell(licenses)
	v[6] = textCell(r.Message)
	v[7] = textCell(r.UserID)
	if err := w.wb.Row(v); err != nil {
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

// saveWorkbook writes the workbook's zip, its entries dated modified, into
// its temporary file and renames it into place.
func (w *Results) saveWorkbook(modified time.Time) error {
	buf := bufio.NewWriterSize(w.xlsxTmp, 256<<10)
	if err := w.wb.Save(buf, modified); err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	_ = w.wb.Close()
	w.wb = nil
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
	if w.wb != nil {
		_ = w.wb.Close()
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
	if err := w.wb.StartSheet(SummarySheet, xlsxw.SheetOptions{Widths: []float64{22, 70}}); err != nil {
		return err
	}
	add := func(item string, value any) error {
		v := xlsxw.Cell{}
		switch value := value.(type) {
		case string:
			v = textCell(value)
		case int:
			v = xlsxw.Cell{Number: int64(value), IsNumber: true}
		}
		return w.wb.Row([]xlsxw.Cell{textCell(item), v})
	}
	if err := w.wb.Row([]xlsxw.Cell{
		{Text: "Item", Style: styleHeader},
		{Text: "Value", Style: styleHeader},
	}); err != nil {
		return err
	}
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
	return w.wb.EndSheet()
}

// LeaversSheet is the sheet of a feed batch's leavers (SPEC §12).
const LeaversSheet = "Leavers"

// writeLeavers adds the Leavers sheet: User Name, Display Name, Employee
// ID, Outcome, Message; one line per leaver.
func (w *Results) writeLeavers(ls []importer.Leaver) error {
	opts := xlsxw.SheetOptions{Widths: []float64{34, 30, 14, 12, 60}, FreezeHeader: true}
	if err := w.wb.StartSheet(LeaversSheet, opts); err != nil {
		return err
	}
	var header []xlsxw.Cell
	for _, h := range []string{"User Name", "Display Name", "Employee ID", "Outcome", "Message"} {
		header = append(header, xlsxw.Cell{Text: h, Style: styleHeader})
	}
	if err := w.wb.Row(header); err != nil {
		return err
	}
	for _, l := range ls {
		if err := w.wb.Row([]xlsxw.Cell{textCell(l.UserName), textCell(l.DisplayName),
			textCell(l.EmployeeID), statusCell(string(l.Outcome)), textCell(l.Message)}); err != nil {
			return err
		}
	}
	return w.wb.EndSheet()
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

// textCell is the workbook cell of s, escaped: no cell when s is empty.
// Text is written as an inline string, never as a formula.
func textCell(s string) xlsxw.Cell {
	return xlsxw.Cell{Text: EscapeFormula(s)}
}

// The cell styles of the result workbook, numbered as xlsxw numbers the
// styles of resultStyleList.
const (
	styleHeader = iota + 1
	styleGreen
	styleGrey
	styleRed
	styleAmber
)

// resultStyleList returns the result workbook's styles. Colours are
// Excel's own "Good", "Neutral" and "Bad" cell styles, plus a grey for
// "nothing happened".
func resultStyleList() []xlsxw.Style {
	return []xlsxw.Style{
		styleHeader - 1: {Bold: true, Fill: "DDEBF7", BottomBorder: "8EA9DB"},
		styleGreen - 1:  {Fill: "C6EFCE", FontColor: "006100"},
		styleGrey - 1:   {Fill: "EDEDED", FontColor: "595959"},
		styleRed - 1:    {Fill: "FFC7CE", FontColor: "9C0006"},
		styleAmber - 1:  {Fill: "FFEB9C", FontColor: "9C5700"},
	}
}

// statusCell returns an Outcome or License Status value with its colour.
func statusCell(v string) xlsxw.Cell {
	var style int
	switch v {
	case string(importer.Created), string(importer.Updated), importer.StatusAssigned:
		style = styleGreen
	case string(importer.Unchanged), importer.StatusNone:
		style = styleGrey
	case string(importer.Failed):
		style = styleRed
	case string(importer.Restored):
		style = styleGreen
	case string(importer.Disabled), string(importer.Deleted):
		style = styleAmber
	case importer.StatusPending:
		style = styleAmber
	}
	return xlsxw.Cell{Text: EscapeFormula(v), Style: style}
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
