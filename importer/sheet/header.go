package sheet

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

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
	importer.ColLicenses:              {"License", "Licence", "Licences", "New Licenses [Upload Only]"},
	importer.ColPassword:              {"Initial password [passwordProfile] Required", "Password [Required]"},
	importer.ColRequirePasswordChange: {"Change Password at Next Sign-In"},
	importer.ColBlockSignIn:           {"Block sign in (Yes/No) [accountEnabled] Required"},
	importer.ColEmployeeID:            {"Employee ID"},
	importer.ColPasswordHashFunction:  {"Password Hash Function [UPLOAD ONLY]"},
	importer.ColStatus:                {"New Status [UPLOAD ONLY]", "Employee Status"},
	importer.ColStartDate:             {"Hire Date", "Start date"},
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

// renamed returns header with the names that rename maps (their name →
// ours, matched as header names are) replaced by ours; header itself when
// rename is empty.
func renamed(header []string, rename map[string]string) []string {
	if len(rename) == 0 {
		return header
	}
	byKey := make(map[string]string, len(rename))
	for theirs, ours := range rename {
		byKey[headerKey(theirs)] = ours
	}
	out := make([]string, len(header))
	for i, h := range header {
		out[i] = h
		if ours, ok := byKey[headerKey(h)]; ok && h != "" {
			out[i] = ours
		}
	}
	return out
}

// maxNamed is how many columns a warning names; the rest are counted.
const maxNamed = 20

// mapHeader places the header's cells: index[c] is the cell index of column
// c, or -1. It returns the warnings about ignored and duplicate columns: an
// ignored column one edit away from a name we know gets a warning of its
// own that suggests the name; the others are named in one warning, at
// most maxNamed of them and a count of the rest.
func mapHeader(header []string) (index [importer.NumColumns]int, warnings []string) {
	for i := range index {
		index[i] = -1
	}
	var ignored, dups namedList
	var suggestions []string
	for i, h := range header {
		if h == "" {
			continue
		}
		c, ok := lookupHeader(h)
		switch {
		case !ok:
			if name, ok := nearHeader(h); ok && len(suggestions) < maxNamed {
				suggestions = append(suggestions, fmt.Sprintf("column %s %s is ignored: did you mean %q?", columnLetters(i), quoteName(h), name))
				continue
			}
			ignored.add(quoteName(h))
		case index[c] >= 0:
			dups.add(fmt.Sprintf("%s (column %s)", quoteName(h), columnLetters(i)))
		default:
			index[c] = i
		}
	}
	warnings = append(warnings, suggestions...)
	if ignored.n > 0 {
		warnings = append(warnings, "ignored columns: "+ignored.String())
	}
	if dups.n > 0 {
		warnings = append(warnings, "duplicate columns ignored, the first of each is used: "+dups.String())
	}
	return index, warnings
}

// maxNameRunes is how much of a header cell a message quotes.
const maxNameRunes = 64

// quoteName quotes a header cell for a message, cut short past
// maxNameRunes.
func quoteName(h string) string {
	if utf8.RuneCountInString(h) <= maxNameRunes {
		return fmt.Sprintf("%q", h)
	}
	r := []rune(h)
	return fmt.Sprintf("%q…", string(r[:maxNameRunes]))
}

// namedList is a list of names for a warning: the first maxNamed, and a
// count of the others.
type namedList struct {
	names []string
	n     int
}

func (l *namedList) add(name string) {
	if len(l.names) < maxNamed {
		l.names = append(l.names, name)
	}
	l.n++
}

func (l *namedList) String() string {
	s := strings.Join(l.names, ", ")
	if more := l.n - len(l.names); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s
}

// knownNames are the names of our columns and their aliases by key, for
// suggestions.
var knownNames = func() []struct{ key, name string } {
	var known []struct{ key, name string }
	for _, c := range importer.Columns() {
		for _, n := range append([]string{c.String()}, aliases[c]...) {
			known = append(known, struct{ key, name string }{headerKey(n), n})
		}
	}
	return known
}()

// nearHeader returns the name we know that header h is one edit (a letter
// added, dropped or changed) away from, when there is one: "Licnse" is
// "License", "Deparment" is "Department". Names of fewer than four letters
// are too short to guess from.
func nearHeader(h string) (string, bool) {
	keys := []string{headerKey(h), looseKey(h)}
	for _, k := range knownNames {
		if len(k.key) < 4 {
			continue
		}
		for _, key := range keys {
			if oneEdit(key, k.key) {
				return k.name, true
			}
		}
	}
	return "", false
}

// oneEdit reports whether a and b differ by exactly one rune inserted,
// deleted or replaced.
func oneEdit(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > len(rb) {
		ra, rb = rb, ra
	}
	if len(rb)-len(ra) > 1 {
		return false
	}
	i := 0
	for i < len(ra) && ra[i] == rb[i] {
		i++
	}
	if len(ra) == len(rb) {
		return i < len(ra) && string(ra[i+1:]) == string(rb[i+1:])
	}
	return string(ra[i:]) == string(rb[i+1:])
}

// missingColumnError says which required column the header lacks, what it
// has instead and, for a workbook, which worksheet was read.
func missingColumnError(c importer.Column, header []string, sheet string) error {
	accepted := make([]string, 0, len(aliases[c]))
	for _, a := range aliases[c] {
		accepted = append(accepted, fmt.Sprintf("%q", a))
	}
	var found namedList
	for _, h := range header {
		if h != "" {
			found.add(quoteName(h))
		}
	}
	foundText := "none"
	if found.n > 0 {
		foundText = found.String()
	}
	where := "the file has"
	hint := ""
	if sheet != "" {
		where = fmt.Sprintf("worksheet %q has", sheet)
		hint = "; if the users are on another worksheet, name it with --sheet"
	}
	return importer.Errorf(importer.EINVALID,
		"%s no %q column (also accepted: %s); the header row's columns are: %s%s",
		where, c.String(), strings.Join(accepted, ", "), foundText, hint)
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
	if n := len(s); n == 0 || (s[0] > ' ' && s[0] < utf8.RuneSelf && s[n-1] > ' ' && s[n-1] < utf8.RuneSelf) {
		return s // most cells: nothing to trim
	}
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
