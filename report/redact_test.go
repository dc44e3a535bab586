package report

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"userimport/importer"
)

func newTestLogger(buf *bytes.Buffer, opts ...zap.Option) *zap.Logger {
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	core := zapcore.NewCore(enc, zapcore.AddSync(buf), zapcore.DebugLevel)
	return zap.New(core, append([]zap.Option{zap.WrapCore(RedactCore)}, opts...)...)
}

func TestRedactCore(t *testing.T) {
	const (
		pw1 = "Plain-Password-1"
		pw2 = "Secret-Value-2"
		pw3 = "Token-Value-3"
		pw4 = "With-Field-4"
		pw5 = "Stringer-5"
	)
	var buf bytes.Buffer
	log := newTestLogger(&buf)
	secret := importer.Secret(pw2)
	log.With(zap.String("smtpPassword", pw4)).Info("user created",
		zap.String("password", pw1),
		zap.Any("initial", secret),
		zap.Reflect("ptr", &secret),
		zap.Stringer("stringer", importer.Secret(pw5)),
		zap.String("api_token", pw3),
		zap.String("upn", "alice@contoso.com"),
		zap.Int("row", 7),
		zap.String("bypass", "not secret"),
		zap.Bool("passed", true),
	)
	log.Named("sub").With(zap.Namespace("ns")).Warn("again", zap.String("pass", pw1), zap.Error(errors.New("plain error")))
	out := buf.String()
	for _, s := range []string{pw1, pw2, pw3, pw4, pw5} {
		if strings.Contains(out, s) {
			t.Errorf("log holds %q:\n%s", s, out)
		}
	}
	for _, s := range []string{`"password":"[REDACTED]"`, `"initial":"[REDACTED]"`, `"upn":"alice@contoso.com"`, `"row":7`, `"bypass":"not secret"`, `"passed":true`, `"error":"plain error"`} {
		if !strings.Contains(out, s) {
			t.Errorf("log lacks %s:\n%s", s, out)
		}
	}
}

func TestRedactCore_KeepsLevelAndSampling(t *testing.T) {
	var buf bytes.Buffer
	enc := zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig())
	core := zapcore.NewCore(enc, zapcore.AddSync(&buf), zapcore.InfoLevel)
	sampled := zapcore.NewSamplerWithOptions(core, time.Minute, 2, 0)
	log := zap.New(RedactCore(sampled))
	log.Debug("hidden")
	for range 5 {
		log.Info("same", zap.String("password", "x-secret-x"))
	}
	out := buf.String()
	if strings.Contains(out, "hidden") {
		t.Error("a debug entry passed an info core")
	}
	if n := strings.Count(out, "\n"); n != 2 {
		t.Errorf("%d entries written, want 2 (sampling kept):\n%s", n, out)
	}
	if strings.Contains(out, "x-secret-x") {
		t.Error("secret logged")
	}
}

func TestSecretKey(t *testing.T) {
	for key, want := range map[string]bool{
		"password": true, "Password": true, "newPassword": true, "smtp_password": true,
		"passwd": true, "pass": true, "smtpPass": true, "SMTP_PASS": true, "pwd": true, "db.pwd": true,
		"secret": true, "clientSecret": true, "token": true, "accessToken": true, "credentials": true,
		"apiKey": true, "api_key": true, "passphrase": true,
		"upn": false, "row": false, "passed": false, "bypass": false, "compass": false,
		"user": false, "passes": false, "": false,
	} {
		if got := SecretKey(key); got != want {
			t.Errorf("SecretKey(%q) = %v, want %v", key, got, want)
		}
	}
}
