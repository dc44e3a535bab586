package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// AddFeed stores a new feed; ECONFLICT when the name is taken.
func (d *DB) AddFeed(ctx context.Context, actor string, f importer.Feed) error {
	cfg, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("feed config: %w", err)
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		now := d.now()
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO feeds (name, config, created_at, updated_at) VALUES (?, ?, ?, ?)`),
			f.Name, string(cfg), now, now)
		if err = mapErr(err); errors.Is(err, errUnique) {
			return importer.Errorf(importer.ECONFLICT, "feed %s exists already: change it with `userimport feed set %s …`", f.Name, f.Name)
		}
		if err != nil {
			return fmt.Errorf("add feed: %w", err)
		}
		return d.audit(ctx, tx, actor, "feed add", f.Name, string(cfg), "")
	})
}

// UpdateFeed replaces a feed's settings.
func (d *DB) UpdateFeed(ctx context.Context, actor string, f importer.Feed) error {
	cfg, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("feed config: %w", err)
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE feeds SET config = ?, updated_at = ? WHERE name = ?`), string(cfg), d.now(), f.Name)
		if err != nil {
			return fmt.Errorf("update feed: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return noFeed(f.Name)
		}
		return d.audit(ctx, tx, actor, "feed set", f.Name, string(cfg), "")
	})
}

func noFeed(name string) error {
	return importer.Errorf(importer.ENOTFOUND, "no feed %q: see `userimport feed list`", name)
}

const feedColumns = `name, config, last_run, last_batch, last_rows`

func scanFeed(row interface{ Scan(...any) error }) (importer.Feed, error) {
	var name, cfg string
	var last sql.NullInt64
	var f importer.Feed
	var batch string
	var rows int
	if err := row.Scan(&name, &cfg, &last, &batch, &rows); err != nil {
		return f, err
	}
	if err := json.Unmarshal([]byte(cfg), &f); err != nil {
		return f, fmt.Errorf("feed %s: config: %w", name, err)
	}
	for i := range f.Map {
		f.Map[i].Column, _ = importer.ColumnNamed(f.Map[i].Ours)
	}
	f.Name, f.LastRun, f.LastBatch, f.LastRows = name, nullTime(last), batch, rows
	return f, nil
}

// Feed returns the feed named name; ENOTFOUND when there is none.
func (d *DB) Feed(ctx context.Context, name string) (importer.Feed, error) {
	f, err := scanFeed(d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT `+feedColumns+` FROM feeds WHERE name = ?`), name))
	if errors.Is(err, sql.ErrNoRows) {
		return f, noFeed(name)
	}
	return f, err
}

// Feeds returns every feed by name.
func (d *DB) Feeds(ctx context.Context) ([]importer.Feed, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT `+feedColumns+` FROM feeds ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list feeds: %w", err)
	}
	defer rows.Close()
	out := []importer.Feed{}
	for rows.Next() {
		f, err := scanFeed(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// RemoveFeed removes a feed and its record of files taken; its users stay.
func (d *DB) RemoveFeed(ctx context.Context, actor, name string) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM feeds WHERE name = ?`), name)
		if err != nil {
			return fmt.Errorf("remove feed: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return noFeed(name)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM feed_files WHERE feed = ?`), name); err != nil {
			return fmt.Errorf("remove feed: %w", err)
		}
		return d.audit(ctx, tx, actor, "feed remove", name, "", "")
	})
}

// SetFeedToken stores the hash of a feed's new upload token.
func (d *DB) SetFeedToken(ctx context.Context, actor, name, tokenHash string) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE feeds SET token_hash = ?, updated_at = ? WHERE name = ?`), tokenHash, d.now(), name)
		if err != nil {
			return fmt.Errorf("feed token: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return noFeed(name)
		}
		return d.audit(ctx, tx, actor, "feed token", name, "new upload token; the old one is revoked", "")
	})
}

// FeedByToken returns the feed whose token hashes to tokenHash.
func (d *DB) FeedByToken(ctx context.Context, tokenHash string) (string, error) {
	var name string
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT name FROM feeds WHERE token_hash = ? AND token_hash <> ''`), tokenHash).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", importer.Errorf(importer.ENOTFOUND, "no feed has this token")
	}
	return name, err
}

// FeedUsers counts the feed's active users: not deleted, not left.
func (d *DB) FeedUsers(ctx context.Context, source string) (int, error) {
	var n int
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT COUNT(*) FROM users WHERE source = ? AND deleted_at IS NULL AND feed_left_at IS NULL`), source).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count feed users: %w", err)
	}
	return n, nil
}

// FeedRan records a feed's applied run: its batch and its file's rows.
func (d *DB) FeedRan(ctx context.Context, name, batchID string, rows int, at time.Time) error {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE feeds SET last_run = ?, last_batch = ?, last_rows = ? WHERE name = ?`),
		at.UnixMicro(), batchID, rows, name)
	if err != nil {
		return fmt.Errorf("record feed run: %w", err)
	}
	return nil
}

