package importer

import (
	"context"
	"strings"

	"userimport/validate"
)

// UserPageSize is how many users a page of FindUsers holds at most.
const UserPageSize = 50

// AdminPagesStore is what the admin pages' operations need of the
// directory besides the stores of the command line's operations.
type AdminPagesStore interface {
	// SearchUsers returns up to limit users, deleted ones too, in user
	// name order after the lower-cased user name after, whose user name,
	// display name (case ignored) or employee ID starts with q ("": every
	// user). Roles and licenses are not loaded.
	SearchUsers(ctx context.Context, q, after string, limit int) ([]User, error)
	Domains(ctx context.Context) ([]Domain, error)
	AddDomain(ctx context.Context, actor string, d Domain) error
	VerifyDomain(ctx context.Context, actor, name string) error
	RemoveDomain(ctx context.Context, actor, name string) error
	SetSeats(ctx context.Context, actor, sku string, seats int) error
}

// FindUsers is a page of the Users page: the users whose user name,
// display name or employee ID starts with q, in user name order, after the
// user name after (keyset paging: each page costs the same however deep).
// more says whether another page follows. Any admin may list users.
func FindUsers(ctx context.Context, s AdminPagesStore, actor User, q, after string) (users []User, more bool, err error) {
	if err := Authorize(actor, AnyAdmin()); err != nil {
		return nil, false, err
	}
	us, err := s.SearchUsers(ctx, strings.TrimSpace(q), strings.ToLower(after), UserPageSize+1)
	if err != nil {
		return nil, false, err
	}
	if len(us) > UserPageSize {
		return us[:UserPageSize], true, nil
	}
	return us, false, nil
}

// AddDomain adds the domain name, verified or not. Only a Global admin
// adds domains; a name that is no domain is EINVALID.
func AddDomain(ctx context.Context, s AdminPagesStore, actor User, name string, verified bool) error {
	if err := Authorize(actor, GlobalAdminOnly("add domains")); err != nil {
		return err
	}
	name = strings.ToLower(strings.TrimSpace(name))
	if err := validate.Domain(name); err != nil {
		return Errorf(EINVALID, "domain %q: %v", name, err)
	}
	return s.AddDomain(ctx, actor.UserPrincipalName, Domain{Name: name, Verified: verified})
}

// VerifyDomain marks the domain name verified. Only a Global admin does.
func VerifyDomain(ctx context.Context, s AdminPagesStore, actor User, name string) error {
	if err := Authorize(actor, GlobalAdminOnly("verify domains")); err != nil {
		return err
	}
	return s.VerifyDomain(ctx, actor.UserPrincipalName, name)
}

// RemoveDomain removes the domain name, as `domain remove` does. Only a
// Global admin does.
func RemoveDomain(ctx context.Context, s AdminPagesStore, actor User, name string) error {
	if err := Authorize(actor, GlobalAdminOnly("remove domains")); err != nil {
		return err
	}
	return s.RemoveDomain(ctx, actor.UserPrincipalName, name)
}

// ListDomains returns the domains; only a Global admin sees the Domains
// page.
func ListDomains(ctx context.Context, s AdminPagesStore, actor User) ([]Domain, error) {
	if err := Authorize(actor, GlobalAdminOnly("manage domains")); err != nil {
		return nil, err
	}
	return s.Domains(ctx)
}

// SetSeats sets the seats of the product sku: raising them fills pending
// assignments at once, oldest first; lowering below the assigned count is
// refused (the store's ECONFLICT). Only a Global admin changes seats, and
// seats are 0 or more.
func SetSeats(ctx context.Context, s AdminPagesStore, actor User, sku string, seats int) error {
	if err := Authorize(actor, GlobalAdminOnly("change seats")); err != nil {
		return err
	}
	if seats < 0 {
		return Errorf(EINVALID, "seats must be 0 or more (got %d)", seats)
	}
	return s.SetSeats(ctx, actor.UserPrincipalName, sku, seats)
}
