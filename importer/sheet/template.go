package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

// Names in the workbooks this package writes.
const (
	usersSheet = "Users"
	listsSheet = "Lists"
)

// WriteTemplate writes a blank import template to w: our columns in
// importer.Columns order, named by Column.String, and one example row in
// contoso.com. format is "csv" or "xlsx". The XLSX has a bold frozen header,
// column widths, text-formatted ZIP, phone and ID columns (so typed leading
// zeros stay), and drop-down lists: Licenses from products' SKUs and Usage
// Location from usageLocations, both kept on a hidden sheet "Lists".
func WriteTemplate(w io.Writer, format string, products []importer.Product, usageLocations []string) error {
	header := columnNames()
	example := exampleRow(products)
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		cw.UseCRLF = true
		cw.Write(header)
		cw.Write(example)
		cw.Flush()
		return cw.Error()
	case "xlsx":
		return writeTemplateXLSX(w, header, example, products, usageLocations)
	}
	return importer.Errorf(importer.EINVALID, "format %q: use csv or xlsx", format)
}

func columnNames() []string {
	cols := importer.Columns()
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.String()
	}
	return names
}

func exampleRow(products []importer.Product) []string {
	row := make([]string, importer.NumColumns)
	license := "ENTERPRISEPACK"
	if len(products) > 0 {
		license = products[0].SKU
	}
	for c, v := range map[importer.Column]string{
		importer.ColUserName:              "adele.vance@contoso.com",
		importer.ColFirstName:             "Adele",
		importer.ColLastName:              "Vance",
		importer.ColDisplayName:           "Adele Vance",
		importer.ColJobTitle:              "Retail Manager",
		importer.ColDepartment:            "Retail",
		importer.ColOfficeNumber:          "18/2111",
		importer.ColOfficePhone:           "+1 425 555 0109",
		importer.ColMobilePhone:           "+1 425 555 0110",
		importer.ColAlternateEmail:        "adele.vance@example.com",
		importer.ColAddress:               "1 Microsoft Way",
		importer.ColCity:                  "Redmond",
		importer.ColState:                 "WA",
		importer.ColPostalCode:            "98052",
		importer.ColCountry:               "United States",
		importer.ColUsageLocation:         "US",
		importer.ColLicenses:              license,
		importer.ColRequirePasswordChange: "Yes",
		importer.ColBlockSignIn:           "No",
		importer.ColEmployeeID:            "E1001",
	} {
		row[c] = v
	}
	return row
}

// columnWidth is the width, in characters, a column of our template gets.
func columnWidth(c importer.Column) float64 {
	switch c {
	case importer.ColUserName, importer.ColAlternateEmail, importer.ColAddress:
		return 30
	case importer.ColDisplayName, importer.ColJobTitle, importer.ColLicenses, importer.ColCountry:
		return 22
	}
	return max(float64(len(c.String()))+2, 12)
}

// textColumns hold digits that are not numbers.
var textColumns = []importer.Column{
	importer.ColOfficePhone, importer.ColMobilePhone, importer.ColFax,
	importer.ColPostalCode, importer.ColEmployeeID, importer.ColOfficeNumber,
}