// ClaimFeedFile records that the feed takes the file with this SHA-256: one
// INSERT, so that of several processes exactly one takes it. A claim of
// the same bytes still 'taking' since before staleBefore (its process
// died) is taken over. It says whether the caller now holds the claim, and
// otherwise the state of the claim that stands ('taking', 'done', 'held',
// 'rejected').
func (d *DB) ClaimFeedFile(ctx context.Context, feed, sha256, name string, at, staleBefore time.Time) (bool, string, error) {
	_, err := d.db.ExecContext(ctx, d.db.Rebind(`INSERT INTO feed_files (feed, file_sha256, file_name, taken_at) VALUES (?, ?, ?, ?)`),
		feed, sha256, name, at.UnixMicro())
	if err = mapErr(err); err == nil {
		return true, "", nil
	}
	if !errors.Is(err, errUnique) {
		return false, "", fmt.Errorf("claim feed file: %w", err)
	}
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE feed_files SET taken_at = ?, file_name = ? WHERE feed = ? AND file_sha256 = ?
		AND state = 'taking' AND taken_at < ?`), at.UnixMicro(), name, feed, sha256, staleBefore.UnixMicro())
	if err != nil {
		return false, "", fmt.Errorf("claim feed file: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, "", nil
	}
	var state string
	if err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT state FROM feed_files WHERE feed = ? AND file_sha256 = ?`), feed, sha256).Scan(&state); err != nil {
		return false, "", fmt.Errorf("claim feed file: %w", err)
	}
	return false, state, nil
}

// ClaimFeedRun gives feed's run lease to run at at, unless another run
// renewed it since staleBefore: one conditional UPDATE, so that of two
// processes claiming it at once one gets it.
func (d *DB) ClaimFeedRun(ctx context.Context, feed, run string, at, staleBefore time.Time) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE feeds SET run_owner = ?, run_beat = ?
		WHERE name = ? AND (run_owner = '' OR run_beat < ?)`), run, at.UnixMicro(), feed, staleBefore.UnixMicro())
	if err != nil {
		return false, fmt.Errorf("claim feed run: %w", err)
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		if _, err := d.Feed(ctx, feed); err != nil {
			return false, err // ENOTFOUND: no such feed (removed meanwhile)
		}
	}
	return n == 1, err
}

// RenewFeedRun renews run's lease of feed at at, and reports whether run
// still holds it.
func (d *DB) RenewFeedRun(ctx context.Context, feed, run string, at time.Time) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE feeds SET run_beat = ? WHERE name = ? AND run_owner = ?`), at.UnixMicro(), feed, run)
	if err != nil {
		return false, fmt.Errorf("renew feed run: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseFeedRun gives up run's lease of feed.
func (d *DB) ReleaseFeedRun(ctx context.Context, feed, run string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE feeds SET run_owner = '' WHERE name = ? AND run_owner = ?`), feed, run); err != nil {
		return fmt.Errorf("release feed run: %w", err)
	}
	return nil
}

// ReleaseFeedFile forgets a claim.
func (d *DB) ReleaseFeedFile(ctx context.Context, feed, sha256 string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`DELETE FROM feed_files WHERE feed = ? AND file_sha256 = ?`), feed, sha256); err != nil {
		return fmt.Errorf("release feed file: %w", err)
	}
	return nil
}

// FinishFeedFile records how a feed's file ended: its state, its batch and
// a message.
func (d *DB) FinishFeedFile(ctx context.Context, feed, sha256, state, batchID, message string) error {
	if _, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE feed_files SET state = ?, batch_id = ?, message = ? WHERE feed = ? AND file_sha256 = ?`),
		state, batchID, message, feed, sha256); err != nil {
		return fmt.Errorf("record feed file: %w", err)
	}
	return nil
}

// FeedFile returns what became of a feed's file; ENOTFOUND when the feed
// never took it.
func (d *DB) FeedFile(ctx context.Context, feed, sha256 string) (importer.FeedFile, error) {
	var f importer.FeedFile
	var at int64
	err := d.db.QueryRowxContext(ctx, d.db.Rebind(`SELECT file_name, file_sha256, state, batch_id, message, taken_at FROM feed_files WHERE feed = ? AND file_sha256 = ?`),
		feed, sha256).Scan(&f.Name, &f.SHA256, &f.State, &f.BatchID, &f.Message, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return f, importer.Errorf(importer.ENOTFOUND, "feed %s took no file with SHA-256 %s", feed, sha256)
	}
	f.TakenAt = time.UnixMicro(at)
	return f, err
}

// ClaimDay says whether the caller is the one process that does the chore
// name on day (YYYY-MM-DD): one conditional UPDATE.
func (d *DB) ClaimDay(ctx context.Context, name, day string) (bool, error) {
	res, err := d.db.ExecContext(ctx, d.db.Rebind(`UPDATE daily_chores SET last_day = ? WHERE name = ? AND last_day < ?`), day, name, day)
	if err != nil {
		return false, fmt.Errorf("claim daily chore: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}
