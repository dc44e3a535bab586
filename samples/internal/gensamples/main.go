// Command gensamples writes the sample files of the samples directory:
// new-hires.xlsx and new-hires.csv in our template, and one file in each
// foreign template (Microsoft 365 admin center, Microsoft Entra bulk
// create, Google Workspace).
//
// new-hires.xlsx holds a few deliberate mistakes, so that importing it
// shows failures in the result workbook; new-hires.csv holds its valid
// rows only.
package main

import (
	"encoding/csv"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/xuri/excelize/v2"

	"userimport/importer"
)

// person is one row of a sample, in our columns.
type person struct {
	upn, first, last, display, title, dept, office, phone, mobile string
	address, city, state, zip, country, usage, licenses, password string
	employeeID                                                    string
	mistake                                                       string // what is wrong with the row, "" when nothing
}

var people = []person{
	{"jose.nunez@contoso.com", "José", "Núñez", "José Núñez", "Sales Manager", "Sales", "18/2111", "+1 425 555 0101", "+1 425 555 0201", "1 Microsoft Way", "Redmond", "WA", "98052", "United States", "US", "ENTERPRISEPACK", "Blue-Harbor-42", "E2001", ""},
	{"zoe.muller@contoso.com", "Zoë", "Müller", "Zoë Müller", "Designer", "Marketing", "3/101", "+49 30 1234567", "", "Friedrichstraße 10", "Berlin", "BE", "10115", "Germany", "DE", "SPB", "", "E2002", ""},
	{"lukasz.wisniewski@fabrikam.com", "Łukasz", "Wiśniewski", "Łukasz Wiśniewski", "Software Engineer", "Engineering", "2/17", "+48 22 1234567", "+48 601 234 567", "ul. Marszałkowska 1", "Warszawa", "Mazowieckie", "00-950", "Poland", "PL", "EXCHANGESTANDARD", "", "E2003", ""},
	{"soren.jorgensen@contoso.com", "Søren", "Jørgensen", "Søren Jørgensen", "Controller", "Finance", "4/12", "+45 33 12 34 56", "", "Strøget 12", "København", "", "1050", "Denmark", "DK", "ENTERPRISEPACK", "Tr0mbone!Sky", "E2004", ""},
	{"an.nguyen@fabrikam.com", "An", "Nguyễn", "Nguyễn Văn An", "Support Specialist", "Customer Support", "1/5", "+84 24 3825 1234", "", "12 Tràng Tiền", "Hà Nội", "", "100000", "Vietnam", "VN", "EXCHANGESTANDARD", "", "E2005", ""},
	{"wei.li@contoso.com", "伟", "李", "李伟", "Financial Analyst", "Finance", "8/808", "+86 21 5555 0100", "", "南京东路 100 号", "上海", "上海", "200000", "China", "CN", "SPB", "", "E2006", ""},
	{"olafur.jonsson@contoso.com", "Ólafur", "Jónsson", "Ólafur Jónsson", "Site Reliability Engineer", "Engineering", "2/22", "+354 555 1234", "", "Laugavegur 20", "Reykjavík", "", "101", "Iceland", "IS", "ENTERPRISEPACK", "", "E2007", ""},
	{"chloe.dubois@fabrikam.com", "Chloé", "Dubois", "Chloé Dubois", "Content Strategist", "Marketing", "3/330", "+33 1 42 68 53 00", "+33 6 12 34 56 78", "8 rue de Rivoli", "Paris", "", "75008", "France", "FR", "SPB", "Maple#Leaf2024", "E2008", ""},
	{"siobhan.o'brien@contoso.com", "Siobhán", "O'Brien", "Siobhán O'Brien", "Counsel", "Legal", "9/901", "+353 1 555 0100", "", "1 Grand Canal Square", "Dublin", "", "D02 X285", "Ireland", "IE", "ENTERPRISEPACK", "", "E2009", ""},
	{"inigo.ibanez@contoso.com", "Íñigo", "Ibáñez", "Íñigo Ibáñez", "Account Executive", "Sales", "18/2120", "+34 91 555 0100", "", "Calle Mayor 1", "Madrid", "Madrid", "28013", "Spain", "ES", "EXCHANGESTANDARD", "", "E2010", ""},
	{"anna-lena.schafer@fabrikam.com", "Anna-Lena", "Schäfer", "Anna-Lena Schäfer", "Recruiter", "Human Resources", "5/14", "+49 89 2345678", "", "Marienplatz 8", "München", "BY", "80331", "Germany", "DE", "", "", "E2011", ""},
	{"mette.sorensen@contoso.com", "Mette", "Sørensen", "Mette Sørensen", "HR Business Partner", "Human Resources", "5/15", "+45 86 12 34 56", "", "Åboulevarden 3", "Aarhus", "", "8000", "Denmark", "DK", "ENTERPRISEPACK", "", "E2012", ""},
	{"gudrun.sigurdardottir@contoso.com", "Guðrún", "Sigurðardóttir", "Guðrún Sigurðardóttir", "Logistics Coordinator", "Operations", "6/60", "+354 555 9876", "", "Laugavegur 22", "Reykjavík", "", "101", "Iceland", "IS", "", "", "E2013", ""},
	{"adele.vance@contoso.com", "Adele", "Vance", "Adele Vance", "Retail Manager", "Retail", "18/2111", "+1 425 555 0109", "+1 425 555 0110", "1 Microsoft Way", "Redmond", "WA", "98052", "United States", "US", "ENTERPRISEPACK", "", "E2014", ""},
	{"jakob..smith@contoso.com", "Jakob", "Smith", "Jakob Smith", "Accountant", "Finance", "4/40", "+1 617 555 0100", "", "1 Federal Street", "Boston", "MA", "02110", "United States", "US", "ENTERPRISEPACK", "", "E2015", "two periods in a row in the user name"},
	{"priya.patel@northwind.example", "Priya", "Patel", "Priya Patel", "Operations Analyst", "Operations", "6/61", "+1 212 555 0100", "", "350 Fifth Avenue", "New York", "NY", "10001", "United States", "US", "SPB", "", "E2016", "the domain is not verified"},
	{"ahmed.hassan@contoso.com", "Ahmed", "Hassan", "Ahmed Hassan", "Software Engineer", "Engineering", "2/18", "+1 425 555 0111", "", "1 Microsoft Way", "Redmond", "WA", "98052", "United States", "US", "VISIOCLIENT", "", "E2017", "the license does not exist"},
	{"jose.nunez@contoso.com", "José", "Núñez", "José Núñez", "Sales Manager", "Sales", "18/2111", "+1 425 555 0101", "", "1 Microsoft Way", "Redmond", "WA", "98052", "United States", "US", "ENTERPRISEPACK", "", "E2018", "a duplicate of row 2"},
	{"emma.wilson@fabrikam.com", "Emma", "Wilson", "Emma Wilson", "Paralegal", "Legal", "9/902", "+44 20 7946 0100", "", "1 Canada Square", "London", "", "E14 5AB", "United Kingdom", "GB", "EXCHANGESTANDARD", "password", "E2019", "a weak password"},
	{"bjork.einarsdottir@contoso.com", "Björk", "Einarsdóttir", "Björk Einarsdóttir", "Marketing Director", "Marketing", "3/301", "+354 555 4321", "", "Laugavegur 24", "Reykjavík", "", "101", "Iceland", "ZZ", "SPB", "", "E2020", "an unknown usage location"},
}

