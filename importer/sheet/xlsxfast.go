package sheet

import (
	"io"

	"userimport/importer/sheet/internal/fastxlsx"
)

// fastXLSXSource is a worksheet read by the fast reader (package
// internal/fastxlsx).
type fastXLSXSource struct{ r *fastxlsx.Reader }

// openFastXLSX opens the workbook ra holds with the fast reader; an error
// wrapping fastxlsx.ErrNoFastPath leaves it to the excelize reader.
func openFastXLSX(ra io.ReaderAt, size int64, opts Options) (source, error) {
	r, err := fastxlsx.Open(ra, size, fastxlsx.Options{Sheet: opts.Sheet, Limit: unzipLimit(opts)})
	if err != nil {
		return nil, err
	}
	return &fastXLSXSource{r}, nil
}

func (s *fastXLSXSource) next() ([]string, int, error) { return s.r.Next() }
func (s *fastXLSXSource) warnings() []string           { return s.r.Warnings() }
func (s *fastXLSXSource) sheet() string                { return s.r.Sheet() }
func (s *fastXLSXSource) uncalculated() []int          { return s.r.Uncalculated() }
func (s *fastXLSXSource) close() error                 { return s.r.Close() }
