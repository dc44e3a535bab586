package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"userimport/importer"
	"userimport/importer/seal"
	"userimport/importer/sqldb"
	"userimport/importer/web"
	"userimport/report"
)

// firstAdmin is the Global admin a newcomer's serve just created, with its
// password, to be printed once.
type firstAdmin struct {
	upn, password string
}

// openServeDB opens the directory for serve. A newcomer with no --db and
// no userimport.db gets the demo tenant, as import does, and the Global
// admin's generated password is printed once (it must change at first
// sign-in), so that the page can be signed in to at once.
func (g *globals) openServeDB(ctx context.Context) (*sqldb.DB, *firstAdmin, error) {
	if g.db != "" {
		db, err := g.openDB(ctx, true)
		return db, nil, err
	}
	if _, err := os.Stat(sqldb.SQLitePath(defaultDB)); err == nil {
		db, err := g.openDB(ctx, true)
		return db, nil, err
	}
	db, err := g.openDB(ctx, false)
	if err != nil {
		return nil, nil, err
	}
	upn, password, err := importer.InitTenant(ctx, db, g.hasher, importer.DemoTenant())
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	fmt.Fprintf(g.stderr, "No directory yet: created %s with the demo tenant (Contoso).\n", sqldb.SQLitePath(defaultDB))
	return db, &firstAdmin{upn: upn, password: password}, nil
}

// webPage builds the web page's handler (SPEC §11) on db, keeping uploads
// under --data. Batches started on it run in this process (LocalStarter);
// held feed batches approved on it are applied by feeds.
func (g *globals) webPage(ctx context.Context, db *sqldb.DB, opts serveOptions, m web.Metrics, feeds web.FeedApprover) (*web.Handler, *web.LocalStarter, error) {
	cfg := web.Config{Store: db, Hasher: g.hasher, DataDir: filepath.Join(opts.data, "web"), Feeds: feeds,
		Secure: opts.listen.CertFile != "", Metrics: m, Log: g.log.Named("web"),
		Sealer: seal.Keys{}} // serve works the chunk jobs, so web batches are job batches
	if url := strings.TrimSpace(os.Getenv("USERIMPORT_SMTP_URL")); url != "" {
		smtp, err := report.ParseSMTPURL(url)
		if err != nil {
			return nil, nil, &usageError{fmt.Sprintf("USERIMPORT_SMTP_URL: %v", err)}
		}
		cfg.Mailer = report.Mailer{Config: smtp}
	}
	starter := web.NewLocalStarter(ctx, db)
	cfg.Starter = starter
	h, err := web.New(cfg)
	if err != nil {
		return nil, nil, err
	}
	return h, starter, nil
}

// sayWhereToSignIn tells on stdout where the page is and how to sign in.
// A password goes to stdout, as init prints it, never to the log.
func (g *globals) sayWhereToSignIn(url string, first *firstAdmin) {
	fmt.Fprintf(g.stdout, "Open %s/ in a browser and sign in with an account of the directory.\n", url)
	if first != nil {
		fmt.Fprintf(g.stdout, "user name: %s\npassword: %s\n(this password is shown once; you must change it at first sign-in)\n", first.upn, first.password)
		return
	}
	fmt.Fprintln(g.stdout, "The first Global admin's password is the one `userimport init` printed; if none was (the directory was made by `import`), or it is lost, `userimport user set-password UPN` gives a new one.")
}
