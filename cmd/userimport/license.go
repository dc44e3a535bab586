package main

import "github.com/spf13/cobra"

func newLicenseCmd(g *globals) *cobra.Command {
	return &cobra.Command{Use: "license", Short: "not built yet"}
}
