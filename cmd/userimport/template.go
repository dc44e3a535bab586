package main

import "github.com/spf13/cobra"

func newTemplateCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "template", Short: "not built yet"}
}
