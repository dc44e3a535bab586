package importer

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.uber.org/zap"

	"userimport/validate"
)

// planRights returns what the admin who holds roles may not do of a staged
// plan: the actions the row needs that the role matrix (SPEC §2) denies,
// and the changes of an admin that the rules about admins as targets deny
// (targetRule, as the planner applies them). target is the
// directory's user an update changes (nil for a new user). The planner
// checks these rules as it plans; planRights checks them again for rows
// planned under another admin's rights (a resumed batch).
func planRights(roles []string, p *Planned, target *User) []validate.Problem {
	var out []validate.Problem
	deny := func(col Column, value string, a validate.Action) {
		if !validate.Allowed(roles, a) {
			out = append(out, validate.Problem{Column: col.String(), Value: value,
				Rule: "your role (" + roleList(roles) + ") may not " + a.String()})
		}
	}
	skus := func(ls []PlannedLicense) string {
		names := make([]string, len(ls))
		for i, l := range ls {
			names[i] = l.SKU
		}
		return strings.Join(names, ";")
	}
	roleNames := func() string {
		names := make([]string, len(p.Roles))
		for i, r := range p.Roles {
			names[i] = string(r)
		}
		return strings.Join(names, ";")
	}
	switch p.Action {
	case ActionCreate:
		deny(ColUserName, p.User.UserPrincipalName, validate.CreateUser)
		if p.PasswordFromFile {
			deny(ColPassword, "", validate.SetPassword)
		}
	case ActionUpdate:
		for _, c := range p.ChangedColumns() {
			if target == nil {
				break
			}
			// The rules about admins as targets, as the planner applies them.
			if rule := targetRule(roles, target, c); rule != "" {
				out = append(out, validate.Problem{Column: c.String(), Rule: rule})
			}
		}
		for _, c := range p.ChangedColumns() {
			switch c {
			case ColLicenses, ColDisabledApps, ColRoles:
				// below, from what the plan gives
			case ColUsageLocation:
				deny(ColUsageLocation, p.User.UsageLocation, validate.SetUsageLocation)
			default:
				deny(c, "", validate.UpdateUser)
			}
		}
		if len(p.Disable) > 0 {
			deny(ColDisabledApps, "", validate.SetDisabledApps)
		}
	}
	if len(p.Licenses) > 0 {
		deny(ColLicenses, skus(p.Licenses), validate.AssignLicense)
		if slices.ContainsFunc(p.Licenses, func(l PlannedLicense) bool { return len(l.DisabledPlans) > 0 }) {
			deny(ColDisabledApps, "", validate.SetDisabledApps)
		}
	}
	if len(p.Roles) > 0 {
		deny(ColRoles, roleNames(), validate.GiveRole)
	}
	return out
}

func roleList(roles []string) string {
	if len(roles) == 0 {
		return "no admin"
	}
	return strings.Join(roles, ", ")
}

// recheck applies the resuming admin's rights to the rows another run
// staged: a row this admin may not do fails as it would in a new batch
// (its reserved seats given back), and counts as done.
func (r *run) recheck(ctx context.Context, b *Batch, staged map[int]*Planned, done map[int]bool) error {
	if len(staged) == 0 {
		return nil
	}
	roles := r.o.Actor.RoleNames()
	var keys []string
	for _, p := range staged {
		if p.Action == ActionUpdate {
			keys = append(keys, strings.ToLower(p.User.UserPrincipalName))
		}
	}
	targets, err := r.lookupUsers(ctx, keys)
	if err != nil {
		return err
	}
	fails := map[int]string{}
	for row, p := range staged {
		if ps := planRights(roles, p, targets[strings.ToLower(p.User.UserPrincipalName)]); len(ps) > 0 {
			fails[row] = validate.Message(ps)
		}
	}
	if len(fails) == 0 {
		return nil
	}
	if err := r.dir.FailStaged(ctx, b.ID, fails); err != nil {
		return err
	}
	for row := range fails {
		delete(staged, row)
		done[row] = true
	}
	r.o.Log.Warn("rows of the resumed batch that your role does not allow failed",
		zap.String("startedBy", b.ActingAdmin), zap.String("resumedBy", r.o.Actor.UserPrincipalName), zap.Int("rows", len(fails)))
	return nil
}

// lookupUsers looks the users of the lower-cased user names keys up in
// bulk, a chunk at a time, by key.
func (r *run) lookupUsers(ctx context.Context, keys []string) (map[string]*User, error) {
	users := map[string]*User{}
	for len(keys) > 0 {
		n := min(len(keys), r.o.ChunkSize)
		us, _, err := r.dir.Lookup(ctx, keys[:n], nil)
		if err != nil {
			return nil, err
		}
		for k, u := range us {
			users[k] = u
		}
		keys = keys[n:]
	}
	return users, nil
}

// WriteRights says why actor, as the directory holds the acting admin in
// the transaction that writes plan p, may not do it ("" when it may):
// roles are checked at the moment of writing, not only when the row was
// planned, so an admin whose role was taken away mid-batch (or who was
// deleted) writes nothing more. target is the directory's user an update
// changes, with its roles (nil for a new user).
func WriteRights(actor User, p *Planned, target *User) string {
	if actor.Deleted || actor.ID == "" {
		return fmt.Sprintf("the acting admin %s was deleted meanwhile: nothing more is written in their name", actor.UserPrincipalName)
	}
	if ps := planRights(actor.RoleNames(), p, target); len(ps) > 0 {
		return validate.Message(ps)
	}
	return ""
}
