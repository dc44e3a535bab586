package main

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"userimport/importer"
	"userimport/importer/httpapi"
	"userimport/importer/metrics"
	"userimport/importer/seal"
)

const defaultDataDir = "./userimport-data"

type serveOptions struct {
	listen httpapi.Listen
	data   string
}

func newServeCmd(g *globals) *cobra.Command {
	var opts serveOptions
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--tls-cert FILE --tls-key FILE] [--insecure-http] [--data DIR]",
		Short: "Run the service: the web page, the job workers, GET /healthz and GET /metrics",
		RunE: func(cmd *cobra.Command, args []string) error {
			return asStopped(cmd.Context(), runServe(cmd.Context(), g, opts))
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.listen.Addr, "listen", envOr("USERIMPORT_LISTEN", httpapi.DefaultListen), "address to listen on (env USERIMPORT_LISTEN)")
	f.StringVar(&opts.listen.CertFile, "tls-cert", os.Getenv("USERIMPORT_TLS_CERT"), "TLS certificate file, PEM (env USERIMPORT_TLS_CERT)")
	f.StringVar(&opts.listen.KeyFile, "tls-key", os.Getenv("USERIMPORT_TLS_KEY"), "TLS private key file, PEM (env USERIMPORT_TLS_KEY)")
	f.BoolVar(&opts.listen.InsecureHTTP, "insecure-http", false, "allow plain HTTP on an address other machines reach (behind a TLS proxy)")
	dataFlag(cmd, &opts.data)
	return cmd
}

// runServe runs the job workers and the HTTP endpoints until ctx is done
// (SIGTERM, SIGINT), then stops taking jobs, lets those in flight finish,
// closes the listener and returns nil.
func runServe(ctx context.Context, g *globals, opts serveOptions) error {
	warning, err := httpapi.Check(opts.listen)
	if err != nil {
		return err
	}
	db, firstAdmin, err := g.openServeDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	m := metrics.New(db, g.log)
	engine, err := g.openEngine(ctx, db, workerPoll, 0, m, 2*runtime.NumCPU())
	if err != nil {
		return err
	}
	defer engine.Close()
	feeds, err := g.feedService(db, seal.Keys{}) // serve works the chunk jobs
	if err != nil {
		return err
	}
	page, starter, err := g.webPage(ctx, db, opts, m, feeds)
	if err != nil {
		return err
	}
	defer starter.Wait()      // runs end with ctx: rows in flight finish or roll back
	feeds.Daily = page.Expire // every process's own uploads and notices under --data
	h := httpapi.New(httpapi.Config{
		Health:  []httpapi.Pinger{db, engine},
		Metrics: m.Handler(),
		Log:     g.log,
		Web:     page,
		Feeds:   feeds, FeedMaxBytes: importer.MaxPush,
	})
	srv, err := httpapi.NewServer(opts.listen, h, g.log)
	if err != nil {
		return err
	}
	// The folder is made once everything else has said yes, so that a
	// refused start leaves nothing behind.
	if err := makeDataDir(g, opts.data); err != nil {
		srv.Close()
		return err
	}
	if warning != "" {
		g.log.Warn(warning)
	}
	g.log.Info("serving", zap.String("url", srv.URL()), zap.String("data", opts.data))
	g.sayWhereToSignIn(srv.URL(), firstAdmin)
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return engine.Run(ctx) })
	eg.Go(func() error { return srv.Serve(ctx) })
	eg.Go(func() error { return feeds.Serve(ctx, feedPoll) })
	if err := eg.Wait(); err != nil {
		return err
	}
	g.log.Info("stopped")
	return nil
}

// asStopped makes a run of serve or worker that ended because it was told
// to stop (SIGTERM, SIGINT) a success, exit 0 as SPEC §10 says, also when
// the signal came while it was starting and cut a query short.
func asStopped(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil {
		return nil
	}
	return err
}

// dataFlag is --data, else USERIMPORT_DATA, else ./userimport-data.
func dataFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "data", envOr("USERIMPORT_DATA", defaultDataDir), "folder for uploaded files, outputs and batch keys of the service, created mode 0700 (env USERIMPORT_DATA)")
}

// makeDataDir creates dir with mode 0700 when it does not exist. An
// existing one that others may read is used, with a warning: it will hold
// the keys of running batches.
func makeDataDir(g *globals, dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return importer.Errorf(importer.EINVALID, "--data %s: %v", dir, err)
	}
	st, err := os.Stat(dir)
	if err != nil {
		return importer.Errorf(importer.EINVALID, "--data %s: %v", dir, err)
	}
	if !st.IsDir() {
		return importer.Errorf(importer.EINVALID, "--data %s: not a folder", dir)
	}
	if st.Mode().Perm()&0o077 != 0 {
		g.log.Warn(fmt.Sprintf("--data %s has mode %04o: others may read it; run `chmod 700 %s`", dir, st.Mode().Perm(), dir))
	}
	return nil
}
