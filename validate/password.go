package validate

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// Limits of a password (SPEC §5).
const (
	MinPasswordLen       = 8
	MaxPasswordLen       = 256
	GeneratedPasswordLen = 16
)

// Password reports whether pw may be a user's password. The rules:
//
//   - 8 to 256 characters;
//   - printable ASCII characters (0x21–0x7E) and spaces only;
//   - at least three of the four kinds: lower-case letters, upper-case
//     letters, digits, symbols (every other allowed character, space
//     included);
//   - not containing alias, without regard to case, when alias has at
//     least three characters.
//
// The error's text never contains the password or any part of it, not even
// its length, so that it can go into a result file.
func Password(pw, alias string) error {
	var lower, upper, digit, symbol bool
	for i := 0; i < len(pw); i++ {
		switch c := pw[i]; {
		case 'a' <= c && c <= 'z':
			lower = true
		case 'A' <= c && c <= 'Z':
			upper = true
		case '0' <= c && c <= '9':
			digit = true
		case ' ' <= c && c <= '~':
			symbol = true
		default: // control characters, DEL, and every byte of non-ASCII
			return errors.New("may hold only printable ASCII characters and spaces")
		}
	}
	// All ASCII by now: bytes are characters.
	if len(pw) < MinPasswordLen {
		return fmt.Errorf("must be at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return fmt.Errorf("must be at most %d characters", MaxPasswordLen)
	}
	kinds := 0
	for _, k := range []bool{lower, upper, digit, symbol} {
		if k {
			kinds++
		}
	}
	if kinds < 3 {
		return errors.New("must have at least three of: lower-case letters, upper-case letters, digits, symbols")
	}
	if len(alias) >= 3 && strings.Contains(strings.ToLower(pw), strings.ToLower(alias)) {
		return errors.New("must not contain the user's alias")
	}
	return nil
}

// The characters of generated passwords: each kind without the ones that
// are easily misread (l, o, I, O, 0, 1) and symbols that are typed the
// same on common keyboards and need no quoting in CSV or a shell.
const (
	genLower   = "abcdefghijkmnpqrstuvwxyz"
	genUpper   = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	genDigits  = "23456789"
	genSymbols = "!#$%&*+-=?@"
)

// GeneratePassword returns a new random password of 16 characters from
// crypto/rand, holding at least one character of each of the four kinds and
// none that is easily misread. It passes Password for any alias that it
// does not happen to contain; GeneratePasswordFor rules that out as well.
// The error is crypto/rand's, should the system's random source fail.
func GeneratePassword() (string, error) {
	all := genLower + genUpper + genDigits + genSymbols
	pw := make([]byte, GeneratedPasswordLen)
	// One of each kind first, the rest from all of them, then shuffled so
	// that the kinds' places are random too.
	for i, set := range []string{genLower, genUpper, genDigits, genSymbols} {
		c, err := pick(set)
		if err != nil {
			return "", err
		}
		pw[i] = c
	}
	for i := 4; i < len(pw); i++ {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		pw[i] = c
	}
	for i := len(pw) - 1; i > 0; i-- {
		j, err := randN(i + 1)
		if err != nil {
			return "", err
		}
		pw[i], pw[j] = pw[j], pw[i]
	}
	return string(pw), nil
}

// GeneratePasswordFor is GeneratePassword for the user with the given
// alias: it draws again in the rare case that the password contains the
// alias, so that the result always passes Password(pw, alias).
func GeneratePasswordFor(alias string) (string, error) {
	// A draw contains a given alias of three or more characters with a
	// chance below 1 in 1000, so 100 draws that all do mean a broken source.
	for range 100 {
		pw, err := GeneratePassword()
		if err != nil {
			return "", err
		}
		if Password(pw, alias) == nil {
			return pw, nil
		}
	}
	return "", errors.New("generating a password: every draw contained the alias")
}

// pick returns a uniformly random byte of set.
func pick(set string) (byte, error) {
	i, err := randN(len(set))
	if err != nil {
		return 0, err
	}
	return set[i], nil
}

// randN returns a uniformly random int in [0, n).
func randN(n int) (int, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(n)))
	if err != nil {
		return 0, fmt.Errorf("generating a password: %w", err)
	}
	return int(i.Int64()), nil
}
