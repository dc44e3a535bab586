package main

import "github.com/spf13/cobra"

func newImportCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "import", Short: "not built yet"}
}
