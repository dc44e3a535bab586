package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/validate"
)

func newRoleCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "role", Short: "Give and take admin roles (Global admin, User admin, License admin)"}
	change := func(assign bool) func(cmd *cobra.Command, args []string) error {
		return func(cmd *cobra.Command, args []string) error {
			name, ok := validate.RoleName(args[1])
			if !ok {
				return importer.Errorf(importer.EINVALID, "no role %q: use \"Global admin\", \"User admin\" or \"License admin\"", args[1])
			}
			return g.inDirectory(cmd.Context(), importer.Allows(validate.GiveRole), func(db *sqldb.DB, actor importer.User) error {
				change, verb := db.AssignRole, "is now"
				if !assign {
					change, verb = db.RemoveRole, "is no longer"
				}
				if err := change(cmd.Context(), actor.UserPrincipalName, args[0], importer.Role(name)); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s %s %s\n", args[0], verb, name)
				return nil
			})
		}
	}
	assign := &cobra.Command{Use: "assign UPN ROLE", Short: "Give a user an admin role", Args: cobra.ExactArgs(2), RunE: change(true)}
	remove := &cobra.Command{Use: "remove UPN ROLE", Short: "Take an admin role from a user", Args: cobra.ExactArgs(2), RunE: change(false)}
	list := g.listCommand("list", "List who holds which admin role", cobra.NoArgs,
		func(ctx context.Context, db *sqldb.DB, _ []string) (table, error) {
			hs, err := db.RoleHolders(ctx)
			type record struct {
				Role cell `csv:"Role"`
				UPN  cell `csv:"User Name"`
			}
			rs := []record{}
			for _, h := range hs {
				rs = append(rs, record{cell(h.Role), cell(h.UPN)})
			}
			return newTable(rs, nonNil(hs)), err
		})
	cmd.AddCommand(assign, remove, list)
	return cmd
}
