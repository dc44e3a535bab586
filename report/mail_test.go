package report

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// testMessage is a message the test SMTP server accepted.
type testMessage struct {
	From string
	To   []string
	Data []byte
	User string // who authenticated, if anyone
	TLS  bool   // whether the session was encrypted
}

// testSMTP is a real SMTP server on the loopback interface that records
// what it accepts.
type testSMTP struct {
	Addr *net.TCPAddr
	// With User set, the server offers AUTH PLAIN and requires it.
	User, Password string

	mu   sync.Mutex
	msgs []testMessage
}

type smtpOptions struct {
	user, password string
	starttls       *tls.Config // offer STARTTLS
	implicitTLS    *tls.Config // TLS from the first byte
	listen         string      // default 127.0.0.1:0
}

func startSMTP(t *testing.T, o smtpOptions) *testSMTP {
	t.Helper()
	ts := &testSMTP{User: o.user, Password: o.password}
	s := smtp.NewServer(ts)
	s.Domain = "localhost"
	s.AllowInsecureAuth = true // so that the client's own refusal is what we test
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.TLSConfig = o.starttls
	addr := o.listen
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	ts.Addr = l.Addr().(*net.TCPAddr)
	if o.implicitTLS != nil {
		l = tls.NewListener(l, o.implicitTLS)
	}
	go func() { _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close() })
	return ts
}

func (ts *testSMTP) messages() []testMessage {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return slices.Clone(ts.msgs)
}

func (ts *testSMTP) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	s := &testSession{srv: ts, msg: testMessage{TLS: isTLS}}
	if ts.User != "" {
		return &testAuthSession{s}, nil
	}
	return s, nil
}

type testSession struct {
	srv *testSMTP
	msg testMessage
}

func (s *testSession) Reset()        { s.msg = testMessage{TLS: s.msg.TLS, User: s.msg.User} }
func (s *testSession) Logout() error { return nil }

func (s *testSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.srv.User != "" && s.msg.User == "" {
		return smtp.ErrAuthRequired
	}
	s.msg.From = from
	return nil
}

func (s *testSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.msg.To = append(s.msg.To, to)
	return nil
}

func (s *testSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.msg.Data = data
	s.srv.mu.Lock()
	s.srv.msgs = append(s.srv.msgs, s.msg)
	s.srv.mu.Unlock()
	return nil
}

type testAuthSession struct{ *testSession }

func (s *testAuthSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *testAuthSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != s.srv.User || pass != s.srv.Password {
			return smtp.ErrAuthFailed
		}
		s.msg.User = user
		return nil
	}), nil
}

// selfSigned makes a certificate for 127.0.0.1 and localhost, and a client
// config that trusts it.
func selfSigned(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "userimport test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv4(127, 0, 0, 2)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	client = &tls.Config{RootCAs: pool}
	return server, client
}

func sampleNotice(t *testing.T) []byte {
	t.Helper()
	n, err := CreateNotice(t.TempDir(), "mail", sampleHeader())
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Add("alice@contoso.com", "Tr0ub4dor&3xyzAB"); err != nil {
		t.Fatal(err)
	}
	if err := n.Add("bob@contoso.com", "=Qq9!long-enough"); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(n.Path())
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestSendNotice(t *testing.T) {
	serverTLS, clientTLS := selfSigned(t)
	for _, tt := range []struct {
		name        string
		opts        smtpOptions
		url         string // %s is the server's address
		wantTLS     bool
		wantUser    string
		implicitTLS bool
	}{
		{name: "Plain", url: "smtp://%s"},
		{name: "Auth", opts: smtpOptions{user: "mailer", password: "p@ss:w/rd%"},
			url: "smtp://mailer:p%40ss%3Aw%2Frd%25@%s", wantUser: "mailer"},
		{name: "STARTTLS", opts: smtpOptions{starttls: serverTLS}, url: "smtp://%s", wantTLS: true},
		{name: "STARTTLSAuth", opts: smtpOptions{user: "mailer", password: "S3cret!", starttls: serverTLS},
			url: "smtp://mailer:S3cret%21@%s", wantTLS: true, wantUser: "mailer"},
		{name: "ImplicitTLS", opts: smtpOptions{user: "mailer", password: "S3cret!", implicitTLS: serverTLS},
			url: "smtps://mailer:S3cret%21@%s", wantTLS: true, wantUser: "mailer"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, tt.opts)
			cfg, err := ParseSMTPURL(strings.Replace(tt.url, "%s", srv.Addr.String(), 1))
			if err != nil {
				t.Fatal(err)
			}
			cfg.TLSConfig = clientTLS
			notice := sampleNotice(t)
			to := []string{"it@contoso.com", "Helpdesk <helpdesk@contoso.com>"}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := SendNotice(ctx, cfg, to, "Credentials for new-hires.xlsx", notice); err != nil {
				t.Fatal(err)
			}
			msgs := srv.messages()
			if len(msgs) != 1 {
				t.Fatalf("server got %d messages, want 1", len(msgs))
			}
			m := msgs[0]
			if want := []string{"it@contoso.com", "helpdesk@contoso.com"}; !slices.Equal(m.To, want) {
				t.Errorf("recipients %q, want %q", m.To, want)
			}
			if m.From != "userimport@login.contoso.com" {
				t.Errorf("envelope sender %q, want userimport@<host of the sign-in URL>", m.From)
			}
			if m.TLS != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", m.TLS, tt.wantTLS)
			}
			if m.User != tt.wantUser {
				t.Errorf("authenticated as %q, want %q", m.User, tt.wantUser)
			}
			body := messageBody(t, m.Data)
			for _, line := range strings.SplitAfter(string(notice), "\n") {
				if line != "" && !strings.Contains(body, line) {
					t.Errorf("body lacks %q:\n%s", line, body)
				}
			}
		})
	}
}

