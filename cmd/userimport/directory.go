package main

import (
	"context"
	"errors"
	"os"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/sqldb"
)

const defaultDB = "sqlite:userimport.db"

// dbURL is --db, else USERIMPORT_DB, else the embedded default.
func (g *globals) dbURL() string {
	if g.db != "" {
		return g.db
	}
	return defaultDB
}

// openDB opens the directory and, unless it is init asking, requires it to
// be initialized.
func (g *globals) openDB(ctx context.Context, mustBeInitialized bool) (*sqldb.DB, error) {
	url := g.dbURL()
	if path := sqldb.SQLitePath(url); path != "" && mustBeInitialized {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, importer.Errorf(importer.EUNINIT,
				"no directory at %s: run `userimport init --org NAME --domain DOMAIN` (or `userimport init --demo`) first", path)
		}
	}
	db, err := sqldb.Open(ctx, url)
	if err != nil {
		return nil, err
	}
	if mustBeInitialized {
		ok, err := db.Initialized(ctx)
		if err == nil && !ok {
			_, err = db.Settings(ctx) // says what to do
		}
		if err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// actor returns the acting admin: --as (or USERIMPORT_AS), else the Global
// admin that init created.
func (g *globals) actor(ctx context.Context, db *sqldb.DB) (importer.User, error) {
	return importer.ActingAdmin(ctx, db, g.as)
}

// inDirectory opens the initialized directory, checks that the acting
// admin has p, and runs fn with the directory and the admin.
func (g *globals) inDirectory(ctx context.Context, p importer.Permission, fn func(db *sqldb.DB, actor importer.User) error) error {
	db, err := g.openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	actor, err := g.actor(ctx, db)
	if err != nil {
		return err
	}
	if err := importer.Authorize(actor, p); err != nil {
		return err
	}
	return fn(db, actor)
}

// listCommand makes a command that any admin may run to print a listing
// in --format table, json or csv; fn makes the listing.
func (g *globals) listCommand(use, short string, args cobra.PositionalArgs,
	fn func(ctx context.Context, db *sqldb.DB, args []string) (table, error)) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use: use, Short: short, Args: args,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validFormat(format); err != nil {
				return err
			}
			return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, _ importer.User) error {
				t, err := fn(cmd.Context(), db, args)
				if err != nil {
					return err
				}
				return t.print(g.stdout, format)
			})
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "table, json or csv")
	return cmd
}
