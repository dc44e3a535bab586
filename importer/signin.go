package importer

import (
	"context"
	"strings"
	"time"

	"userimport/validate"
)

// Credentials is what sign-in needs to know of a user.
type Credentials struct {
	UPN                string
	PasswordHash       string // "" when the user has no password (single sign-on)
	PasswordSetAt      time.Time
	MustChangePassword bool
	Blocked            bool
	Deleted            bool
}

// SignInStore is what SignIn needs of the directory.
type SignInStore interface {
	// Credentials returns the sign-in data of upn; ENOTFOUND when unknown.
	Credentials(ctx context.Context, upn string) (Credentials, error)
	Settings(ctx context.Context) (Settings, error)
	// ReplaceHash stores hash in place of old, if old is still upn's hash,
	// keeping when the password was set and whether it must change.
	ReplaceHash(ctx context.Context, upn, old, hash string) error
}

// SignInResult is the answer of SignIn.
type SignInResult int

const (
	SignInFailed         SignInResult = iota // unknown, wrong, blocked, deleted or no password: one answer for all
	SignInOK                                 // the password is right and current
	SignInChangeRequired                     // right, but it must be changed now: first sign-in, or expired
)

// SignIn checks upn's password pw at time now. Every failure is the same
// SignInFailed, so that the answer tells nothing of which. A password past
// the organization's expiry, or one the user must change, is
// SignInChangeRequired. A hash imported from another system (the Password
// Hash Function column) is replaced with hash's at the first successful
// sign-in. The error is the directory's only.
func SignIn(ctx context.Context, s SignInStore, hash Hasher, now time.Time, upn, pw string) (SignInResult, error) {
	c, ok, err := checkPassword(ctx, s, upn, pw)
	if err != nil || !ok {
		return SignInFailed, err
	}
	if _, replace, _ := verifyPassword(pw, c.PasswordHash); replace {
		h, err := hash.Hash(ctx, pw)
		if err != nil {
			return SignInFailed, err
		}
		if err := s.ReplaceHash(ctx, c.UPN, c.PasswordHash, h); err != nil {
			return SignInFailed, err
		}
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return SignInFailed, err
	}
	if c.MustChangePassword || passwordExpired(st, c.PasswordSetAt, now) {
		return SignInChangeRequired, nil
	}
	return SignInOK, nil
}

// passwordExpired reports whether a password set at setAt has expired at
// now under the organization's expiry (0 days: never).
func passwordExpired(s Settings, setAt, now time.Time) bool {
	return s.PasswordExpiryDays > 0 && now.After(setAt.Add(time.Duration(s.PasswordExpiryDays)*24*time.Hour))
}

// timingHash is an argon2id hash (with the production parameters) of a
// password nobody has, checked when there is no hash to check, so that a
// sign-in of an unknown, blocked or deleted account takes as long as one
// with a wrong password.
const timingHash = "$argon2id$v=19$m=19456,t=2,p=1$dGltaW5nLXNhbHQtMTIzNA$Jk8m0eZKkQ0C0aVYdEJ8w2Vx0z8V2q7V8mY0m5dJ4u4"

// checkPassword reads upn's credentials and reports whether pw is its
// password and the user may sign in at all.
func checkPassword(ctx context.Context, s SignInStore, upn, pw string) (Credentials, bool, error) {
	c, err := s.Credentials(ctx, upn)
	if ErrorCode(err) == ENOTFOUND {
		verifyPassword(pw, timingHash) // as long as a wrong password takes: the time tells no account apart
		return c, false, nil
	}
	if err != nil {
		return c, false, err
	}
	if c.PasswordHash == "" || c.Blocked || c.Deleted {
		verifyPassword(pw, timingHash)
		return c, false, nil
	}
	ok, _, err := verifyPassword(pw, c.PasswordHash)
	if err != nil {
		// A hash that cannot be read is no sign-in; it is not the
		// user's to fix, and saying so would tell which user exists.
		return c, false, nil
	}
	return c, ok, nil
}

// PasswordStore is what ChangePassword and SetPassword need of the
// directory.
type PasswordStore interface {
	SignInStore
	User(ctx context.Context, upn string) (User, error)
	// SetPassword stores upn's new hash, set now; mustChange makes the user
	// change it at next sign-in.
	SetPassword(ctx context.Context, actor, upn, hash string, mustChange bool) error
	// ResetPassword is SetPassword by an admin, with mustChange, after g
	// allowed it inside the same transaction.
	ResetPassword(ctx context.Context, actor, upn, hash string, g Guard) error
}

// ChangePassword is the user's own change of password (`passwd`): current
// must be upn's password, next must follow validate.Password and differ from
// it. It clears "must change". A wrong user name or password is one
// EINVALID that says which two things may be wrong.
func ChangePassword(ctx context.Context, s PasswordStore, hash Hasher, upn, current, next string) error {
	c, ok, err := checkPassword(ctx, s, upn, current)
	if err != nil {
		return err
	}
	if !ok {
		return Errorf(EINVALID, "password not changed: the user name or the current password is wrong")
	}
	alias, _, _ := strings.Cut(c.UPN, "@")
	if err := validate.Password(next, alias); err != nil {
		return Errorf(EINVALID, "new password: %v", err)
	}
	if next == current {
		return Errorf(EINVALID, "new password: must differ from the current one")
	}
	h, err := hash.Hash(ctx, next)
	if err != nil {
		return err
	}
	return s.SetPassword(ctx, c.UPN, c.UPN, h, false)
}

// SetPassword sets upn's password as an admin (`user set-password`): given,
// when not "", must follow validate.Password; otherwise one is generated and
// returned (the caller shows it once). The user must change it at next
// sign-in. The actor needs SetPassword, and only a Global admin sets a
// Global admin's password.
func SetPassword(ctx context.Context, s PasswordStore, hash Hasher, actor User, upn, given string) (generated string, err error) {
	if err := Authorize(actor, Allows(validate.SetPassword)); err != nil {
		return "", err
	}
	u, err := s.User(ctx, upn)
	if err != nil {
		return "", err
	}
	if err := MayChange(actor, u, validate.SetPassword); err != nil {
		return "", err // before a password is made for nothing
	}
	alias, _, _ := strings.Cut(u.UserPrincipalName, "@")
	pw := given
	if pw != "" {
		if err := validate.Password(pw, alias); err != nil {
			return "", Errorf(EINVALID, "password: %v", err)
		}
	} else if pw, err = validate.GeneratePasswordFor(alias); err != nil {
		return "", err
	}
	h, err := hash.Hash(ctx, pw)
	if err != nil {
		return "", err
	}
	if err := s.ResetPassword(ctx, actor.UserPrincipalName, u.UserPrincipalName, h, guardFor(validate.SetPassword)); err != nil {
		return "", err
	}
	if given != "" {
		return "", nil
	}
	return pw, nil
}
