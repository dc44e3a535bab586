package report

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gomailsmtp "github.com/wneessen/go-mail/smtp"

	"userimport/importer"
)

// MaxRecipients is how many addresses SendNotice mails a notice to, at most.
const MaxRecipients = 5

// Default ports: message submission with STARTTLS (RFC 6409), and
// submission over implicit TLS (RFC 8314).
const (
	defaultSMTPPort  = 587
	defaultSMTPSPort = 465
)

const defaultSMTPTimeout = 30 * time.Second

// SMTPConfig says how to reach the mail server. Its Password is a Secret,
// so printing or logging a SMTPConfig does not show it.
type SMTPConfig struct {
	Host        string
	Port        int
	Username    string          // empty: no SMTP AUTH
	Password    importer.Secret //
	ImplicitTLS bool            // smtps://: TLS from the first byte, instead of STARTTLS
	From        string          // the from= parameter; empty: see SendNotice

	// TLSConfig, when not nil, is used for STARTTLS and implicit TLS, for
	// example to trust a private CA. It is not set by ParseSMTPURL. When
	// nil, the system's roots verify the server's certificate for Host.
	TLSConfig *tls.Config
	// Timeout bounds connecting and each SMTP command; 0 means 30 seconds.
	Timeout time.Duration
}

// ParseSMTPURL parses USERIMPORT_SMTP_URL:
//
//	smtp://[user[:password]@]host[:port][?from=address]
//	smtps://[user[:password]@]host[:port][?from=address]
//
// smtp:// connects to port 587 unless told, and upgrades to TLS with
// STARTTLS when the server offers it (plain text otherwise; a password is
// then sent only to a server on the local machine). smtps:// connects to
// port 465 unless told, over TLS from the start. User and password are
// percent-encoded, as in any URL. from= sets the sender's address.
//
// Error messages never contain the password.
func ParseSMTPURL(s string) (SMTPConfig, error) {
	const form = "smtp://[user[:password]@]host[:port][?from=address], with special characters of the user and password percent-encoded"
	if strings.TrimSpace(s) == "" {
		return SMTPConfig{}, fmt.Errorf("SMTP URL: none given; want %s", form)
	}
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		// url.Error quotes the URL, and its inner error may quote part of
		// it (a "/" in an unencoded password ends the host early): say
		// nothing of the input.
		return SMTPConfig{}, fmt.Errorf("SMTP URL: not a valid URL; want %s", form)
	}
	var c SMTPConfig
	switch u.Scheme {
	case "smtp":
		c.Port = defaultSMTPPort
	case "smtps":
		c.Port, c.ImplicitTLS = defaultSMTPSPort, true
	case "":
		return SMTPConfig{}, fmt.Errorf("SMTP URL: no scheme; want %s", form)
	default:
		return SMTPConfig{}, fmt.Errorf("SMTP URL: scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" {
		return SMTPConfig{}, fmt.Errorf("SMTP URL: no host; want %s", form)
	}
	if c.Host = u.Hostname(); c.Host == "" {
		return SMTPConfig{}, fmt.Errorf("SMTP URL: no host; want %s", form)
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("SMTP URL: port %q is not a number from 1 to 65535", p)
		}
		c.Port = n
	}
	if u.Path != "" && u.Path != "/" {
		return SMTPConfig{}, fmt.Errorf("SMTP URL: unexpected path %q; want %s", u.Path, form)
	}
	if u.User != nil {
		c.Username = u.User.Username()
		pw, _ := u.User.Password()
		c.Password = importer.Secret(pw)
		if c.Username == "" && pw != "" {
			return SMTPConfig{}, errors.New("SMTP URL: a password without a user name")
		}
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return SMTPConfig{}, errors.New("SMTP URL: the query (after \"?\") is malformed")
	}
	for k, v := range q {
		switch k {
		case "from":
			a, err := netmail.ParseAddress(v[len(v)-1])
			if err != nil {
				return SMTPConfig{}, fmt.Errorf("SMTP URL: from=%q is not an email address", v[len(v)-1])
			}
			c.From = a.Address
		default:
			return SMTPConfig{}, fmt.Errorf("SMTP URL: unknown parameter %q (only from= is understood)", k)
		}
	}
	return c, nil
}

// String describes c without its password, for logs and messages.
func (c SMTPConfig) String() string {
	u := url.URL{Scheme: "smtp", Host: c.Host + ":" + strconv.Itoa(c.Port)}
	if c.ImplicitTLS {
		u.Scheme = "smtps"
	}
	if c.Username != "" {
		u.User = url.User(c.Username)
	}
	if c.From != "" {
		u.RawQuery = url.Values{"from": {c.From}}.Encode()
	}
	return u.String()
}

