package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/validate"
)

func newLicenseCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "license", Short: "Add products (license SKUs), set their seats, list them"}
	var p importer.Product
	var plans string
	add := &cobra.Command{
		Use: "add SKU --name NAME --seats N [--plans A,B,…]", Short: "Add a product", Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p.SKU = args[0]
			p.Plans = validate.List(plans)
			if p.Name == "" {
				p.Name = p.SKU
			}
			if !cmd.Flags().Changed("seats") {
				return &usageError{"license add needs --seats N"}
			}
			db, err := g.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			actor, err := g.globalAdmin(cmd.Context(), db, "add licenses")
			if err != nil {
				return err
			}
			if err := db.AddProduct(cmd.Context(), actor, p); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "license %s (%s) added with %d seats\n", p.SKU, p.Name, p.Seats)
			return nil
		},
	}
	add.Flags().StringVar(&p.Name, "name", "", "display name, e.g. \"Office 365 E3\"")
	add.Flags().IntVar(&p.Seats, "seats", 0, "prepaid seats")
	add.Flags().StringVar(&plans, "plans", "", "service plans (apps) it contains, separated by commas")
	setSeats := &cobra.Command{
		Use: "set-seats SKU N", Short: "Change a product's seats; raising them fills pending assignments", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 0 {
				return &usageError{fmt.Sprintf("seats %q: give a whole number, 0 or more", args[1])}
			}
			db, err := g.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			actor, err := g.globalAdmin(cmd.Context(), db, "change seats")
			if err != nil {
				return err
			}
			if err := db.SetSeats(cmd.Context(), actor, args[0], n); err != nil {
				return err
			}
			ps, err := db.Products(cmd.Context())
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.SKU == args[0] {
					fmt.Fprintf(g.stdout, "%s: %d of %d seats assigned, %d pending\n", p.SKU, p.Assigned, p.Seats, p.Pending)
				}
			}
			return nil
		},
	}
	var format string
	list := &cobra.Command{
		Use: "list", Short: "List products with their seats", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := validFormat(format); err != nil {
				return err
			}
			db, err := g.openDB(cmd.Context(), true)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := g.actor(cmd.Context(), db); err != nil {
				return err
			}
			ps, err := db.Products(cmd.Context())
			if err != nil {
				return err
			}
			t := table{header: []string{"SKU", "Name", "Seats", "Assigned", "Pending", "Plans"}, value: nonNil(ps)}
			for _, p := range ps {
				t.rows = append(t.rows, []string{p.SKU, p.Name, strconv.Itoa(p.Seats), strconv.Itoa(p.Assigned),
					strconv.Itoa(p.Pending), strings.Join(p.Plans, ", ")})
			}
			return t.print(g.stdout, format)
		},
	}
	list.Flags().StringVar(&format, "format", "table", "table, json or csv")
	cmd.AddCommand(add, setSeats, list)
	return cmd
}
