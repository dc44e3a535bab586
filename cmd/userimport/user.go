package main

import "github.com/spf13/cobra"

func newUserCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "user", Short: "not built yet"}
}
