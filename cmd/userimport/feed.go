package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/validate"
)

// feedFlags are the settings flags of `feed add` and `feed set`.
type feedFlags struct {
	dir, schedule, mode, mapping, statusColumn, leaverValues, upn, fold, domain string
	licenses, disabledApps, usageLocation, notify                               string
	noPasswords                                                                 bool
	deleteAfter, maxLeavers, minRows, prehire                                   int
}

func (o *feedFlags) register(f *pflag.FlagSet) {
	f.StringVar(&o.dir, "dir", "", "the folder the HR system drops its files in")
	f.StringVar(&o.schedule, "schedule", "", `cron schedule ("CRON_TZ=Europe/Berlin 30 2 * * *"); without one a file is taken once it has not changed for 30 s`)
	f.StringVar(&o.mode, "mode", importer.ModeSync, "sync (the file is the whole truth for the feed's users) or upsert")
	f.StringVar(&o.mapping, "map", "", `their headers as ours: "Employee ID=WorkerID;First Name=FirstName;…"`)
	f.StringVar(&o.statusColumn, "status-column", "", "the column that says whether someone left")
	f.StringVar(&o.leaverValues, "leaver-values", "", `values of --status-column that mean gone: "Terminated;Inactive"`)
	f.StringVar(&o.upn, "upn", "", "pattern for blank User Names: {first}, {last}, {f}, {l}, e.g. {first}.{last}")
	f.StringVar(&o.fold, "fold", validate.FoldDefault, "how --upn folds letters: default (Müller → muller) or de (Müller → mueller)")
	f.StringVar(&o.domain, "domain", "", "domain for User Names without @ (and for --upn)")
	f.StringVar(&o.licenses, "license", "", "licenses for new users whose cell is blank (SKU[;SKU])")
	f.StringVar(&o.disabledApps, "disabled-apps", "", "apps to turn off in those licenses (PLAN[;PLAN])")
	f.StringVar(&o.usageLocation, "usage-location", "", "usage location for rows whose cell is blank")
	f.BoolVar(&o.noPasswords, "no-passwords", false, "create accounts without passwords (single sign-on)")
	f.StringVar(&o.notify, "notify", "", "addresses (up to 5, comma-separated) told of held runs and sent credentials notices")
	f.IntVar(&o.deleteAfter, "delete-after", importer.DefaultDeleteAfterDays, "days after which a disabled leaver is deleted (0: at once)")
	f.IntVar(&o.maxLeavers, "max-leavers", importer.DefaultMaxLeavers, "hold a run that would disable more than this percentage of the feed's users")
	f.IntVar(&o.minRows, "min-rows", 0, "hold a run whose file has fewer rows")
	f.IntVar(&o.prehire, "prehire", importer.DefaultPrehireDays, "create future starters this many days before their start date")
}

// apply sets the fields of f whose flags were given (all of them for add).
func (o *feedFlags) apply(fs *pflag.FlagSet, f *importer.Feed, all bool) error {
	set := func(name string) bool { return all || fs.Changed(name) }
	if set("dir") {
		f.Dir = o.dir
	}
	if set("schedule") {
		f.Schedule = o.schedule
	}
	if set("mode") {
		f.Mode = o.mode
	}
	if set("map") {
		m, err := importer.ParseMap(o.mapping)
		if err != nil {
			return err
		}
		f.Map = m
	}
	if set("status-column") {
		f.StatusColumn = strings.TrimSpace(o.statusColumn)
	}
	if set("leaver-values") {
		f.LeaverValues = validate.LeaverValues(o.leaverValues)
	}
	if set("upn") {
		f.UPN = o.upn
	}
	if set("fold") {
		f.Fold = o.fold
	}
	if set("domain") {
		f.Domain = o.domain
	}
	if set("license") {
		f.Licenses = validate.List(o.licenses)
	}
	if set("disabled-apps") {
		f.DisabledApps = validate.List(o.disabledApps)
	}
	if set("usage-location") {
		f.UsageLocation = o.usageLocation
	}
	if set("no-passwords") {
		f.NoPasswords = o.noPasswords
	}
	if set("notify") {
		f.Notify = validate.List(o.notify)
	}
	if set("delete-after") {
		f.DeleteAfter = o.deleteAfter
	}
	if set("max-leavers") {
		f.MaxLeavers = o.maxLeavers
	}
	if set("min-rows") {
		f.MinRows = o.minRows
	}
	if set("prehire") {
		f.Prehire = o.prehire
	}
	return nil
}

func newFeedCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "feed", Short: "HR feeds: nightly files that keep the directory in step with the workforce"}

	var addFlags feedFlags
	add := &cobra.Command{
		Use: "add NAME --dir DIR [flags]", Short: "Add a feed", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := importer.NewFeed(args[0])
			if err := addFlags.apply(cmd.Flags(), &f, true); err != nil {
				return err
			}
			return g.inDirectory(cmd.Context(), importer.ManageFeeds(), func(db *sqldb.DB, actor importer.User) error {
				if err := importer.AddFeed(cmd.Context(), db, actor, f); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "feed %s added: files dropped in %s are imported by `userimport serve`, or now by `userimport feed run %s` (or `feed run %s FILE` for a file elsewhere)\n",
					f.Name, f.Dir, f.Name, f.Name)
				return nil
			})
		},
	}
	addFlags.register(add.Flags())

	var setFlags feedFlags
	set := &cobra.Command{
		Use: "set NAME [flags]", Short: "Change a feed's settings", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), importer.ManageFeeds(), func(db *sqldb.DB, actor importer.User) error {
				var ferr error
				f, err := importer.SetFeed(cmd.Context(), db, actor, args[0], func(f *importer.Feed) {
					ferr = setFlags.apply(cmd.Flags(), f, false)
					if g.as != "" {
						f.ActingAdmin = actor.UserPrincipalName // --as given: the feed runs as this admin from now on
					}
				})
				if ferr != nil {
					return ferr
				}
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "feed %s changed\n", f.Name)
				return nil
			})
		},
	}
	setFlags.register(set.Flags())

	list := g.listCommand("list", "List the feeds", cobra.NoArgs,
		func(ctx context.Context, db *sqldb.DB, _ []string) (table, error) {
			vs, err := importer.ViewFeeds(ctx, db, time.Now())
			return feedTable(vs), err
		})
	show := g.listCommand("show NAME", "Show one feed", cobra.ExactArgs(1),
		func(ctx context.Context, db *sqldb.DB, args []string) (table, error) {
			vs, err := importer.ViewFeeds(ctx, db, time.Now(), args[0])
			t := feedTable(vs)
			if len(vs) == 1 {
				t.value = vs[0]
			}
			return t, err
		})
	remove := &cobra.Command{
		Use: "remove NAME", Short: "Remove a feed (its users stay)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), importer.ManageFeeds(), func(db *sqldb.DB, actor importer.User) error {
				if err := importer.RemoveFeed(cmd.Context(), db, actor, args[0]); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "feed %s removed; its users stay as they are\n", args[0])
				return nil
			})
		},
	}
	token := &cobra.Command{
		Use: "token NAME", Short: "Issue a new upload token (printed once; the old one stops working)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), importer.ManageFeeds(), func(db *sqldb.DB, actor importer.User) error {
				tok, err := importer.NewFeedToken(cmd.Context(), db, actor, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "token: %s\n", tok.Reveal())
				fmt.Fprintf(g.stderr, "keep it now: it is not shown again; the feed's previous token no longer works\n")
				return nil
			})
		},
	}
	cmd.AddCommand(add, set, list, show, remove, token, newFeedRunCmd(g))
	return cmd
}

func feedTable(vs []importer.FeedView) table {
	type record struct {
		Name      cell `csv:"Name"`
		Dir       cell `csv:"Folder"`
		Schedule  cell `csv:"Schedule"`
		Mode      cell `csv:"Mode"`
		Users     cell `csv:"Users"`
		LastRun   cell `csv:"Last run"`
		LastBatch cell `csv:"Last batch"`
		NextRun   cell `csv:"Next run"`
	}
	rs := []record{}
	when := func(t *time.Time) cell {
		if t == nil {
			return ""
		}
		return cell(t.Format(time.RFC3339))
	}
	for _, v := range vs {
		sch := v.Schedule
		if sch == "" {
			sch = "when a file is stable for 30 s"
		}
		rs = append(rs, record{cell(v.Name), cell(v.Dir), cell(sch), cell(v.Mode), cell(fmt.Sprint(v.Users)),
			when(v.LastRun), cell(v.LastBatch), when(v.NextRun)})
	}
	return newTable(rs, nonNil(vs))
}
