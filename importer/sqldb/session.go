package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// CreateSession stores a new web session.
func (d *DB) CreateSession(ctx context.Context, s importer.Session) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`INSERT INTO web_sessions
		(token_hash, upn_key, csrf, must_change, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)`),
		s.TokenHash, strings.ToLower(s.UPN), s.CSRF, s.MustChange, s.CreatedAt.UnixMicro(), s.LastSeenAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// Session returns the session whose token hash is hash; ENOTFOUND when
// there is none.
func (d *DB) Session(ctx context.Context, hash string) (importer.Session, error) {
	s := importer.Session{TokenHash: hash}
	var created, seen int64
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT upn_key, csrf, must_change, created_at, last_seen_at
		FROM web_sessions WHERE token_hash = ?`), hash).Scan(&s.UPN, &s.CSRF, &s.MustChange, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return importer.Session{}, importer.Errorf(importer.ENOTFOUND, "not signed in")
	}
	if err != nil {
		return importer.Session{}, fmt.Errorf("read session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt = time.UnixMicro(created), time.UnixMicro(seen)
	return s, nil
}

// TouchSession records that the session was used at at.
func (d *DB) TouchSession(ctx context.Context, hash string, at time.Time) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE web_sessions SET last_seen_at = ? WHERE token_hash = ?`),
		at.UnixMicro(), hash)
	if err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// ClearMustChange lets the session do more than change its password.
func (d *DB) ClearMustChange(ctx context.Context, hash string) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE web_sessions SET must_change = FALSE WHERE token_hash = ?`), hash)
	if err != nil {
		return fmt.Errorf("update session: %w", err)
	}
	return nil
}

// EndStaleSessions deletes the sessions last used before idleBefore or
// created before createdBefore: those that have ended without a sign-out.
func (d *DB) EndStaleSessions(ctx context.Context, idleBefore, createdBefore time.Time) error {
	_, err := endStaleSessions(ctx, d.db, idleBefore, createdBefore)
	return err
}

// endStaleSessions is EndStaleSessions through q (a transaction, say); it
// returns how many sessions it ended.
func endStaleSessions(ctx context.Context, q sqlx.ExtContext, idleBefore, createdBefore time.Time) (int, error) {
	res, err := q.ExecContext(ctx, q.Rebind(`DELETE FROM web_sessions WHERE last_seen_at < ? OR created_at < ?`),
		idleBefore.UnixMicro(), createdBefore.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("end stale sessions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// EndSession deletes the session whose token hash is hash.
func (d *DB) EndSession(ctx context.Context, hash string) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM web_sessions WHERE token_hash = ?`), hash)
	if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}

// EndSessions ends every web session of upn (importer.SessionEnder).
func (d *DB) EndSessions(ctx context.Context, upn string) error {
	return d.EndSessionsExcept(ctx, upn, "")
}

// EndSessionsExcept ends every web session of upn but the one whose token
// hash is keep.
func (d *DB) EndSessionsExcept(ctx context.Context, upn, keep string) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM web_sessions WHERE upn_key = ? AND token_hash <> ?`),
		strings.ToLower(upn), keep)
	if err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	return nil
}

// RecordSignInFailure notes a failed sign-in of account at at, and forgets
// the failures older than the lockout window, of every account: the table
// holds a minute's failures at most.
func (d *DB) RecordSignInFailure(ctx context.Context, account string, at time.Time) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM signin_failures WHERE at <= ?`),
			at.Add(-importer.LockoutWindow).UnixMicro()); err != nil {
			return fmt.Errorf("forget old sign-in failures: %w", err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO signin_failures (account, at) VALUES (?, ?)`),
			account, at.UnixMicro()); err != nil {
			return fmt.Errorf("record sign-in failure: %w", err)
		}
		return nil
	})
}

// SignInFailures counts account's failed sign-ins after since.
func (d *DB) SignInFailures(ctx context.Context, account string, since time.Time) (int, error) {
	var n int
	if err := d.db.GetContext(ctx, &n, d.db.Rebind(`SELECT COUNT(*) FROM signin_failures WHERE account = ? AND at > ?`),
		account, since.UnixMicro()); err != nil {
		return 0, fmt.Errorf("count sign-in failures: %w", err)
	}
	return n, nil
}

// RecordAudit writes one line of the audit log, e.g. the download of a
// batch's credentials notice.
func (d *DB) RecordAudit(ctx context.Context, actor, action, target, detail, batchID string) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error { return d.audit(ctx, tx, actor, action, target, detail, batchID) })
}
