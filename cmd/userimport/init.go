package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"userimport/importer"
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
		demo.AdminAlias = o.admin
	case o.org == "" || o.domain == "":
		return &usageError{"init needs --org NAME and --domain DOMAIN (or --demo)"}
	default:
		var err error
		if demo, err = importer.NewTenant(o.org, o.domain, o.admin); err != nil {
			return err
		}
	}
	db, err := g.openDB(ctx, false)
	if err != nil {
		return err
	}
	defer db.Close()
	upn, password, err := importer.InitTenant(ctx, db, g.hasher, demo)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "directory created for %s at %s\nGlobal admin: %s\n", demo.Settings.Name, g.dbURL(), upn)
	fmt.Fprintf(g.stdout, "password: %s\n", password)
	fmt.Fprintln(g.stdout, "This password is shown only once, and must be changed at first sign-in (`userimport passwd "+upn+"`).")
	return nil
}
