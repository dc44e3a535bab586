package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"userimport/importer"
)

func newSignInCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "signin UPN",
		Short: "Check the password given on stdin: prints ok (exit 0) or sign-in failed (exit 1)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSignIn(cmd.Context(), g, args[0])
		},
	}
}

func runSignIn(ctx context.Context, g *globals, upn string) error {
	db, err := g.openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	pw, _, err := g.readSecret("Password: ")
	if err != nil {
		return err
	}
	res, err := importer.SignIn(ctx, db, g.hasher, time.Now(), upn, pw)
	if err != nil {
		return err
	}
	switch res {
	case importer.SignInOK:
		fmt.Fprintln(g.stdout, "ok")
	case importer.SignInChangeRequired:
		fmt.Fprintln(g.stdout, "ok: password change required")
	default:
		fmt.Fprintln(g.stdout, "sign-in failed")
		return &silentExit{code: exitRowsFailed}
	}
	return nil
}

func newPasswdCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "passwd UPN",
		Short: "Change your own password: the current and the new one on two stdin lines",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPasswd(cmd.Context(), g, args[0])
		},
	}
}

func runPasswd(ctx context.Context, g *globals, upn string) error {
	db, err := g.openDB(ctx, true)
	if err != nil {
		return err
	}
	defer db.Close()
	current, _, err := g.readSecret("Current password: ")
	if err != nil {
		return err
	}
	next, _, err := g.readSecret("New password: ")
	if err != nil {
		return err
	}
	if err := importer.ChangePassword(ctx, db, g.hasher, upn, current, next); err != nil {
		return err
	}
	fmt.Fprintln(g.stdout, "password changed")
	return nil
}

// readSecret reads one line of stdin: with a prompt and no echo on a
// terminal. given is false when stdin had nothing (an empty line or EOF).
func (g *globals) readSecret(prompt string) (secret string, given bool, err error) {
	if f, ok := g.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(g.stderr, prompt)
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(g.stderr)
		if err != nil {
			return "", false, fmt.Errorf("read password: %w", err)
		}
		return string(b), len(b) > 0, nil
	}
	if g.stdinLines == nil {
		g.stdinLines = bufio.NewReader(g.stdin)
	}
	line, err := g.stdinLines.ReadString('\n')
	if err != nil && line == "" {
		return "", false, nil
	}
	line = strings.TrimRight(line, "\r\n")
	return line, line != "", nil
}
