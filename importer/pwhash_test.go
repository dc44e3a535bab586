package importer

import (
	"testing"

	"userimport/importer/argon2id"
	"userimport/validate"
)

// TestVerifyPassword checks each hash function of the Password Hash
// Function column against hashes made by other implementations: OpenSSL
// (`openssl passwd -1/-5/-6`, md5sum, sha1sum), the SHA-crypt
// specification's vectors with rounds, and OpenBSD's bcrypt vector.
func TestVerifyPassword(t *testing.T) {
	const pw = "Tr0ub4dor&3"
	ours, err := argon2id.Hash(pw, argon2id.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	cheap, _ := argon2id.Hash(pw, argon2id.InsecureTestParams())
	tests := []struct {
		name, fn, hash, pw string
		replace            bool
	}{
		{"MD5", validate.HashMD5, "4ece57a61323b52ccffdbef021956754", pw, true},
		{"MD5Upper", validate.HashMD5, "4ECE57A61323B52CCFFDBEF021956754", pw, true},
		{"SHA1", validate.HashSHA1, "874572e7a5ae6a49466a6ac578b98adba78c6aa6", pw, true},
		{"MD5Crypt", validate.HashCrypt, "$1$saltstri$KnFSieJu09tVEV42GQJ8k1", pw, true},
		{"SHA256Crypt", validate.HashCrypt, "$5$saltstring$RT55UUFV8nhS8YjKMVGspyCektw1KgSPNiHv3htupz8", pw, true},
		{"SHA512Crypt", validate.HashCrypt, "$6$saltstring$XikFVg.7EhH1eUDEUpzvo18fWP5xsooAUeVrPgDQF0pycEsAR1KJFDpioiNUhrHfBTxVAip6F1kkOGFYRBADj/", pw, true},
		{"SHA256CryptRounds", validate.HashCrypt, "$5$rounds=10000$saltstringsaltst$3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA", "Hello world!", true},
		{"SHA512CryptRounds", validate.HashCrypt, "$6$rounds=10000$saltstringsaltst$OW1/O6BYHV6BcXZu8QVeXbDWra3Oeqh0sbHbbMCVNSnCM/UrjmM0Dp8vOuZeHBy/YTBmSK6H9qs/y3RnOaw5v.", "Hello world!", true},
		{"Bcrypt2a", validate.HashCrypt, "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", true},
		{"Bcrypt2b", validate.HashCrypt, "$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", true},
		{"Bcrypt2y", validate.HashCrypt, "$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", true},
		{"Argon2idOurs", validate.HashArgon2id, ours, pw, false},
		{"Argon2idOther", validate.HashArgon2id, cheap, pw, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := validate.PasswordHash(tt.fn, tt.hash); err != nil {
				t.Fatalf("validate.PasswordHash: %v", err)
			}
			stored := StoredHash(tt.fn, tt.hash)
			ok, replace, err := verifyPassword(tt.pw, stored)
			if !ok || err != nil || replace != tt.replace {
				t.Errorf("right password: ok %v, replace %v, err %v; want true, %v, nil", ok, replace, err, tt.replace)
			}
			for _, wrong := range []string{tt.pw + "x", tt.pw[1:], ""} {
				if ok, _, err := verifyPassword(wrong, stored); ok || err != nil {
					t.Errorf("wrong password %q: ok %v, err %v; want false, nil", wrong, ok, err)
				}
			}
		})
	}
	if ok, _, err := verifyPassword(pw, "plain"); ok || err == nil {
		t.Errorf("an unknown stored hash: ok %v, err %v; want false and an error", ok, err)
	}
}