func (p person) cells() []string {
	row := make([]string, importer.NumColumns)
	row[importer.ColUserName] = p.upn
	row[importer.ColFirstName] = p.first
	row[importer.ColLastName] = p.last
	row[importer.ColDisplayName] = p.display
	row[importer.ColJobTitle] = p.title
	row[importer.ColDepartment] = p.dept
	row[importer.ColOfficeNumber] = p.office
	row[importer.ColOfficePhone] = p.phone
	row[importer.ColMobilePhone] = p.mobile
	row[importer.ColAddress] = p.address
	row[importer.ColCity] = p.city
	row[importer.ColState] = p.state
	row[importer.ColPostalCode] = p.zip
	row[importer.ColCountry] = p.country
	row[importer.ColUsageLocation] = p.usage
	row[importer.ColLicenses] = p.licenses
	row[importer.ColPassword] = p.password
	row[importer.ColEmployeeID] = p.employeeID
	return row
}

func ourHeader() []string {
	var h []string
	for _, c := range importer.Columns() {
		h = append(h, c.String())
	}
	return h
}

func main() {
	dir := flag.String("dir", "samples", "directory to write the samples to")
	flag.Parse()
	if err := run(*dir); err != nil {
		fmt.Fprintln(os.Stderr, "gensamples:", err)
		os.Exit(1)
	}
}

