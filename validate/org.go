package validate

import (
	"errors"
	"fmt"
	"net/url"
	"unicode"
)

// Limits of the organization's settings (SPEC §2).
const (
	MaxOrgNameLen         = 256
	MinPasswordExpiryDays = 14
	MaxPasswordExpiryDays = 730
)

// OrgName reports whether s may be the organization's name: 1 to 256
// characters, no control characters.
func OrgName(s string) error {
	if s == "" {
		return errors.New("required")
	}
	if err := MaxLen(s, MaxOrgNameLen); err != nil {
		return err
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("may not contain control characters (U+%04X)", r)
		}
	}
	return nil
}

// PasswordExpiryDays reports whether n may be the password expiry: 0
// (passwords never expire) or 14 to 730 days.
func PasswordExpiryDays(n int) error {
	if n == 0 || MinPasswordExpiryDays <= n && n <= MaxPasswordExpiryDays {
		return nil
	}
	return fmt.Errorf("must be 0 (never) or from %d to %d days", MinPasswordExpiryDays, MaxPasswordExpiryDays)
}

// SignInURL reports whether s may be the sign-in URL printed in notices: an
// absolute http or https URL with a host, at most 2048 characters, no user
// or password in it.
func SignInURL(s string) error {
	const rule = "must be an absolute http:// or https:// URL, e.g. https://login.contoso.com"
	if len(s) > 2048 {
		return errors.New("must be at most 2048 characters")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return errors.New(rule)
	}
	if u.User != nil {
		return errors.New("must not hold a user name or password")
	}
	return nil
}
