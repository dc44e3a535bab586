package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"userimport/importer"
	"userimport/importer/sheet"
	"userimport/importer/sqldb"
	"userimport/report"
)

// feedMailer returns the mail sender of feeds (held runs, credentials
// notices) from USERIMPORT_SMTP_URL, or nil when it is not set.
func feedMailer() (report.Mailer, func(ctx context.Context, to []string, subject, body string) error, error) {
	url := os.Getenv("USERIMPORT_SMTP_URL")
	if url == "" {
		return report.Mailer{}, nil, nil
	}
	cfg, err := report.ParseSMTPURL(url)
	if err != nil {
		return report.Mailer{}, nil, &usageError{fmt.Sprintf("USERIMPORT_SMTP_URL: %v", err)}
	}
	m := report.Mailer{Config: cfg}
	return m, func(ctx context.Context, to []string, subject, body string) error {
		return m.SendNotice(ctx, to, subject, []byte(body))
	}, nil
}

// feedRun is the wiring of a feed run: the real reader with the feed's
// header mapping, report's outputs, the process's hasher, the mailer.
func (g *globals) feedRun(f importer.Feed, path, out string, dryRun bool, log *zap.Logger) (importer.FeedRun, report.Mailer, error) {
	m, mail, err := feedMailer()
	if err != nil {
		return importer.FeedRun{}, m, err
	}
	return importer.FeedRun{
		Feed: f, Path: path, DryRun: dryRun, OutDir: out,
		Open: func(p string) (importer.RowSource, error) {
			return sheet.Open(p, sheet.Options{Rename: f.Rename(), UserNameOptional: true})
		},
		Hasher: g.hasher, Outputs: report.Outputs(), Log: log, Mail: mail,
	}, m, nil
}

func newFeedRunCmd(g *globals) *cobra.Command {
	var dryRun bool
	var out string
	cmd := &cobra.Command{
		Use:   "run NAME [FILE] [--dry-run]",
		Short: "Run a feed once now: on FILE, or on the files waiting in its folder",
		Long: `Run a feed once now. With FILE, FILE is imported with the feed's settings (results
in --out). Without, the files waiting in the feed's folder are taken in the order
they arrived, as serve takes them: each moves to processed/ (or failed/) with its
results workbook beside it, and a file whose SHA-256 was taken before is skipped.
--dry-run shows what the run would do and changes nothing.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			db, err := g.openDB(ctx, true)
			if err != nil {
				return err
			}
			defer db.Close()
			actor, err := g.actor(ctx, db)
			if err != nil {
				return err
			}
			if err := importer.Authorize(actor, importer.ManageFeeds()); err != nil {
				return err
			}
			f, err := db.Feed(ctx, args[0])
			if err != nil {
				return err
			}
			log := g.log.With(zap.String("feed", f.Name))
			if len(args) == 1 {
				fr, m, err := g.feedRun(f, "", out, dryRun, log) // out: a dry run's previews
				if err != nil {
					return err
				}
				return runDrops(ctx, g, db, fr, m)
			}
			path := args[1]
			if _, err := os.Stat(path); err != nil {
				return importer.Errorf(importer.EINVALID, "cannot read %s: no such file", path)
			}
			fr, m, err := g.feedRun(f, path, out, dryRun, log)
			if err != nil {
				return err
			}
			rep, err := importer.RunFeed(ctx, db, db, fr)
			printFeedReport(g, f.Name, rep)
			importer.MailNotice(ctx, m, log, f.Notify, rep.Report)
			return err
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "show what the run would do; change nothing")
	cmd.Flags().StringVar(&out, "out", ".", "folder for the results (with FILE), and for the previews of --dry-run")
	return cmd
}

// runDrops takes the files waiting in the feed's folder.
func runDrops(ctx context.Context, g *globals, db *sqldb.DB, fr importer.FeedRun, m report.Mailer) error {
	drops, err := importer.WaitingDrops(ctx, db, fr.Feed, time.Now(), 0)
	if err != nil {
		return err
	}
	if len(drops) == 0 {
		fmt.Fprintf(g.stdout, "feed %s: no file waiting in %s\n", fr.Feed.Name, fr.Feed.Dir)
		return nil
	}
	var last error
	for _, d := range drops {
		rep, err := importer.TakeDrop(ctx, db, db, fr, d)
		if rep != nil {
			printFeedReport(g, fr.Feed.Name, *rep)
			importer.MailNotice(ctx, m, fr.Log, fr.Feed.Notify, rep.Report)
		}
		if err != nil {
			fmt.Fprintf(g.stderr, "%s: %s\n", filepath.Base(d.Path), importer.ErrorMessage(err))
			last = err
		}
		if err != nil && importer.ErrorCode(err) != importer.EINVALID && !errors.As(err, new(*importer.RowsFailedError)) {
			break // the feed runs elsewhere, or the directory failed: the later files wait, to be taken in order
		}
	}
	return last
}

func printFeedReport(g *globals, feed string, rep importer.FeedReport) {
	if rep.Held != nil {
		h := rep.Held
		fmt.Fprintf(g.stdout, "feed %s: %s held, nothing changed: %s; approve with `userimport batch approve %s` (or cancel with `userimport batch cancel %s`)\n",
			feed, h.FileName, h.Reason, h.BatchID, h.BatchID)
		return
	}
	if rep.Summary.Finished.IsZero() {
		return
	}
	s := rep.Summary
	fmt.Fprintf(g.stdout, "feed %s: %d restored, %d disabled, %d deleted; ", feed, s.Restored, s.Disabled, s.Deleted)
	printSummary(g, rep.Report)
}

// newBatchApproveCmd is `batch approve ID` (registered in batch.go).
func newBatchApproveCmd(g *globals) *cobra.Command {
	approve := &cobra.Command{
		Use: "approve ID", Short: "Apply a held feed batch (planned again against the directory as it is now)", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.inDirectory(ctx, importer.ManageFeeds(), func(db *sqldb.DB, actor importer.User) error {
				svc, err := g.feedService(db, nil) // no job queue here: this process writes every row
				if err != nil {
					return err
				}
				rep, err := svc.Approve(ctx, actor, args[0])
				if rep.Summary.BatchID != "" {
					fmt.Fprintf(g.stdout, "batch %s approved: applied as batch %s\n", args[0], rep.Summary.BatchID)
					printFeedReport(g, rep.Feed, rep)
				}
				return err
			})
		},
	}
	return approve
}

// feedPoll is how often serve looks at the feeds' folders.
const feedPoll = 5 * time.Second

// feedService is serve's taker of the feeds' files: every feed's folder
// polled, pushed files taken, the daily housekeeping. sealer is set where
// the directory has a job queue that this process works (serve): the
// feeds' joiners with passwords are then chunk jobs, as every batch there.
func (g *globals) feedService(db *sqldb.DB, sealer importer.Sealer) (*importer.FeedService, error) {
	m, _, err := feedMailer()
	if err != nil {
		return nil, err
	}
	return &importer.FeedService{
		Dir: db, Store: db, Log: g.log.Named("feeds"), Now: time.Now,
		Run: func(f importer.Feed) importer.FeedRun {
			fr, _, _ := g.feedRun(f, "", "", false, g.log.With(zap.String("feed", f.Name)))
			fr.Sealer = sealer
			return fr
		},
		Done: func(ctx context.Context, f importer.Feed, rep importer.FeedReport) {
			importer.MailNotice(ctx, m, g.log, f.Notify, rep.Report)
		},
	}, nil
}
