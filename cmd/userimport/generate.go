package main

import "github.com/spf13/cobra"

func newGenerateCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "generate", Short: "not built yet"}
}
