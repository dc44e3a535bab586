package importer

import (
	"context"
	"path/filepath"
	"strings"
	"time"
	"userimport/validate"
)

// BatchInfo is a batch as SPEC §10's batch JSON shows it, for `batch list`,
// `batch show` and the web page.
type BatchInfo struct {
	ID               string     `json:"id"`
	File             string     `json:"file"`
	SHA256           string     `json:"sha256"`
	Mode             string     `json:"mode"`
	DryRun           bool       `json:"dryRun"`
	Source           string     `json:"source"`
	ActingAdmin      string     `json:"actingAdmin"`
	State            string     `json:"state"`
	Rows             int        `json:"rows"` // rows journaled so far (all of them once the file is read)
	Done             int        `json:"done"`
	Created          int        `json:"created"`
	Updated          int        `json:"updated"`
	Unchanged        int        `json:"unchanged"`
	Failed           int        `json:"failed"`
	Disabled         int        `json:"disabled"`
	Deleted          int        `json:"deleted"`
	Restored         int        `json:"restored"`
	LicensesAssigned int        `json:"licensesAssigned"`
	LicensesPending  int        `json:"licensesPending"`
	StartedAt        time.Time  `json:"startedAt"`
	FinishedAt       *time.Time `json:"finishedAt"`

	ResultsName string `json:"-"` // file names of its outputs in its output folder
	NoticeName  string `json:"-"`
}

// BatchStore is what the batch commands need of the directory.
type BatchStore interface {
	Batch(ctx context.Context, id string) (BatchInfo, error)
	Batches(ctx context.Context, all bool) ([]BatchInfo, error)
	CancelBatch(ctx context.Context, batchID, actor, reason string, staleBefore time.Time) (int, error)
	// SealedPasswords calls fn for the first done rows holding a sealed
	// password (a page of them); once they are forgotten, the next.
	SealedPasswords(ctx context.Context, batchID string, fn func(row int, upn string, mustChange bool, sealed string) error) error
	ForgetSealed(ctx context.Context, batchID string, rows []int) error
	// HeldBatch returns the hold of a held feed batch (its kept file).
	HeldBatch(ctx context.Context, batchID string) (Hold, error)
}

// Cancelled is what CancelBatch did.
type Cancelled struct {
	Rows int // rows not yet written that failed, their seats freed
	// Unknown are the users the batch created whose passwords were still
	// sealed in it, for the run that started it to put in its notice:
	// nobody will now, and an admin must set them (user set-password).
	Unknown []string
}

// CancelBatch cancels an unfinished batch that no run is working on right
// now (SPEC §10): its rows not yet provisioned fail with "cancelled", and
// the seats reserved for them are freed at once, to pending assignments
// oldest first. A running batch is stopped where it runs (Ctrl-C, or the
// web page's Cancel) and can be cancelled then. The batch's own acting
// admin may cancel it, and so may any admin who may create users. Users
// it created whose passwords no notice got (chunks written by other
// processes after the run that started it stopped) are returned: their
// sealed passwords are deleted, and an admin must set theirs.
func CancelBatch(ctx context.Context, s BatchStore, actor User, id string, now time.Time) (Cancelled, error) {
	b, err := s.Batch(ctx, id)
	if err != nil {
		return Cancelled{}, err
	}
	if IsFeedSource(b.Source) {
		// A feed's batch is the feed's managers' (ManageFeeds), whoever it
		// acts as: cancelling a held file is the other half of approving it.
		if err := Authorize(actor, ManageFeeds()); err != nil {
			return Cancelled{}, Errorf(EFORBIDDEN, "%s may not cancel batch %s of %s: only a User admin or a Global admin may", actor.UserPrincipalName, id, b.Source)
		}
	} else if !strings.EqualFold(b.ActingAdmin, actor.UserPrincipalName) {
		if err := Authorize(actor, Allows(validate.CreateUser)); err != nil {
			return Cancelled{}, Errorf(EFORBIDDEN, "%s may not cancel batch %s of %s: only its acting admin, a User admin or a Global admin may", actor.UserPrincipalName, id, b.ActingAdmin)
		}
	}
	switch b.State {
	case BatchRunning, BatchInterrupted, BatchHeld, BatchQueued:
	default:
		return Cancelled{}, Errorf(ECONFLICT, "batch %s is %s: only a queued, running, held or interrupted batch can be cancelled", id, b.State)
	}
	var kept *Hold
	if b.State == BatchHeld {
		h, err := s.HeldBatch(ctx, id)
		if err != nil {
			return Cancelled{}, err
		}
		kept = &h
	}
	reason := "cancelled by " + actor.UserPrincipalName
	n, err := s.CancelBatch(ctx, id, actor.UserPrincipalName, reason, now.Add(-staleAfter))
	if err != nil {
		return Cancelled{}, err
	}
	if kept != nil {
		// The kept file goes where rejected files go, with why: it will
		// not be applied, and held/ keeps only what waits for an admin.
		_ = fail(kept.Path, filepath.Dir(filepath.Dir(kept.Path)), kept.FileName,
			"held ("+kept.Reason+"), then "+reason+" at "+now.UTC().Format(time.DateTime)+" UTC: not applied")
	}
	c := Cancelled{Rows: n}
	c.Unknown, err = forgetAllSealed(ctx, s, id)
	return c, err
}
