package main

import (
	"context"

	"userimport/importer"
	"userimport/validate"
)

// This file is the hook between `template` and the directory; the lead
// replaces it once the store is wired.

// listProducts returns the products whose SKUs the template's Licenses
// drop-down offers.
//
// TODO(lead): read them from the directory (open it with g.openDB and list
// its products) instead of the demo tenant's three.
func (g *globals) listProducts(ctx context.Context) ([]importer.Product, error) {
	return importer.DemoTenant().Products, nil
}

// usageLocations returns the codes the template's Usage Location drop-down
// offers.
func (g *globals) usageLocations() []string {
	return validate.CountryCodes()
}
