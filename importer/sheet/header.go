package sheet

import (
	"fmt"
	"strings"
	"unicode"

	"userimport/importer"
)

// aliases are the header names SPEC §4 accepts for each column, besides the
// column's own name. Matching ignores case, spaces and punctuation (see
// headerKey).
var aliases = [importer.NumColumns][]string{
	importer.ColUserName:              {"User name [userPrincipalName] Required", "userPrincipalName", "Email Address [Required]", "Username", "UPN"},
	importer.ColFirstName:             {"First name [givenName]", "givenName", "First Name [Required]"},
	importer.ColLastName:              {"Last name [surname]", "surname", "Last Name [Required]"},
	importer.ColDisplayName:           {"Name [displayName] Required", "displayName"},
	importer.ColJobTitle:              {"Job title [jobTitle]", "Employee Title"},
	importer.ColDepartment:            {"Department [department]"},
	importer.ColOfficeNumber:          {"Office [physicalDeliveryOfficeName]"},
	importer.ColOfficePhone:           {"Office phone [telephoneNumber]", "Work Phone"},
	importer.ColMobilePhone:           {"Mobile phone [mobile]"},
	importer.ColAlternateEmail:        {"Recovery Email"},
	importer.ColAddress:               {"Street address [streetAddress]", "Work Address"},
	importer.ColCity:                  {"City [city]"},
	importer.ColState:                 {"State or province [state]"},
	importer.ColPostalCode:            {"ZIP or postal code [postalCode]"},
	importer.ColCountry:               {"Country or region [country]"},
	importer.ColUsageLocation:         {"Usage location [usageLocation]"},
	importer.ColLicenses:              {"License", "New Licenses [Upload Only]"},
	importer.ColPassword:              {"Initial password [passwordProfile] Required", "Password [Required]"},
	importer.ColRequirePasswordChange: {"Change Password at Next Sign-In"},
	importer.ColBlockSignIn:           {"Block sign in (Yes/No) [accountEnabled] Required"},
	importer.ColEmployeeID:            {"Employee ID"},
	importer.ColPasswordHashFunction:  {"Password Hash Function [UPLOAD ONLY]"},
	importer.ColStatus:                {"New Status [UPLOAD ONLY]"},
}

// headerKeys maps the key of every accepted name to its column.
var headerKeys = func() map[string]importer.Column {
	m := make(map[string]importer.Column)
	for _, c := range importer.Columns() {
		m[headerKey(c.String())] = c
		for _, a := range aliases[c] {
			m[headerKey(a)] = c
		}
	}
	return m
}()

// headerKey folds a header name for matching: lower case, letters and digits
// only ("User name [userPrincipalName] Required" → "usernameuserprincipalnamerequired").
func headerKey(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// looseKey is headerKey of s without its bracketed or parenthesized parts and
// a trailing "required", "*" or "(optional)": "User Name *" and
// "Department [required]" still match. It is tried only when the exact key
// is unknown.
func looseKey(s string) string {
	var b strings.Builder
	depth := 0
	for _, r := range s {
		switch r {
		case '[', '(':
			depth++
		case ']', ')':
			if depth > 0 {
				depth--
			}
		default:
			if depth == 0 {
				b.WriteRune(r)
			}
		}
	}
	k := headerKey(b.String())
	for _, suffix := range []string{"required", "optional", "uploadonly"} {
		if len(k) > len(suffix) && strings.HasSuffix(k, suffix) {
			k = strings.TrimSuffix(k, suffix)
		}
	}
	return k
}

// lookupHeader returns the column a header cell names.
func lookupHeader(name string) (importer.Column, bool) {
	if c, ok := headerKeys[headerKey(name)]; ok {
		return c, true
	}
	c, ok := headerKeys[looseKey(name)]
	return c, ok
}

// mapHeader places the header's cells: index[c] is the cell index of column
// c, or -1. It returns the warnings about ignored and duplicate columns.
func mapHeader(header []string) (index [importer.NumColumns]int, warnings []string) {
	for i := range index {
		index[i] = -1
	}
	var ignored, dups []string
	for i, h := range header {
		if h == "" {
			continue
		}
		c, ok := lookupHeader(h)
		switch {
		case !ok:
			ignored = append(ignored, fmt.Sprintf("%q", h))
		case index[c] >= 0:
			dups = append(dups, fmt.Sprintf("%q (column %s)", h, columnLetters(i)))
		default:
			index[c] = i
		}
	}
	if len(ignored) > 0 {
		warnings = append(warnings, "ignored columns: "+strings.Join(ignored, ", "))
	}
	if len(dups) > 0 {
		warnings = append(warnings, "duplicate columns ignored, the first of each is used: "+strings.Join(dups, ", "))
	}
	return index, warnings
}

// missingColumnError says which required column the header lacks and what it
// has instead.
func missingColumnError(c importer.Column, header []string) error {
	accepted := make([]string, 0, len(aliases[c]))
	for _, a := range aliases[c] {
		accepted = append(accepted, fmt.Sprintf("%q", a))
	}
	found := make([]string, 0, len(header))
	for _, h := range header {
		if h != "" {
			found = append(found, fmt.Sprintf("%q", h))
		}
	}
	foundText := "none"
	if len(found) > 0 {
		foundText = strings.Join(found, ", ")
	}
	return importer.Errorf(importer.EINVALID,
		"the file has no %q column (also accepted: %s); the header row's columns are: %s",
		c.String(), strings.Join(accepted, ", "), foundText)
}

// columnLetters returns the spreadsheet letters of the zero-based column i
// (0 → A, 26 → AA).
func columnLetters(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append([]byte{byte('A' + (i-1)%26)}, b...)
	}
	return string(b)
}

// trimCell removes the white space around a cell, including no-break
// spaces, zero-width spaces and stray byte-order marks.
func trimCell(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' || r == '\u2060'
	})
}

// isVersionLine reports whether cells are the Microsoft Entra bulk-create
// template's first line, "version:v1.0".
func isVersionLine(cells []string) bool {
	if len(cells) == 0 || !strings.HasPrefix(strings.ToLower(trimCell(cells[0])), "version:") {
		return false
	}
	for _, c := range cells[1:] {
		if trimCell(c) != "" {
			return false
		}
	}
	return true
}

func isBlank(cells []string) bool {
	for _, c := range cells {
		if trimCell(c) != "" {
			return false
		}
	}
	return true
}
