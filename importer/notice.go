package importer

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"userimport/validate"

	"go.uber.org/zap"
)

// noticeLine is one user's line of the credentials notice.
type noticeLine struct {
	row        int
	upn        string
	password   Secret
	mustChange bool
}

// addToNotice writes users' passwords to the credentials notice, creating
// the notice (and recording its name in the batch) first if needed. Only
// once the lines are on disk are their rows marked as noticed: a row whose
// line was lost (a full disk, a crash) gets a new password on resume.
func (r *run) addToNotice(ctx context.Context, lines []noticeLine) error {
	if len(lines) == 0 {
		return nil
	}
	r.noticeMu.Lock()
	defer r.noticeMu.Unlock()
	if r.notice == nil {
		n, err := r.o.Outputs.CreateNotice(r.o.OutDir, r.base, r.noticeHeader())
		if err != nil {
			return fmt.Errorf("create the credentials notice: %w", err)
		}
		if err := r.dir.SetOutputNames(context.WithoutCancel(ctx), r.batchID, "", filepath.Base(n.Path())); err != nil {
			n.Close()
			return err
		}
		r.notice = n
		r.rep.NoticePath = n.Path()
	}
	rows := make([]int, len(lines))
	for i, l := range lines {
		if err := r.notice.AddUser(l.upn, l.password, l.mustChange); err != nil {
			return fmt.Errorf("write the credentials notice: %w", err)
		}
		rows[i] = l.row
	}
	if err := r.notice.Sync(); err != nil {
		return fmt.Errorf("write the credentials notice: %w", err)
	}
	for _, l := range lines {
		r.inNotice[strings.ToLower(l.upn)] = true
	}
	// The lines are on disk: saying so must not be cut short by an
	// interrupt, or the next run would write them again.
	return r.dir.MarkNoticed(context.WithoutCancel(ctx), r.batchID, rows)
}

// reconcileNotice, on resume, gives a new password to every user the batch
// created whose password did not reach the notice (the process died
// between the two), so that no user is left with a password nobody knows.
func (r *run) reconcileNotice(ctx context.Context) error {
	have := map[string]bool{}
	if r.rep.NoticePath != "" {
		n, upns, refused, err := r.o.Outputs.ReopenNotice(r.rep.NoticePath, r.o.OutDir, r.base, r.noticeHeader())
		if err != nil {
			return fmt.Errorf("reopen the credentials notice: %w", err)
		}
		if refused != nil {
			// Moved, deleted, or not safe to write to (a symlink, another
			// user's, readable by others): a new notice takes the
			// passwords still to give.
			r.o.Log.Warn("the batch's credentials notice cannot be used; a new one is written for the users still to get a password",
				zap.String("notice", r.rep.NoticePath), zap.String("why", refused.Error()))
			if err := r.dir.SetOutputNames(ctx, r.batchID, "", filepath.Base(n.Path())); err != nil {
				n.Close()
				return err
			}
		}
		r.notice, have, r.rep.NoticePath = n, upns, n.Path()
		for upn := range have {
			r.inNotice[upn] = true
		}
	}
	var missing, there []noticeLine
	err := r.dir.Unnoticed(ctx, r.batchID, func(row int, upn string, mustChange bool) error {
		l := noticeLine{row: row, upn: upn, mustChange: mustChange}
		if have[strings.ToLower(upn)] {
			there = append(there, l) // on disk, but the run died before saying so
		} else {
			missing = append(missing, l)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(there) > 0 {
		rows := make([]int, len(there))
		for i, l := range there {
			rows[i] = l.row
		}
		if err := r.dir.MarkNoticed(ctx, r.batchID, rows); err != nil {
			return err
		}
	}
	missing, denied, err := r.mayKnow(ctx, missing)
	if err != nil {
		return err
	}
	if len(denied) > 0 {
		names := make([]string, len(denied))
		for i, l := range denied {
			names[i] = l.upn
		}
		r.o.Log.Warn("users the interrupted run created have no password in the notice, and your role may not set theirs: a Global admin (or, for users who are no Global admin, a User admin) must run `userimport user set-password` for each",
			zap.Strings("users", names))
	}
	for _, m := range missing {
		alias, _, _ := strings.Cut(m.upn, "@")
		pw, err := validate.GeneratePasswordFor(alias)
		if err != nil {
			return err
		}
		h, err := r.o.Hasher.Hash(ctx, pw)
		if err != nil {
			return err
		}
		if err := r.dir.SetPassword(ctx, r.o.Actor.UserPrincipalName, m.upn, h, m.mustChange); err != nil {
			return err
		}
		m.password = Secret(pw)
		if err := r.addToNotice(ctx, []noticeLine{m}); err != nil {
			return err
		}
	}
	if len(missing) > 0 {
		r.o.Log.Warn("new passwords set for users whose password had not reached the notice before the crash",
			zap.Int("users", len(missing)))
	}
	return nil
}

// mayKnow splits users' notice lines into those whose passwords the acting
// admin may know (SPEC §2: set passwords, and only a Global admin sets a
// Global admin's) and the others.
func (r *run) mayKnow(ctx context.Context, lines []noticeLine) (may, denied []noticeLine, err error) {
	roles := r.o.Actor.RoleNames()
	if len(lines) == 0 || r.o.Actor.HasRole(GlobalAdmin) {
		return lines, nil, nil
	}
	keys := make([]string, len(lines))
	for i, l := range lines {
		keys[i] = strings.ToLower(l.upn)
	}
	users, err := r.lookupUsers(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	for _, l := range lines {
		var target []string
		if u := users[strings.ToLower(l.upn)]; u != nil {
			target = u.RoleNames()
		}
		if validate.ActOn(roles, target, validate.SetPassword) != "" {
			denied = append(denied, l)
			continue
		}
		may = append(may, l)
	}
	return may, denied, nil
}

func (r *run) noticeHeader() NoticeHeader {
	return NoticeHeader{Organization: r.settings.Name, BatchID: r.batchID, Time: r.o.Now(),
		SignInURL: r.settings.SignInURL, MustChange: r.o.RequirePasswordChange}
}
