package report

import (
	"path/filepath"
	"strings"

	"userimport/importer"
)

// Outputs returns the files of package report as the import pipeline
// makes them: result workbooks named as SPEC §6 says (ReserveResults),
// credentials notices created and, on resume, reopened only when safe.
func Outputs() importer.Outputs {
	return importer.Outputs{
		Results: func(dir, base, name string, dryRun, withCSV bool) (importer.ResultWriter, string, string, error) {
			var files ResultFiles
			if name != "" {
				stem := strings.TrimSuffix(name, ".xlsx")
				files = ResultFiles{XLSX: filepath.Join(dir, stem+".xlsx")}
				if withCSV {
					files.CSV = filepath.Join(dir, stem+".csv")
				}
			} else {
				var err error
				if files, err = ReserveResults(dir, base, dryRun, withCSV); err != nil {
					return nil, "", "", err
				}
			}
			w, err := files.Create()
			if err != nil {
				return nil, "", "", err
			}
			return w, files.XLSX, files.CSV, nil
		},
		CreateNotice: func(dir, base string, h importer.NoticeHeader) (importer.Notice, error) {
			return CreateNotice(dir, base, h)
		},
		ReopenNotice: func(path, dir, base string, h importer.NoticeHeader) (importer.Notice, map[string]bool, error, error) {
			n, err := ResumeNotice(path, dir, base, h)
			if err != nil {
				return nil, nil, nil, err
			}
			have := make(map[string]bool, len(n.Entries))
			for _, e := range n.Entries {
				have[strings.ToLower(e.UPN)] = true
			}
			return n.Notice, have, n.Refused, nil
		},
	}
}
