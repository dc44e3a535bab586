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
	cmd := &cobra.Command{Use: "license", Short: "Add products (license SKUs), set their seats, list them; assign and remove users' licenses"}
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
			return g.inDirectory(cmd.Context(), importer.GlobalAdminOnly("add licenses"), func(db *sqldb.DB, actor importer.User) error {
				if err := db.AddProduct(cmd.Context(), actor.UserPrincipalName, p); err != nil {
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
			if len(args) > 2 {
				return &usageError{"license set-seats takes SKU N and nothing after them: give flags before the SKU"}
			}
			n, err := strconv.Atoi(args[1])
			switch {
			case err != nil:
				return &usageError{fmt.Sprintf("seats %q: give a whole number, 0 or more", args[1])}
			case n < 0:
				return &usageError{fmt.Sprintf("seats must be 0 or more (got %d)", n)}
			}
			return g.inDirectory(cmd.Context(), importer.GlobalAdminOnly("change seats"), func(db *sqldb.DB, actor importer.User) error {
				if err := db.SetSeats(cmd.Context(), actor.UserPrincipalName, args[0], n); err != nil {
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
	// Flags end at the SKU, so that "-1" is read as the number it is
	// (and refused as such), not as a flag.
	setSeats.Flags().SetInterspersed(false)
	setSeats.Args = cobra.MinimumNArgs(2)
	var disabledApps string
	assign := &cobra.Command{
		Use: "assign UPN SKU [--disabled-apps A;B]", Short: "Give a user a license: assigned when a seat is free, else pending", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, actor importer.User) error {
				sku, status, err := importer.AssignLicense(cmd.Context(), db, actor, args[0], args[1], validate.List(disabledApps))
				if err != nil {
					return err
				}
				if status == importer.LicensePending {
					fmt.Fprintf(g.stdout, "%s: %s pending, no seat is free; it gets the next free seat, oldest request first\n", args[0], sku)
					return nil
				}
				fmt.Fprintf(g.stdout, "%s: %s assigned\n", args[0], sku)
				return nil
			})
		},
	}
	assign.Flags().StringVar(&disabledApps, "disabled-apps", "", "apps (service plans) of the license to turn off, separated by ; or ,")
	remove := &cobra.Command{
		Use: "remove UPN SKU", Short: "Take a license from a user; its seat goes to the oldest pending assignment", Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.inDirectory(cmd.Context(), importer.AnyAdmin(), func(db *sqldb.DB, actor importer.User) error {
				sku, err := importer.RemoveLicense(cmd.Context(), db, actor, args[0], args[1])
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "%s: %s removed\n", args[0], sku)
				return nil
			})
		},
	}
	list := g.listCommand("list", "List products with their seats", cobra.NoArgs,
		func(ctx context.Context, db *sqldb.DB, _ []string) (table, error) {
			ps, err := db.Products(ctx)
			type record struct {
				SKU      cell `csv:"SKU"`
				Name     cell `csv:"Name"`
				Seats    cell `csv:"Seats"`
				Assigned cell `csv:"Assigned"`
				Pending  cell `csv:"Pending"`
				Plans    cell `csv:"Plans"`
			}
			rs := []record{}
			for _, p := range ps {
				rs = append(rs, record{cell(p.SKU), cell(p.Name), cell(strconv.Itoa(p.Seats)), cell(strconv.Itoa(p.Assigned)),
					cell(strconv.Itoa(p.Pending)), cell(strings.Join(p.Plans, ", "))})
			}
			return newTable(rs, nonNil(ps)), err
		})
	cmd.AddCommand(add, setSeats, assign, remove, list)
	return cmd
}
