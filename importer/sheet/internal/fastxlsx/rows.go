package fastxlsx

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// sheetRows reads a worksheet's rows as excelize's Rows iterator does
// (excelize v2.11.0, rows.go), token for token, so that the rows, their
// numbers, their cells and the errors are the same; the comments name the
// excelize code each part follows.
type sheetRows struct {
	sc    *xmlScanner
	cells cellRenderer
	row   []string // the row being read; reused
	// uncalc are the indexes in row of the cells that hold a formula with
	// no value saved (never calculated).
	uncalc []int
	cell   cellData
	err    error // Rows.err: a row number past the last a worksheet holds
	cur    int   // Rows.curRow: the number of the row last started
	seek   int   // Rows.seekRow: the row asked for
	held   bool  // Rows.token: a <row> start read by next, for columns
	heldR  int   // its r attribute
	heldRE error // and the error reading it
}

// brokenSheetError is a worksheet the scanner cannot read on from: XML
// that encoding/xml would refuse too, or a read error.
type brokenSheetError struct{ err error }

func (e *brokenSheetError) Error() string { return e.err.Error() }

// next is Rows.Next. It returns an error only when the scanner fails.
func (r *sheetRows) next() (bool, error) {
	r.seek++
	if r.cur >= r.seek {
		return true, nil
	}
	for {
		switch r.sc.next() {
		case tokenNone:
			return false, r.sc.failure()
		case tokenStart:
			if string(r.sc.local) != "row" {
				continue
			}
			r.cur++
			n, err := intAttr(r.sc.attrs, "r")
			if n > excelize.TotalRows {
				r.err = excelize.ErrMaxRows
				return false, nil
			}
			if n != 0 {
				r.cur = n
			}
			r.held, r.heldR, r.heldRE = true, n, err
			return true, nil
		case tokenEnd:
			if string(r.sc.local) == "sheetData" {
				return false, nil
			}
		}
	}
}

// columns is Rows.Columns: the cells of the row next found. The cells are
// valid until the next call. A *brokenSheetError says the scanner failed.
func (r *sheetRows) columns() ([]string, error) {
	if r.cur > r.seek {
		return nil, nil
	}
	r.uncalc = r.uncalc[:0]
	row, err := r.readRow(r.row[:0])
	r.row = row
	return row, err
}

// readRow is the loop of Rows.Columns: tokens up to the next row's start
// tag or the end of sheetData, starting with the held <row> start tag.
func (r *sheetRows) readRow(row []string) ([]string, error) {
	col := 0
	var err error
	for {
		held := r.held
		if !held {
			switch r.sc.next() {
			case tokenNone:
				if serr := r.sc.failure(); serr != nil {
					return row, &brokenSheetError{serr}
				}
				return row, err
			case tokenEnd:
				if string(r.sc.local) == "sheetData" {
					return row, err
				}
				continue
			case tokenText:
				continue
			}
		}
		switch {
		case held || string(r.sc.local) == "row":
			var n int
			if held {
				n, err = r.heldR, r.heldRE
			} else {
				n, err = intAttr(r.sc.attrs, "r")
			}
			if n != 0 {
				r.cur = n
			} else if !held {
				r.cur++
			}
			if r.cur > r.seek {
				r.held = false
				return row, err
			}
		case string(r.sc.local) == "c":
			col++
			row, err = r.readCell(row, &col)
		}
		r.held = false
		if err != nil {
			return row, err
		}
	}
}

// cellData is a <c> element as excelize's xlsxC holds it.
type cellData struct {
	ref     []byte // r
	style   int    // s
	kind    cellKind
	value   []byte // v
	hasV    bool   // a <v> element, however empty
	formula bool   // an <f> element, however empty
	inline  bool   // an <is> element
	text    richText
}

