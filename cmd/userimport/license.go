package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"userimport/importer"
	"userimport/importer/sqldb"
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
			return g.inDirectory(cmd.Context(), globalAdminOnly("add licenses"), func(db *sqldb.DB, actor string) error {
				if err := db.AddProduct(cmd.Context(), actor, p); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "license %s (%s) added with %d seats\n", p.SKU, p.Name, p.Seats)
				return nil
			})
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
			return g.inDirectory(cmd.Context(), globalAdminOnly("change seats"), func(db *sqldb.DB, actor string) error {
				if err := db.SetSeats(cmd.Context(), actor, args[0], n); err != nil {
					return err
				}
				ps, err := db.Products(cmd.Context())
				for _, p := range ps {
					if p.SKU == args[0] {
						fmt.Fprintf(g.stdout, "%s: %d of %d seats assigned, %d pending\n", p.SKU, p.Assigned, p.Seats, p.Pending)
					}
				}
				return err
			})
		},
	}
	list := g.listCommand("list", "List products with their seats", cobra.NoArgs,
		func(ctx context.Context, db *sqldb.DB, _ []string) (table, error) {
			ps, err := db.Products(ctx)
			t := table{header: []string{"SKU", "Name", "Seats", "Assigned", "Pending", "Plans"}, value: nonNil(ps)}
			for _, p := range ps {
				t.rows = append(t.rows, []string{p.SKU, p.Name, strconv.Itoa(p.Seats), strconv.Itoa(p.Assigned),
					strconv.Itoa(p.Pending), strings.Join(p.Plans, ", ")})
			}
			return t, err
		})
	cmd.AddCommand(add, setSeats, list)
	return cmd
}
