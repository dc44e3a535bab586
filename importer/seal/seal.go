// Package seal keeps generated passwords secret while they travel between
// processes: each password is encrypted with age (filippo.io/age, X25519) to
// a batch's recipient, and only the holder of the batch's identity, kept in
// a key file of mode 0600 outside the database, can open it again.
//
// The functions are safe for concurrent use.
package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"

	"userimport/importer"
)

// maxSecret bounds what Open reads: a password is short, and a damaged or
// hostile sealed value must not make Open allocate without limit.
const maxSecret = 4 << 10

// ErrWrongKey is returned (wrapped) by Open when the sealed value was sealed
// to another recipient than the identity's.
var ErrWrongKey = errors.New("sealed to another key")

// CreateKeyFile generates a new X25519 identity and writes it to path,
// which must not exist: the file is created with mode 0600, never through
// a symbolic link (O_EXCL|O_NOFOLLOW), and synced before CreateKeyFile
// returns. The identity is returned; its Recipient is what Seal seals to.
func CreateKeyFile(path string) (*age.X25519Identity, error) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		return nil, fmt.Errorf("generate a batch key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil, importer.Errorf(importer.ECONFLICT, "key file %s already exists: it may belong to a batch that is not finished; move it away only if no batch needs it", path)
		}
		return nil, fmt.Errorf("create key file: %w", err)
	}
	// The format of age-keygen, so that `age -d -i FILE` opens a sealed
	// value by hand when an admin must.
	_, err = fmt.Fprintf(f, "# created: %s\n# public key: %s\n%s\n",
		time.Now().UTC().Format(time.RFC3339), id.Recipient(), id)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("write key file: %w", err)
	}
	return id, nil
}

// LoadKeyFile reads the identity that CreateKeyFile wrote to path. It
// refuses a symbolic link, a file that is not a regular file, a file that
// others than its owner may read or write (the key opens every password
// of its batch), and a file that does not hold exactly one X25519 identity.
func LoadKeyFile(path string) (*age.X25519Identity, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			return nil, importer.Errorf(importer.EINVALID, "key file %s is a symbolic link: refusing to read it", path)
		}
		return nil, fmt.Errorf("open key file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return nil, importer.Errorf(importer.EINVALID, "key file %s is not a regular file", path)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return nil, importer.Errorf(importer.EINVALID, "key file %s has mode %04o: others may read it; run `chmod 600 %s`", path, st.Mode().Perm(), path)
	}
	ids, err := age.ParseIdentities(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, importer.Errorf(importer.EINVALID, "key file %s: not an age identity file", path)
	}
	if len(ids) != 1 {
		return nil, importer.Errorf(importer.EINVALID, "key file %s holds %d identities, want 1", path, len(ids))
	}
	id, ok := ids[0].(*age.X25519Identity)
	if !ok {
		return nil, importer.Errorf(importer.EINVALID, "key file %s: not an X25519 identity", path)
	}
	return id, nil
}

// ParseRecipient parses a recipient as Recipient().String() gives it
// ("age1…"), for a recipient kept beside a batch.
func ParseRecipient(s string) (*age.X25519Recipient, error) {
	r, err := age.ParseX25519Recipient(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("batch recipient: %w", err)
	}
	return r, nil
}

// Seal encrypts password to recipient. The result is binary (age's format,
// about 200 bytes more than the password) and differs on every call.
func Seal(recipient age.Recipient, password importer.Secret) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, recipient)
	if err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if _, err := io.WriteString(w, password.Reveal()); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return buf.Bytes(), nil
}

// Open decrypts what Seal sealed. A value sealed to another recipient
// gives an error wrapping ErrWrongKey; a damaged or truncated one, another
// error. No error holds the password or the key.
func Open(identity age.Identity, sealed []byte) (importer.Secret, error) {
	r, err := age.Decrypt(bytes.NewReader(sealed), identity)
	if err != nil {
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return "", fmt.Errorf("open sealed password: %w", ErrWrongKey)
		}
		return "", fmt.Errorf("open sealed password: damaged: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(r, maxSecret+1))
	if err != nil {
		return "", fmt.Errorf("open sealed password: damaged: %w", err)
	}
	if len(b) > maxSecret {
		return "", fmt.Errorf("open sealed password: longer than %d bytes", maxSecret)
	}
	return importer.Secret(b), nil
}

// Keys is the importer's Sealer: batch keys in key files, sealed passwords
// as base64 text for the journal. The zero value is ready to use.
type Keys struct{}

var _ importer.Sealer = Keys{}

// NewKey creates a batch's key file at path (CreateKeyFile) and returns its
// recipient.
func (Keys) NewKey(path string) (string, error) {
	id, err := CreateKeyFile(path)
	if err != nil {
		return "", err
	}
	return id.Recipient().String(), nil
}

// OpenKey loads the key file at path (LoadKeyFile) and returns what opens
// the passwords sealed to it.
func (Keys) OpenKey(path string) (func(sealed string) (importer.Secret, error), error) {
	id, err := LoadKeyFile(path)
	if err != nil {
		return nil, err
	}
	return func(sealed string) (importer.Secret, error) {
		b, err := base64.StdEncoding.DecodeString(sealed)
		if err != nil {
			return "", fmt.Errorf("seal: not a sealed password: %w", err)
		}
		return Open(id, b)
	}, nil
}

// Seal seals password to the recipient recipient ("age1…").
func (Keys) Seal(recipient string, password importer.Secret) (string, error) {
	r, err := ParseRecipient(recipient)
	if err != nil {
		return "", err
	}
	b, err := Seal(r, password)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}
