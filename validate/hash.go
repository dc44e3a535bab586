package validate

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// The hash functions of Google Workspace's "Password Hash Function [UPLOAD
// ONLY]" column (SPEC §4), by their canonical names.
const (
	HashMD5      = "MD5"
	HashSHA1     = "SHA-1"
	HashCrypt    = "crypt"
	HashArgon2id = "argon2id"
)

// Limits on the cost a hash from another system may ask of a sign-in, so
// that one row cannot make every sign-in of its user take minutes: SHA-crypt
// rounds (the default is 5000), bcrypt's cost (the default is 10), and
// argon2id's memory (KiB) and passes.
const (
	MaxCryptRounds     = 1_000_000
	MaxBcryptCost      = 15
	MaxArgon2idMemory  = 256 << 10
	MaxArgon2idPasses  = 16
	maxArgon2idThreads = 16
)

// HashFunction returns the canonical name of the hash function s names, and
// whether it names one. Case does not matter, nor a hyphen: "md5", "SHA1",
// "sha-1", "CRYPT", "Argon2id".
func HashFunction(s string) (string, bool) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "") {
	case "md5":
		return HashMD5, true
	case "sha1":
		return HashSHA1, true
	case "crypt":
		return HashCrypt, true
	case "argon2id":
		return HashArgon2id, true
	}
	return "", false
}

// PasswordHash reports whether hash is a well-formed hash of the named
// function (a canonical name of HashFunction). The grammar:
//
//   - MD5: 32 hexadecimal digits; SHA-1: 40 (unsalted digests, as Google
//     takes them; either case).
//   - crypt: MD5-crypt "$1$salt$hash" (salt 0–8 characters, hash 22);
//     SHA-256-crypt "$5$[rounds=N$]salt$hash" (salt 0–16, hash 43);
//     SHA-512-crypt "$6$[rounds=N$]salt$hash" (salt 0–16, hash 86), N from
//     1000 to MaxCryptRounds; bcrypt "$2a$", "$2b$" or "$2y$", a two-digit
//     cost from 04 to MaxBcryptCost, "$", then 53 characters. Salts and
//     hashes are of the crypt alphabet "./0-9A-Za-z".
//   - argon2id: the PHC string "$argon2id$v=19$m=M,t=T,p=P$salt$hash", salt
//     and hash unpadded base64 (hash at least 16 bytes), M at most
//     MaxArgon2idMemory, T at most MaxArgon2idPasses.
//
// The error says what is wrong without quoting the hash.
func PasswordHash(function, hash string) error {
	switch function {
	case HashMD5:
		return hexDigest(hash, 32, "an MD5 hash is 32 hexadecimal digits")
	case HashSHA1:
		return hexDigest(hash, 40, "a SHA-1 hash is 40 hexadecimal digits")
	case HashCrypt:
		return cryptHash(hash)
	case HashArgon2id:
		return argon2idHash(hash)
	}
	return fmt.Errorf("unknown hash function %q", function)
}

func hexDigest(s string, n int, rule string) error {
	if len(s) != n {
		return errors.New(rule)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return errors.New(rule)
		}
	}
	return nil
}

func cryptAlphabet(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '.' || c == '/' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

const cryptRule = `a crypt hash starts with $1$ (MD5-crypt), $5$ or $6$ (SHA-crypt), or $2a$, $2b$ or $2y$ (bcrypt)`

func cryptHash(s string) error {
	switch {
	case strings.HasPrefix(s, "$1$"):
		return saltedCrypt(s[3:], false, 8, 22, "MD5-crypt")
	case strings.HasPrefix(s, "$5$"):
		return saltedCrypt(s[3:], true, 16, 43, "SHA-256-crypt")
	case strings.HasPrefix(s, "$6$"):
		return saltedCrypt(s[3:], true, 16, 86, "SHA-512-crypt")
	case strings.HasPrefix(s, "$2a$"), strings.HasPrefix(s, "$2b$"), strings.HasPrefix(s, "$2y$"):
		rest := s[4:]
		if len(rest) != 2+1+53 || rest[2] != '$' || !cryptAlphabet(rest[3:]) {
			return errors.New("a bcrypt hash is $2b$, a two-digit cost, $, and 53 characters of ./0-9A-Za-z")
		}
		cost, err := strconv.Atoi(rest[:2])
		if err != nil || cost < 4 || cost > MaxBcryptCost {
			return fmt.Errorf("bcrypt cost must be from 04 to %d", MaxBcryptCost)
		}
		return nil
	}
	return errors.New(cryptRule)
}

// saltedCrypt checks the part of an MD5- or SHA-crypt hash after its "$n$".
func saltedCrypt(s string, rounds bool, maxSalt, hashLen int, name string) error {
	if rounds && strings.HasPrefix(s, "rounds=") {
		n, rest, ok := strings.Cut(s[len("rounds="):], "$")
		r, err := strconv.Atoi(n)
		if !ok || err != nil || r < 1000 || r > MaxCryptRounds {
			return fmt.Errorf("%s rounds must be from 1000 to %d", name, MaxCryptRounds)
		}
		s = rest
	}
	salt, hash, ok := strings.Cut(s, "$")
	if !ok || len(salt) > maxSalt || len(hash) != hashLen || !cryptAlphabet(salt) || !cryptAlphabet(hash) {
		return fmt.Errorf("a %s hash is a salt of at most %d characters, $, and %d characters, of ./0-9A-Za-z", name, maxSalt, hashLen)
	}
	return nil
}

const argon2idRule = "an argon2id hash is $argon2id$v=19$m=M,t=T,p=P$salt$hash (PHC form, unpadded base64)"

func argon2idHash(s string) error {
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v=19" {
		return errors.New(argon2idRule)
	}
	var m, t, p int
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return errors.New(argon2idRule)
		}
		switch k {
		case "m":
			m = n
		case "t":
			t = n
		case "p":
			p = n
		default:
			return errors.New(argon2idRule)
		}
	}
	switch {
	case m == 0 || t == 0 || p == 0:
		return errors.New(argon2idRule)
	case m > MaxArgon2idMemory || t > MaxArgon2idPasses || p > maxArgon2idThreads:
		return fmt.Errorf("argon2id parameters too costly for a sign-in (at most m=%d, t=%d, p=%d)", MaxArgon2idMemory, MaxArgon2idPasses, maxArgon2idThreads)
	}
	if !base64Raw(parts[4], 1) || !base64Raw(parts[5], 16) {
		return errors.New(argon2idRule)
	}
	return nil
}

// base64Raw reports whether s is unpadded standard base64 of at least min
// bytes.
func base64Raw(s string, min int) bool {
	if len(s)%4 == 1 || len(s)*3/4 < min || len(s) > 1400 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '+' || c == '/' || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// Status reads a Status cell ("New Status [UPLOAD ONLY]" in Google's
// template): "Active" or "Suspended", case ignored. suspended is true for
// Suspended; set is false for a blank cell.
func Status(s string) (suspended, set bool, err error) {
	switch strings.ToLower(s) {
	case "":
		return false, false, nil
	case "active":
		return false, true, nil
	case "suspended":
		return true, true, nil
	}
	return false, false, errors.New(`use "Active" or "Suspended"`)
}
