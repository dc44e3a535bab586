package importer

import (
	"strings"
	"testing"

	"userimport/importer/argon2id"
)

// TestTimingHash: the hash checked for an unknown, blocked or deleted
// account is a well-formed argon2id hash with the production parameters,
// so that checking it costs what checking a real one does.
func TestTimingHash(t *testing.T) {
	p := argon2id.DefaultParams()
	prefix := "$argon2id$v=19$m=19456,t=2,p=1$"
	if p.Memory != 19456 || p.Time != 2 || p.Threads != 1 || !strings.HasPrefix(timingHash, prefix) {
		t.Fatalf("timingHash %q does not carry the production parameters %+v", timingHash, p)
	}
	if ok, err := argon2id.Verify("any password", timingHash); err != nil || ok {
		t.Fatalf("Verify(timingHash) = %v, %v; want a checked mismatch", ok, err)
	}
}
