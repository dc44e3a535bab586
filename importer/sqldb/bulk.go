package sqldb

import (
	"context"
	"database/sql/driver"
	"errors"
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
		return copyRows(ctx, tx, d.conns.get(tx), table, cols, rows)
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
			out[i] = textArray(v)
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
// sends them in a few large messages). Given the transaction's connection,
// it hands the rows to lib/pq's COPY statement itself: through database/sql,
// each row is one Exec, whose per-call conversions cost more than the row's
// encoding.
func copyRows(ctx context.Context, tx *sqlx.Tx, conn *sqlx.Conn, table string, cols []string, rows [][]any) error {
	q := "COPY " + table + " (" + strings.Join(cols, ", ") + ") FROM STDIN"
	if conn != nil {
		err := conn.Raw(func(dc any) (err error) {
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("the COPY failed: %v", p)
				}
			}()
			err = copyDriver(ctx, dc, q, rows)
			if errors.Is(err, driver.ErrBadConn) {
				// Not ErrBadConn itself, nor a panic: Raw would close the
				// connection, which waits for the transaction open on it,
				// for ever. The transaction's Rollback discards it.
				return fmt.Errorf("the connection to the database broke: %v", err)
			}
			return err
		})
		if err != nil {
			return mapErr(fmt.Errorf("copy into %s: %w", table, err))
		}
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, q)
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

// copyDriver runs the COPY statement q on the driver's connection dc,
// within the transaction open on it. The values are those lib/pq encodes
// (string, int64, bool, nil), and int, which becomes int64.
func copyDriver(ctx context.Context, dc any, q string, rows [][]any) error {
	pc, ok := dc.(driver.ConnPrepareContext)
	if !ok {
		return fmt.Errorf("the driver's connection (%T) cannot prepare a statement", dc)
	}
	st, err := pc.PrepareContext(ctx, q)
	if err != nil {
		return err
	}
	defer st.Close()
	vals := make([]driver.Value, 0, 16)
	for _, r := range rows {
		vals = vals[:0]
		for _, v := range r {
			if n, ok := v.(int); ok {
				v = int64(n)
			}
			vals = append(vals, v)
		}
		//lint:ignore SA1019 lib/pq's COPY statement has no ExecContext
		if _, err := st.Exec(vals); err != nil {
			return err
		}
	}
	_, err = st.Exec(nil) // ends the COPY, with the errors of any row
	return err
}

// column is one column of the rows that updateFrom reads, with its
// PostgreSQL type: text, bigint or boolean, whose values are string, int64
// and bool.
type column struct{ name, pgType string }

// updateFrom runs "UPDATE table SET set FROM t WHERE where" over rows, each
// one value per column of cols, which set and where name t.NAME (and the
// table's own columns table.NAME). PostgreSQL gets one statement whose rows
// arrive as one array per column (unnest); SQLite one per maxParams values,
// its rows a VALUES list. It returns the number of table rows updated.
func (d *DB) updateFrom(ctx context.Context, tx *sqlx.Tx, table string, cols []column, rows [][]any, set, where string) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.name
	}
	tail := " UPDATE " + table + " SET " + set + " FROM t WHERE " + where
	if d.dialect == Postgres {
		args := make([]any, len(cols))
		params := make([]string, len(cols))
		for i, c := range cols {
			a, err := columnArray(c, rows, i)
			if err != nil {
				return 0, err
			}
			args[i], params[i] = a, "?::"+c.pgType+"[]"
		}
		q := "WITH t (" + strings.Join(names, ", ") + ") AS (SELECT * FROM unnest(" + strings.Join(params, ", ") + "))" + tail
		// The rows are found by key, one index probe each. Without the
		// table's statistics (a first big import, not yet analyzed) the
		// planner thinks it small and scans all of it instead, for every
		// chunk: four times slower at 100,000 users, and growing with them.
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
			return 0, fmt.Errorf("update %s: %w", table, err)
		}
		res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
		if err != nil {
			return 0, mapErr(fmt.Errorf("update %s: %w", table, err))
		}
		if _, err := tx.ExecContext(ctx, `SET LOCAL enable_seqscan TO DEFAULT`); err != nil {
			return 0, fmt.Errorf("update %s: %w", table, err)
		}
		return res.RowsAffected()
	}
	per := maxParams / len(cols)
	one := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	var total int64
	for len(rows) > 0 {
		n := min(per, len(rows))
		args := make([]any, 0, n*len(cols))
		for _, r := range rows[:n] {
			args = append(args, r...)
		}
		q := "WITH t (" + strings.Join(names, ", ") + ") AS (VALUES " + strings.TrimSuffix(strings.Repeat(one+", ", n), ", ") + ")" + tail
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, mapErr(fmt.Errorf("update %s: %w", table, err))
		}
		k, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("update %s: %w", table, err)
		}
		total += k
		rows = rows[n:]
	}
	return total, nil
}

// columnArray returns column i of rows as a PostgreSQL array parameter.
func columnArray(c column, rows [][]any, i int) (any, error) {
	switch c.pgType {
	case "text":
		return arrayOf[string](c, rows, i)
	case "bigint":
		return arrayOf[int64](c, rows, i)
	case "boolean":
		return arrayOf[bool](c, rows, i)
	}
	return nil, fmt.Errorf("update: column %s has type %s, not text, bigint or boolean", c.name, c.pgType)
}

// arrayOf returns column i of rows, whose values are Ts, as an array.
func arrayOf[T any](c column, rows [][]any, i int) (any, error) {
	a := make([]T, len(rows))
	for j, r := range rows {
		v, ok := r[i].(T)
		if !ok {
			return nil, fmt.Errorf("update: column %s: %T is not %s", c.name, r[i], c.pgType)
		}
		a[j] = v
	}
	return pq.Array(a), nil
}

// textArray is a list of strings as a PostgreSQL text[] parameter. It
// writes the array literal as lib/pq's StringArray does, each element
// quoted, at a fraction of the cost for the thousands of plain keys of a
// chunk's lookups.
type textArray []string

// Value returns the array literal: {"a","b"}, with " and \ escaped.
func (a textArray) Value() (driver.Value, error) {
	if a == nil {
		return nil, nil
	}
	n := 2
	for _, s := range a {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, s := range a {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		if strings.ContainsAny(s, `"\`) {
			for j := 0; j < len(s); j++ {
				if s[j] == '"' || s[j] == '\\' {
					b = append(b, '\\')
				}
				b = append(b, s[j])
			}
		} else {
			b = append(b, s...)
		}
		b = append(b, '"')
	}
	return string(append(b, '}')), nil
}
