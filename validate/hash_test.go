package validate

import (
	"strings"
	"testing"
)

func TestHashFunction(t *testing.T) {
	for in, want := range map[string]string{
		"MD5": HashMD5, "md5": HashMD5, "SHA-1": HashSHA1, "sha1": HashSHA1, "SHA1": HashSHA1,
		"crypt": HashCrypt, "CRYPT": HashCrypt, "argon2id": HashArgon2id, " Argon2id ": HashArgon2id,
		"": "", "SHA-256": "", "bcrypt": "", "md 5": "",
	} {
		got, ok := HashFunction(in)
		if got != want || ok != (want != "") {
			t.Errorf("HashFunction(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestPasswordHash(t *testing.T) {
	const (
		md5Hex  = "4ece57a61323b52ccffdbef021956754"
		sha1Hex = "874572e7a5ae6a49466a6ac578b98adba78c6aa6"
		bcrypt  = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"
	)
	tests := []struct {
		fn, hash string
		ok       bool
		rule     string // part of the error
	}{
		{HashMD5, md5Hex, true, ""},
		{HashMD5, strings.ToUpper(md5Hex), true, ""},
		{HashMD5, md5Hex[:31], false, "32 hexadecimal"},
		{HashMD5, md5Hex[:31] + "g", false, "32 hexadecimal"},
		{HashMD5, sha1Hex, false, "32 hexadecimal"},
		{HashSHA1, sha1Hex, true, ""},
		{HashSHA1, md5Hex, false, "40 hexadecimal"},
		{HashSHA1, "Tr0ub4dor&3 is no hash at all!!!!!!!!!!!", false, "40 hexadecimal"},
		{HashCrypt, "$1$saltstri$KnFSieJu09tVEV42GQJ8k1", true, ""},
		{HashCrypt, "$1$$KnFSieJu09tVEV42GQJ8k1", true, ""},
		{HashCrypt, "$1$saltstrin$KnFSieJu09tVEV42GQJ8k1", false, "at most 8"},
		{HashCrypt, "$1$saltstri$KnFSieJu09tVEV42GQJ8k", false, "MD5-crypt"},
		{HashCrypt, "$5$saltstring$RT55UUFV8nhS8YjKMVGspyCektw1KgSPNiHv3htupz8", true, ""},
		{HashCrypt, "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", true, ""},
		{HashCrypt, "$5$rounds=999$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", false, "rounds must be"},
		{HashCrypt, "$5$rounds=1000001$salt$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", false, "rounds must be"},
		{HashCrypt, "$6$saltstring$XikFVg.7EhH1eUDEUpzvo18fWP5xsooAUeVrPgDQF0pycEsAR1KJFDpioiNUhrHfBTxVAip6F1kkOGFYRBADj/", true, ""},
		{HashCrypt, "$6$saltstring$XikFVg.7EhH1eUDEUpzvo18fWP5xsooAUeVrPgDQF0pycEsAR1KJFDpioiNUhrHfBTxVAip6F1kkOGFYRBADj", false, "SHA-512-crypt"},
		{HashCrypt, "$6$salt string$XikFVg.7EhH1eUDEUpzvo18fWP5xsooAUeVrPgDQF0pycEsAR1KJFDpioiNUhrHfBTxVAip6F1kkOGFYRBADj/", false, "SHA-512-crypt"},
		{HashCrypt, bcrypt, true, ""},
		{HashCrypt, "$2b$" + bcrypt[4:], true, ""},
		{HashCrypt, "$2y$" + bcrypt[4:], true, ""},
		{HashCrypt, "$2x$" + bcrypt[4:], false, "a crypt hash starts with"},
		{HashCrypt, "$2a$16$" + bcrypt[7:], false, "bcrypt cost"},
		{HashCrypt, "$2a$03$" + bcrypt[7:], false, "bcrypt cost"},
		{HashCrypt, bcrypt[:len(bcrypt)-1], false, "53 characters"},
		{HashCrypt, "Tr0ub4dor&3", false, "a crypt hash starts with"},
		{HashCrypt, "", false, "a crypt hash starts with"},
		{HashArgon2id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", true, ""},
		{HashArgon2id, "$argon2id$v=19$m=1048576,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", false, "too costly"},
		{HashArgon2id, "$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", false, "PHC"},
		{HashArgon2id, "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", false, "PHC"},
		{HashArgon2id, "$argon2id$v=19$m=19456,t=2$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", false, "PHC"},
		{HashArgon2id, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", false, "PHC"},
		{HashArgon2id, "$argon2id$v=19$m=19456,t=2,p=1$c2Fs=dA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g", false, "PHC"},
	}
	for _, tt := range tests {
		err := PasswordHash(tt.fn, tt.hash)
		switch {
		case tt.ok && err != nil:
			t.Errorf("PasswordHash(%s, %q) = %v, want nil", tt.fn, tt.hash, err)
		case !tt.ok && err == nil:
			t.Errorf("PasswordHash(%s, %q) = nil, want an error saying %q", tt.fn, tt.hash, tt.rule)
		case !tt.ok && !strings.Contains(err.Error(), tt.rule):
			t.Errorf("PasswordHash(%s, %q) = %v, want it to say %q", tt.fn, tt.hash, err, tt.rule)
		case err != nil && len(tt.hash) > 8 && strings.Contains(err.Error(), tt.hash):
			t.Errorf("PasswordHash(%s, …) quotes the hash: %v", tt.fn, err)
		}
	}
}

func TestStatus(t *testing.T) {
	for _, tt := range []struct {
		in                 string
		suspended, set, ok bool
	}{
		{"", false, false, true}, {"Active", false, true, true}, {"ACTIVE", false, true, true},
		{"Suspended", true, true, true}, {"suspended", true, true, true}, {"Archived", false, false, false},
		{"yes", false, false, false},
	} {
		s, set, err := Status(tt.in)
		if s != tt.suspended || set != tt.set || (err == nil) != tt.ok {
			t.Errorf("Status(%q) = %v, %v, %v; want %v, %v, ok %v", tt.in, s, set, err, tt.suspended, tt.set, tt.ok)
		}
	}
}

// TestRowPasswordHash: with Password Hash Function set, the Password cell
// holds a hash: the password rules do not apply, the hash's do, and a bad
// one is a problem naming the column without showing the hash.
func TestRowPasswordHash(t *testing.T) {
	c := Context{VerifiedDomains: map[string]bool{"contoso.com": true}, Actor: []string{GlobalAdmin}}
	base := Input{UserName: "ann@contoso.com", DisplayName: "Ann"}
	tests := []struct {
		name, fn, pw string
		noPasswords  bool
		wantFn       string
		problem      string
	}{
		{"MD5", "MD5", "4ece57a61323b52ccffdbef021956754", false, HashMD5, ""},
		{"SHA1", "sha-1", "874572e7a5ae6a49466a6ac578b98adba78c6aa6", false, HashSHA1, ""},
		{"Crypt", "crypt", "$6$saltstring$XikFVg.7EhH1eUDEUpzvo18fWP5xsooAUeVrPgDQF0pycEsAR1KJFDpioiNUhrHfBTxVAip6F1kkOGFYRBADj/", false, HashCrypt, ""},
		{"BadMD5", "MD5", "4ece57a61323b52ccffdbef02195675", false, "", "Password: not a valid MD5 hash, as Password Hash Function says: an MD5 hash is 32 hexadecimal digits"},
		{"CryptIsNotAPassword", "crypt", "Tr0ub4dor&3", false, "", "Password: not a valid crypt hash"},
		{"UnknownFunction", "SHA-256", "abc", false, "", `Password Hash Function: no such hash function (use MD5, SHA-1, crypt or argon2id) ("SHA-256")`},
		{"NoHash", "MD5", "", false, "", "Password: must hold the MD5 hash"},
		{"NoPasswords", "MD5", "4ece57a61323b52ccffdbef021956754", true, "", "Password Hash Function: must be blank with --no-passwords"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := base
			in.PasswordHashFunction, in.Password = tt.fn, tt.pw
			cc := c
			cc.NoPasswords = tt.noPasswords
			u, ps := Row(in, cc)
			msg := Message(ps)
			if tt.problem == "" {
				if len(ps) > 0 {
					t.Fatalf("problems: %s", msg)
				}
				if u.PasswordHashFunction != tt.wantFn || u.PasswordHash != tt.pw || u.Password != "" {
					t.Errorf("User has hash %q %q, password %q; want %q %q and no password", u.PasswordHashFunction, u.PasswordHash, u.Password, tt.wantFn, tt.pw)
				}
				return
			}
			if !strings.Contains(msg, tt.problem) {
				t.Errorf("problems %q, want %q", msg, tt.problem)
			}
			if tt.pw != "" && len(tt.pw) > 3 && strings.Contains(msg, tt.pw) {
				t.Errorf("the message shows the Password cell: %q", msg)
			}
		})
	}
}

// TestRowStatus: New Status Suspended blocks sign-in, Active does not, and
// a Block Sign In cell that says otherwise is a problem.
func TestRowStatus(t *testing.T) {
	c := Context{VerifiedDomains: map[string]bool{"contoso.com": true}, Actor: []string{GlobalAdmin}, BlockSignIn: false}
	for _, tt := range []struct {
		status, block string
		blocked       bool
		problem       string
	}{
		{"Suspended", "", true, ""},
		{"Active", "", false, ""},
		{"", "", false, ""},
		{"Suspended", "Yes", true, ""},
		{"Active", "Yes", false, `Status: contradicts Block Sign In (Yes) ("Active")`},
		{"Gone", "", false, `Status: use "Active" or "Suspended" ("Gone")`},
	} {
		u, ps := Row(Input{UserName: "ann@contoso.com", DisplayName: "Ann", Status: tt.status, BlockSignIn: tt.block}, c)
		msg := Message(ps)
		switch {
		case tt.problem != "" && !strings.Contains(msg, tt.problem):
			t.Errorf("Status %q, Block Sign In %q: problems %q, want %q", tt.status, tt.block, msg, tt.problem)
		case tt.problem == "" && (msg != "" || u.BlockSignIn != tt.blocked || !u.BlockSignInSet):
			t.Errorf("Status %q, Block Sign In %q: blocked %v (set %v), problems %q; want blocked %v", tt.status, tt.block, u.BlockSignIn, u.BlockSignInSet, msg, tt.blocked)
		}
	}
}

// TestActOn: only a Global admin acts on a Global admin; a License admin
// changes no admin's profile; licenses of admins are for whoever assigns
// licenses.
func TestActOn(t *testing.T) {
	g, u, l := []string{GlobalAdmin}, []string{UserAdmin}, []string{LicenseAdmin}
	none := []string(nil)
	const onlyGlobal, noProfile = "only a Global admin may", "a License admin changes no admin's profile"
	tests := []struct {
		actor, target []string
		a             Action
		rule          string // "" allowed
	}{
		{g, g, UpdateUser, ""},
		{g, g, SetPassword, ""},
		{u, g, UpdateUser, onlyGlobal},
		{u, g, SetPassword, onlyGlobal},
		{u, g, SetUsageLocation, onlyGlobal},
		{u, append([]string{LicenseAdmin}, GlobalAdmin), UpdateUser, onlyGlobal},
		{u, g, AssignLicense, ""},
		{u, g, SetDisabledApps, ""},
		{u, u, UpdateUser, ""},
		{u, l, SetPassword, ""},
		{u, none, UpdateUser, ""},
		{l, none, SetUsageLocation, ""},
		{l, u, SetUsageLocation, noProfile},
		{l, l, SetUsageLocation, noProfile},
		{l, g, SetUsageLocation, onlyGlobal},
		{l, g, AssignLicense, ""},
		{l, none, UpdateUser, "your role may not change users"},
		{none, none, AssignLicense, "your role may not assign licenses"},
	}
	for _, tt := range tests {
		got := ActOn(tt.actor, tt.target, tt.a)
		if tt.rule == "" && got != "" || tt.rule != "" && !strings.HasPrefix(got, tt.rule) {
			t.Errorf("ActOn(%v, %v, %s) = %q, want %q", tt.actor, tt.target, tt.a, got, tt.rule)
		}
	}
}

func TestOrgRules(t *testing.T) {
	for n, ok := range map[int]bool{0: true, 14: true, 90: true, 730: true, 13: false, 731: false, -1: false, 1: false} {
		if err := PasswordExpiryDays(n); (err == nil) != ok {
			t.Errorf("PasswordExpiryDays(%d) = %v, want ok %v", n, err, ok)
		}
	}
	for s, ok := range map[string]bool{
		"https://login.contoso.com": true, "http://intranet:8080/signin?x=1": true, "login.contoso.com": false,
		"ftp://contoso.com": false, "https://": false, "https://user:pw@contoso.com": false, "javascript:alert(1)": false, "": false,
		"https://" + strings.Repeat("a", 2048): false,
	} {
		if err := SignInURL(s); (err == nil) != ok {
			t.Errorf("SignInURL(%q) = %v, want ok %v", s, err, ok)
		}
	}
	for s, ok := range map[string]bool{"Contoso": true, "": false, "Con\ntoso": false, strings.Repeat("x", 257): false, strings.Repeat("é", 256): true} {
		if err := OrgName(s); (err == nil) != ok {
			t.Errorf("OrgName(%q) = %v, want ok %v", s, err, ok)
		}
	}
}
