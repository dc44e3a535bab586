package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/sqldb"
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
			return g.inDirectory(cmd.Context(), importer.GlobalAdminOnly("add domains"), func(db *sqldb.DB, actor importer.User) error {
				if err := db.AddDomain(cmd.Context(), actor.UserPrincipalName, importer.Domain{Name: name, Verified: verified}); err != nil {
					return err
				}
				state := "unverified: users can be created in it once `userimport domain verify " + name + "` has run"
				if verified {
					state = "verified"
				}
				fmt.Fprintf(g.stdout, "domain %s added, %s\n", name, state)
				return nil
			})
		},
	}
	add.Flags().BoolVar(&verified, "verified", false, "mark the domain verified at once")
	verify := &cobra.Command{
		Use: "verify DOMAIN", Short: "Mark a domain verified", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), importer.GlobalAdminOnly("verify domains"), func(db *sqldb.DB, actor importer.User) error {
				if err := db.VerifyDomain(cmd.Context(), actor.UserPrincipalName, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "domain %s verified\n", strings.ToLower(args[0]))
				return nil
			})
		},
	}
	remove := &cobra.Command{
		Use: "remove DOMAIN", Short: "Remove a domain no user is in", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), importer.GlobalAdminOnly("remove domains"), func(db *sqldb.DB, actor importer.User) error {
				if err := db.RemoveDomain(cmd.Context(), actor.UserPrincipalName, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "domain %s removed\n", strings.ToLower(args[0]))
				return nil
			})
		},
	}
	list := g.listCommand("list", "List the domains", cobra.NoArgs,
		func(ctx context.Context, db *sqldb.DB, _ []string) (table, error) {
			ds, err := db.Domains(ctx)
			type record struct {
				Name     cell `csv:"Domain"`
				Verified cell `csv:"Verified"`
			}
			rs := []record{}
			for _, d := range ds {
				rs = append(rs, record{cell(d.Name), yesNo(d.Verified)})
			}
			return newTable(rs, nonNil(ds)), err
		})
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