// Mailer mails credentials notices through the server of Config: the
// importer.Mailer that `import --notify` hands to importer.MailNotice.
type Mailer struct{ Config SMTPConfig }

// SendNotice is SendNotice with m's server.
func (m Mailer) SendNotice(ctx context.Context, to []string, subject string, notice []byte) error {
	return SendNotice(ctx, m.Config, to, subject, notice)
}

// SendNotice mails the credentials notice, as the body of a plain-text
// message, to the addresses in to (1 to MaxRecipients, all in one message).
//
// The sender is cfg.From (the URL's from= parameter) when set; otherwise
// userimport@<host of the notice's sign-in URL>, or userimport@localhost
// when the notice has none.
//
// The error says which step failed; it never contains the password of
// cfg.
func SendNotice(ctx context.Context, cfg SMTPConfig, to []string, subject string, notice []byte) error {
	if len(to) == 0 {
		return errors.New("mail credentials notice: no recipient")
	}
	if len(to) > MaxRecipients {
		return fmt.Errorf("mail credentials notice: %d recipients, at most %d are allowed", len(to), MaxRecipients)
	}
	rcpts := make([]string, len(to))
	for i, addr := range to {
		a, err := netmail.ParseAddress(strings.TrimSpace(addr))
		if err != nil {
			return fmt.Errorf("mail credentials notice: %q is not an email address", addr)
		}
		rcpts[i] = a.Address
	}
	from := cfg.From
	if from == "" {
		from = "userimport@" + senderDomain(notice)
	}

	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return fmt.Errorf("mail credentials notice: sender %q: %w", from, err)
	}
	if err := msg.To(rcpts...); err != nil {
		return fmt.Errorf("mail credentials notice: recipients: %w", err)
	}
	msg.Subject(subject)
	msg.SetBodyString(gomail.TypeTextPlain, string(notice))

	client, err := gomail.NewClient(cfg.Host, clientOptions(cfg)...)
	if err != nil {
		return redactError(fmt.Errorf("mail credentials notice via %s: %w", cfg, err), cfg.Password)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		if errors.Is(err, gomailsmtp.ErrUnencrypted) {
			err = fmt.Errorf("%w (the server offers no STARTTLS, and the password is never sent in clear to another machine; use smtps:// if it takes implicit TLS)", err)
		}
		return redactError(fmt.Errorf("mail credentials notice via %s: %w", cfg, err), cfg.Password)
	}
	return nil
}

func clientOptions(cfg SMTPConfig) []gomail.Option {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = defaultSMTPTimeout
	}
	tlsConfig := &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsConfig = cfg.TLSConfig.Clone()
		if tlsConfig.ServerName == "" {
			tlsConfig.ServerName = cfg.Host
		}
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(tlsConfig),
	}
	if cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		// STARTTLS when offered; a certificate that does not verify is
		// still an error, not a reason to go on in plain text.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if cfg.Username != "" {
		// PLAIN and LOGIN (the only ones many servers offer) refuse to
		// send the password over an unencrypted connection, except to
		// localhost; when none of these is offered, go-mail picks the
		// strongest mechanism that is.
		opts = append(opts,
			gomail.WithUsername(cfg.Username),
			gomail.WithPassword(cfg.Password.Reveal()),
			gomail.WithOpportunisticSMTPAuth(
				gomail.SMTPAuthSCRAMSHA256, gomail.SMTPAuthSCRAMSHA1,
				gomail.SMTPAuthPlain, gomail.SMTPAuthLogin,
			),
		)
	}
	return opts
}

// senderDomain is the host of the notice's sign-in URL, or localhost.
func senderDomain(notice []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(notice))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break // the header is over
		}
		var h NoticeHeader
		_ = parseHeaderLine(&h, line[1:])
		if h.SignInURL == "" {
			continue
		}
		if u, err := url.Parse(h.SignInURL); err == nil && u.Hostname() != "" {
			return u.Hostname()
		}
	}
	return "localhost"
}

// redactError hides password in err's message, should a server or library
// ever echo it; errors.Is and errors.As still see err.
func redactError(err error, password importer.Secret) error {
	pw := password.Reveal()
	if pw == "" || !strings.Contains(err.Error(), pw) {
		return err
	}
	return &redactedError{msg: strings.ReplaceAll(err.Error(), pw, "[REDACTED]"), err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }
