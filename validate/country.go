package validate

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

type country struct {
	code   string   // ISO 3166-1 alpha-2
	alpha3 string   // ISO 3166-1 alpha-3
	names  []string // the English short name first
}

// The lookups below are built once from countries and never written after.
var (
	// countryByCode maps an alpha-2 code to its index in countries.
	countryByCode = func() map[string]int {
		m := make(map[string]int, len(countries))
		for i, c := range countries {
			m[c.code] = i
		}
		return m
	}()
	// countryByKey maps the countryKey of every alpha-3 code and name to
	// its alpha-2 code.
	countryByKey = func() map[string]string {
		m := make(map[string]string, 4*len(countries))
		for _, c := range countries {
			m[countryKey(c.alpha3)] = c.code
			for _, n := range c.names {
				m[countryKey(n)] = c.code
			}
		}
		return m
	}()
)

// maxCountryLen bounds the cells CountryCode tries to match: no name of a
// country is anywhere near as long.
const maxCountryLen = 128

// CountryCode returns the ISO 3166-1 alpha-2 code of the country s names,
// upper-case, and whether s names one. s may be
//
//   - an alpha-2 code in any case ("us", "DE"),
//   - an alpha-3 code ("USA", "deu"),
//   - the country's English short or official name ("Germany", "Korea,
//     Republic of"), or a common variant or its name in its own language
//     ("UK", "U.S.A.", "Deutschland", "España", "Schweiz", "日本", "Россия").
//
// Names are matched without regard to case, accents, punctuation, spaces
// and invisible characters, a leading or trailing "the", "&" for "and", or
// "St" for "Saint". Invalid UTF-8 names no country.
func CountryCode(s string) (code string, ok bool) {
	s = strings.TrimSpace(s)
	if len(s) == 2 {
		if c := strings.ToUpper(s); isCountry(c) {
			return c, true
		}
	}
	if len(s) > maxCountryLen || !utf8.ValidString(s) {
		return "", false
	}
	code, ok = countryByKey[countryKey(s)]
	return code, ok
}

// CountryName returns the English short name of the country with the
// alpha-2 code code (in any case), and whether there is one.
func CountryName(code string) (string, bool) {
	i, ok := countryByCode[strings.ToUpper(code)]
	if !ok {
		return "", false
	}
	return countries[i].names[0], true
}

// CountryCodes returns every ISO 3166-1 alpha-2 code, sorted, in a new slice.
func CountryCodes() []string {
	codes := make([]string, len(countries))
	for i, c := range countries {
		codes[i] = c.code
	}
	return codes
}

func isCountry(code string) bool {
	_, ok := countryByCode[code]
	return ok
}

// UsageLocation checks a Usage Location cell: it must be an ISO 3166-1
// alpha-2 code, in any case, surrounding spaces ignored. It returns the
// code upper-case. When s is not a code but names a country, the error says
// which code to write instead.
func UsageLocation(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2 {
		if c := strings.ToUpper(s); isCountry(c) {
			return c, nil
		}
	}
	if !utf8.ValidString(s) {
		return "", errNotUTF8
	}
	rule := "must be a two-letter country code (ISO 3166-1)"
	if utf8.RuneCountInString(s) == 2 {
		rule = "is not a country code (ISO 3166-1)"
	}
	if code, ok := CountryCode(s); ok {
		name, _ := CountryName(code)
		return "", fmt.Errorf("%s: use %q for %s", rule, code, name)
	}
	return "", errors.New(rule + ", such as US or DE")
}

// countryKey returns s in the form that names are compared in: lower-case
// letters and digits only, accents removed, words joined without spaces,
// "the" dropped at either end, "&" as "and" and "st" as "saint".
func countryKey(s string) string {
	var words []string
	var w strings.Builder
	flush := func() {
		if w.Len() > 0 {
			words = append(words, w.String())
			w.Reset()
		}
	}
	for _, r := range s {
		switch {
		case r == '.' || r == '\'' || r == '’' || unicode.Is(unicode.Mn, r):
			// Inside words: "U.S.A." is "usa", "Côte d'Ivoire" "cotedivoire".
		case r == '&':
			flush()
			words = append(words, "and")
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			f, _ := fold(r)
			w.WriteString(f)
		default:
			flush()
		}
	}
	flush()
	if len(words) > 1 && words[0] == "the" {
		words = words[1:]
	}
	if len(words) > 1 && words[len(words)-1] == "the" {
		words = words[:len(words)-1]
	}
	for i, w := range words {
		if w == "st" {
			words[i] = "saint"
		}
	}
	return strings.Join(words, "")
}
