package main

import "github.com/spf13/cobra"

func newDomainCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "domain", Short: "not built yet"}
}
