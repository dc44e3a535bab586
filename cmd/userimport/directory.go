package main

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/validate"
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
// admin that init created. Someone who is no admin at all is EFORBIDDEN.
func (g *globals) actor(ctx context.Context, db *sqldb.DB) (importer.User, error) {
	upn := g.as
	if upn == "" {
		var err error
		if upn, err = db.InitialAdmin(ctx); err != nil {
			return importer.User{}, err
		}
	}
	u, err := db.User(ctx, upn)
	if importer.ErrorCode(err) == importer.ENOTFOUND {
		return importer.User{}, importer.Errorf(importer.EFORBIDDEN, "--as %s: no such user", upn)
	}
	if err != nil {
		return importer.User{}, err
	}
	if u.Deleted {
		return importer.User{}, importer.Errorf(importer.EFORBIDDEN, "--as %s: this user is deleted", upn)
	}
	if !validate.IsAdmin(u.RoleNames()) {
		return importer.User{}, importer.Errorf(importer.EFORBIDDEN,
			"--as %s: this user is no admin (Global admin, User admin or License admin)", u.UserPrincipalName)
	}
	return u, nil
}

// permission says who may run a command: any admin, the admins whose
// roles allow an action of the role matrix, or Global admins alone.
type permission struct {
	action     validate.Action
	anyAdmin   bool
	globalOnly string // what only a Global admin may do, e.g. "add domains"
}

func anyAdmin() permission                   { return permission{anyAdmin: true} }
func allowed(a validate.Action) permission   { return permission{action: a} }
func globalAdminOnly(what string) permission { return permission{globalOnly: what} }

// check returns the acting admin's user name when it has p.
func (g *globals) check(ctx context.Context, db *sqldb.DB, p permission) (string, error) {
	u, err := g.actor(ctx, db)
	if err != nil {
		return "", err
	}
	switch {
	case p.anyAdmin:
	case p.globalOnly != "":
		if !u.HasRole(importer.GlobalAdmin) {
			return "", importer.Errorf(importer.EFORBIDDEN, "only a Global admin may %s (%s is %s)", p.globalOnly, u.UserPrincipalName, joinRoles(u))
		}
	case !validate.Allowed(u.RoleNames(), p.action):
		return "", importer.Errorf(importer.EFORBIDDEN, "%s (%s) may not %s", u.UserPrincipalName, joinRoles(u), p.action)
	}
	return u.UserPrincipalName, nil
}

// inDirectory opens the initialized directory, checks that the acting
// admin has p, and runs fn with the directory and the admin's user name.
func (g *globals) inDirectory(ctx context.Context, p permission, fn func(db *sqldb.DB, actor string) error) error {
	db, err := g.openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	actor, err := g.check(ctx, db, p)
	if err != nil {
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
			return g.inDirectory(cmd.Context(), anyAdmin(), func(db *sqldb.DB, _ string) error {
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

// joinRoles names u's roles for a message.
func joinRoles(u importer.User) string {
	if len(u.Roles) == 0 {
		return "no admin"
	}
	return strings.Join(u.RoleNames(), ", ")
}
