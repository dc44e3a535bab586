package main

import (
	"context"
	"fmt"
	"os"

	"userimport/importer"
	"userimport/importer/sqldb"
	"userimport/validate"
)

// listProducts returns the products whose SKUs the template's Licenses
// drop-down offers: the directory's. A newcomer with no directory yet (no
// --db, no userimport.db) gets the demo tenant's, as import would create.
func (g *globals) listProducts(ctx context.Context) ([]importer.Product, error) {
	if g.db == "" {
		if _, err := os.Stat(sqldb.SQLitePath(defaultDB)); os.IsNotExist(err) {
			fmt.Fprintln(g.stderr, "No directory yet: the Licenses list holds the demo tenant's products.")
			return importer.DemoTenant().Products, nil
		}
	}
	db, err := g.openDB(ctx, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.Products(ctx)
}

// usageLocations returns the codes the template's Usage Location drop-down
// offers.
func (g *globals) usageLocations() []string {
	return validate.CountryCodes()
}
