package validate

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// demoContext is the demo tenant of SPEC §3, with the flags' defaults and a
// Global admin importing new users.
func demoContext() Context {
	return Context{
		VerifiedDomains: map[string]bool{"contoso.com": true, "fabrikam.com": true},
		Products: []Product{
			{"ENTERPRISEPACK", "Office 365 E3", []string{"EXCHANGE_S_ENTERPRISE", "SHAREPOINTENTERPRISE", "TEAMS1", "OFFICESUBSCRIPTION", "MCOSTANDARD"}},
			{"SPB", "Microsoft 365 Business Premium", []string{"EXCHANGE_S_STANDARD", "SHAREPOINTSTANDARD", "TEAMS1", "OFFICESUBSCRIPTION", "INTUNE_A"}},
			{"EXCHANGESTANDARD", "Exchange Online (Plan 1)", []string{"EXCHANGE_S_STANDARD"}},
		},
		RequirePasswordChange: true,
		Actor:                 []string{"Global admin"},
	}
}

// goodInput is a row with every cell filled and valid.
func goodInput() Input {
	return Input{
		UserName:              "Jakob.Smith@Contoso.com",
		FirstName:             "Jakob",
		LastName:              "Smith",
		DisplayName:           "Jakob Smith",
		JobTitle:              "Engineer",
		Department:            "R&D",
		OfficeNumber:          "B-104",
		OfficePhone:           "+1 (425) 555-0100",
		MobilePhone:           "+1 425 555 0101",
		Fax:                   "+1 425 555 0102",
		AlternateEmail:        "jakob@example.com",
		Address:               "1 Microsoft Way",
		City:                  "Redmond",
		State:                 "WA",
		PostalCode:            "98052",
		Country:               "United States",
		UsageLocation:         "us",
		Licenses:              "Office 365 E3; spb",
		DisabledApps:          "teams1",
		Roles:                 "user administrator",
		Password:              "Correct-Horse-9",
		RequirePasswordChange: "No",
		BlockSignIn:           "yes",
		EmployeeID:            "E-1001",
	}
}

func TestRowOK(t *testing.T) {
	u, ps := Row(goodInput(), demoContext())
	if len(ps) > 0 {
		t.Fatalf("problems: %s", Message(ps))
	}
	want := User{
		UPN: "Jakob.Smith@contoso.com", Alias: "Jakob.Smith", Domain: "contoso.com",
		DisplayName: "Jakob Smith", FirstName: "Jakob", LastName: "Smith", JobTitle: "Engineer",
		Department: "R&D", OfficeNumber: "B-104", OfficePhone: "+1 (425) 555-0100",
		MobilePhone: "+1 425 555 0101", Fax: "+1 425 555 0102", AlternateEmail: "jakob@example.com",
		Address: "1 Microsoft Way", City: "Redmond", State: "WA", PostalCode: "98052", Country: "United States",
		UsageLocation:         "US",
		Licenses:              []string{"ENTERPRISEPACK", "SPB"},
		DisabledApps:          []string{"TEAMS1"},
		Roles:                 []string{"User admin"},
		Password:              "Correct-Horse-9",
		RequirePasswordChange: false, RequirePasswordChangeSet: true,
		BlockSignIn: true, BlockSignInSet: true,
		EmployeeID: "E-1001",
	}
	if !reflect.DeepEqual(u, want) {
		t.Errorf("Row =\n%+v\nwant\n%+v", u, want)
	}
}

