package main

import "github.com/spf13/cobra"

func newPasswdCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "passwd", Short: "not built yet"}
}
