package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/sqldb"
)

func newUserCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "List, show, delete, restore, block and unblock users; set their passwords"}
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
			return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, actor importer.User) error {
				if err := importer.DeleteUser(cmd.Context(), db, actor, args[0]); err != nil {
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
			return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, actor importer.User) error {
				if err := importer.RestoreUser(cmd.Context(), db, actor, args[0]); err != nil {
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
			return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, actor importer.User) error {
				pw, _, err := g.readSecret("New password (empty to generate one): ")
				if err != nil {
					return err
				}
				generated, err := importer.SetPassword(cmd.Context(), db, g.hasher, actor, args[0], pw)
				if err != nil {
					return err
				}
				if generated != "" {
					fmt.Fprintf(g.stdout, "password: %s\n", generated)
				}
				fmt.Fprintf(g.stdout, "password set for %s; it must be changed at next sign-in\n", args[0])
				return nil
			})
		},
	}
	block := func(blocked bool) *cobra.Command {
		use, short, done := "unblock UPN", "Allow a user to sign in again", "may sign in again"
		if blocked {
			use, short, done = "block UPN", "Block a user's sign-in (and end its web sessions)", "is blocked from signing in"
		}
		return &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, actor importer.User) error {
					// No web sessions yet (SPEC §11): the web page will hand in its session store here.
					if err := importer.BlockSignIn(cmd.Context(), db, nil, actor, args[0], blocked); err != nil {
						return err
					}
					fmt.Fprintf(g.stdout, "%s %s\n", args[0], done)
					return nil
				})
			},
		}
	}
	cmd.AddCommand(list, show, del, restore, setPassword, block(true), block(false))
	return cmd
}

func usersTable(us []importer.User, value any) table {
	type record struct {
		UPN           cell `csv:"User Name"`
		DisplayName   cell `csv:"Display Name"`
		Enabled       cell `csv:"Enabled"`
		UsageLocation cell `csv:"Usage Location"`
		Licenses      cell `csv:"Licenses"`
		Roles         cell `csv:"Roles"`
		Deleted       cell `csv:"Deleted"`
	}
	rs := []record{}
	for _, u := range us {
		rs = append(rs, record{cell(u.UserPrincipalName), cell(u.DisplayName), yesNo(u.AccountEnabled), cell(u.UsageLocation),
			cell(licensesText(u.Licenses)), cell(strings.Join(u.RoleNames(), ", ")), yesNo(u.Deleted)})
	}
	return newTable(rs, value)
}

func licensesText(ls []importer.License) string {
	parts := make([]string, len(ls))
	for i, l := range ls {
		parts[i] = fmt.Sprintf("%s (%s)", l.SKU, l.Status)
	}
	return strings.Join(parts, "; ")
}
