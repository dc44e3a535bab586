package main

import (
	"context"
	"errors"
	"os"
	"strings"

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
	if !validate.IsAdmin(roleNames(u.Roles)) {
		return importer.User{}, importer.Errorf(importer.EFORBIDDEN,
			"--as %s: this user is no admin (Global admin, User admin or License admin)", u.UserPrincipalName)
	}
	return u, nil
}

// authorize returns the acting admin's user name when its roles allow a.
func (g *globals) authorize(ctx context.Context, db *sqldb.DB, a validate.Action) (string, error) {
	u, err := g.actor(ctx, db)
	if err != nil {
		return "", err
	}
	if !validate.Allowed(roleNames(u.Roles), a) {
		return "", importer.Errorf(importer.EFORBIDDEN, "%s (%s) may not %s", u.UserPrincipalName, joinRoles(u.Roles), a)
	}
	return u.UserPrincipalName, nil
}

// globalAdmin returns the acting admin when it is a Global admin: managing
// domains and products is theirs alone.
func (g *globals) globalAdmin(ctx context.Context, db *sqldb.DB, what string) (string, error) {
	u, err := g.actor(ctx, db)
	if err != nil {
		return "", err
	}
	if !u.HasRole(importer.GlobalAdmin) {
		return "", importer.Errorf(importer.EFORBIDDEN, "only a Global admin may %s (%s is %s)", what, u.UserPrincipalName, joinRoles(u.Roles))
	}
	return u.UserPrincipalName, nil
}

func roleNames(rs []importer.Role) []string {
	names := make([]string, len(rs))
	for i, r := range rs {
		names[i] = string(r)
	}
	return names
}

func joinRoles(rs []importer.Role) string {
	if len(rs) == 0 {
		return "no admin"
	}
	return strings.Join(roleNames(rs), ", ")
}
