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

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "List, show, delete, restore users; set their passwords"}
	var all bool
	list := g.listCommand("list [--all]", "List users (--all: deleted ones too)", cobra.NoArgs,
		func(ctx context.Context, db *sqldb.DB, _ []string) (table, error) {
			us, err := db.Users(ctx, all)
			return usersTable(us, nonNil(us)), err
		})
	list.Flags().BoolVar(&all, "all", false, "include deleted users")
	show := g.listCommand("show UPN", "Show one user", cobra.ExactArgs(1),
		func(ctx context.Context, db *sqldb.DB, args []string) (table, error) {
			u, err := db.User(ctx, args[0])
			return usersTable([]importer.User{u}, u), err
		})
	del := &cobra.Command{
		Use: "delete UPN", Short: "Delete a user (restorable for 30 days); its seats go to pending assignments", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), allowed(validate.UpdateUser), func(db *sqldb.DB, actor string) error {
				if err := db.DeleteUser(cmd.Context(), actor, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s deleted; `userimport user restore %s` brings it back within 30 days\n", args[0], args[0])
				return nil
			})
		},
	}
	restore := &cobra.Command{
		Use: "restore UPN", Short: "Restore a deleted user with its licenses", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), allowed(validate.UpdateUser), func(db *sqldb.DB, actor string) error {
				if err := db.RestoreUser(cmd.Context(), actor, args[0]); err != nil {
					return err
				}
				u, err := db.User(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s restored; licenses: %s\n", u.UserPrincipalName, licensesText(u.Licenses))
				return nil
			})
		},
	}
	setPassword := &cobra.Command{
		Use:   "set-password UPN",
		Short: "Set a user's password: the one on stdin, else a generated one (printed once); the user must change it at next sign-in",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), allowed(validate.SetPassword), func(db *sqldb.DB, actor string) error {
				return setPassword(cmd.Context(), g, db, actor, args[0])
			})
		},
	}
	cmd.AddCommand(list, show, del, restore, setPassword)
	return cmd
}

func setPassword(ctx context.Context, g *globals, db *sqldb.DB, actor, upn string) error {
	u, err := db.User(ctx, upn)
	if err != nil {
		return err
	}
	alias, _, _ := strings.Cut(u.UserPrincipalName, "@")
	pw, given, err := g.readSecret("New password (empty to generate one): ")
	if err != nil {
		return err
	}
	if given {
		if err := validate.Password(pw, alias); err != nil {
			return importer.Errorf(importer.EINVALID, "password: %v", err)
		}
	} else if pw, err = validate.GeneratePasswordFor(alias); err != nil {
		return err
	}
	hash, err := argon2id.Hash(pw, argon2id.DefaultParams())
	if err != nil {
		return err
	}
	if err := db.SetPassword(ctx, actor, u.UserPrincipalName, hash, true); err != nil {
		return err
	}
	if !given {
		fmt.Fprintf(g.stdout, "password: %s\n", pw)
	}
	fmt.Fprintf(g.stdout, "password set for %s; it must be changed at next sign-in\n", u.UserPrincipalName)
	return nil
}

func usersTable(us []importer.User, value any) table {
	t := table{
		header: []string{"User Name", "Display Name", "Enabled", "Usage Location", "Licenses", "Roles", "Deleted"},
		value:  value,
	}
	for _, u := range us {
		t.rows = append(t.rows, []string{u.UserPrincipalName, u.DisplayName, yesNo(u.AccountEnabled), u.UsageLocation,
			licensesText(u.Licenses), strings.Join(u.RoleNames(), ", "), yesNo(u.Deleted)})
	}
	return t
}

func licensesText(ls []importer.License) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("%s (%s)", l.SKU, l.Status)
	}
	return strings.Join(parts, "; ")
}
