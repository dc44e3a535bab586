package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"userimport/importer"
	"userimport/importer/seal"
	"userimport/importer/sheet"
	"userimport/importer/sqldb"
	"userimport/report"
	"userimport/validate"
)

type importOptions struct {
	mode                  string
	dryRun                bool
	out                   string
	domain                string
	license               string
	disabledApps          string
	usageLocation         string
	requirePasswordChange bool
	blockSignIn           bool
	noPasswords           bool
	notify                string
	workers               int
	sheet                 string
	delimiter             string
	encoding              string
	resultsCSV            bool
}

func newImportCmd(g *globals) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import FILE [flags]",
		Short: "Create (or update) users with licenses from a CSV or XLSX file",
		Long: `Import reads FILE (CSV or XLSX, told by content), checks every row, and creates the
good rows' users with their licenses, giving free seats to rows in file order.
It writes <base>.results.xlsx (every row's outcome) and <base>.credentials.txt
(each new user's temporary password, mode 0600) to --out.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(cmd.Context(), g, cmd, args[0], o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.mode, "mode", importer.ModeCreate, "create (only new users) or upsert (create new, update existing)")
	f.BoolVar(&o.dryRun, "dry-run", false, "check everything and write the result workbook, change nothing")
	f.StringVar(&o.out, "out", ".", "folder for the result workbook and the credentials notice")
	f.StringVar(&o.domain, "domain", "", "domain for User Name cells without @")
	f.StringVar(&o.license, "license", "", "licenses for rows whose Licenses cell is blank (SKU;SKU)")
	f.StringVar(&o.disabledApps, "disabled-apps", "", "apps to disable for rows whose Disabled Apps cell is blank (PLAN;PLAN)")
	f.StringVar(&o.usageLocation, "usage-location", "", "usage location (ISO country code) for rows that give none")
	f.BoolVar(&o.requirePasswordChange, "require-password-change", true, "new users must change their password at first sign-in, unless the row says")
	f.BoolVar(&o.blockSignIn, "block-sign-in", false, "block sign-in of new users, unless the row says")
	f.BoolVar(&o.noPasswords, "no-passwords", false, "create accounts without passwords (single sign-on): no notice is written")
	f.StringVar(&o.notify, "notify", "", "email the credentials notice to these addresses (up to 5, comma-separated; USERIMPORT_SMTP_URL)")
	f.IntVar(&o.workers, "workers", runtime.NumCPU(), "provisioning concurrency; 0: leave the hashing of the batch to serve and worker processes")
	f.StringVar(&o.sheet, "sheet", "", "worksheet to read (XLSX; default the first)")
	f.StringVar(&o.delimiter, "delimiter", "", "CSV delimiter: , ; | or tab (default: found from the header line)")
	f.StringVar(&o.encoding, "encoding", "", "CSV encoding: utf-8, utf-16le, utf-16be or windows-1252 (default: detected)")
	f.BoolVar(&o.resultsCSV, "results-csv", false, "also write the results as <base>.results.csv")
	return cmd
}

func runImport(ctx context.Context, g *globals, cmd *cobra.Command, path string, o importOptions) error {
	sheetOpts, err := o.sheetOptions()
	if err != nil {
		return err
	}
	notify, err := importer.NotifyRecipients(validate.List(o.notify), o.noPasswords)
	if err != nil {
		return err
	}
	var smtp report.SMTPConfig
	if len(notify) > 0 {
		url := os.Getenv("USERIMPORT_SMTP_URL")
		if strings.TrimSpace(url) == "" {
			return &usageError{"--notify needs the mail server: set USERIMPORT_SMTP_URL=smtp://user:pass@host:port (STARTTLS when offered) or smtps://user:pass@host:port"}
		}
		if smtp, err = report.ParseSMTPURL(url); err != nil {
			return &usageError{fmt.Sprintf("--notify: USERIMPORT_SMTP_URL: %v", err)}
		}
	}
	if o.workers < 0 {
		return &usageError{"--workers must be 0 or more"}
	}
	if o.workers == 0 && (o.dryRun || o.noPasswords) {
		return &usageError{"--workers 0 leaves the hashing to serve and worker processes; a dry run or --no-passwords has none to leave"}
	}
	if st, err := os.Stat(o.out); err != nil || !st.IsDir() {
		return importer.Errorf(importer.EINVALID, "--out %s: no such folder", o.out)
	}
	if _, err := os.Stat(path); err != nil {
		return importer.Errorf(importer.EINVALID, "cannot read %s: no such file", path)
	}

	db, err := g.openImportDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	actor, err := g.actor(ctx, db)
	if err != nil {
		return err
	}
	log := g.log.With(zap.String("file", path))
	// The import takes part in its own batch: this process works chunk
	// jobs, its own and any other batch's, while the batch runs: twice
	// --workers of them at once, so that while some wait for the hasher
	// (one hash per core) the next are already fetched.
	var sealer importer.Sealer
	var stopWork func() error
	if !o.dryRun && !o.noPasswords {
		engine, err := g.openEngine(ctx, db, importPoll, importStop, nil, 2*max(o.workers, 1))
		if err != nil {
			return err
		}
		if o.workers > 0 {
			stopEngine := runEngine(ctx, engine)
			stopWork = stopEngine
			defer func() {
				if err := stopEngine(); err != nil {
					log.Warn("the job engine did not stop cleanly", zap.Error(err))
				}
			}()
		} else {
			defer engine.Close() // it only inserts this batch's jobs: serve and worker processes work them
			log.Info("--workers 0: this process works none of the batch's chunks; serve and worker processes on the directory do")
		}
		sealer = seal.Keys{}
	}
	progress := importer.NewProgress()
	stopProgress := g.showProgress(ctx, progress, log)
	rep, err := importer.Run(ctx, db, importer.Options{
		FileName: filepath.Base(path), Mode: o.mode, DryRun: o.dryRun, OutDir: o.out, Workers: o.workers,
		Domain: strings.ToLower(o.domain), Licenses: validate.List(o.license), DisabledApps: validate.List(o.disabledApps),
		UsageLocation: o.usageLocation, RequirePasswordChange: o.requirePasswordChange, BlockSignIn: o.blockSignIn,
		NoPasswords: o.noPasswords, ResultsCSV: o.resultsCSV, Actor: actor,
		Open:   func() (importer.RowSource, error) { return sheet.Open(path, sheetOpts) },
		Hasher: g.hasher, Sealer: sealer, StallAfter: stallAfter(), StopWork: stopWork,
		Outputs: report.Outputs(), Progress: progress, Log: log,
	})
	stopProgress()
	if rep.Summary.Finished.IsZero() {
		return err // no outputs: the file or a flag was rejected, or the directory failed
	}
	printSummary(g, rep)
	var partial *importer.PartialError
	if !o.dryRun && rep.Summary.BatchID != "" && (errors.Is(err, context.Canceled) || errors.As(err, &partial)) {
		fmt.Fprintf(g.stderr, "Batch %s is interrupted and keeps the seats of its rows not yet written; if you will not run it again, `userimport batch cancel %s` frees them.\n",
			rep.Summary.BatchID, rep.Summary.BatchID)
	}
	importer.MailNotice(ctx, report.Mailer{Config: smtp}, log, notify, rep)
	return err
}

func (o importOptions) sheetOptions() (sheet.Options, error) {
	so := sheet.Options{Sheet: o.sheet, Encoding: o.encoding}
	switch strings.ToLower(o.delimiter) {
	case "":
	case "tab", `\t`, "\t":
		so.Delimiter = '\t'
	default:
		r, n := utf8.DecodeRuneInString(o.delimiter)
		if n != len(o.delimiter) || !strings.ContainsRune(",;|", r) {
			return so, &usageError{fmt.Sprintf("--delimiter %q: use , ; | or tab", o.delimiter)}
		}
		so.Delimiter = r
	}
	switch strings.ToLower(o.encoding) {
	case "", "utf-8", "utf8", "utf-16le", "utf-16be", "windows-1252", "cp1252", "latin1":
	default:
		return so, &usageError{fmt.Sprintf("--encoding %q: use utf-8, utf-16le, utf-16be or windows-1252", o.encoding)}
	}
	return so, nil
}

// openImportDB opens the directory for import. A newcomer with no --db and
// no userimport.db gets the demo tenant, said in one line.
func (g *globals) openImportDB(ctx context.Context) (*sqldb.DB, error) {
	path := sqldb.SQLitePath(defaultDB)
	if g.db != "" {
		return g.openDB(ctx, true)
	}
	if _, err := os.Stat(path); err == nil {
		return g.openDB(ctx, true)
	}
	db, err := g.openDB(ctx, false)
	if err != nil {
		return nil, err
	}
	upn, password, err := importer.InitTenant(ctx, db, g.hasher, importer.DemoTenant())
	if err != nil {
		db.Close()
		return nil, err
	}
	_ = password // the demo admin's password: `userimport user set-password` gives a new one
	fmt.Fprintf(g.stderr, "No directory yet: created %s with the demo tenant (Contoso; admin %s; `userimport user set-password %s` sets its password).\n", path, upn, upn)
	return db, nil
}

func printSummary(g *globals, rep importer.Report) {
	s := rep.Summary
	what := ""
	if s.DryRun {
		what = "dry run, nothing changed: "
	}
	if rep.Resumed {
		what = "resumed batch " + s.BatchID + ": "
	}
	rows := fmt.Sprintf("%d rows", s.Rows)
	if rep.Total > s.Rows {
		rows = fmt.Sprintf("%d of %d rows", s.Rows, rep.Total) // interrupted
	}
	line := fmt.Sprintf("%s%s: %d created, %d updated, %d unchanged, %d failed; licenses %d assigned, %d pending",
		what, rows, s.Created, s.Updated, s.Unchanged, s.Failed, s.LicensesAssigned, s.LicensesPending)
	if rep.ResultsPath != "" {
		line += "; results " + rep.ResultsPath
	}
	if rep.CSVPath != "" {
		line += ", " + rep.CSVPath
	}
	if rep.NoticePath != "" {
		line += "; credentials " + rep.NoticePath
	}
	fmt.Fprintln(g.stdout, line)
}
