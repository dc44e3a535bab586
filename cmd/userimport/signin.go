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
	"userimport/importer/argon2id"
	"userimport/validate"
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
	c, err := db.Credentials(ctx, upn)
	if err != nil && importer.ErrorCode(err) != importer.ENOTFOUND {
		return err
	}
	ok := err == nil && c.PasswordHash != "" && !c.Blocked && !c.Deleted
	if ok {
		if ok, err = argon2id.Verify(pw, c.PasswordHash); err != nil {
			return fmt.Errorf("stored hash of %s: %w", c.UPN, err)
		}
	}
	if !ok {
		// One answer for every failure, so that it tells nothing of which.
		fmt.Fprintln(g.stdout, "sign-in failed")
		return &silentExit{code: exitRowsFailed}
	}
	s, err := db.Settings(ctx)
	if err != nil {
		return err
	}
	expired := s.PasswordExpiryDays > 0 && db.Now().After(c.PasswordSetAt.Add(time.Duration(s.PasswordExpiryDays)*24*time.Hour))
	if c.MustChangePassword || expired {
		fmt.Fprintln(g.stdout, "ok: password change required")
		return nil
	}
	fmt.Fprintln(g.stdout, "ok")
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
	failed := importer.Errorf(importer.EINVALID, "password not changed: the user name or the current password is wrong")
	c, err := db.Credentials(ctx, upn)
	if importer.ErrorCode(err) == importer.ENOTFOUND {
		return failed
	}
	if err != nil {
		return err
	}
	if c.PasswordHash == "" || c.Blocked || c.Deleted {
		return failed
	}
	if ok, err := argon2id.Verify(current, c.PasswordHash); err != nil || !ok {
		return failed
	}
	alias, _, _ := strings.Cut(c.UPN, "@")
	if err := validate.Password(next, alias); err != nil {
		return importer.Errorf(importer.EINVALID, "new password: %v", err)
	}
	if next == current {
		return importer.Errorf(importer.EINVALID, "new password: must differ from the current one")
	}
	hash, err := argon2id.Hash(next, argon2id.DefaultParams())
	if err != nil {
		return err
	}
	if err := db.SetPassword(ctx, c.UPN, c.UPN, hash, false); err != nil {
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
