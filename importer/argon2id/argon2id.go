// Package argon2id hashes passwords with argon2id and stores them in PHC
// string form: $argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>, salt and hash
// in unpadded standard base64.
package argon2id

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id's cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams are OWASP's minimum for argon2id: 19 MiB, 2 passes, 1 lane.
// Production always uses them.
func DefaultParams() Params {
	return Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}
}

// InsecureTestParams are cheap parameters that make tests fast. They must
// never be used outside tests: nothing in the commands selects them.
func InsecureTestParams() Params {
	return Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}
}

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of password under p with a fresh random salt.
func Hash(password string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("argon2id salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrMalformed is returned by Verify for a string that is not an argon2id
// PHC hash.
var ErrMalformed = errors.New("argon2id: malformed hash")

// Verify reports whether password matches the PHC string hash, using the
// parameters recorded in hash. It compares in constant time.
func Verify(password, hash string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, ErrMalformed
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, ErrMalformed
	}
	var p Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil ||
		p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.Memory > 4<<20 || p.Time > 64 {
		return false, ErrMalformed
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, ErrMalformed
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 1024 {
		return false, ErrMalformed
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// Hasher hashes passwords for a whole process: at most its limit of hashes
// run at once, however many batches hash through it, so that one process
// never runs more argon2id hashes than it has cores (each takes 19 MiB and
// a core for tens of milliseconds). Safe for concurrent use.
type Hasher struct {
	params Params
	slots  chan struct{}
	hash   func(password string, p Params) (string, error) // Hash; tests watch it
}

// NewHasher returns a Hasher with parameters p that runs at most limit
// hashes at once; limit 0 means one per CPU.
func NewHasher(p Params, limit int) *Hasher {
	if limit <= 0 {
		limit = runtime.NumCPU()
	}
	return &Hasher{params: p, slots: make(chan struct{}, limit), hash: Hash}
}

// Hash waits for a free slot (or ctx's end, returning its error) and
// returns the PHC string of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	defer func() { <-h.slots }()
	return h.hash(password, h.params)
}

// Limit returns how many hashes run at once at most.
func (h *Hasher) Limit() int { return cap(h.slots) }
