// Package dirtest holds the test helpers that the packages testing the
// directory share: the same test on SQLite and on PostgreSQL, a fresh
// demo directory, and users created through the store's real seat path.
// Only tests import it.
//
// A package that uses it runs its PostgreSQL tests through pgtest:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
package dirtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/importer/sqldb"
	"userimport/internal/pgtest"
)

// Admin is the Global admin of the demo directory (Demo), and AdminPassword
// its password.
const (
	Admin         = "admin@contoso.com"
	AdminPassword = "Adm1n-password"
)

// EachURL runs fn as subtests "sqlite" and "postgres", each with the URL of
// a fresh, empty database: a SQLite file in a temporary folder, or a new
// database on the throwaway PostgreSQL server. The PostgreSQL one skips
// (or fails, when USERIMPORT_TEST_POSTGRES=require) without a local
// PostgreSQL.
func EachURL(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite:"+filepath.Join(t.TempDir(), "userimport.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, pgtest.URL(t))
	})
}

// EachDB is EachURL with the database opened, empty (not initialized).
func EachDB(t *testing.T, fn func(t *testing.T, url string, db *sqldb.DB)) {
	t.Helper()
	EachURL(t, func(t *testing.T, url string) { fn(t, url, Open(t, url)) })
}

// EachDemo is EachURL with the database opened and initialized as Demo
// does.
func EachDemo(t *testing.T, fn func(t *testing.T, url string, db *sqldb.DB)) {
	t.Helper()
	EachURL(t, func(t *testing.T, url string) { fn(t, url, Demo(t, url)) })
}

// Open opens the database at url, closing it when the test ends.
func Open(tb testing.TB, url string) *sqldb.DB {
	tb.Helper()
	db, err := sqldb.Open(context.Background(), url)
	if err != nil {
		tb.Fatalf("open %s: %v", url, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// Demo opens the database at url and makes it the demo directory
// (importer.DemoTenant), as `init --demo` does, with Admin as its Global
// admin, whose password AdminPassword is hashed at the insecure test cost.
func Demo(tb testing.TB, url string) *sqldb.DB {
	tb.Helper()
	db := Open(tb, url)
	d := importer.DemoTenant()
	h, err := argon2id.Hash(AdminPassword, argon2id.InsecureTestParams())
	if err != nil {
		tb.Fatal(err)
	}
	if err := db.Init(context.Background(), sqldb.InitParams{Settings: d.Settings, Domains: d.Domains, Products: d.Products,
		AdminUPN: Admin, AdminDisplayName: d.Settings.Name + " admin", AdminPasswordHash: h}); err != nil {
		tb.Fatalf("init the demo directory: %v", err)
	}
	return db
}

// NewUser is a plan to create the user upn (display name its alias) asking
// for one seat of each of skus, for Provision.
func NewUser(upn string, skus ...string) *importer.Planned {
	alias, _, _ := strings.Cut(upn, "@")
	p := &importer.Planned{Action: importer.ActionCreate,
		User: importer.User{UserPrincipalName: upn, DisplayName: alias, AccountEnabled: true}}
	for _, sku := range skus {
		p.Licenses = append(p.Licenses, importer.PlannedLicense{SKU: sku})
	}
	return p
}

// Provision writes plans as one batch of actor's, through the store's real
// path, as importer.Run does: CreateBatch (source cli), Stage (which
// reserves seats in row order), Provision (no passwords), FinishBatch. Plans without a row
// number are numbered from 1, new users without an ID get one. It returns
// each plan's result: a plan that cannot be written fails alone, as in an
// import.
func Provision(ctx context.Context, db *sqldb.DB, actor string, plans ...*importer.Planned) ([]importer.Result, error) {
	sum := make([]byte, 32)
	if _, err := rand.Read(sum); err != nil {
		return nil, err
	}
	now := time.Now()
	b := &importer.Batch{ID: uuid.NewString(), File: "dirtest.csv", SHA256: hex.EncodeToString(sum), Mode: importer.ModeUpsert,
		Source: importer.SourceCLI, ActingAdmin: actor, Started: now, Owner: "dirtest-" + uuid.NewString()}
	if err := db.CreateBatch(ctx, b); err != nil {
		return nil, err
	}
	rows := make([]importer.JournalRow, len(plans))
	work := make([]importer.Work, len(plans))
	for i, p := range plans {
		if p.Row == 0 {
			p.Row = i + 1
		}
		if p.Action == importer.ActionCreate && p.User.ID == "" {
			p.User.ID = uuid.NewString()
		}
		if p.Action == importer.ActionCreate && p.User.Source == "" {
			p.User.Source = b.Source
		}
		if p.RequestedAt == 0 {
			p.RequestedAt = now.UnixMicro()
		}
		rows[i], work[i] = importer.JournalRow{Row: p.Row, Plan: p}, importer.Work{Plan: p}
	}
	if err := db.Stage(ctx, b.ID, rows); err != nil {
		return nil, err
	}
	rs, err := db.Provision(ctx, b.ID, actor, work)
	if err != nil {
		return nil, err
	}
	if _, err := db.FinishBatch(ctx, b.ID, b.Owner, importer.BatchDone, nil); err != nil {
		return nil, err
	}
	return rs, nil
}

// MustProvision is Provision that fails tb on an error or a failed row.
func MustProvision(tb testing.TB, db *sqldb.DB, actor string, plans ...*importer.Planned) []importer.Result {
	tb.Helper()
	rs, err := Provision(context.Background(), db, actor, plans...)
	if err == nil {
		for _, r := range rs {
			if r.Outcome == importer.Failed {
				err = errors.Join(err, fmt.Errorf("row %d (%s): %s", r.Row, r.UserName, r.Message))
			}
		}
	}
	if err != nil {
		tb.Fatalf("provision: %v", err)
	}
	return rs
}

// Product returns the product sku of the directory, with its seat counts;
// it fails tb when there is none.
func Product(tb testing.TB, db *sqldb.DB, sku string) importer.Product {
	tb.Helper()
	ps, err := db.Products(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	for _, p := range ps {
		if p.SKU == sku {
			return p
		}
	}
	tb.Fatalf("no product %s in %v", sku, ps)
	return importer.Product{}
}
