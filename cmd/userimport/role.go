package main

import "github.com/spf13/cobra"

func newRoleCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "role", Short: "not built yet"}
}
