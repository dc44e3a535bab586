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
}

func newGenerateCmd(g *globals) *cobra.Command {
	var opts generateOptions
	cmd := &cobra.Command{
		Use:   "generate --rows N [--format csv|xlsx] [--domain D] [--out FILE] [--seed S]",
		Short: "Write a realistic roster of N fake people, for trials and load tests",
		Long: "Write a realistic roster of N fake people in our template's columns, for trials\n" +
			"and load tests: Unicode names with ASCII user names, departments, titles, phones,\n" +
			"addresses, usage locations and licenses of the demo tenant. The same --seed gives\n" +
			"the same roster. Written as a stream: a million rows take little memory.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("rows") {
				return &usageError{"--rows N is required: how many people to generate"}
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
	err = writeOutput(g, opts.out, fmt.Sprintf("%d rows", opts.rows), func(w io.Writer) error {
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
