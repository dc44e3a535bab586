// Command userimport adds many user accounts to an organization's directory
// at once and gives them product licenses, from a CSV or XLSX spreadsheet.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // org set --time-zone checks names against the same database on every machine
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := newRootCmd(os.Stdin, os.Stdout, os.Stderr).ExecuteContext(ctx)
	code := exitCode(ctx, err, os.Stderr)
	stop()
	os.Exit(code)
}