// TestRowNew checks what Row makes of a new user's blank cells.
func TestRowNew(t *testing.T) {
	minimal := Input{UserName: "jakob", FirstName: "Jakob", LastName: "Smith"}
	for _, tt := range []struct {
		name  string
		in    Input
		ctx   func(*Context)
		check func(*testing.T, User)
	}{
		{"DisplayNameFromFirstAndLast", minimal, nil, func(t *testing.T, u User) {
			if u.DisplayName != "Jakob Smith" {
				t.Errorf("DisplayName = %q", u.DisplayName)
			}
		}},
		{"DisplayNameFromFirstOnly", Input{UserName: "jakob@contoso.com", FirstName: "Jakob"}, nil, func(t *testing.T, u User) {
			if u.DisplayName != "Jakob" {
				t.Errorf("DisplayName = %q", u.DisplayName)
			}
		}},
		{"DisplayNameFromLastOnly", Input{UserName: "jakob@contoso.com", LastName: "Smith"}, nil, func(t *testing.T, u User) {
			if u.DisplayName != "Smith" {
				t.Errorf("DisplayName = %q", u.DisplayName)
			}
		}},
		{"DefaultDomain", minimal, nil, func(t *testing.T, u User) {
			if u.UPN != "jakob@contoso.com" {
				t.Errorf("UPN = %q", u.UPN)
			}
		}},
		{"Defaults", minimal, func(c *Context) {
			c.DefaultLicenses = []string{"Office 365 E3", "ENTERPRISEPACK"}
			c.DefaultDisabledApps = []string{"MCOSTANDARD", "INTUNE_A"} // INTUNE_A is not in E3: left out
			c.DefaultUsageLocation = "de"
			c.RequirePasswordChange = true
			c.BlockSignIn = true
		}, func(t *testing.T, u User) {
			if !slices.Equal(u.Licenses, []string{"ENTERPRISEPACK"}) || !slices.Equal(u.DisabledApps, []string{"MCOSTANDARD"}) ||
				u.UsageLocation != "DE" || !u.RequirePasswordChange || !u.RequirePasswordChangeSet || !u.BlockSignIn || !u.BlockSignInSet {
				t.Errorf("defaults not applied: %+v", u)
			}
		}},
		{"CellsBeatDefaults", Input{UserName: "jakob", DisplayName: "J", Licenses: "SPB", UsageLocation: "FR", RequirePasswordChange: "n", BlockSignIn: "0"}, func(c *Context) {
			c.DefaultLicenses = []string{"ENTERPRISEPACK"}
			c.DefaultUsageLocation = "DE"
			c.BlockSignIn = true
		}, func(t *testing.T, u User) {
			if !slices.Equal(u.Licenses, []string{"SPB"}) || u.UsageLocation != "FR" || u.RequirePasswordChange || u.BlockSignIn {
				t.Errorf("cells not applied: %+v", u)
			}
		}},
		{"UsageLocationFromCountry", Input{UserName: "jakob", DisplayName: "J", Country: "Deutschland", Licenses: "SPB"}, func(c *Context) {
			c.DefaultUsageLocation = "US"
		}, func(t *testing.T, u User) {
			if u.UsageLocation != "DE" {
				t.Errorf("UsageLocation = %q, want DE from the country", u.UsageLocation)
			}
		}},
		{"UsageLocationDefaultWhenCountryIsNoCountry", Input{UserName: "jakob", DisplayName: "J", Country: "Atlantis"}, func(c *Context) {
			c.DefaultUsageLocation = "US"
		}, func(t *testing.T, u User) {
			if u.UsageLocation != "US" || u.Country != "Atlantis" {
				t.Errorf("UsageLocation, Country = %q, %q", u.UsageLocation, u.Country)
			}
		}},
		{"NoUsageLocationWithoutLicenseIsFine", Input{UserName: "jakob", DisplayName: "J"}, nil, func(t *testing.T, u User) {
			if u.UsageLocation != "" {
				t.Errorf("UsageLocation = %q", u.UsageLocation)
			}
		}},
		{"DuplicatesDropped", Input{UserName: "jakob", DisplayName: "J", UsageLocation: "US", Licenses: "SPB;spb;Microsoft 365 Business Premium", DisabledApps: "TEAMS1,teams1", Roles: "Global admin;global administrator"}, nil, func(t *testing.T, u User) {
			if !slices.Equal(u.Licenses, []string{"SPB"}) || !slices.Equal(u.DisabledApps, []string{"TEAMS1"}) || !slices.Equal(u.Roles, []string{"Global admin"}) {
				t.Errorf("Licenses, DisabledApps, Roles = %q, %q, %q", u.Licenses, u.DisabledApps, u.Roles)
			}
		}},
		{"LicenseNameSpacesSqueezed", Input{UserName: "jakob", DisplayName: "J", UsageLocation: "US", Licenses: "office  365   e3"}, nil, func(t *testing.T, u User) {
			if !slices.Equal(u.Licenses, []string{"ENTERPRISEPACK"}) {
				t.Errorf("Licenses = %q", u.Licenses)
			}
		}},
		{"BlankPasswordLeftToCaller", Input{UserName: "jakob", DisplayName: "J"}, nil, func(t *testing.T, u User) {
			if u.Password != "" {
				t.Errorf("Password = %q", u.Password)
			}
		}},
		{"AddressMayHoldLineBreaks", Input{UserName: "jakob", DisplayName: "J", Address: "1 Microsoft Way\r\nBuilding 4"}, nil, func(t *testing.T, u User) {
			if u.Address != "1 Microsoft Way\r\nBuilding 4" {
				t.Errorf("Address = %q", u.Address)
			}
		}},
		{"UnicodeNamesKept", Input{UserName: "jose", FirstName: "José", LastName: "Ñúñez", DisplayName: "José Ñúñez 🙂"}, nil, func(t *testing.T, u User) {
			if u.DisplayName != "José Ñúñez 🙂" || u.FirstName != "José" {
				t.Errorf("DisplayName, FirstName = %q, %q", u.DisplayName, u.FirstName)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := demoContext()
			c.DefaultDomain = "contoso.com"
			if tt.ctx != nil {
				tt.ctx(&c)
			}
			u, ps := Row(tt.in, c)
			if len(ps) > 0 {
				t.Fatalf("problems: %s", Message(ps))
			}
			tt.check(t, u)
		})
	}
}

// TestRowExisting checks that an existing user's blank cells mean "leave
// as is".
func TestRowExisting(t *testing.T) {
	c := demoContext()
	c.DefaultLicenses = []string{"SPB"}
	c.DefaultDisabledApps = []string{"TEAMS1"}
	c.DefaultUsageLocation = "DE"
	c.BlockSignIn = true
	c.Existing = &Existing{UsageLocation: "fr", Licenses: []string{"ENTERPRISEPACK"}}

	t.Run("BlankCellsLeaveAsIs", func(t *testing.T) {
		u, ps := Row(Input{UserName: "jakob@contoso.com", JobTitle: "Boss"}, c)
		if len(ps) > 0 {
			t.Fatalf("problems: %s", Message(ps))
		}
		want := User{UPN: "jakob@contoso.com", Alias: "jakob", Domain: "contoso.com", JobTitle: "Boss", UsageLocation: "FR"}
		if !reflect.DeepEqual(u, want) {
			t.Errorf("Row =\n%+v\nwant\n%+v", u, want)
		}
	})
	t.Run("DisabledAppOfHeldLicense", func(t *testing.T) {
		u, ps := Row(Input{UserName: "jakob@contoso.com", DisabledApps: "mcostandard"}, c)
		if len(ps) > 0 {
			t.Fatalf("problems: %s", Message(ps))
		}
		if !slices.Equal(u.DisabledApps, []string{"MCOSTANDARD"}) {
			t.Errorf("DisabledApps = %q", u.DisabledApps)
		}
	})
	t.Run("ExistingUsageLocationBeatsCountry", func(t *testing.T) {
		u, _ := Row(Input{UserName: "jakob@contoso.com", Country: "Germany", Licenses: "SPB"}, c)
		if u.UsageLocation != "FR" {
			t.Errorf("UsageLocation = %q, want FR", u.UsageLocation)
		}
	})
	t.Run("CountryWhenNoneHeld", func(t *testing.T) {
		c := c
		c.Existing = &Existing{}
		u, _ := Row(Input{UserName: "jakob@contoso.com", Country: "Germany"}, c)
		if u.UsageLocation != "DE" {
			t.Errorf("UsageLocation = %q, want DE", u.UsageLocation)
		}
	})
	t.Run("LicenseAdminMayAssign", func(t *testing.T) {
		c := c
		c.Actor = []string{"License admin"}
		_, ps := Row(Input{UserName: "jakob@contoso.com", Licenses: "SPB", DisabledApps: "INTUNE_A", UsageLocation: "US", JobTitle: "Boss"}, c)
		if len(ps) > 0 {
			t.Errorf("problems: %s", Message(ps))
		}
	})
}

// TestRowProblems checks the exact messages an admin reads for each kind of
// bad row.
func TestRowProblems(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   func(*Input)
		ctx  func(*Context)
		want []string
	}{
		{"UserNameRequired", func(in *Input) { in.UserName = "" }, nil,
			[]string{"User Name: required"}},
		{"TwoPeriods", func(in *Input) { in.UserName = "jakob..smith@contoso.com" }, nil,
			[]string{`User Name: two periods in a row are not allowed ("jakob..smith@contoso.com")`}},
		{"AccentedAlias", func(in *Input) { in.UserName = "josé@contoso.com" }, nil,
			[]string{`User Name: accented letters are not allowed in the alias ("é"): write "e" instead ("josé@contoso.com")`}},
		{"NoDomain", func(in *Input) { in.UserName = "jakob" }, nil,
			[]string{`User Name: has no @domain: write alias@domain, or pass --domain ("jakob")`}},
		{"TwoAts", func(in *Input) { in.UserName = "jakob@smith@contoso.com" }, nil,
			[]string{`User Name: more than one @ is not allowed ("jakob@smith@contoso.com")`}},
		{"UnverifiedDomain", func(in *Input) { in.UserName = "jakob@Northwind.example" }, nil,
			[]string{`User Name: domain "northwind.example" is not a verified domain of the directory (verify it with: userimport domain verify northwind.example) ("jakob@Northwind.example")`}},
		{"UnverifiedDefaultDomain", func(in *Input) { in.UserName = "jakob" }, func(c *Context) { c.DefaultDomain = "northwind.example" },
			[]string{`User Name: domain "northwind.example" is not a verified domain of the directory (verify it with: userimport domain verify northwind.example) ("jakob")`}},
		{"NoVerifiedDomains", nil, func(c *Context) { c.VerifiedDomains = nil },
			[]string{`User Name: domain "contoso.com" is not a verified domain of the directory (verify it with: userimport domain verify contoso.com) ("Jakob.Smith@Contoso.com")`}},
		{"DisplayNameRequired", func(in *Input) { in.DisplayName, in.FirstName, in.LastName = "", "", "" }, nil,
			[]string{"Display Name: required when First Name and Last Name are blank"}},
		{"DisplayNameTooLong", func(in *Input) { in.DisplayName = strings.Repeat("x", 257) }, nil,
			[]string{`Display Name: must be at most 256 characters (has 257) ("` + strings.Repeat("x", 60) + `…")`}},
		{"FirstNameTooLong", func(in *Input) { in.FirstName = strings.Repeat("é", 65) }, nil,
			[]string{`First Name: must be at most 64 characters (has 65) ("` + strings.Repeat("é", 60) + `…")`}},
		{"LastNameControlCharacter", func(in *Input) { in.LastName = "Smith\x00" }, nil,
			[]string{`Last Name: may not contain control characters (U+0000) ("Smith\x00")`}},
		{"DisplayNameRightToLeftOverride", func(in *Input) { in.DisplayName = "abc\u202edcba" }, nil,
			[]string{`Display Name: may not contain characters that change the direction text is shown in (U+202E): a name with one can read as another ("abc\u202edcba")`}},
		{"DisplayNameHebrewWithMark", func(in *Input) { in.DisplayName = "דנה כהן\u200f" }, nil, nil},
		{"JobTitleNewline", func(in *Input) { in.JobTitle = "Chief\nEngineer" }, nil,
			[]string{`Job Title: may not contain control characters (U+000A) ("Chief\nEngineer")`}},
		{"DepartmentTooLong", func(in *Input) { in.Department = strings.Repeat("d", 65) }, nil,
			[]string{`Department: must be at most 64 characters (has 65) ("` + strings.Repeat("d", 60) + `…")`}},
		{"OfficeNumberTooLong", func(in *Input) { in.OfficeNumber = strings.Repeat("1", 129) }, nil,
			[]string{`Office Number: must be at most 128 characters (has 129) ("` + strings.Repeat("1", 60) + `…")`}},
		{"OfficePhoneLetters", func(in *Input) { in.OfficePhone = "555-CALL" }, nil,
			[]string{`Office Phone: may not contain "C" (only digits, spaces and + - ( ) . / x) ("555-CALL")`}},
		{"MobilePhoneTooLong", func(in *Input) { in.MobilePhone = strings.Repeat("5", 65) }, nil,
			[]string{`Mobile Phone: must be at most 64 characters (has 65) ("` + strings.Repeat("5", 60) + `…")`}},
		{"FaxNoDigit", func(in *Input) { in.Fax = "n/a" }, nil,
			[]string{`Fax: may not contain "n" (only digits, spaces and + - ( ) . / x) ("n/a")`}},
		{"AlternateEmailInvalid", func(in *Input) { in.AlternateEmail = "jakob(at)example.com" }, nil,
			[]string{`Alternate email address: is not an email address: write it as name@example.com ("jakob(at)example.com")`}},
		{"AddressTooLong", func(in *Input) { in.Address = strings.Repeat("a", 1024) }, nil,
			[]string{`Address: must be at most 1023 characters (has 1024) ("` + strings.Repeat("a", 60) + `…")`}},
		{"AddressTab", func(in *Input) { in.Address = "1\tMicrosoft Way" }, nil,
			[]string{`Address: may not contain control characters (U+0009) ("1\tMicrosoft Way")`}},
		{"CityTooLong", func(in *Input) { in.City = strings.Repeat("c", 129) }, nil,
			[]string{`City: must be at most 128 characters (has 129) ("` + strings.Repeat("c", 60) + `…")`}},
		{"StateTooLong", func(in *Input) { in.State = strings.Repeat("s", 129) }, nil,
			[]string{`State or Province: must be at most 128 characters (has 129) ("` + strings.Repeat("s", 60) + `…")`}},
		{"PostalCodeTooLong", func(in *Input) { in.PostalCode = strings.Repeat("9", 41) }, nil,
			[]string{`ZIP or Postal Code: must be at most 40 characters (has 41) ("` + strings.Repeat("9", 41) + `")`}},
		{"CountryTooLong", func(in *Input) { in.Country = strings.Repeat("c", 129) }, nil,
			[]string{`Country or Region: must be at most 128 characters (has 129) ("` + strings.Repeat("c", 60) + `…")`}},
		{"EmployeeIDTooLong", func(in *Input) { in.EmployeeID = strings.Repeat("e", 65) }, nil,
			[]string{`Employee ID: must be at most 64 characters (has 65) ("` + strings.Repeat("e", 60) + `…")`}},
		{"UsageLocationName", func(in *Input) { in.UsageLocation = "Germany" }, nil,
			[]string{`Usage Location: must be a two-letter country code (ISO 3166-1): use "DE" for Germany ("Germany")`}},
		{"UsageLocationUK", func(in *Input) { in.UsageLocation = "UK" }, nil,
			[]string{`Usage Location: is not a country code (ISO 3166-1): use "GB" for United Kingdom ("UK")`}},
		{"UsageLocationRequiredForLicense", func(in *Input) { in.UsageLocation, in.Country = "", "Atlantis" }, nil,
			[]string{"Usage Location: required to assign a license; set the cell, Country or Region, or --usage-location"}},
		{"UsageLocationRequiredForDefaultLicense", func(in *Input) { in.UsageLocation, in.Country, in.Licenses, in.DisabledApps = "", "", "", "" },
			func(c *Context) { c.DefaultLicenses = []string{"SPB"} },
			[]string{"Usage Location: required to assign a license; set the cell, Country or Region, or --usage-location"}},
		{"NoSuchLicense", func(in *Input) { in.Licenses = "Office 365 E3; E5" }, nil,
			[]string{`Licenses: no such license "E5" (licenses: ENTERPRISEPACK, SPB, EXCHANGESTANDARD) ("Office 365 E3; E5")`}},
		{"NoSuchDefaultLicense", func(in *Input) { in.Licenses, in.DisabledApps = "", "" }, func(c *Context) { c.DefaultLicenses = []string{"E5"} },
			[]string{`Licenses: no such license "E5" (from --license) (licenses: ENTERPRISEPACK, SPB, EXCHANGESTANDARD)`}},
		{"NoLicensesAtAll", func(in *Input) { in.Licenses, in.DisabledApps = "E3", "" }, func(c *Context) { c.Products = nil },
			[]string{`Licenses: no such license "E3" (the directory has no licenses)`}},
		{"NoSuchApp", func(in *Input) { in.DisabledApps = "TEAMS2" }, nil,
			[]string{`Disabled Apps: no such app "TEAMS2" ("TEAMS2")`}},
		{"AppOfAnotherLicense", func(in *Input) { in.Licenses, in.DisabledApps = "EXCHANGESTANDARD", "TEAMS1;EXCHANGE_S_STANDARD" }, nil,
			[]string{`Disabled Apps: no license of this user has the app "TEAMS1" ("TEAMS1;EXCHANGE_S_STANDARD")`}},
		{"AppWithoutLicense", func(in *Input) { in.Licenses, in.DisabledApps = "", "TEAMS1" }, nil,
			[]string{`Disabled Apps: no license of this user has the app "TEAMS1" ("TEAMS1")`}},
		{"NoSuchRole", func(in *Input) { in.Roles = "User admin; Helpdesk admin" }, nil,
			[]string{`Roles: no such role "Helpdesk admin" (roles are Global admin, User admin, License admin) ("User admin; Helpdesk admin")`}},
		{"PasswordTooShort", func(in *Input) { in.Password = "Ab1!" }, nil,
			[]string{"Password: must be at least 8 characters"}},
		{"PasswordWithAlias", func(in *Input) { in.Password = "jakob.smith-2024" }, nil,
			[]string{"Password: must not contain the user's alias"}},
		{"PasswordWithAliasOfBadUserName", func(in *Input) { in.UserName, in.Password = "jakob smith@contoso.com", "Hi-jakob smith-1" }, nil,
			[]string{`User Name: spaces are not allowed in the alias ("jakob smith@contoso.com")`, "Password: must not contain the user's alias"}},
		{"PasswordNonASCII", func(in *Input) { in.Password = "Pässwort-123" }, nil,
			[]string{"Password: may hold only printable ASCII characters and spaces"}},
		{"PasswordWithNoPasswords", nil, func(c *Context) { c.NoPasswords = true },
			[]string{"Password: must be blank with --no-passwords"}},
		{"RequirePasswordChangeNotBool", func(in *Input) { in.RequirePasswordChange = "sometimes" }, nil,
			[]string{`Require Password Change: must be Yes or No ("sometimes")`}},
		{"BlockSignInNotBool", func(in *Input) { in.BlockSignIn = "blocked" }, nil,
			[]string{`Block Sign In: must be Yes or No ("blocked")`}},
		{"InvalidUTF8", func(in *Input) { in.City = "M\xfcnchen" }, nil,
			[]string{`City: contains bytes that are not valid UTF-8 (save the file as UTF-8) ("M\xfcnchen")`}},
		{"InvalidUTF8Password", func(in *Input) { in.Password = "Pa\xffword-123" }, nil,
			[]string{"Password: contains bytes that are not valid UTF-8 (save the file as UTF-8)"}},
		{"InvalidUTF8UserName", func(in *Input) { in.UserName = "j\xf6rg@contoso.com" }, nil,
			[]string{`User Name: contains bytes that are not valid UTF-8 (save the file as UTF-8) ("j\xf6rg@contoso.com")`}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			in, c := goodInput(), demoContext()
			if tt.in != nil {
				tt.in(&in)
			}
			if tt.ctx != nil {
				tt.ctx(&c)
			}
			_, ps := Row(in, c)
			if got := problemStrings(ps); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if strings.Contains(Message(ps), in.Password) {
				t.Errorf("the message shows the password: %s", Message(ps))
			}
		})
	}
}

