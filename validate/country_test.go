package validate

import (
	"slices"
	"testing"
)

func TestCountryTable(t *testing.T) {
	if got := len(countries); got != 249 {
		t.Errorf("%d countries, want ISO 3166-1's 249", got)
	}
	codes := CountryCodes()
	if !slices.IsSorted(codes) {
		t.Error("CountryCodes is not sorted")
	}
	// Every code, alpha-3 code and name must lead back to its own country:
	// a name that two countries share would make the lookup depend on the
	// table's order.
	owner := make(map[string]string)
	for _, c := range countries {
		if len(c.code) != 2 || len(c.alpha3) != 3 || len(c.names) == 0 {
			t.Errorf("malformed entry %+v", c)
		}
		for _, n := range append([]string{c.alpha3}, c.names...) {
			k := countryKey(n)
			if k == "" {
				t.Errorf("%s: %q has an empty key", c.code, n)
			}
			if o, ok := owner[k]; ok && o != c.code {
				t.Errorf("%q names both %s and %s", n, o, c.code)
			}
			owner[k] = c.code
			if got, ok := CountryCode(n); !ok || got != c.code {
				t.Errorf("CountryCode(%q) = %q, %v, want %q", n, got, ok, c.code)
			}
		}
		if got, ok := CountryCode(c.code); !ok || got != c.code {
			t.Errorf("CountryCode(%q) = %q, %v", c.code, got, ok)
		}
	}
	codes[0] = "XX"
	if CountryCodes()[0] != "AD" {
		t.Error("CountryCodes returns the table itself")
	}
}

func TestCountryCode(t *testing.T) {
	for _, tt := range []struct {
		name, in, want string
	}{
		{"CodeLowerCase", "us", "US"},
		{"CodeMixedCase", "dE", "DE"},
		{"CodePadded", " fr ", "FR"},
		{"Alpha3", "DEU", "DE"},
		{"Alpha3LowerCase", "usa", "US"},
		{"ShortName", "Germany", "DE"},
		{"UnitedStates", "United States", "US"},
		{"USA", "USA", "US"},
		{"USAWithPeriods", "U.S.A.", "US"},
		{"USWithPeriods", "U.S.", "US"},
		{"OfficialName", "United States of America", "US"},
		{"UnitedKingdom", "United Kingdom", "GB"},
		{"UK", "UK", "GB"},
		{"UKLowerCase", "uk", "GB"},
		{"GreatBritain", "Great Britain", "GB"},
		{"Deutschland", "Deutschland", "DE"},
		{"DeutschlandUpperCase", "DEUTSCHLAND", "DE"},
		{"España", "España", "ES"},
		{"EspañaWithoutAccent", "Espana", "ES"},
		{"EspañaDecomposed", "Espan\u0303a", "ES"},
		{"Brasil", "Brasil", "BR"},
		{"Nederland", "Nederland", "NL"},
		{"TheNetherlands", "The Netherlands", "NL"},
		{"Schweiz", "Schweiz", "CH"},
		{"Suisse", "Suisse", "CH"},
		{"Österreich", "Österreich", "AT"},
		{"Italia", "Italia", "IT"},
		{"Sverige", "Sverige", "SE"},
		{"Norge", "Norge", "NO"},
		{"Danmark", "Danmark", "DK"},
		{"Suomi", "Suomi", "FI"},
		{"Polska", "Polska", "PL"},
		{"Türkiye", "Türkiye", "TR"},
		{"Turkey", "Turkey", "TR"},
		{"Japan", "日本", "JP"},
		{"Russia", "Россия", "RU"},
		{"RussiaUpperCase", "РОССИЯ", "RU"},
		{"RussianFederation", "Russian Federation", "RU"},
		{"ExtraSpaces", "  united   STATES ", "US"},
		{"Punctuation", "Korea, Republic of", "KR"},
		{"SouthKorea", "South Korea", "KR"},
		{"Ampersand", "Bosnia & Herzegovina", "BA"},
		{"Hyphen", "Guinea-Bissau", "GW"},
		{"HyphenAsSpace", "Guinea Bissau", "GW"},
		{"SaintAbbreviated", "St. Lucia", "LC"},
		{"TheAtEnd", "Bahamas, The", "BS"},
		{"Apostrophe", "Côte d'Ivoire", "CI"},
		{"IvoryCoast", "Ivory Coast", "CI"},
		{"CzechRepublic", "Czech Republic", "CZ"},
		{"Vietnamese", "Việt Nam", "VN"},
		{"Åland", "Aland Islands", "AX"},
		{"ChinaChinese", "中国", "CN"},
		{"Niger", "Niger", "NE"},
		{"Nigeria", "Nigeria", "NG"},
		{"Dominica", "Dominica", "DM"},
		{"DominicanRepublic", "Dominican Republic", "DO"},
		{"Samoa", "Samoa", "WS"},
		{"AmericanSamoa", "American Samoa", "AS"},
		{"Empty", "", ""},
		{"Unknown", "Atlantis", ""},
		{"UnknownCode", "ZZ", ""},
		{"USState", "Washington", ""},
		{"OnlyThe", "The", ""},
		{"OnlyPunctuation", "...", ""},
		{"InvalidUTF8", "Germ\xffany", ""},
		{"ZeroWidthSpaceIgnored", "Ger\u200bmany", "DE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := CountryCode(tt.in)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("CountryCode(%q) = %q, %v, want %q", tt.in, got, ok, tt.want)
			}
		})
	}
}

func TestCountryName(t *testing.T) {
	for code, want := range map[string]string{"US": "United States", "gb": "United Kingdom", "KR": "South Korea", "TR": "Türkiye"} {
		if got, ok := CountryName(code); !ok || got != want {
			t.Errorf("CountryName(%q) = %q, %v, want %q", code, got, ok, want)
		}
	}
	if got, ok := CountryName("ZZ"); ok {
		t.Errorf("CountryName(ZZ) = %q, true", got)
	}
}

func TestUsageLocation(t *testing.T) {
	for _, tt := range []struct {
		name, in, want, err string
	}{
		{"Code", "US", "US", ""},
		{"CodeLowerCase", "de", "DE", ""},
		{"Name", "United States", "", `must be a two-letter country code (ISO 3166-1): use "US" for United States`},
		{"Alpha3", "DEU", "", `must be a two-letter country code (ISO 3166-1): use "DE" for Germany`},
		{"UK", "UK", "", `is not a country code (ISO 3166-1): use "GB" for United Kingdom`},
		{"UnknownCode", "ZZ", "", "is not a country code (ISO 3166-1), such as US or DE"},
		{"Garbage", "nowhere", "", "must be a two-letter country code (ISO 3166-1), such as US or DE"},
		{"Empty", "", "", "must be a two-letter country code (ISO 3166-1), such as US or DE"},
		{"Padded", " us ", "US", ""},
		{"AccentedCode", "ÜS", "", `is not a country code (ISO 3166-1): use "US" for United States`},
		{"TwoNonLatinLetters", "ЖЖ", "", "is not a country code (ISO 3166-1), such as US or DE"},
		{"InvalidUTF8", "U\xff", "", "contains bytes that are not valid UTF-8"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UsageLocation(tt.in)
			if got != tt.want || errText(err) != tt.err {
				t.Errorf("UsageLocation(%q) = %q, %q, want %q, %q", tt.in, got, errText(err), tt.want, tt.err)
			}
		})
	}
}
