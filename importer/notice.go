package importer

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"userimport/validate"

	"go.uber.org/zap"
)

// addToNotice writes one user's password to the credentials notice,
// creating the notice (and recording its path in the batch) first if needed.
func (r *run) addToNotice(ctx context.Context, upn string, pw Secret) error {
	r.noticeMu.Lock()
	defer r.noticeMu.Unlock()
	if r.notice == nil {
		n, err := r.o.Outputs.CreateNotice(r.o.OutDir, r.base, NoticeHeader{
			Organization: r.settings.Name, BatchID: r.batchID, Time: r.o.Now(), SignInURL: r.settings.SignInURL,
			MustChange: r.o.RequirePasswordChange,
		})
		if err != nil {
			return fmt.Errorf("create the credentials notice: %w", err)
		}
		path, err := filepath.Abs(n.Path())
		if err != nil {
			path = n.Path()
		}
		if err := r.dir.SetNoticePath(ctx, r.batchID, path); err != nil {
			n.Close()
			return err
		}
		r.notice = n
		r.rep.NoticePath = n.Path()
	}
	if err := r.notice.Add(upn, pw); err != nil {
		return fmt.Errorf("write the credentials notice: %w", err)
	}
	return nil
}

// reconcileNotice, on resume, gives a new password to every user the batch
// created whose password did not reach the notice (the process died
// between the two), so that no user is left with a password nobody knows.
func (r *run) reconcileNotice(ctx context.Context) error {
	have := map[string]bool{}
	if r.rep.NoticePath != "" {
		n, upns, err := r.o.Outputs.OpenNotice(r.rep.NoticePath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// Moved or deleted: a new notice takes the passwords still to give.
			r.o.Log.Warn("the batch's credentials notice is gone; a new one is written for the users still to get a password",
				zap.String("notice", r.rep.NoticePath))
			r.rep.NoticePath = ""
		case err != nil:
			return fmt.Errorf("reopen the credentials notice: %w", err)
		default:
			r.notice, have = n, upns
		}
	}
	type lost struct {
		upn        string
		mustChange bool
	}
	var missing []lost
	err := r.dir.Unnoticed(ctx, r.batchID, func(upn string, mustChange bool) error {
		if !have[strings.ToLower(upn)] {
			missing = append(missing, lost{upn, mustChange})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range missing {
		alias, _, _ := strings.Cut(m.upn, "@")
		pw, err := validate.GeneratePasswordFor(alias)
		if err != nil {
			return err
		}
		h, err := r.o.Hash(pw)
		if err != nil {
			return err
		}
		if err := r.dir.SetPassword(ctx, r.o.Actor.UserPrincipalName, m.upn, h, m.mustChange); err != nil {
			return err
		}
		if err := r.addToNotice(ctx, m.upn, Secret(pw)); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		r.o.Log.Warn("new passwords set for users whose password had not reached the notice before the crash",
			zap.Int("users", len(missing)))
	}
	return nil
}
