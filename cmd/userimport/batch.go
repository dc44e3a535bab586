package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/sqldb"
)

func newBatchCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "batch", Short: "List, show, cancel and approve import batches"}
	var all bool
	list := g.listCommand("list [--all]", "List the batches: those not ended and the last 50 others (--all: every one)", cobra.NoArgs,
		func(ctx context.Context, db *sqldb.DB, _ []string) (table, error) {
			bs, err := db.Batches(ctx, all)
			return batchTable(bs), err
		})
	list.Flags().BoolVar(&all, "all", false, "every batch, however old")
	show := g.listCommand("show ID", "Show one batch", cobra.ExactArgs(1),
		func(ctx context.Context, db *sqldb.DB, args []string) (table, error) {
			b, err := db.Batch(ctx, args[0])
			t := batchTable([]importer.BatchInfo{b})
			t.value = b
			return t, err
		})
	cancel := &cobra.Command{
		Use: "cancel ID", Short: "Cancel an unfinished batch: its rows not yet written fail, their seats are freed at once",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, actor importer.User) error {
				c, err := importer.CancelBatch(cmd.Context(), db, actor, args[0], time.Now())
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "batch %s cancelled: %d rows not yet written failed, and their seats were freed\n", args[0], c.Rows)
				if len(c.Unknown) > 0 {
					fmt.Fprintf(g.stderr, "%d users the batch created have passwords that no notice got; set each with `userimport user set-password UPN`:\n", len(c.Unknown))
					for _, upn := range c.Unknown {
						fmt.Fprintln(g.stderr, "  "+upn)
					}
				}
				return nil
			})
		},
	}
	cmd.AddCommand(list, show, cancel, newBatchApproveCmd(g))
	return cmd
}

func batchTable(bs []importer.BatchInfo) table {
	type record struct {
		ID       cell `csv:"Batch"`
		File     cell `csv:"File"`
		Source   cell `csv:"Source"`
		State    cell `csv:"State"`
		Done     cell `csv:"Done"`
		Created  cell `csv:"Created"`
		Updated  cell `csv:"Updated"`
		Failed   cell `csv:"Failed"`
		Admin    cell `csv:"Acting admin"`
		Started  cell `csv:"Started"`
		Finished cell `csv:"Finished"`
	}
	rs := []record{}
	for _, b := range bs {
		finished := ""
		if b.FinishedAt != nil {
			finished = b.FinishedAt.UTC().Format(time.RFC3339)
		}
		rs = append(rs, record{cell(b.ID), cell(b.File), cell(b.Source), cell(b.State),
			cell(strconv.Itoa(b.Done) + " of " + strconv.Itoa(b.Rows)), cell(strconv.Itoa(b.Created)),
			cell(strconv.Itoa(b.Updated)), cell(strconv.Itoa(b.Failed)), cell(b.ActingAdmin),
			cell(b.StartedAt.UTC().Format(time.RFC3339)), cell(finished)})
	}
	return newTable(rs, nonNil(bs))
}
