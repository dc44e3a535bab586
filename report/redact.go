package report

import (
	"strings"
	"unicode"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"userimport/importer"
)

// Redacted is what a redacted log field shows.
const Redacted = "[REDACTED]"

// RedactCore wraps c so that no secret reaches the log: a field whose key
// looks secret (see SecretKey) or whose value is an importer.Secret (or a
// *importer.Secret) is logged as "[REDACTED]", both in fields given to
// Logger.With and in those of each entry. It cannot see a password that the
// caller has already turned into a plain string inside a message or an
// error's text: keep passwords as Secrets.
//
// Use it as zap.WrapCore(report.RedactCore); sampling and level checks of c
// still apply.
func RedactCore(c zapcore.Core) zapcore.Core {
	return redactCore{c}
}

type redactCore struct {
	zapcore.Core
}

func (c redactCore) With(fields []zapcore.Field) zapcore.Core {
	return redactCore{c.Core.With(redactFields(fields))}
}

func (c redactCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	// Ask c.Core (it may sample) whether it wants e, but have e written
	// through this core, so that Write redacts.
	if c.Core.Check(e, nil) == nil {
		return ce
	}
	return ce.AddCore(e, c)
}

func (c redactCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	return c.Core.Write(e, redactFields(fields))
}

// redactFields returns fields with the secret ones replaced, copying only
// when one is.
func redactFields(fields []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fields {
		if !secretField(f) {
			if out != nil {
				out = append(out, f)
			}
			continue
		}
		if out == nil {
			out = make([]zapcore.Field, i, len(fields))
			copy(out, fields[:i])
		}
		out = append(out, zap.String(f.Key, Redacted))
	}
	if out == nil {
		return fields
	}
	return out
}

func secretField(f zapcore.Field) bool {
	if f.Type == zapcore.NamespaceType || f.Type == zapcore.SkipType {
		return false
	}
	switch f.Interface.(type) {
	case importer.Secret, *importer.Secret, []importer.Secret:
		return true
	}
	return SecretKey(f.Key)
}

// SecretKey reports whether a log field named key probably holds a secret:
// its name contains "password", "passwd", "passphrase", "secret", "token",
// "credential" or "apikey", or one of its words (split at punctuation and
// camelCase) is "pass" or "pwd". Case is ignored. "passed" or "bypass" are
// not secret.
func SecretKey(key string) bool {
	lower := strings.ToLower(key)
	for _, s := range []string{"password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "api_key", "api-key"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	for _, w := range keyWords(key) {
		switch w {
		case "pass", "pwd", "pw":
			return true
		}
	}
	return false
}

// keyWords splits a field name into lower-case words at anything but a
// letter or digit, and where a lower-case letter meets an upper-case one.
func keyWords(key string) []string {
	var words []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			words = append(words, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range key {
		switch {
		case !unicode.IsLetter(r) && !unicode.IsDigit(r):
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return words
}
