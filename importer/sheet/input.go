package sheet

import (
	"crypto/sha256"
	"encoding"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
)

// input is the opened file: a regular file of a size known at open, read
// no further than that size, and hashed as it is read in order.
type input struct {
	f    *os.File
	size int64

	h      hash.Hash // the SHA-256 of the bytes [0, off), until digest is known
	off    int64     // how far the file has been read in order
	digest string    // the hex SHA-256, once computed
}

func newInput(f *os.File, size int64) *input {
	return &input{f: f, size: size, h: sha256.New()}
}

// Read reads the file in order, from the start, up to its size at open,
// hashing what it reads.
func (in *input) Read(p []byte) (int, error) {
	if in.off >= in.size {
		return 0, io.EOF
	}
	if left := in.size - in.off; int64(len(p)) > left {
		p = p[:left]
	}
	n, err := in.f.ReadAt(p, in.off)
	if in.digest == "" { // else sum has hashed the whole file already
		in.h.Write(p[:n])
	}
	in.off += int64(n)
	if err == io.EOF && in.off < in.size {
		// The file shrank while it was read.
		err = io.ErrUnexpectedEOF
	}
	if err == io.EOF {
		err = nil
	}
	return n, err
}

// readerAt is the file for reading out of order (a zip), up to its size at
// open.
func (in *input) readerAt() *io.SectionReader { return io.NewSectionReader(in.f, 0, in.size) }

// sum returns the hex SHA-256 of the file's first size bytes: of those read
// in order so far, and then of the rest, read with ReadAt into a copy of
// the hash so that reading in order can go on.
func (in *input) sum() (string, error) {
	if in.digest != "" {
		return in.digest, nil
	}
	h := in.h
	if in.off < in.size {
		state, err := in.h.(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			return "", fmt.Errorf("sheet: hash state: %w", err)
		}
		h = sha256.New()
		if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
			return "", fmt.Errorf("sheet: hash state: %w", err)
		}
		if _, err := io.Copy(h, io.NewSectionReader(in.f, in.off, in.size-in.off)); err != nil {
			return "", fmt.Errorf("sheet: read %s to hash it: %w", in.f.Name(), err)
		}
	}
	in.digest = hex.EncodeToString(h.Sum(nil))
	return in.digest, nil
}

func (in *input) close() error { return in.f.Close() }
