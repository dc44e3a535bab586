package importer

// Demo is the demo tenant of SPEC §3: what `init --demo` creates, and what
// `import` creates when a newcomer runs it with no directory.
type Demo struct {
	Settings   Settings
	Domains    []Domain
	Products   []Product
	AdminAlias string
}

// DemoTenant returns the demo tenant: Contoso, with contoso.com and
// fabrikam.com verified, northwind.example not, and three products.
func DemoTenant() Demo {
	return Demo{
		Settings: Settings{Name: "Contoso", PasswordExpiryDays: 90, SignInURL: "https://login.contoso.com"},
		Domains: []Domain{
			{Name: "contoso.com", Verified: true},
			{Name: "fabrikam.com", Verified: true},
			{Name: "northwind.example", Verified: false},
		},
		Products: []Product{
			{SKU: "ENTERPRISEPACK", Name: "Office 365 E3", Seats: 25, Plans: []string{
				"EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "TEAMS1", "OFFICESUBSCRIPTION", "MCOSTANDARD"}},
			{SKU: "SPB", Name: "Microsoft 365 Business Premium", Seats: 10, Plans: []string{
				"EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "TEAMS1", "OFFICESUBSCRIPTION", "INTUNE_A"}},
			{SKU: "EXCHANGESTANDARD", Name: "Exchange Online (Plan 1)", Seats: 5, Plans: []string{"EXCHANGE_S_STANDARD"}},
		},
		AdminAlias: "admin",
	}
}
