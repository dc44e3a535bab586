package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/argon2id"
	"userimport/importer/sqldb"
	"userimport/validate"
)

type initOptions struct {
	org    string
	domain string
	admin  string
	demo   bool
}

func newInitCmd(g *globals) *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init --org NAME --domain DOMAIN [--admin ALIAS] | init --demo",
		Short: "Create the directory with its first Global admin, whose password is printed once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runInit(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.org, "org", "", "organization name")
	f.StringVar(&o.domain, "domain", "", "the organization's first domain (verified)")
	f.StringVar(&o.admin, "admin", "admin", "alias of the first Global admin")
	f.BoolVar(&o.demo, "demo", false, "create the demo tenant (Contoso) instead")
	return cmd
}

func runInit(ctx context.Context, g *globals, o initOptions) error {
	var demo importer.Demo
	switch {
	case o.demo:
		if o.org != "" || o.domain != "" {
			return &usageError{"--demo takes no --org or --domain"}
		}
		demo = importer.DemoTenant()
		if o.admin != "admin" {
			demo.AdminAlias = o.admin
		}
	case o.org == "" || o.domain == "":
		return &usageError{"init needs --org NAME and --domain DOMAIN (or --demo)"}
	default:
		if err := validate.Domain(strings.ToLower(o.domain)); err != nil {
			return importer.Errorf(importer.EINVALID, "--domain %q: %v", o.domain, err)
		}
		demo = importer.Demo{
			Settings:   importer.Settings{Name: o.org, PasswordExpiryDays: 90, SignInURL: "https://login." + strings.ToLower(o.domain)},
			Domains:    []importer.Domain{{Name: strings.ToLower(o.domain), Verified: true}},
			AdminAlias: o.admin,
		}
	}
	if err := validate.Alias(demo.AdminAlias); err != nil {
		return importer.Errorf(importer.EINVALID, "--admin %q: %v", demo.AdminAlias, err)
	}
	db, err := g.openDB(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	upn, password, err := initDirectory(ctx, db, demo)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "directory created for %s at %s\nGlobal admin: %s\n", demo.Settings.Name, g.dbURL(), upn)
	fmt.Fprintf(g.stdout, "password: %s\n", password)
	fmt.Fprintln(g.stdout, "This password is shown only once.")
	return nil
}

// initDirectory creates the directory d describes and returns the first
// Global admin's user name and generated password.
func initDirectory(ctx context.Context, db *sqldb.DB, d importer.Demo) (upn, password string, err error) {
	upn = d.AdminAlias + "@" + d.Domains[0].Name
	password, err = validate.GeneratePasswordFor(d.AdminAlias)
	if err != nil {
		return "", "", err
	}
	hash, err := argon2id.Hash(password, argon2id.DefaultParams())
	if err != nil {
		return "", "", err
	}
	err = db.Init(ctx, sqldb.InitParams{
		Settings: d.Settings, Domains: d.Domains, Products: d.Products,
		AdminUPN: upn, AdminDisplayName: d.Settings.Name + " admin", AdminPasswordHash: hash,
	})
	return upn, password, err
}