func run(dir string) error {
	var valid [][]string
	for _, p := range people {
		if p.mistake == "" {
			valid = append(valid, p.cells())
		}
	}
	all := make([][]string, len(people))
	for i, p := range people {
		all[i] = p.cells()
	}
	if err := writeXLSX(filepath.Join(dir, "new-hires.xlsx"), ourHeader(), all); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, "new-hires.csv"), nil, ourHeader(), valid); err != nil {
		return err
	}
	foreign := people[:8]

	// Microsoft 365 admin center, "Add multiple users": its sample CSV.
	adminHeader := []string{"User Name", "First Name", "Last Name", "Display Name", "Job Title", "Department", "Office Number", "Office Phone", "Mobile Phone", "Fax", "Alternate email address", "Address", "City", "State or Province", "ZIP or Postal Code", "Country or Region"}
	var rows [][]string
	for _, p := range foreign {
		rows = append(rows, []string{p.upn, p.first, p.last, p.display, p.title, p.dept, p.office, p.phone, p.mobile, "", "", p.address, p.city, p.state, p.zip, p.country})
	}
	if err := writeCSV(filepath.Join(dir, "admin-center.csv"), nil, adminHeader, rows); err != nil {
		return err
	}

	// Microsoft Entra bulk create: a version line, then its header.
	entraHeader := []string{"Name [displayName] Required", "User name [userPrincipalName] Required", "Initial password [passwordProfile] Required", "Block sign in (Yes/No) [accountEnabled] Required", "First name [givenName]", "Last name [surname]", "Job title [jobTitle]", "Department [department]", "Usage location [usageLocation]", "Street address [streetAddress]", "State or province [state]", "Country or region [country]", "Office [physicalDeliveryOfficeName]", "City [city]", "ZIP or postal code [postalCode]", "Office phone [telephoneNumber]", "Mobile phone [mobile]"}
	entraPasswords := []string{"Blue-Harbor-42", "Quiet!River77", "Granite#Peak19", "Tr0mbone!Sky", "Lantern$Field8", "Copper&Moon33", "Velvet*Storm51", "Maple#Leaf2024"}
	rows = nil
	for i, p := range foreign {
		rows = append(rows, []string{p.display, p.upn, entraPasswords[i], "No", p.first, p.last, p.title, p.dept, p.usage, p.address, p.state, p.country, p.office, p.city, p.zip, p.phone, p.mobile})
	}
	if err := writeCSV(filepath.Join(dir, "entra-bulk-create.csv"), []string{"version:v1.0"}, entraHeader, rows); err != nil {
		return err
	}

	// Google Workspace, "Bulk update users": its header.
	googleHeader := []string{"First Name [Required]", "Last Name [Required]", "Email Address [Required]", "Password [Required]", "Password Hash Function [UPLOAD ONLY]", "Org Unit Path [Required]", "New Primary Email [UPLOAD ONLY]", "Recovery Email", "Home Secondary Email", "Work Secondary Email", "Recovery Phone [MUST BE IN THE E.164 FORMAT]", "Work Phone", "Home Phone", "Mobile Phone", "Work Address", "Home Address", "Employee ID", "Employee Type", "Employee Title", "Manager Email", "Department", "Cost Center", "Building ID", "Floor Name", "Floor Section", "Change Password at Next Sign-In", "New Status [UPLOAD ONLY]", "Advanced Protection Program enrollment"}
	rows = nil
	for i, p := range foreign {
		rows = append(rows, []string{p.first, p.last, p.upn, entraPasswords[(i+3)%len(entraPasswords)], "", "/", "", "", "", "", "", p.phone, "", p.mobile, p.address + ", " + p.city, "", p.employeeID, "Employee", p.title, "", p.dept, "", "", "", "", "TRUE", "", ""})
	}
	return writeCSV(filepath.Join(dir, "google-workspace.csv"), nil, googleHeader, rows)
}

// writeCSV writes a UTF-8 CSV with CRLF line ends, as Excel saves one:
// lines before the header first (Entra's version line), unquoted.
func writeCSV(path string, preamble []string, header []string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	for _, l := range preamble {
		fmt.Fprintf(f, "%s\r\n", l)
	}
	w := csv.NewWriter(f)
	w.UseCRLF = true
	w.Write(header)
	w.WriteAll(rows)
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeXLSX writes a workbook in our template's look: a bold frozen header
// and widths, on a sheet named Users.
func writeXLSX(path string, header []string, rows [][]string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Users"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, row := range append([][]string{header}, rows...) {
		cells := make([]any, len(row))
		for j, v := range row {
			cells[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow(sheet, cell, &cells); err != nil {
			return err
		}
	}
	last, _ := excelize.ColumnNumberToName(len(header))
	if err := f.SetCellStyle(sheet, "A1", last+"1", bold); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "A", last, 18); err != nil {
		return err
	}
	if err := f.SetColWidth(sheet, "A", "A", 32); err != nil {
		return err
	}
	if err := f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	return f.SaveAs(path)
}