// messageBody parses a message and returns its decoded text, checking its
// headers on the way.
func messageBody(t *testing.T, data []byte) string {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Subject"); got != "Credentials for new-hires.xlsx" {
		t.Errorf("Subject %q", got)
	}
	if got := msg.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/plain") {
		t.Errorf("Content-Type %q", got)
	}
	var r io.Reader = msg.Body
	if strings.EqualFold(msg.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
		r = quotedprintable.NewReader(r)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(body), "\r\n", "\n")
}

func TestSendNotice_FromParameter(t *testing.T) {
	srv := startSMTP(t, smtpOptions{})
	cfg, err := ParseSMTPURL("smtp://" + srv.Addr.String() + "?from=it-ops%40contoso.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := SendNotice(context.Background(), cfg, []string{"it@contoso.com"}, "s", []byte("no header\n")); err != nil {
		t.Fatal(err)
	}
	if got := srv.messages()[0].From; got != "it-ops@contoso.com" {
		t.Errorf("sender %q, want it-ops@contoso.com", got)
	}

	cfg.From = ""
	if err := SendNotice(context.Background(), cfg, []string{"it@contoso.com"}, "s", []byte("no header\n")); err != nil {
		t.Fatal(err)
	}
	if got := srv.messages()[1].From; got != "userimport@localhost" {
		t.Errorf("sender %q, want userimport@localhost", got)
	}
}

