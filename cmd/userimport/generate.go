package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"userimport/importer/sheet"
)

type generateOptions struct {
	rows   int
	format string
	domain string
	out    string
	seed   int64

	from                     string
	leavers, movers, joiners int
}

func newGenerateCmd(g *globals) *cobra.Command {
	var opts generateOptions
	cmd := &cobra.Command{
		Use:   "generate --rows N [--format csv|xlsx] [--domain D] [--out FILE] [--seed S] | generate --from FILE [--leavers N] [--movers N] [--joiners N]",
		Short: "Write a realistic roster of N fake people, for trials and load tests",
		Long: "Write a realistic roster of N fake people in our template's columns, for trials\n" +
			"and load tests: Unicode names with ASCII user names, departments, titles, phones,\n" +
			"addresses, usage locations and licenses of the demo tenant. The same --seed gives\n" +
			"the same roster. Written as a stream: a million rows take little memory.\n\n" +
			"With --from FILE it writes the next night's HR file instead: FILE's people less\n" +
			"--leavers, --movers in another department (every other one with a new last name),\n" +
			"and --joiners new people without a User Name (two of them with the same name).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.from == "" && !cmd.Flags().Changed("rows") {
				return &usageError{"--rows N is required: how many people to generate (or --from FILE for the next night of FILE)"}
			}
			if opts.from != "" && cmd.Flags().Changed("rows") {
				return &usageError{"--rows and --from go not together: --from keeps FILE's people, less --leavers, plus --joiners"}
			}
			if opts.from == "" && (opts.leavers > 0 || opts.movers > 0 || opts.joiners > 0) {
				return &usageError{"--leavers, --movers and --joiners need --from FILE: the night they change"}
			}
			if !cmd.Flags().Changed("format") {
				opts.format = formatFromName(opts.out, opts.format)
			}
			return runGenerate(cmd.Context(), g, opts)
		},
	}
	f := cmd.Flags()
	f.IntVar(&opts.rows, "rows", 0, "number of people (required)")
	f.StringVar(&opts.format, "format", "csv", "csv or xlsx (default: from --out's extension, else csv)")
	f.StringVar(&opts.domain, "domain", "contoso.com", "domain of the user names")
	f.StringVar(&opts.out, "out", "", "file to write (default: stdout)")
	f.Int64Var(&opts.seed, "seed", 1, "seed of the random roster")
	f.StringVar(&opts.from, "from", "", "write the next night of this HR file (see --leavers, --movers, --joiners)")
	f.IntVar(&opts.leavers, "leavers", 0, "with --from: people who left (rows dropped)")
	f.IntVar(&opts.movers, "movers", 0, "with --from: people who moved (department, some last names)")
	f.IntVar(&opts.joiners, "joiners", 0, "with --from: new people, without User Name")
	return cmd
}

func runGenerate(ctx context.Context, g *globals, opts generateOptions) error {
	format, err := parseFormat(opts.format)
	if err != nil {
		return err
	}
	if opts.rows < 0 {
		return &usageError{fmt.Sprintf("--rows %d: give 0 or more", opts.rows)}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	what := fmt.Sprintf("%d rows", opts.rows)
	if opts.from != "" {
		what = fmt.Sprintf("the next night of %s: %d leavers, %d movers, %d joiners", opts.from, opts.leavers, opts.movers, opts.joiners)
	}
	err = writeOutput(g, opts.out, what, func(w io.Writer) error {
		if opts.from != "" {
			return sheet.NextNight(ctxWriter{ctx, w}, format, opts.from, sheet.Changes{
				Leavers: opts.leavers, Movers: opts.movers, Joiners: opts.joiners, Domain: opts.domain, Seed: opts.seed})
		}
		return sheet.Generate(ctxWriter{ctx, w}, format, opts.rows, opts.domain, opts.seed)
	})
	if err == nil && g.log != nil {
		g.log.Debug("roster generated", zap.Int("rows", opts.rows), zap.String("format", format), zap.Duration("took", time.Since(start)))
	}
	return err
}

// ctxWriter stops a long write when ctx is done (Ctrl-C): Generate takes no
// context, but it writes as it goes.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