// TestRowManyProblems checks that one row's every problem is reported, in
// the template's column order.
func TestRowManyProblems(t *testing.T) {
	in := Input{
		UserName:       ".jakob@contoso",
		OfficePhone:    "call me",
		AlternateEmail: "jakob",
		UsageLocation:  "Mars",
		Licenses:       "E5;SPB",
		DisabledApps:   "TEAMS9",
		Roles:          "Root",
		Password:       "password",
		BlockSignIn:    "perhaps",
		Country:        "Germany",
	}
	_, ps := Row(in, demoContext())
	want := []string{
		`User Name: the alias may not start with a period (".jakob@contoso")`,
		"Display Name: required when First Name and Last Name are blank",
		`Office Phone: may not contain "c" (only digits, spaces and + - ( ) . / x) ("call me")`,
		`Alternate email address: is not an email address: write it as name@example.com ("jakob")`,
		`Usage Location: must be a two-letter country code (ISO 3166-1), such as US or DE ("Mars")`,
		`Licenses: no such license "E5" (licenses: ENTERPRISEPACK, SPB, EXCHANGESTANDARD) ("E5;SPB")`,
		`Disabled Apps: no such app "TEAMS9" ("TEAMS9")`,
		`Roles: no such role "Root" (roles are Global admin, User admin, License admin) ("Root")`,
		"Password: must have at least three of: lower-case letters, upper-case letters, digits, symbols",
		`Block Sign In: must be Yes or No ("perhaps")`,
	}
	if got := problemStrings(ps); !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestRowPermissions checks the role matrix of SPEC §2 as Row applies it.
func TestRowPermissions(t *testing.T) {
	newUser := Input{UserName: "jakob@contoso.com", DisplayName: "Jakob", Password: "Correct-Horse-9", Licenses: "SPB", UsageLocation: "US", DisabledApps: "TEAMS1"}
	withRole := newUser
	withRole.Roles = "Global admin"
	existing := &Existing{UsageLocation: "US", Licenses: []string{"SPB"}}
	for _, tt := range []struct {
		name     string
		actor    []string
		in       Input
		existing *Existing
		want     []string
	}{
		{"GlobalAdminCreates", []string{"Global admin"}, withRole, nil, nil},
		{"UserAdminCreates", []string{"User admin"}, newUser, nil, nil},
		{"UserAdminGivesRole", []string{"User admin"}, withRole, nil,
			[]string{`Roles: your role (User admin) may not give admin roles ("Global admin")`}},
		{"LicenseAdminCreates", []string{"License admin"}, withRole, nil,
			[]string{`User Name: your role (License admin) may not create users ("jakob@contoso.com")`}},
		{"NoRoleCreates", nil, newUser, nil,
			[]string{`User Name: you hold no admin role and may not create users ("jakob@contoso.com")`}},
		{"UnknownRoleCreates", []string{"Reader"}, newUser, nil,
			[]string{`User Name: you hold no admin role and may not create users ("jakob@contoso.com")`}},
		{"TwoRolesGiveRole", []string{"License admin", "User admin", "user administrator"}, withRole, nil,
			[]string{`Roles: your roles (License admin, User admin) may not give admin roles ("Global admin")`}},
		{"GlobalAdminUpdates", []string{"Global admin"}, withRole, existing, nil},
		{"UserAdminUpdates", []string{"User admin"}, newUser, existing, nil},
		{"LicenseAdminAssignsLicenses", []string{"License admin"}, Input{UserName: "jakob@contoso.com", Licenses: "SPB", UsageLocation: "US", DisabledApps: "TEAMS1"}, existing, nil},
		{"LicenseAdminSetsPassword", []string{"License admin"}, newUser, existing,
			[]string{"Password: your role (License admin) may not set passwords"}},
		{"LicenseAdminGivesRole", []string{"License admin"}, withRole, existing,
			[]string{`Roles: your role (License admin) may not give admin roles ("Global admin")`, "Password: your role (License admin) may not set passwords"}},
		{"NoRoleUpdates", []string{"Owner"}, withRole, existing, []string{
			`Usage Location: you hold no admin role and may not set usage locations ("US")`,
			`Licenses: you hold no admin role and may not assign licenses ("SPB")`,
			`Disabled Apps: you hold no admin role and may not set disabled apps ("TEAMS1")`,
			`Roles: you hold no admin role and may not give admin roles ("Global admin")`,
			"Password: you hold no admin role and may not set passwords",
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := demoContext()
			c.Actor, c.Existing = tt.actor, tt.existing
			_, ps := Row(tt.in, c)
			if got := problemStrings(ps); !slices.Equal(got, tt.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func problemStrings(ps []Problem) []string {
	var ss []string
	for _, p := range ps {
		ss = append(ss, p.String())
	}
	return ss
}

func BenchmarkRow(b *testing.B) {
	in, c := goodInput(), demoContext()
	in.UsageLocation = "" // from the country, the longer way
	b.ReportAllocs()
	for b.Loop() {
		if _, ps := Row(in, c); len(ps) > 0 {
			b.Fatal(Message(ps))
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func TestLicenseSKU(t *testing.T) {
	ps := demoContext().Products
	for _, tt := range []struct{ name, in, want string }{
		{"SKU", "SPB", "SPB"},
		{"SKULowerCase", "enterprisepack", "ENTERPRISEPACK"},
		{"DisplayName", "Office 365 E3", "ENTERPRISEPACK"},
		{"DisplayNameSpaces", "exchange  online (plan 1)", "EXCHANGESTANDARD"},
		{"Unknown", "E5", ""},
		{"Empty", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := LicenseSKU(ps, tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("LicenseSKU(%q) = %q, %v, want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}
