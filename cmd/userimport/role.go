package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"userimport/importer"
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
			db, err := g.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			actor, err := g.authorize(cmd.Context(), db, validate.GiveRole)
			if err != nil {
				return err
			}
			if assign {
				err = db.AssignRole(cmd.Context(), actor, args[0], importer.Role(name))
			} else {
				err = db.RemoveRole(cmd.Context(), actor, args[0], importer.Role(name))
			}
			if err != nil {
				return err
			}
			verb := "is now"
			if !assign {
				verb = "is no longer"
			}
			fmt.Fprintf(g.stdout, "%s %s %s\n", args[0], verb, name)
			return nil
		}
	}
	assign := &cobra.Command{Use: "assign UPN ROLE", Short: "Give a user an admin role", Args: cobra.ExactArgs(2), RunE: change(true)}
	remove := &cobra.Command{Use: "remove UPN ROLE", Short: "Take an admin role from a user", Args: cobra.ExactArgs(2), RunE: change(false)}
	var format string
	list := &cobra.Command{
		Use: "list", Short: "List who holds which admin role", Args: cobra.NoArgs,
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
			hs, err := db.RoleHolders(cmd.Context())
			if err != nil {
				return err
			}
			t := table{header: []string{"Role", "User Name"}, value: nonNil(hs)}
			for _, h := range hs {
				t.rows = append(t.rows, []string{string(h.Role), h.UPN})
			}
			return t.print(g.stdout, format)
		},
	}
	list.Flags().StringVar(&format, "format", "table", "table, json or csv")
	cmd.AddCommand(assign, remove, list)
	return cmd
}
