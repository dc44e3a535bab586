package sheet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

var demoProducts = []importer.Product{
	{SKU: "ENTERPRISEPACK", Name: "Office 365 E3", Seats: 25},
	{SKU: "SPB", Name: "Microsoft 365 Business Premium", Seats: 10},
	{SKU: "EXCHANGESTANDARD", Name: "Exchange Online (Plan 1)", Seats: 5},
}

func TestWriteTemplate(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			locations := []string{"US", "DE", "FR", "GB", "PL"}
			if err := WriteTemplate(&b, format, demoProducts, locations); err != nil {
				t.Fatal(err)
			}
			r, rows := readAll(t, writeFile(t, "template."+format, b.Bytes()), Options{})
			if len(r.Warnings()) != 0 {
				t.Errorf("warnings = %q", r.Warnings())
			}
			for _, c := range importer.Columns() {
				if !r.Has(c) {
					t.Errorf("no column %s", c)
				}
			}
			if len(rows) != 1 || rows[0].Get(importer.ColUserName) != "adele.vance@contoso.com" || rows[0].Get(importer.ColPostalCode) != "98052" || rows[0].Get(importer.ColLicenses) != "ENTERPRISEPACK" {
				t.Errorf("rows = %+v", rows)
			}
			if format != "xlsx" {
				return
			}
			f, err := excelize.OpenReader(&b)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := strings.Join(f.GetSheetList(), ","); got != "Users,Lists" {
				t.Errorf("sheets = %s", got)
			}
			if visible, _ := f.GetSheetVisible("Lists"); visible {
				t.Error("Lists is visible")
			}
			dvs, err := f.GetDataValidations("Users")
			if err != nil {
				t.Fatal(err)
			}
			formulas := map[string]string{}
			for _, dv := range dvs {
				formulas[dv.Sqref] = dv.Formula1
			}
			if got := formulas["R2:R1048576"]; got != "Lists!$A$2:$A$4" {
				t.Errorf("Licenses list = %q (%v)", got, formulas)
			}
			if got := formulas["Q2:Q1048576"]; got != "Lists!$B$2:$B$6" {
				t.Errorf("Usage Location list = %q", got)
			}
			if cells, _ := f.GetCols("Lists"); len(cells) < 2 || strings.TrimRight(strings.Join(cells[0], ","), ",") != "Licenses,ENTERPRISEPACK,SPB,EXCHANGESTANDARD" {
				t.Errorf("Lists = %q", cells)
			}
			if panes, _ := f.GetPanes("Users"); !panes.Freeze || panes.YSplit != 1 {
				t.Errorf("panes = %+v", panes)
			}
		})
	}
	if err := WriteTemplate(new(bytes.Buffer), "ods", nil, nil); importer.ErrorCode(err) != importer.EINVALID {
		t.Errorf("ods: %v", err)
	}
}

func TestGenerate(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			const n = 3000
			var b bytes.Buffer
			if err := Generate(&b, format, n, "fabrikam.com", 7); err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			Generate(&again, format, n, "fabrikam.com", 7)
			if format == "csv" && !bytes.Equal(b.Bytes(), again.Bytes()) {
				t.Error("the same seed gave another roster")
			}
			r, rows := readAll(t, writeFile(t, "roster."+format, b.Bytes()), Options{})
			if len(r.Warnings()) != 0 {
				t.Errorf("warnings = %q", r.Warnings())
			}
			if len(rows) != n {
				t.Fatalf("%d rows, want %d", len(rows), n)
			}
			upns, ids := map[string]bool{}, map[string]bool{}
			nonASCII := 0
			for _, row := range rows {
				upn := strings.ToLower(row.Get(importer.ColUserName))
				alias, domain, _ := strings.Cut(upn, "@")
				if domain != "fabrikam.com" || alias == "" || strings.Contains(alias, "..") || alias[0] == '.' || alias[len(alias)-1] == '.' {
					t.Errorf("row %d: user name %q", row.Number, upn)
				}
				for _, c := range alias {
					if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.ContainsRune("'.-_!#^~", c)) {
						t.Errorf("row %d: alias %q has %q", row.Number, alias, c)
						break
					}
				}
				if upns[upn] {
					t.Errorf("row %d: duplicate %s", row.Number, upn)
				}
				upns[upn] = true
				if id := row.Get(importer.ColEmployeeID); ids[id] || id == "" {
					t.Errorf("row %d: employee ID %q", row.Number, id)
				} else {
					ids[id] = true
				}
				if row.Get(importer.ColDisplayName) != strings.ToValidUTF8(row.Get(importer.ColDisplayName), "") {
					t.Errorf("row %d: bad UTF-8", row.Number)
				}
				for _, c := range row.Get(importer.ColDisplayName) {
					if c > 127 {
						nonASCII++
						break
					}
				}
				if len(row.Get(importer.ColUsageLocation)) != 2 {
					t.Errorf("row %d: usage location %q", row.Number, row.Get(importer.ColUsageLocation))
				}
			}
			if nonASCII < n/4 {
				t.Errorf("only %d of %d names are beyond ASCII", nonASCII, n)
			}
		})
	}
}

func TestAsciiAlias(t *testing.T) {
	tests := map[string]string{
		"José": "jose", "Zoë": "zoe", "Łukasz": "lukasz", "Søren": "soren", "Nguyễn": "nguyen",
		"Ólafur": "olafur", "Chloé": "chloe", "O'Brien": "obrien", "Weiß": "weiss", "Þór": "thor",
		"Guðrún": "gudrun", "Anna-Lena": "anna-lena", "Ó Súilleabháin": "osuilleabhain", "Đức": "duc",
	}
	for in, want := range tests {
		if got := asciiAlias(name{text: in}); got != want {
			t.Errorf("asciiAlias(%q) = %q, want %q", in, got, want)
		}
	}
	if got := asciiAlias(name{"李", "li"}); got != "li" {
		t.Errorf("李 → %q", got)
	}
}
