package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/validate"
)

func newDomainCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "domain", Short: "Add, verify, list and remove domains"}
	var verified bool
	add := &cobra.Command{
		Use: "add DOMAIN [--verified]", Short: "Add a domain", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := strings.ToLower(args[0])
			if err := validate.Domain(name); err != nil {
				return importer.Errorf(importer.EINVALID, "domain %q: %v", args[0], err)
			}
			db, err := g.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			actor, err := g.globalAdmin(cmd.Context(), db, "add domains")
			if err != nil {
				return err
			}
			if err := db.AddDomain(cmd.Context(), actor, importer.Domain{Name: name, Verified: verified}); err != nil {
				return err
			}
			state := "unverified: users can be created in it once `userimport domain verify " + name + "` has run"
			if verified {
				state = "verified"
			}
			fmt.Fprintf(g.stdout, "domain %s added, %s\n", name, state)
			return nil
		},
	}
	add.Flags().BoolVar(&verified, "verified", false, "mark the domain verified at once")
	verify := &cobra.Command{
		Use: "verify DOMAIN", Short: "Mark a domain verified", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := g.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			actor, err := g.globalAdmin(cmd.Context(), db, "verify domains")
			if err != nil {
				return err
			}
			if err := db.VerifyDomain(cmd.Context(), actor, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "domain %s verified\n", strings.ToLower(args[0]))
			return nil
		},
	}
	remove := &cobra.Command{
		Use: "remove DOMAIN", Short: "Remove a domain no user is in", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := g.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			actor, err := g.globalAdmin(cmd.Context(), db, "remove domains")
			if err != nil {
				return err
			}
			if err := db.RemoveDomain(cmd.Context(), actor, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "domain %s removed\n", strings.ToLower(args[0]))
			return nil
		},
	}
	var format string
	list := &cobra.Command{
		Use: "list", Short: "List the domains", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validFormat(format); err != nil {
				return err
			}
			db, err := g.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := g.actor(cmd.Context(), db); err != nil {
				return err
			}
			ds, err := db.Domains(cmd.Context())
			if err != nil {
				return err
			}
			t := table{header: []string{"Domain", "Verified"}, value: nonNil(ds)}
			for _, d := range ds {
				t.rows = append(t.rows, []string{d.Name, yesNo(d.Verified)})
			}
			return t.print(g.stdout, format)
		},
	}
	list.Flags().StringVar(&format, "format", "table", "table, json or csv")
	cmd.AddCommand(add, verify, list, remove)
	return cmd
}

// nonNil makes an empty list print as [] in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
