package sqldb

import (
	"context"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// maxParams keeps a multi-row statement under both backends' limits on
// bound parameters (SQLite 32766, PostgreSQL 65535).
const maxParams = 30000

// insertRows inserts rows into table in bulk: with COPY on PostgreSQL, and
// on SQLite in as few multi-row statements as the parameter limit allows;
// never one round trip per row.
func (d *DB) insertRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if d.dialect == Postgres {
		return copyRows(ctx, tx, table, cols, rows)
	}
	per := maxParams / len(cols)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	for len(rows) > 0 {
		n := min(per, len(rows))
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
		args := make([]any, 0, n*len(cols))
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(b.String()), args...); err != nil {
			return mapErr(fmt.Errorf("insert into %s: %w", table, err))
		}
		rows = rows[n:]
	}
	return nil
}

// inList expands each "IN (?)" of q for a list argument (expandIn) and
// rebinds q's placeholders for the backend.
func (d *DB) inList(q string, args ...any) (string, []any, error) {
	q, args, err := d.expandIn(q, args...)
	return d.db.Rebind(q), args, err
}

// expandIn expands each "IN (?)" of q for a list argument: into one array
// parameter (= ANY) on PostgreSQL, whose planner then sees one parameter
// instead of hundreds, and into placeholders on SQLite. The result still
// has ? placeholders.
func (d *DB) expandIn(q string, args ...any) (string, []any, error) {
	if d.dialect != Postgres {
		return sqlx.In(q, args...)
	}
	q = strings.ReplaceAll(q, "IN (?)", "= ANY(?)")
	out := make([]any, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case []string:
			out[i] = pq.Array(v)
		case []int:
			ints := make([]int64, len(v))
			for j, n := range v {
				ints[j] = int64(n)
			}
			out[i] = pq.Array(ints)
		default:
			out[i] = a
		}
	}
	return q, out, nil
}

// copyRows sends rows through COPY … FROM STDIN (lib/pq buffers them and
// sends them in a few large messages).
func copyRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, rows [][]any) error {
	stmt, err := tx.PrepareContext(ctx, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN")
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	defer stmt.Close()
	for _, r := range rows {
		if _, err := stmt.ExecContext(ctx, r...); err != nil {
			return mapErr(fmt.Errorf("copy into %s: %w", table, err))
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return mapErr(fmt.Errorf("copy into %s: %w", table, err))
	}
	return nil
}
