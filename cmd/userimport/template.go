package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"userimport/importer/sheet"
)

type templateOptions struct {
	format string
	out    string
}

func newTemplateCmd(g *globals) *cobra.Command {
	var opts templateOptions
	cmd := &cobra.Command{
		Use:   "template [--format csv|xlsx] [--out FILE]",
		Short: "Write a blank import template: our columns and one example row",
		Long: "Write a blank import template: our columns and one example row.\n" +
			"The CSV goes to stdout unless --out is given; the XLSX, with drop-down lists\n" +
			"for Licenses and Usage Location, goes to --out or template.xlsx.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("format") {
				opts.format = formatFromName(opts.out, "csv")
			}
			return runTemplate(cmd.Context(), g, opts)
		},
	}
	// No default value of the flag's own: cobra would show it as a second
	// default beside the one the text states.
	cmd.Flags().StringVar(&opts.format, "format", "", "csv or xlsx (default: from --out's extension, else csv)")
	cmd.Flags().StringVar(&opts.out, "out", "", "file to write (default: stdout for csv, template.xlsx for xlsx)")
	return cmd
}

func runTemplate(ctx context.Context, g *globals, opts templateOptions) error {
	format, err := parseFormat(opts.format)
	if err != nil {
		return err
	}
	if opts.out == "" && format == "xlsx" {
		opts.out = "template.xlsx"
	}
	products, err := g.listProducts(ctx)
	if err != nil {
		return err
	}
	return writeOutput(g, opts.out, "template", func(w io.Writer) error {
		return sheet.WriteTemplate(w, format, products, g.usageLocations())
	})
}

// parseFormat checks a --format flag.
func parseFormat(s string) (string, error) {
	switch f := strings.ToLower(strings.TrimSpace(s)); f {
	case "csv", "xlsx":
		return f, nil
	}
	return "", &usageError{fmt.Sprintf("--format %q: use csv or xlsx", s)}
}

// formatFromName returns "xlsx" or "csv" when name has that extension, and
// def otherwise.
func formatFromName(name, def string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx":
		return "xlsx"
	case ".csv":
		return "csv"
	}
	return def
}

// writeOutput runs write on stdout when path is empty, else on the file at
// path, which is removed again if write fails. It says on stdout what it
// wrote.
func writeOutput(g *globals, path, what string, write func(io.Writer) error) error {
	if path == "" {
		return write(g.stdout)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return &usageError{fmt.Sprintf("--out: %v", err)}
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(path)
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Fprintf(g.stdout, "%s written to %s\n", what, path)
	return nil
}
