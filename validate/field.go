package validate

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the profile cells (SPEC §5), in characters.
const (
	MaxDisplayNameLen = 256
	MaxNameLen        = 64 // First Name, Last Name, Job Title, Department
	MaxPlaceLen       = 128
	MaxPhoneLen       = 64
	MaxAddressLen     = 1023
	MaxPostalCodeLen  = 40
	MaxEmailLen       = 256
	MaxEmployeeIDLen  = 64
)

// MaxLen reports whether s has at most n characters (runes; an invalid
// byte counts as one). The error reads "must be at most N characters (has M)".
func MaxLen(s string, n int) error {
	if len(s) <= n { // never more characters than bytes
		return nil
	}
	if m := utf8.RuneCountInString(s); m > n {
		return fmt.Errorf("must be at most %d characters (has %d)", n, m)
	}
	return nil
}

// Phone reports whether s is a phone or fax number. The grammar:
//
//	phone = { digit | "+" | "-" | "(" | ")" | "." | "/" | "x" | "X" | " " }
//
// with at least one digit, at most 64 characters. The x is for an
// extension ("+1 425 555 0100 x123").
func Phone(s string) error {
	if !utf8.ValidString(s) {
		return errNotUTF8
	}
	if err := MaxLen(s, MaxPhoneLen); err != nil {
		return err
	}
	digits := false
	for _, r := range s {
		switch {
		case '0' <= r && r <= '9':
			digits = true
		case strings.ContainsRune("+-()./xX ", r):
		case !unicode.IsPrint(r):
			return fmt.Errorf("may not contain invisible or control characters (U+%04X)", r)
		default:
			return fmt.Errorf("may not contain %q (only digits, spaces and + - ( ) . / x)", string(r))
		}
	}
	if !digits {
		return errors.New("must have at least one digit")
	}
	return nil
}

// Email reports whether s is a plain email address, local@domain, of at
// most 256 characters: what net/mail parses as an address with nothing
// around it (no display name, angle brackets or comments), whose domain is
// a DNS name (as Domain says, but up to 253 characters) of two parts or
// more.
func Email(s string) error {
	if !utf8.ValidString(s) {
		return errNotUTF8
	}
	if err := MaxLen(s, MaxEmailLen); err != nil {
		return err
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("may not contain invisible or control characters (U+%04X)", r)
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return errors.New("is not an email address: write it as name@example.com")
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		if strings.ContainsAny(s, "<>") {
			return errors.New("must be just the address, without a name or <>")
		}
		return errors.New("is not a valid email address")
	}
	local, domain := s[:at], s[at+1:]
	if local == "" {
		return errors.New("is not a valid email address")
	}
	if err := checkDomain(domain, "the address's domain", 253); err != nil {
		return err
	}
	return nil
}

// Bool parses a Yes/No cell: Yes, No, True, False, Y, N, 1 or 0 in any
// case, surrounding spaces ignored. A blank cell gives set false (the
// default applies); anything else is an error "must be Yes or No".
func Bool(s string) (v bool, set bool, err error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return false, false, nil
	case "yes", "true", "y", "1":
		return true, true, nil
	case "no", "false", "n", "0":
		return false, true, nil
	}
	return false, false, errors.New("must be Yes or No")
}

// List splits a list cell (Licenses, Disabled Apps, Roles) on ';' and ',',
// trims each item and drops blank ones. It returns nil for a blank cell.
func List(s string) []string {
	var items []string
	for item := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == ',' }) {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}
