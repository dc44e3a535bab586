package importer

import (
	"errors"
	"fmt"
)

// Error codes. Each maps to one exit code in cmd/userimport.
const (
	ECONFLICT  = "conflict"  // the thing already exists, or a rule of the directory forbids it
	EINTERNAL  = "internal"  // anything the admin cannot fix: database gone, disk full
	EINVALID   = "invalid"   // bad input: file, flag or value
	ENOTFOUND  = "not_found" // the named thing does not exist
	EFORBIDDEN = "forbidden" // the acting admin may not do this
	EUNINIT    = "uninitialized"
	// EUNAVAILABLE: the database cannot be reached; nothing is lost, and the
	// same command works once it can be (exit 3, as for EINTERNAL).
	EUNAVAILABLE = "unavailable"
)

// Error is the domain's error: a code and a message fit for an admin.
// Errors of any other type are shown as "internal error" and logged.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err's *Error, EINTERNAL for any other error,
// and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the admin-facing message of err: its *Error's message,
// or "internal error" for anything else.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// RowsFailedError is returned by Run when the batch ran to its end but at
// least one row failed: partial success, exit code 1.
type RowsFailedError struct {
	Failed int
}

func (e *RowsFailedError) Error() string {
	if e.Failed == 1 {
		return "1 row failed"
	}
	return fmt.Sprintf("%d rows failed", e.Failed)
}

// PartialError is returned by Run when a batch stopped on an error after
// some rows were done: those are kept and reported, and running the same
// command again goes on from where it stopped.
type PartialError struct {
	Err  error
	Done int // rows done
}

func (e *PartialError) Error() string { return e.Err.Error() }
func (e *PartialError) Unwrap() error { return e.Err }
