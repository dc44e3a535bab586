package importer

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/GehirnInc/crypt"
	"github.com/GehirnInc/crypt/md5_crypt"
	"github.com/GehirnInc/crypt/sha256_crypt"
	"github.com/GehirnInc/crypt/sha512_crypt"
	"golang.org/x/crypto/bcrypt"

	"userimport/importer/argon2id"
	"userimport/validate"
)

// Prefixes of the unsalted digests of the Password Hash Function column as
// they are stored: the hex digest alone would not say which function made it.
const (
	md5Prefix  = "{MD5}"
	sha1Prefix = "{SHA1}"
)

// StoredHash returns the form in which a hash from another system, of the
// canonical function (validate.HashFunction) and already checked by
// validate.PasswordHash, is stored: an MD5 or SHA-1 digest with a prefix
// that names it, lower case; a crypt or argon2id hash as given. It returns
// "" when function is "".
func StoredHash(function, hash string) string {
	switch function {
	case "":
		return ""
	case validate.HashMD5:
		return md5Prefix + strings.ToLower(hash)
	case validate.HashSHA1:
		return sha1Prefix + strings.ToLower(hash)
	}
	return hash
}

// errUnknownHash is a stored hash of no function that verifyPassword knows.
var errUnknownHash = errors.New("stored password hash of an unknown kind")

// verifyPassword reports whether pw matches the stored hash, and whether the
// hash is one to replace with our argon2id hash (one imported from another
// system). Every comparison is in constant time or the hash function's own.
func verifyPassword(pw, stored string) (ok, replace bool, err error) {
	defer func() {
		if r := recover(); r != nil { // a hash library's panic on a malformed hash is no sign-in
			ok, replace, err = false, false, fmt.Errorf("stored password hash: %v", r)
		}
	}()
	digest := func(sum []byte, want string) bool {
		return subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum)), []byte(want)) == 1
	}
	switch {
	case strings.HasPrefix(stored, "$argon2id$"):
		ok, err := argon2id.Verify(pw, stored)
		// An imported argon2id hash of other parameters is ours to redo.
		return ok, ok && !strings.HasPrefix(stored, ourArgon2idPrefix), err
	case strings.HasPrefix(stored, md5Prefix):
		s := md5.Sum([]byte(pw))
		return digest(s[:], stored[len(md5Prefix):]), true, nil
	case strings.HasPrefix(stored, sha1Prefix):
		s := sha1.Sum([]byte(pw))
		return digest(s[:], stored[len(sha1Prefix):]), true, nil
	case strings.HasPrefix(stored, "$2a$"), strings.HasPrefix(stored, "$2b$"), strings.HasPrefix(stored, "$2y$"):
		err := bcrypt.CompareHashAndPassword([]byte(stored), []byte(pw))
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, true, nil
		}
		return err == nil, true, err
	case strings.HasPrefix(stored, "$1$"):
		return cryptVerify(md5_crypt.New().Verify(stored, []byte(pw)))
	case strings.HasPrefix(stored, "$5$"):
		return cryptVerify(sha256_crypt.New().Verify(stored, []byte(pw)))
	case strings.HasPrefix(stored, "$6$"):
		return cryptVerify(sha512_crypt.New().Verify(stored, []byte(pw)))
	}
	return false, false, errUnknownHash
}

// ourArgon2idPrefix begins every hash that argon2id.Hash makes with the
// production parameters.
var ourArgon2idPrefix = func() string {
	p := argon2id.DefaultParams()
	return "$argon2id$v=19$m=" + strconv.Itoa(int(p.Memory)) + ",t=" + strconv.Itoa(int(p.Time)) + ",p=" + strconv.Itoa(int(p.Threads)) + "$"
}()

// cryptVerify turns a crypt Verify's answer into verifyPassword's: any
// error but a mismatch is a malformed hash.
func cryptVerify(err error) (ok, replace bool, _ error) {
	if err == nil {
		return true, true, nil
	}
	if errors.Is(err, crypt.ErrKeyMismatch) {
		return false, true, nil
	}
	return false, true, err
}
