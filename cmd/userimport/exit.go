package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"userimport/importer"
	"userimport/importer/sqldb"
)

// Exit codes, SPEC §5.
const (
	exitOK          = 0
	exitRowsFailed  = 1
	exitNothingDone = 2
	exitInternal    = 3
	exitInterrupted = 130
)

// exitCode maps the error a command returned to the documented exit code,
// printing what the admin needs to know on stderr. It is the one place that
// decides exit codes.
func exitCode(ctx context.Context, err error, stderr io.Writer) int {
	if err == nil {
		return exitOK
	}
	var failed *importer.RowsFailedError
	var partial *importer.PartialError
	switch {
	case errors.As(err, &partial):
		code, msg := exitRowsFailed, importer.ErrorMessage(partial.Err)
		switch {
		case sqldb.ConnectionLost(partial.Err):
			code, msg = exitInternal, dbGone
		case importer.ErrorCode(partial.Err) == importer.EINTERNAL:
			code, msg = exitInternal, "internal error: "+partial.Err.Error()
		}
		fmt.Fprintf(stderr, "error: %s\nThe batch stopped after %d rows, which are kept and in the results; run the same command again to go on.\n",
			msg, partial.Done)
		return code
	case errors.As(err, &failed):
		return exitRowsFailed
	case errors.Is(err, context.Canceled) || ctx.Err() != nil:
		fmt.Fprintln(stderr, "interrupted: what was done is kept; run the same command again to go on")
		return exitInterrupted
	}
	var silent *silentExit
	if errors.As(err, &silent) {
		return silent.code
	}
	var usage *usageError
	if errors.As(err, &usage) {
		fmt.Fprintf(stderr, "error: %s\n", usage.msg)
		return exitNothingDone
	}
	switch importer.ErrorCode(err) {
	case importer.EUNAVAILABLE:
		fmt.Fprintf(stderr, "error: %s\n", importer.ErrorMessage(err))
		return exitInternal
	case importer.EINTERNAL:
		if sqldb.ConnectionLost(err) {
			fmt.Fprintf(stderr, "error: %s; what was done is kept: run the same command again once the database is back, and it goes on\n", dbGone)
			return exitInternal
		}
		fmt.Fprintf(stderr, "internal error: %v\n", err)
		return exitInternal
	default:
		fmt.Fprintf(stderr, "error: %s\n", importer.ErrorMessage(err))
		return exitNothingDone
	}
}

// dbGone says that the connection to the database broke, in place of the
// driver's "EOF" or "driver: bad connection".
const dbGone = "the database went away (the connection to it broke)"

// usageError is a bad command line: a wrong flag or argument.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// silentExit ends the command with code after it has said all it had to.
type silentExit struct{ code int }

func (e *silentExit) Error() string { return fmt.Sprintf("exit %d", e.code) }
