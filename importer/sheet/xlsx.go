package sheet

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
	"userimport/importer/sheet/internal/fastxlsx"
)

// openXLSX opens a workbook's worksheet. The fast reader (internal/fastxlsx)
// reads it when it can give exactly the cells the excelize reader would;
// the excelize reader reads the other workbooks, by the same rules
// (fastxlsx.NormalizeNumberFormats, fastxlsx.PlainInteger).
func openXLSX(ra io.ReaderAt, size int64, opts Options) (source, error) {
	src, err := openFastXLSX(ra, size, opts)
	if errors.Is(err, fastxlsx.ErrNoFastPath) {
		return openExcelizeXLSX(io.NewSectionReader(ra, 0, size), opts)
	}
	return src, err
}

// xlsxSource streams a worksheet's rows with excelize's Rows iterator: the
// worksheet part is decoded as it is read, never held whole.
type xlsxSource struct {
	f      *excelize.File
	rows   *excelize.Rows
	name   string // the worksheet's
	number int
	done   bool
}

// openExcelizeXLSX opens the workbook r holds with excelize, which reads
// it into memory whole (as excelize.OpenFile does too).
func openExcelizeXLSX(r io.Reader, opts Options) (source, error) {
	limit := unzipLimit(opts)
	// Parts larger than UnzipXMLSizeLimit are unpacked to a temporary file
	// and streamed from there rather than held in memory.
	f, err := excelize.OpenReader(r, excelize.Options{
		UnzipSizeLimit:    limit,
		UnzipXMLSizeLimit: fastxlsx.XMLPartLimit(limit),
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		if strings.Contains(err.Error(), "unzip size") || strings.Contains(err.Error(), "exceeds") {
			return nil, fastxlsx.ZipBombError(limit)
		}
		return nil, importer.Errorf(importer.EINVALID,
			"the workbook is damaged and cannot be read (%v): open it in Excel and save it again as .xlsx or .csv", err)
	}
	name, err := fastxlsx.ChooseSheet(f.GetSheetList(), opts.Sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	s := &xlsxSource{f: f, name: name}
	if err := fastxlsx.NormalizeNumberFormats(f); err != nil {
		f.Close()
		return nil, stylesError(err)
	}
	s.rows, err = f.Rows(name)
	if err != nil {
		f.Close()
		return nil, importer.Errorf(importer.EINVALID, "worksheet %q cannot be read (%v): is it a chart sheet? Save the data as .xlsx or .csv", name, err)
	}
	return s, nil
}

// unzipLimit is the uncompressed size opts allow a workbook.
func unzipLimit(opts Options) int64 {
	if opts.MaxUnzipSize > 0 {
		return opts.MaxUnzipSize
	}
	return DefaultMaxUnzipSize
}

func stylesError(err error) error {
	return importer.Errorf(importer.EINVALID, "the workbook's styles are damaged (%v): open it in Excel and save it again as .xlsx or .csv", err)
}

func (s *xlsxSource) next() (cells []string, number int, err error) {
	if s.done {
		return nil, s.number, io.EOF
	}
	// excelize indexes its shared strings with the cell's number as it
	// stands when they are spilled to a temporary file, and panics on a
	// negative one: that row is damaged, not the program.
	defer func() {
		if p := recover(); p != nil {
			cells, number, err = nil, s.number, fastxlsx.DamagedRowError(s.number, fmt.Errorf("%v", p))
		}
	}()
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, s.number + 1, fastxlsx.PastRowError(s.number, err)
		}
		return nil, s.number, io.EOF
	}
	s.number++
	if s.number > excelize.TotalRows {
		// excelize counts on past a row number out of range; a worksheet
		// ends at TotalRows.
		s.done = true
		return nil, s.number, fastxlsx.PastRowError(s.number-1, excelize.ErrMaxRows)
	}
	cells, err = s.rows.Columns()
	if err != nil {
		return nil, s.number, fastxlsx.DamagedRowError(s.number, err)
	}
	for i, c := range cells {
		cells[i] = fastxlsx.PlainInteger(c)
	}
	return cells, s.number, nil
}

func (s *xlsxSource) warnings() []string { return nil }

func (s *xlsxSource) sheet() string { return s.name }

func (s *xlsxSource) close() error {
	err := s.rows.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, excelize.ErrMaxRows) {
		return nil
	}
	return err
}