func writeTemplateXLSX(w io.Writer, header, example []string, products []importer.Product, usageLocations []string) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", usersSheet); err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}
	textStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}
	for _, c := range importer.Columns() {
		col := columnLetters(int(c))
		if err := f.SetColWidth(usersSheet, col, col, columnWidth(c)); err != nil {
			return fmt.Errorf("sheet: template: %w", err)
		}
	}
	for _, c := range textColumns {
		col := columnLetters(int(c))
		if err := f.SetColStyle(usersSheet, col, textStyle); err != nil {
			return fmt.Errorf("sheet: template: %w", err)
		}
	}
	if err := setRow(f, usersSheet, 1, header); err != nil {
		return err
	}
	if err := f.SetCellStyle(usersSheet, "A1", columnLetters(len(header)-1)+"1", bold); err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}
	if err := setRow(f, usersSheet, 2, example); err != nil {
		return err
	}
	if err := f.SetPanes(usersSheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}

	// The lists live on a hidden sheet: an inline list is limited to 255
	// characters, far fewer than the country codes.
	if _, err := f.NewSheet(listsSheet); err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}
	skus := make([]string, len(products))
	for i, p := range products {
		skus[i] = p.SKU
	}
	lists := []struct {
		col    importer.Column
		header string
		values []string
		strict bool
		prompt string
	}{
		// A cell may name several licenses ("A;B"), so a value not in the
		// list only warns.
		{importer.ColLicenses, "Licenses", skus, false, "Pick a license, or type several separated by ;"},
		{importer.ColUsageLocation, "Usage Location", usageLocations, true, "Two-letter country code, e.g. US"},
	}
	for i, l := range lists {
		listCol := columnLetters(i)
		values := append([]string{l.header}, l.values...)
		if err := setColumn(f, listsSheet, listCol, values); err != nil {
			return err
		}
		if len(l.values) == 0 {
			continue
		}
		col := columnLetters(int(l.col))
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, excelize.TotalRows))
		dv.SetSqrefDropList(fmt.Sprintf("%s!$%s$2:$%s$%d", listsSheet, listCol, listCol, len(values)))
		style := excelize.DataValidationErrorStyleWarning
		if l.strict {
			style = excelize.DataValidationErrorStyleStop
		}
		dv.SetError(style, l.header, "Not in the list: "+l.prompt)
		dv.SetInput(l.header, l.prompt)
		if err := f.AddDataValidation(usersSheet, dv); err != nil {
			return fmt.Errorf("sheet: template: %w", err)
		}
	}
	for _, c := range []importer.Column{importer.ColRequirePasswordChange, importer.ColBlockSignIn} {
		col := columnLetters(int(c))
		dv := excelize.NewDataValidation(true)
		dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, excelize.TotalRows))
		if err := dv.SetDropList([]string{"Yes", "No"}); err != nil {
			return fmt.Errorf("sheet: template: %w", err)
		}
		if err := f.AddDataValidation(usersSheet, dv); err != nil {
			return fmt.Errorf("sheet: template: %w", err)
		}
	}
	roles := make([]string, 0, 3)
	for _, r := range importer.Roles() {
		roles = append(roles, string(r))
	}
	col := columnLetters(int(importer.ColRoles))
	dv := excelize.NewDataValidation(true)
	dv.SetSqref(fmt.Sprintf("%s2:%s%d", col, col, excelize.TotalRows))
	if err := dv.SetDropList(roles); err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}
	dv.SetError(excelize.DataValidationErrorStyleWarning, "Roles", "Roles are "+strings.Join(roles, ", "))
	if err := f.AddDataValidation(usersSheet, dv); err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}
	if err := f.SetSheetVisible(listsSheet, false); err != nil {
		return fmt.Errorf("sheet: template: %w", err)
	}
	f.SetActiveSheet(0)
	if err := f.Write(w); err != nil {
		return fmt.Errorf("sheet: write template: %w", err)
	}
	return nil
}

func setRow(f *excelize.File, sheet string, row int, values []string) error {
	cells := make([]any, len(values))
	for i, v := range values {
		cells[i] = v
	}
	if err := f.SetSheetRow(sheet, fmt.Sprintf("A%d", row), &cells); err != nil {
		return fmt.Errorf("sheet: write row %d: %w", row, err)
	}
	return nil
}

func setColumn(f *excelize.File, sheet, col string, values []string) error {
	cells := make([]any, len(values))
	for i, v := range values {
		cells[i] = v
	}
	if err := f.SetSheetCol(sheet, col+"1", &cells); err != nil {
		return fmt.Errorf("sheet: write column %s: %w", col, err)
	}
	return nil
}
