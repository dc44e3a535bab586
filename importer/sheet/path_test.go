package sheet

import (
	"os"
)

// fileSource is a source with the file it reads, closed with it.
type fileSource struct {
	source
	f *os.File
}

func (s fileSource) close() error {
	err := s.source.close()
	s.f.Close()
	return err
}

// openPath opens the file at path for one of the XLSX readers; the source
// returned is the reader's own, wrapped so that closing it closes the file.
func openPath(path string, open func(f *os.File, size int64) (source, error)) (source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	src, err := open(f, st.Size())
	if err != nil {
		f.Close()
		return nil, err
	}
	return fileSource{src, f}, nil
}

func openFastPath(path string, opts Options) (source, error) {
	return openPath(path, func(f *os.File, size int64) (source, error) { return openFastXLSX(f, size, opts) })
}

func openExcelizePath(path string, opts Options) (source, error) {
	return openPath(path, func(f *os.File, _ int64) (source, error) { return openExcelizeXLSX(f, opts) })
}

func openXLSXPath(path string, opts Options) (source, error) {
	return openPath(path, func(f *os.File, size int64) (source, error) { return openXLSX(f, size, opts) })
}

// unwrap returns the reader's own source.
func unwrap(src source) source {
	if fs, ok := src.(fileSource); ok {
		return fs.source
	}
	return src
}
