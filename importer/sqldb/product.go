package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"userimport/importer"
)

// AddProduct adds a product (license SKU) with its seats and plans.
func (d *DB) AddProduct(ctx context.Context, actor string, p importer.Product) error {
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := d.addProduct(ctx, tx, p); err != nil {
			return err
		}
		return d.audit(ctx, tx, actor, "license add", p.SKU,
			fmt.Sprintf("%q, %d seats, plans %s", p.Name, p.Seats, strings.Join(p.Plans, ",")), "")
	})
}

func (d *DB) addProduct(ctx context.Context, tx *sqlx.Tx, p importer.Product) error {
	if p.Seats < 0 {
		return importer.Errorf(importer.EINVALID, "seats must be 0 or more (got %d)", p.Seats)
	}
	var id int64
	err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO products (sku, name, seats) VALUES (?, ?, ?) RETURNING id`),
		p.SKU, p.Name, p.Seats).Scan(&id)
	if err = mapErr(err); errors.Is(err, errUnique) {
		return importer.Errorf(importer.ECONFLICT, "license %s exists already", p.SKU)
	}
	if err != nil {
		return fmt.Errorf("insert product: %w", err)
	}
	for i, plan := range p.Plans {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO product_plans (product_id, plan, position) VALUES (?, ?, ?)`),
			id, plan, i); err != nil {
			if errors.Is(mapErr(err), errUnique) {
				return importer.Errorf(importer.EINVALID, "plan %s is listed twice", plan)
			}
			return fmt.Errorf("insert plan: %w", err)
		}
	}
	return nil
}

// SetSeats changes a product's seats. Raising them fills pending assignments
// at once, oldest first; lowering below the assigned count is refused.
func (d *DB) SetSeats(ctx context.Context, actor, sku string, seats int) error {
	if seats < 0 {
		return importer.Errorf(importer.EINVALID, "seats must be 0 or more (got %d)", seats)
	}
	return d.inTx(ctx, func(tx *sqlx.Tx) error {
		id, old, assigned, err := d.lockProduct(ctx, tx, sku)
		if err != nil {
			return err
		}
		if seats < assigned {
			return importer.Errorf(importer.ECONFLICT,
				"%s has %d seats assigned: remove licenses (or delete users) before lowering its seats to %d", sku, assigned, seats)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE products SET seats = ? WHERE id = ?`), seats, id); err != nil {
			return fmt.Errorf("set seats: %w", err)
		}
		filled, err := d.fillPending(ctx, tx, id)
		if err != nil {
			return err
		}
		return d.audit(ctx, tx, actor, "license set-seats", sku,
			fmt.Sprintf("seats %d -> %d; %d pending assignments filled", old, seats, filled), "")
	})
}

// lockProduct locks a product's row for the rest of tx and returns its id,
// seats and assigned count. An unknown SKU is ENOTFOUND.
func (d *DB) lockProduct(ctx context.Context, tx *sqlx.Tx, sku string) (id int64, seats, assigned int, err error) {
	err = tx.QueryRowxContext(ctx, tx.Rebind(`SELECT id, seats, assigned FROM products WHERE sku = ?`+d.forUpdate()), sku).
		Scan(&id, &seats, &assigned)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, 0, importer.Errorf(importer.ENOTFOUND, "no license %s: see `userimport license list`", sku)
	}
	if err != nil {
		return 0, 0, 0, fmt.Errorf("lock product: %w", err)
	}
	return id, seats, assigned, nil
}

// releaseSeat gives back one seat of a product, whose row the caller has
// locked, and hands it to the oldest pending assignment.
func (d *DB) releaseSeat(ctx context.Context, tx *sqlx.Tx, productID int64) error {
	return d.releaseSeats(ctx, tx, productID, 1)
}

// releaseSeats gives back n seats of a product, as releaseSeat does one.
func (d *DB) releaseSeats(ctx context.Context, tx *sqlx.Tx, productID int64, n int) error {
	if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE products SET assigned = assigned - ? WHERE id = ?`), n, productID); err != nil {
		return fmt.Errorf("release seat: %w", err)
	}
	_, err := d.fillPending(ctx, tx, productID)
	return err
}

// fillPending gives a product's free seats to its pending assignments,
// oldest first, and returns how many it filled. The caller holds the
// product's lock (lockProduct) or the database's write lock.
func (d *DB) fillPending(ctx context.Context, tx *sqlx.Tx, productID int64) (int, error) {
	var free int
	if err := tx.GetContext(ctx, &free, tx.Rebind(`SELECT seats - assigned FROM products WHERE id = ?`+d.forUpdate()), productID); err != nil {
		return 0, fmt.Errorf("read seats: %w", err)
	}
	if free <= 0 {
		return 0, nil
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE license_assignments SET status = 'assigned', assigned_at = ?
		WHERE product_id = ? AND status = 'pending' AND user_id IN (
			SELECT user_id FROM license_assignments WHERE product_id = ? AND status = 'pending'
			ORDER BY requested_at, queue_pos, user_id LIMIT ?)`), d.now(), productID, productID, free)
	if err != nil {
		return 0, fmt.Errorf("fill pending: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("fill pending: %w", err)
	}
	if n > 0 {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE products SET assigned = assigned + ? WHERE id = ?`), n, productID); err != nil {
			return 0, mapErr(fmt.Errorf("count filled seats: %w", err))
		}
	}
	return int(n), nil
}

// Products lists the products by SKU with their seat counts and plans.
func (d *DB) Products(ctx context.Context) ([]importer.Product, error) {
	// The pending assignments are counted in one pass for all products:
	// waiting ones are often most of them, which no index makes cheaper.
	rows, err := d.db.QueryxContext(ctx, `SELECT p.id, p.sku, p.name, p.seats, p.assigned, COALESCE(w.n, 0)
		FROM products p LEFT JOIN (SELECT product_id, COUNT(*) AS n FROM license_assignments
			WHERE status = 'pending' GROUP BY product_id) w ON w.product_id = p.id
		ORDER BY p.sku`)
	if err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	var ps []importer.Product
	byID := map[int64]int{}
	for rows.Next() {
		var id int64
		var p importer.Product
		if err := rows.Scan(&id, &p.SKU, &p.Name, &p.Seats, &p.Assigned, &p.Pending); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list products: %w", err)
		}
		p.Plans = []string{}
		byID[id] = len(ps)
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list products: %w", err)
	}
	plans, err := d.db.QueryxContext(ctx, `SELECT product_id, plan FROM product_plans ORDER BY product_id, position`)
	if err != nil {
		return nil, fmt.Errorf("list plans: %w", err)
	}
	defer plans.Close()
	for plans.Next() {
		var id int64
		var plan string
		if err := plans.Scan(&id, &plan); err != nil {
			return nil, fmt.Errorf("list plans: %w", err)
		}
		if i, ok := byID[id]; ok {
			ps[i].Plans = append(ps[i].Plans, plan)
		}
	}
	return ps, plans.Err()
}