func TestSendNotice_Recipients(t *testing.T) {
	srv := startSMTP(t, smtpOptions{})
	cfg, err := ParseSMTPURL("smtp://" + srv.Addr.String())
	if err != nil {
		t.Fatal(err)
	}
	five := []string{"a@x.com", "b@x.com", "c@x.com", "d@x.com", "e@x.com"}
	if err := SendNotice(context.Background(), cfg, five, "s", sampleNotice(t)); err != nil {
		t.Errorf("5 recipients: %v", err)
	}
	if err := SendNotice(context.Background(), cfg, append(five, "f@x.com"), "s", sampleNotice(t)); err == nil {
		t.Error("6 recipients were accepted")
	}
	if err := SendNotice(context.Background(), cfg, nil, "s", sampleNotice(t)); err == nil {
		t.Error("no recipient was accepted")
	}
	if err := SendNotice(context.Background(), cfg, []string{"not an address"}, "s", sampleNotice(t)); err == nil {
		t.Error("a bad address was accepted")
	}
	if n := len(srv.messages()); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

func TestSendNotice_Failures(t *testing.T) {
	const password = "Hunter2-very-secret"
	notice := []byte("# Sign-in URL: https://login.contoso.com/\n")

	t.Run("ServerDown", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		cfg, err := ParseSMTPURL("smtp://mailer:" + password + "@" + addr)
		if err != nil {
			t.Fatal(err)
		}
		err = SendNotice(context.Background(), cfg, []string{"it@contoso.com"}, "s", notice)
		if err == nil {
			t.Fatal("sending to a closed port succeeded")
		}
		assertNoSecret(t, err.Error(), password)
		if !strings.Contains(err.Error(), addr) {
			t.Errorf("error does not say which server: %v", err)
		}
	})

	t.Run("WrongPassword", func(t *testing.T) {
		srv := startSMTP(t, smtpOptions{user: "mailer", password: "right"})
		cfg, err := ParseSMTPURL("smtp://mailer:" + password + "@" + srv.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		err = SendNotice(context.Background(), cfg, []string{"it@contoso.com"}, "s", notice)
		if err == nil {
			t.Fatal("a wrong password was accepted")
		}
		assertNoSecret(t, err.Error(), password)
	})

	// Over plain text, the password goes only to this machine: 127.0.0.2
	// is a loopback address that go-mail does not count as localhost, so
	// it stands for a remote server without STARTTLS.
	t.Run("NoPasswordInClear", func(t *testing.T) {
		srv := startSMTP(t, smtpOptions{user: "mailer", password: password, listen: "127.0.0.2:0"})
		cfg, err := ParseSMTPURL("smtp://mailer:" + password + "@" + srv.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		err = SendNotice(context.Background(), cfg, []string{"it@contoso.com"}, "s", notice)
		if err == nil {
			t.Fatal("the password was sent over an unencrypted connection")
		}
		assertNoSecret(t, err.Error(), password)
		if !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("error does not explain: %v", err)
		}
		if len(srv.messages()) != 0 {
			t.Error("the server got a message")
		}
	})

	t.Run("UntrustedCertificate", func(t *testing.T) {
		serverTLS, _ := selfSigned(t)
		srv := startSMTP(t, smtpOptions{starttls: serverTLS})
		cfg, err := ParseSMTPURL("smtp://" + srv.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		if err := SendNotice(context.Background(), cfg, []string{"it@contoso.com"}, "s", notice); err == nil {
			t.Fatal("an untrusted certificate was accepted")
		}
		if len(srv.messages()) != 0 {
			t.Error("the server got a message")
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		srv := startSMTP(t, smtpOptions{})
		cfg, err := ParseSMTPURL("smtp://" + srv.Addr.String())
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err = SendNotice(ctx, cfg, []string{"it@contoso.com"}, "s", notice)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}

func TestParseSMTPURL(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want SMTPConfig
	}{
		{"smtp://mail.contoso.com", SMTPConfig{Host: "mail.contoso.com", Port: 587}},
		{"smtp://mail.contoso.com:25", SMTPConfig{Host: "mail.contoso.com", Port: 25}},
		{"SMTP://mail.contoso.com/", SMTPConfig{Host: "mail.contoso.com", Port: 587}},
		{"smtps://mail.contoso.com", SMTPConfig{Host: "mail.contoso.com", Port: 465, ImplicitTLS: true}},
		{"smtp://user@mail.contoso.com", SMTPConfig{Host: "mail.contoso.com", Port: 587, Username: "user"}},
		{"smtp://user%40contoso.com:p%40ss%2Fw%3Ard@[::1]:2525", SMTPConfig{Host: "::1", Port: 2525, Username: "user@contoso.com", Password: "p@ss/w:rd"}},
		{" smtp://h?from=Ops+%3Cops%40contoso.com%3E ", SMTPConfig{Host: "h", Port: 587, From: "ops@contoso.com"}},
	} {
		got, err := ParseSMTPURL(tt.in)
		if err != nil {
			t.Errorf("ParseSMTPURL(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseSMTPURL(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseSMTPURL_Errors(t *testing.T) {
	const pw = "Sup3rS3cret"
	for _, in := range []string{
		"",
		"mail.contoso.com",
		"http://u:" + pw + "@mail.contoso.com",
		"smtp://u:" + pw + "@",
		"smtp://u:" + pw + "@h:0",
		"smtp://u:" + pw + "@h:99999",
		"smtp://u:" + pw + "@h:abc",
		"smtp://u:" + pw + "/x@h",   // an unencoded "/" ends the host early
		"smtp://u:" + pw + "#x@h",   // and "#" starts a fragment
		"smtp://u:" + pw + "%zz@h",  // bad escape
		"smtp://u:" + pw + "@h/db",  // a path
		"smtp://u:" + pw + "@h?x=1", // unknown parameter
		"smtp://u:" + pw + "@h?from=nobody",
		"smtp://:" + pw + "@h",
		"smtp:" + pw,
	} {
		_, err := ParseSMTPURL(in)
		if err == nil {
			t.Errorf("ParseSMTPURL(%q) succeeded", in)
			continue
		}
		assertNoSecret(t, err.Error(), pw)
		assertNoSecret(t, err.Error(), pw[:6])
	}
}

func TestSMTPConfig_String(t *testing.T) {
	cfg, err := ParseSMTPURL("smtp://mailer:Sup3rS3cret@mail.contoso.com?from=a%40b.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{cfg.String(), fmt.Sprintf("%v %+v %#v", cfg, cfg, cfg)} {
		assertNoSecret(t, s, "Sup3rS3cret")
	}
	if got := cfg.String(); got != "smtp://mailer@mail.contoso.com:587?from=a%40b.com" {
		t.Errorf("String() = %q", got)
	}
}

func assertNoSecret(t *testing.T, s, secret string) {
	t.Helper()
	if strings.Contains(s, secret) {
		t.Errorf("%q holds the secret", s)
	}
}
