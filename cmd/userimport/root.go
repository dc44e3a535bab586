package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"golang.org/x/term"

	"userimport/importer"
	"userimport/report"
)

// globals are the flags every command takes. Each falls back to its
// environment variable, then to its default: flag > environment > default.
type globals struct {
	db        string
	as        string
	logFormat string
	logLevel  string

	stdin          io.Reader
	stdout, stderr io.Writer
	stdinLines     *bufio.Reader

	log    *zap.Logger
	hasher importer.Hasher // the process's one password hasher
}

func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr, hasher: newHasher()}
	root := &cobra.Command{
		Use:           "userimport",
		Short:         "Add many users to the directory at once, with licenses, from a CSV or XLSX file",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.setup()
		},
		PersistentPostRun: func(cmd *cobra.Command, args []string) {
			if g.log != nil {
				_ = g.log.Sync()
			}
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err.Error()} })
	pf := root.PersistentFlags()
	pf.StringVar(&g.db, "db", os.Getenv("USERIMPORT_DB"), "directory database: sqlite:PATH or postgres://… (env USERIMPORT_DB; default sqlite:userimport.db)")
	pf.StringVar(&g.as, "as", os.Getenv("USERIMPORT_AS"), "acting admin's user name (env USERIMPORT_AS; default the Global admin that init created)")
	pf.StringVar(&g.logFormat, "log-format", os.Getenv("USERIMPORT_LOG_FORMAT"), "console or json (env USERIMPORT_LOG_FORMAT; default console on a terminal, json otherwise)")
	pf.StringVar(&g.logLevel, "log-level", envOr("USERIMPORT_LOG_LEVEL", "info"), "debug, info, warn or error")

	root.AddCommand(
		newInitCmd(g),
		newImportCmd(g),
		newTemplateCmd(g),
		newGenerateCmd(g),
		newDomainCmd(g),
		newLicenseCmd(g),
		newUserCmd(g),
		newRoleCmd(g),
		newOrgCmd(g),
		newBatchCmd(g),
		newSignInCmd(g),
		newPasswdCmd(g),
		newFeedCmd(g),
		newServeCmd(g),
		newWorkerCmd(g),
	)
	usageArgs(root)
	return root
}

// usageArgs makes a wrong number of arguments (or an unknown command) a
// usage error, exit 2, like a bad flag.
func usageArgs(c *cobra.Command) {
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		// Runnable, so that an unknown subcommand reaches Args below.
		c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
	}
	check := c.Args
	if check == nil {
		check = cobra.NoArgs
		if c.HasSubCommands() {
			check = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return fmt.Errorf("unknown command %q for %q: see %s --help", args[0], cmd.CommandPath(), cmd.CommandPath())
				}
				return nil
			}
		}
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		if err := check(cmd, args); err != nil {
			return &usageError{fmt.Sprintf("%s: %v (usage: %s)", cmd.CommandPath(), err, cmd.UseLine())}
		}
		return nil
	}
	for _, sub := range c.Commands() {
		usageArgs(sub)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// setup builds the logger: console on a terminal, JSON otherwise, on stderr.
func (g *globals) setup() error {
	format := g.logFormat
	if format == "" {
		format = "json"
		if f, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
			format = "console"
		}
	}
	level, err := zapcore.ParseLevel(g.logLevel)
	if err != nil {
		return &usageError{fmt.Sprintf("--log-level %q: use debug, info, warn or error", g.logLevel)}
	}
	var enc zapcore.Encoder
	switch strings.ToLower(format) {
	case "console":
		cfg := zap.NewDevelopmentEncoderConfig()
		cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05")
		enc = zapcore.NewConsoleEncoder(cfg)
	case "json":
		enc = zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	default:
		return &usageError{fmt.Sprintf("--log-format %q: use console or json", format)}
	}
	g.log = zap.New(report.RedactCore(zapcore.NewCore(enc, zapcore.AddSync(g.stderr), level)))
	return nil
}