// readCell is Rows.rowXMLHandler with xlsxC.cellXMLHandler for the <c>
// start tag just read: it appends the cell's value to row when excelize
// would, after empty cells up to its column.
func (r *sheetRows) readCell(row []string, col *int) ([]string, error) {
	c := &r.cell
	c.ref, c.style, c.kind, c.value, c.hasV, c.formula, c.inline = c.ref[:0], 0, cellNumber, c.value[:0], false, false, false
	c.text.reset()
	if r.cellAttrs(c) {
		if err := r.cellContent(c); err != nil {
			return row, err
		}
	}
	if len(c.ref) > 0 {
		n, err := cellColumn(c.ref)
		if err != nil {
			return row, err
		}
		*col = n
	}
	blank := *col - len(row)
	v, err := r.cells.value(c)
	if err != nil {
		return row, err
	}
	if v != "" || c.formula {
		for i := 1; i < blank; i++ {
			row = append(row, "")
		}
		row = append(row, v)
		if c.formula && !c.hasV {
			r.uncalc = append(r.uncalc, len(row)-1)
		}
	}
	return row, nil
}

// cellAttrs is xlsxC.cellXMLAttrHandler: it reports false when an s
// attribute is not a number, which makes excelize stop reading the cell
// there, its content left to the row.
func (r *sheetRows) cellAttrs(c *cellData) bool {
	for _, a := range r.sc.attrs {
		switch string(a.local) {
		case "r":
			c.ref = append(c.ref[:0], a.value...)
		case "s":
			n, err := parseInt(a.value)
			if err != nil {
				return false
			}
			c.style = int(n)
		case "t":
			c.kind = cellKindOf(a.value)
		}
	}
	return true
}

// cellContent is the rest of xlsxC.cellXMLHandler: <v>, <f> and <is>
// wherever they are in the cell, until the cell's end or the end of an
// element of the same name. An <f> or <is> that encoding/xml cannot decode
// into excelize's types ends the cell early, as there; the scanner's
// failure is returned.
func (r *sheetRows) cellContent(c *cellData) error {
	sc := r.sc
	level := sc.level
	var err error
	for {
		switch sc.next() {
		case tokenNone:
			return &brokenSheetError{sc.eofError()}
		case tokenStart:
			switch string(sc.local) {
			case "v":
				c.hasV = true
				c.value, err = sc.charData(c.value[:0])
			case "f":
				c.formula = true
				if checkAttrs(sc.attrs, formulaAttrs) != nil {
					return nil
				}
				err = sc.skip()
			case "is":
				c.inline = true
				var bad error
				if bad, err = decodeItem(sc, &c.text); bad != nil && err == nil {
					return nil
				}
			}
			if err != nil {
				return &brokenSheetError{err}
			}
		case tokenEnd:
			if sc.level == level {
				return nil
			}
			// An element named c nested in the cell ends it too if its
			// namespace is the cell's.
			if string(sc.local) == "c" {
				space, local := sc.openName(level)
				if sc.resolve(sc.space, sc.local, sc.level) == sc.resolve(space, local, level) {
					return nil
				}
			}
		}
	}
}

// cellColumn is the column of a cell reference, as
// excelize.CellNameToCoordinates gives it, without allocating for the
// common A1-style reference.
func cellColumn(ref []byte) (int, error) {
	letters := 0
	for letters < len(ref) && letters < 4 && ('A' <= ref[letters] && ref[letters] <= 'Z') {
		letters++
	}
	digits := len(ref) - letters
	if letters >= 1 && letters <= 3 && digits >= 1 && digits <= 7 && ref[letters] != '0' {
		col, row := 0, 0
		for _, b := range ref[:letters] {
			col = col*26 + int(b-'A'+1)
		}
		for _, b := range ref[letters:] {
			if b < '0' || b > '9' {
				row = -1
				break
			}
			row = row*10 + int(b-'0')
		}
		if row > 0 && row <= excelize.TotalRows && col <= excelize.MaxColumns {
			return col, nil
		}
	}
	col, _, err := excelize.CellNameToCoordinates(string(ref))
	return col, err
}

