package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/sqldb"
)

func newOrgCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "org", Short: "Show and change the organization's settings"}
	show := g.listCommand("show", "Show the organization's settings", cobra.NoArgs,
		func(ctx context.Context, db *sqldb.DB, _ []string) (table, error) {
			s, err := db.Settings(ctx)
			return settingsTable(s), err
		})
	var name, usage, signIn, tz string
	var expiry int
	set := &cobra.Command{
		Use:   "set [--name N] [--password-expiry-days N] [--usage-location CC] [--signin-url URL] [--time-zone TZ]",
		Short: "Change the organization's settings (Global admin only); flags not given stay as they are",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var ch importer.SettingsChange
			f := cmd.Flags()
			if f.Changed("name") {
				ch.Name = &name
			}
			if f.Changed("password-expiry-days") {
				ch.PasswordExpiryDays = &expiry
			}
			if f.Changed("usage-location") {
				ch.UsageLocation = &usage
			}
			if f.Changed("signin-url") {
				ch.SignInURL = &signIn
			}
			if f.Changed("time-zone") {
				ch.TimeZone = &tz
			}
			if ch == (importer.SettingsChange{}) {
				return &usageError{"org set: give at least one of --name, --password-expiry-days, --usage-location, --signin-url, --time-zone"}
			}
			return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, actor importer.User) error {
				s, err := importer.SetSettings(cmd.Context(), db, actor, ch)
				if err != nil {
					return err
				}
				fmt.Fprintln(g.stdout, "settings changed:")
				return settingsTable(s).print(g.stdout, "table")
			})
		},
	}
	f := set.Flags()
	f.StringVar(&name, "name", "", "the organization's name")
	f.IntVar(&expiry, "password-expiry-days", 0, "days until a password expires: 0 (never) or 14–730")
	f.StringVar(&usage, "usage-location", "", "default usage location for new users, an ISO country code (\"\" for none)")
	f.StringVar(&signIn, "signin-url", "", "sign-in URL printed in credentials notices, http:// or https://")
	f.StringVar(&tz, "time-zone", "", "the organization's time zone, an IANA name such as Europe/Berlin (for feeds' schedules)")
	cmd.AddCommand(show, set)
	return cmd
}

func settingsTable(s importer.Settings) table {
	expiry := "never"
	if s.PasswordExpiryDays > 0 {
		expiry = strconv.Itoa(s.PasswordExpiryDays) + " days"
	}
	tz := s.TimeZone
	if tz == "" {
		tz = "UTC (not set)"
	}
	type record struct {
		Setting cell `csv:"Setting"`
		Value   cell `csv:"Value"`
	}
	return newTable([]record{
		{"Name", cell(s.Name)},
		{"Password expiry", cell(expiry)},
		{"Usage location", cell(s.DefaultUsageLocation)},
		{"Sign-in URL", cell(s.SignInURL)},
		{"Time zone", cell(tz)},
	}, s)
}
