package main

import "github.com/spf13/cobra"

func newSignInCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "signin", Short: "not built yet"}
}
