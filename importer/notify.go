package importer

import (
	"context"
	"os"

	"go.uber.org/zap"

	"userimport/validate"
)

// MaxNotify is how many addresses a credentials notice is mailed to, at most
// (SPEC §5, --notify).
const MaxNotify = 5

// NotifyRecipients checks the addresses that the credentials notice is to be
// mailed to (--notify): at most MaxNotify, each a valid address, and none
// with noPasswords, which writes no notice. It returns them; a broken rule
// is EINVALID, naming the flag.
func NotifyRecipients(addrs []string, noPasswords bool) ([]string, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	if len(addrs) > MaxNotify {
		return nil, Errorf(EINVALID, "--notify takes up to %d addresses (got %d)", MaxNotify, len(addrs))
	}
	for _, a := range addrs {
		if err := validate.Email(a); err != nil {
			return nil, Errorf(EINVALID, "--notify %q: %v", a, err)
		}
	}
	if noPasswords {
		return nil, Errorf(EINVALID, "--notify sends the credentials notice, and --no-passwords writes none")
	}
	return addrs, nil
}

// Mailer mails a credentials notice (report.Mailer over SMTP).
type Mailer interface {
	SendNotice(ctx context.Context, to []string, subject string, notice []byte) error
}

// MailNotice mails the notice that rep names, if any, to the addresses in
// to. A failure to send is a warning in log, not an error: the notice stays
// in its file, which the warning names. It reports whether the notice was
// sent.
func MailNotice(ctx context.Context, m Mailer, log *zap.Logger, to []string, rep Report) bool {
	if rep.NoticePath == "" || len(to) == 0 {
		return false
	}
	body, err := os.ReadFile(rep.NoticePath)
	if err == nil {
		err = m.SendNotice(ctx, to, "New user accounts: "+rep.Summary.File, body)
	}
	if err != nil {
		log.Warn("the credentials notice was not emailed; it stays in its file", zap.String("notice", rep.NoticePath), zap.Error(err))
		return false
	}
	log.Info("credentials notice emailed", zap.Strings("to", to))
	return true
}
