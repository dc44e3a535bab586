package importer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"time"
)

// Web sessions (SPEC §11): how long they last, and the lockout of an
// account after failed sign-ins.
const (
	SessionIdle     = time.Hour      // a session unused this long ends
	SessionAbsolute = 12 * time.Hour // and any session ends this long after sign-in
	LockoutFailures = 10             // failed sign-ins of one account within LockoutWindow ...
	LockoutWindow   = time.Minute    // ... lock it until the oldest of them is this old
)

// Session is a signed-in user's web session. The token that names it lives
// only in the user's cookie; the directory keeps its hash.
type Session struct {
	TokenHash  string
	UPN        string // lower-cased
	CSRF       string // the token every form of the session carries
	MustChange bool   // the user must change the password before anything else
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// SessionStore is what sessions need of the directory. Sessions and failed
// sign-ins are kept there so that every serve process sees the same.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	// Session returns the session whose token hash is hash; ENOTFOUND when
	// there is none.
	Session(ctx context.Context, hash string) (Session, error)
	TouchSession(ctx context.Context, hash string, at time.Time) error
	ClearMustChange(ctx context.Context, hash string) error
	EndSession(ctx context.Context, hash string) error
	// EndSessions ends every session of upn but the one whose hash is
	// keep ("" ends them all).
	EndSessionsExcept(ctx context.Context, upn, keep string) error
	// RecordSignInFailure notes a failed sign-in of account at at, and
	// forgets the failures older than LockoutWindow.
	RecordSignInFailure(ctx context.Context, account string, at time.Time) error
	// SignInFailures counts account's failed sign-ins after since.
	SignInFailures(ctx context.Context, account string, since time.Time) (int, error)
	// EndStaleSessions deletes the sessions last used before idleBefore
	// or created before createdBefore.
	EndStaleSessions(ctx context.Context, idleBefore, createdBefore time.Time) error
}

// maxAccountName bounds the user name a failure is recorded under: a UPN
// is 113 characters at most, and a longer one is no account.
const maxAccountName = 256

// SessionSignIn is the outcome of StartSession.
type SessionSignIn struct {
	Result  SignInResult
	Locked  bool   // too many failures: the password was not even checked
	Token   string // the cookie's value, when signed in
	Session Session
}

// StartSession signs upn in with password pw at now and opens a session.
// An account (known or not: the answer is the same) with LockoutFailures
// failed sign-ins within LockoutWindow is Locked, and its password is not
// checked. A failure is recorded against the account name as typed, lower
// cased. A user who must change the password gets a session that is good
// for that alone (MustChange). The error is the directory's only.
func StartSession(ctx context.Context, s SessionStore, signin SignInStore, hash Hasher, now time.Time, upn, pw string) (SessionSignIn, error) {
	account := strings.ToLower(strings.TrimSpace(upn))
	if len(account) > maxAccountName {
		account = account[:maxAccountName]
	}
	n, err := s.SignInFailures(ctx, account, now.Add(-LockoutWindow))
	if err != nil {
		return SessionSignIn{}, err
	}
	if n >= LockoutFailures {
		return SessionSignIn{Result: SignInFailed, Locked: true}, nil
	}
	res, err := SignIn(ctx, signin, hash, now, account, pw)
	if err != nil {
		return SessionSignIn{}, err
	}
	if res == SignInFailed {
		return SessionSignIn{Result: res}, s.RecordSignInFailure(ctx, account, now)
	}
	token, err := randomToken()
	if err != nil {
		return SessionSignIn{}, err
	}
	csrf, err := randomToken()
	if err != nil {
		return SessionSignIn{}, err
	}
	sess := Session{TokenHash: TokenHash(token), UPN: account, CSRF: csrf,
		MustChange: res == SignInChangeRequired, CreatedAt: now, LastSeenAt: now}
	// Sessions that ended unused are swept at each sign-in, so the table
	// holds only live ones (and the daily housekeeping finds little).
	if err := s.EndStaleSessions(ctx, now.Add(-SessionIdle), now.Add(-SessionAbsolute)); err != nil {
		return SessionSignIn{}, err
	}
	if err := s.CreateSession(ctx, sess); err != nil {
		return SessionSignIn{}, err
	}
	return SessionSignIn{Result: res, Token: token, Session: sess}, nil
}

// touchEvery is how stale a session's last-seen time may get before a
// request writes it again: a page's many requests need not each write.
const touchEvery = time.Minute

// LookupSession returns the live session of token at now: one unused for
// SessionIdle, or older than SessionAbsolute, has ended (and is deleted).
// No session, or an ended one, is ENOTFOUND.
func LookupSession(ctx context.Context, s SessionStore, now time.Time, token string) (Session, error) {
	if token == "" {
		return Session{}, Errorf(ENOTFOUND, "not signed in")
	}
	h := TokenHash(token)
	sess, err := s.Session(ctx, h)
	if err != nil {
		return Session{}, err
	}
	if !now.Before(sess.LastSeenAt.Add(SessionIdle)) || !now.Before(sess.CreatedAt.Add(SessionAbsolute)) {
		if err := s.EndSession(ctx, h); err != nil {
			return Session{}, err
		}
		return Session{}, Errorf(ENOTFOUND, "the session has ended: sign in again")
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if err := s.TouchSession(ctx, h, now); err != nil {
			return Session{}, err
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// EndSession signs the session of token out, wherever it is kept.
func EndSession(ctx context.Context, s SessionStore, token string) error {
	return s.EndSession(ctx, TokenHash(token))
}

// ChangeOwnPassword is ChangePassword from a web session: on success the
// session may do anything again, and every other session of the user ends
// (whoever knew the old password is signed out).
func ChangeOwnPassword(ctx context.Context, s PasswordStore, sessions SessionStore, hash Hasher, sess Session, current, next string) error {
	if err := ChangePassword(ctx, s, hash, sess.UPN, current, next); err != nil {
		return err
	}
	if err := sessions.ClearMustChange(ctx, sess.TokenHash); err != nil {
		return err
	}
	return sessions.EndSessionsExcept(ctx, sess.UPN, sess.TokenHash)
}

// ResetPassword is SetPassword (generated password) that also ends the
// user's web sessions: the old password no longer signs anyone in, and
// neither does a session opened with it. The password is returned to be
// shown once.
func ResetPassword(ctx context.Context, s PasswordStore, sessions SessionEnder, hash Hasher, actor User, upn string) (string, error) {
	pw, err := SetPassword(ctx, s, hash, actor, upn, "")
	if err != nil {
		return "", err
	}
	if sessions != nil {
		return pw, sessions.EndSessions(ctx, upn)
	}
	return pw, nil
}

// TokenHash is what the directory keeps of a session token: its SHA-256 in
// hex.
func TokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// randomToken returns 32 random bytes, URL-safe base64.
func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NewToken returns a fresh random token (32 bytes, URL-safe base64), e.g.
// for the sign-in form's CSRF cookie.
func NewToken() (string, error) { return randomToken() }