// intAttr is excelize's attrValToInt: the last attribute of that local
// name, read by strconv.Atoi, stopping at the first that is not a number.
func intAttr(attrs []xmlAttr, name string) (int, error) {
	n := 0
	for _, a := range attrs {
		if string(a.local) != name {
			continue
		}
		v, err := atoi(a.value)
		if err != nil {
			return v, err
		}
		n = v
	}
	return n, nil
}

// atoi is strconv.Atoi without the allocation for plain digits.
func atoi(b []byte) (int, error) {
	if n, ok := digits(b); ok {
		return n, nil
	}
	return strconv.Atoi(string(b))
}

// parseInt is strconv.ParseInt(b, 10, 64) without the allocation for
// plain digits.
func parseInt(b []byte) (int64, error) {
	if n, ok := digits(b); ok {
		return int64(n), nil
	}
	return strconv.ParseInt(string(b), 10, 64)
}

// digits reads up to 18 decimal digits, which cannot overflow.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// attrType is how encoding/xml reads an attribute into a field of
// excelize's types: a value that does not parse is a decoding error.
type attrType uint8

const (
	attrString attrType = iota
	attrBool
	attrInt
	attrUint32
	attrFloat
)

// The typed attributes of the elements excelize decodes inside a cell.
var (
	formulaAttrs = map[string]attrType{ // xlsxF
		"aca": attrBool, "dt2D": attrBool, "dtr": attrBool, "del1": attrBool,
		"del2": attrBool, "ca": attrBool, "bx": attrBool, "si": attrInt,
	}
	phoneticRunAttrs  = map[string]attrType{"sb": attrUint32, "eb": attrUint32} // xlsxPhoneticRun
	phoneticPropAttrs = map[string]attrType{"fontId": attrInt}                  // xlsxPhoneticPr
	runPropertyAttrs  = map[string]map[string]attrType{                         // the children of xlsxRPr
		"rFont": nil, "u": nil, "vertAlign": nil, "scheme": nil,
		"charset": {"val": attrInt}, "family": {"val": attrInt},
		"color": {"auto": attrBool, "indexed": attrInt, "theme": attrInt, "tint": attrFloat},
		"sz":    {"val": attrFloat},
	}
)

// checkAttrs returns the error encoding/xml's copyValue gives for the
// first attribute (by local name, any prefix) that does not parse as its
// field's type; an empty value reads as zero.
func checkAttrs(attrs []xmlAttr, types map[string]attrType) error {
	for _, a := range attrs {
		t := types[string(a.local)]
		if t == attrString || len(a.value) == 0 {
			continue
		}
		v := strings.TrimSpace(string(a.value))
		var err error
		switch t {
		case attrBool:
			_, err = strconv.ParseBool(v)
		case attrInt:
			_, err = strconv.ParseInt(v, 10, 64)
		case attrUint32:
			_, err = strconv.ParseUint(v, 10, 32)
		case attrFloat:
			_, err = strconv.ParseFloat(v, 64)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// richText is a string item, <si> in the shared strings or <is> in a cell,
// as excelize's xlsxSI holds it: the last <t> directly in the item, and
// the text of each run (the last <t> in it). Phonetic runs are not text.
type richText struct {
	t, runs, run []byte
}

func (t *richText) reset() { t.t, t.runs = t.t[:0], t.runs[:0] }

// String is xlsxSI.String.
func (t *richText) String() string {
	if len(t.runs) == 0 {
		if len(t.t) == 0 {
			return ""
		}
		return bstrUnmarshal(string(t.t))
	}
	return bstrUnmarshal(string(t.t) + string(t.runs))
}

// appendTo appends String's bytes to dst, without making a string of them
// for a plain item (no runs, no _xHHHH_ escape).
func (t *richText) appendTo(dst []byte) []byte {
	if len(t.runs) > 0 || bytes.Contains(t.t, []byte("_x")) {
		return append(dst, t.String()...)
	}
	return append(dst, t.t...)
}

// decodeItem decodes the string item whose start tag was the last token
// into dst, as encoding/xml decodes an xlsxSI. When it cannot (bad is not
// nil), it stops right after the offending start tag, as encoding/xml
// does, with dst holding what was decoded before; err is the scanner's
// failure.
func decodeItem(sc *xmlScanner, dst *richText) (bad, err error) {
	for {
		switch sc.next() {
		case tokenNone:
			return nil, sc.eofError()
		case tokenEnd:
			return nil, nil
		case tokenStart:
			switch string(sc.local) {
			case "t":
				dst.t, err = sc.charData(dst.t[:0])
			case "r":
				bad, err = decodeRun(sc, dst)
			case "rPh":
				// Its text is a string field: only its attributes can fail.
				if bad = checkAttrs(sc.attrs, phoneticRunAttrs); bad == nil {
					err = sc.skip()
				}
			case "phoneticPr":
				if bad = checkAttrs(sc.attrs, phoneticPropAttrs); bad == nil {
					err = sc.skip()
				}
			default:
				err = sc.skip()
			}
			if bad != nil || err != nil {
				return bad, err
			}
		}
	}
}

// decodeRun decodes an <r> into dst, which keeps it only if it decodes
// whole, as a slice element does in encoding/xml.
func decodeRun(sc *xmlScanner, dst *richText) (bad, err error) {
	dst.run = dst.run[:0]
	for {
		switch sc.next() {
		case tokenNone:
			return nil, sc.eofError()
		case tokenEnd:
			dst.runs = append(dst.runs, dst.run...)
			return nil, nil
		case tokenStart:
			switch string(sc.local) {
			case "rPr":
				bad, err = decodeRunProperties(sc)
			case "t":
				dst.run, err = sc.charData(dst.run[:0])
			default:
				err = sc.skip()
			}
			if bad != nil || err != nil {
				return bad, err
			}
		}
	}
}

func decodeRunProperties(sc *xmlScanner) (bad, err error) {
	for {
		switch sc.next() {
		case tokenNone:
			return nil, sc.eofError()
		case tokenEnd:
			return nil, nil
		case tokenStart:
			if boolProperties[string(sc.local)] {
				if bad, err = decodeBoolProperty(sc); bad != nil || err != nil {
					return bad, err
				}
				continue
			}
			if types, ok := runPropertyAttrs[string(sc.local)]; ok {
				if bad = checkAttrs(sc.attrs, types); bad != nil {
					return bad, nil
				}
			}
			if err = sc.skip(); err != nil {
				return nil, err
			}
		}
	}
}

// boolProperties are the children of xlsxRPr of excelize's attrValBool.
var boolProperties = map[string]bool{
	"b": true, "i": true, "strike": true, "outline": true, "shadow": true, "condense": true, "extend": true,
}

// errBoolProperty is excelize's ErrAttrValBool.
var errBoolProperty = errors.New("unexpected child of boolean element")

// decodeBoolProperty is attrValBool.UnmarshalXML, for the start tag just
// read: it reads the element to its end, then takes its first val
// attribute, strictly "1", "true" and the like, or empty for true. An
// element inside leaves encoding/xml's decoder ending the document at the
// end of this one (see xmlScanner.endAfter).
func decodeBoolProperty(sc *xmlScanner) (bad, err error) {
	var val []byte
	hasVal := false
	for _, a := range sc.attrs {
		if string(a.local) == "val" {
			val, hasVal = append([]byte(nil), a.value...), true
			break
		}
	}
	level := sc.level
	for {
		switch sc.next() {
		case tokenNone:
			return nil, sc.eofError()
		case tokenStart:
			sc.endAfter(level)
			return errBoolProperty, nil
		case tokenEnd:
			if hasVal && len(val) > 0 {
				if _, err := strconv.ParseBool(string(val)); err != nil {
					return err, nil
				}
			}
			return nil, nil
		}
	}
}
