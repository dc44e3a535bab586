package importer

import (
	"context"
	"strings"
	"time"

	"userimport/validate"
)

// NewTenant returns the directory that `init --org ORG --domain DOMAIN
// --admin ALIAS` creates: the organization with passwords expiring after 90
// days (as the admin center says), the domain verified, and a Global admin
// ALIAS@DOMAIN. A bad domain or alias is EINVALID, naming the flag.
func NewTenant(org, domain, alias string) (Demo, error) {
	domain = strings.ToLower(domain)
	if err := validate.Domain(domain); err != nil {
		return Demo{}, Errorf(EINVALID, "--domain %q: %v", domain, err)
	}
	if strings.TrimSpace(org) == "" {
		return Demo{}, Errorf(EINVALID, "--org: give the organization's name")
	}
	d := Demo{
		Settings:   Settings{Name: org, PasswordExpiryDays: 90, SignInURL: "https://login." + domain},
		Domains:    []Domain{{Name: domain, Verified: true}},
		AdminAlias: alias,
	}
	return d, checkAlias(d.AdminAlias)
}

func checkAlias(alias string) error {
	if err := validate.Alias(alias); err != nil {
		return Errorf(EINVALID, "--admin %q: %v", alias, err)
	}
	return nil
}

// TenantStore is what InitTenant needs of the directory.
type TenantStore interface {
	// InitTenant creates the directory d describes, with its first Global
	// admin adminUPN, whose password hash is adminHash and must be changed
	// at first sign-in. It is ECONFLICT when the directory exists.
	InitTenant(ctx context.Context, d Demo, adminUPN, adminHash string) error
}

// InitTenant creates the directory d describes and returns the first Global
// admin's user name and generated password, which must be changed at first
// sign-in (SPEC §3): the caller shows it once.
func InitTenant(ctx context.Context, s TenantStore, hash Hasher, d Demo) (upn, password string, err error) {
	if err := checkAlias(d.AdminAlias); err != nil {
		return "", "", err
	}
	if len(d.Domains) == 0 {
		return "", "", Errorf(EINVALID, "a directory needs a domain")
	}
	upn = d.AdminAlias + "@" + d.Domains[0].Name
	password, err = validate.GeneratePasswordFor(d.AdminAlias)
	if err != nil {
		return "", "", err
	}
	h, err := hash.Hash(ctx, password)
	if err != nil {
		return "", "", err
	}
	if err := s.InitTenant(ctx, d, upn, h); err != nil {
		return "", "", err
	}
	return upn, password, nil
}

// SettingsChange is a change of the organization's settings: nil fields
// stay as they are.
type SettingsChange struct {
	Name               *string
	PasswordExpiryDays *int
	UsageLocation      *string // "" clears the default
	SignInURL          *string
	TimeZone           *string // an IANA zone, e.g. Europe/Berlin
}

// OrgStore is what SetSettings needs of the directory.
type OrgStore interface {
	Settings(ctx context.Context) (Settings, error)
	// SetSettings stores s, the whole of the settings.
	SetSettings(ctx context.Context, actor string, s Settings) error
}

// SetSettings applies ch to the organization's settings and returns them.
// Only a Global admin changes them. The rules, each broken one EINVALID
// naming its flag: the name 1–256 characters without control characters;
// the password expiry 0 (never) or 14–730 days; the usage location an ISO
// 3166-1 alpha-2 code or ""; the sign-in URL an absolute http or https URL;
// the time zone a name of the IANA database (UTC included).
func SetSettings(ctx context.Context, s OrgStore, actor User, ch SettingsChange) (Settings, error) {
	if err := Authorize(actor, GlobalAdminOnly("change the organization's settings")); err != nil {
		return Settings{}, err
	}
	st, err := s.Settings(ctx)
	if err != nil {
		return Settings{}, err
	}
	if ch.Name != nil {
		name := strings.TrimSpace(*ch.Name)
		if err := validate.OrgName(name); err != nil {
			return Settings{}, Errorf(EINVALID, "--name: %v", err)
		}
		st.Name = name
	}
	if ch.PasswordExpiryDays != nil {
		if err := validate.PasswordExpiryDays(*ch.PasswordExpiryDays); err != nil {
			return Settings{}, Errorf(EINVALID, "--password-expiry-days %d: %v", *ch.PasswordExpiryDays, err)
		}
		st.PasswordExpiryDays = *ch.PasswordExpiryDays
	}
	if ch.UsageLocation != nil {
		st.DefaultUsageLocation = ""
		if *ch.UsageLocation != "" {
			code, err := validate.UsageLocation(*ch.UsageLocation)
			if err != nil {
				return Settings{}, Errorf(EINVALID, "--usage-location %q: %v", *ch.UsageLocation, err)
			}
			st.DefaultUsageLocation = code
		}
	}
	if ch.SignInURL != nil {
		if err := validate.SignInURL(*ch.SignInURL); err != nil {
			return Settings{}, Errorf(EINVALID, "--signin-url %q: %v", *ch.SignInURL, err)
		}
		st.SignInURL = *ch.SignInURL
	}
	if ch.TimeZone != nil {
		if err := checkTimeZone(*ch.TimeZone); err != nil {
			return Settings{}, err
		}
		st.TimeZone = *ch.TimeZone
	}
	if err := s.SetSettings(ctx, actor.UserPrincipalName, st); err != nil {
		return Settings{}, err
	}
	return st, nil
}

// checkTimeZone accepts the names of the IANA time zone database (the
// binary embeds it, so the answer does not depend on the machine), not
// "Local" nor the empty name.
func checkTimeZone(tz string) error {
	if tz == "" || tz == "Local" || strings.ContainsAny(tz, " \\") {
		return Errorf(EINVALID, "--time-zone %q: give an IANA time zone, e.g. Europe/Berlin, America/New_York or UTC", tz)
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return Errorf(EINVALID, "--time-zone %q: not a time zone of the IANA database (e.g. Europe/Berlin, America/New_York, UTC)", tz)
	}
	return nil
}
