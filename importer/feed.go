package importer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/mail"
	"path/filepath"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"userimport/validate"
)

// Feed modes. A feed in ModeSync treats its file as the whole truth about
// the feed's users (SPEC §12); ModeUpsert only creates and updates.
const ModeSync = "sync"

// Feed defaults (SPEC §12).
const (
	DefaultDeleteAfterDays = 30
	DefaultMaxLeavers      = 20 // percent of the feed's active users
	DefaultPrehireDays     = 14
	// MinShareOfLastFile is the share (percent) of the last applied file's
	// rows under which a file is held.
	MinShareOfLastFile = 80
)

// MapEntry is one --map entry: our column, and the feed's header for it.
type MapEntry struct {
	Column Column `json:"-"`
	Ours   string `json:"ours"`
	Theirs string `json:"theirs"`
}

// Feed is a named source of HR files, kept in the directory. Its zero
// numeric fields are meaningful (0 days: delete at once); NewFeed gives the
// defaults.
type Feed struct {
	Name          string     `json:"name"`
	Dir           string     `json:"dir"`
	Schedule      string     `json:"schedule"`
	Mode          string     `json:"mode"`
	Map           []MapEntry `json:"map"`
	StatusColumn  string     `json:"statusColumn"`
	LeaverValues  []string   `json:"leaverValues"`
	UPN           string     `json:"upn"`
	Fold          string     `json:"fold"`
	Domain        string     `json:"domain"`
	Licenses      []string   `json:"licenses"`
	DisabledApps  []string   `json:"disabledApps"`
	UsageLocation string     `json:"usageLocation"`
	NoPasswords   bool       `json:"noPasswords"`
	Notify        []string   `json:"notify"`
	DeleteAfter   int        `json:"deleteAfterDays"`
	MaxLeavers    int        `json:"maxLeaversPercent"`
	MinRows       int        `json:"minRows"`
	Prehire       int        `json:"prehireDays"`
	ActingAdmin   string     `json:"actingAdmin"` // the admin the feed's runs act as

	LastRun   *time.Time `json:"-"`
	LastBatch string     `json:"-"`
	LastRows  int        `json:"-"` // data rows of the last applied file
}

// NewFeed returns a feed with SPEC §12's defaults.
func NewFeed(name string) Feed {
	return Feed{Name: name, Mode: ModeSync, Fold: validate.FoldDefault, DeleteAfter: DefaultDeleteAfterDays,
		MaxLeavers: DefaultMaxLeavers, Prehire: DefaultPrehireDays}
}

// Source is the users.source and batch source of the feed's users and
// batches: "feed:NAME".
func (f *Feed) Source() string { return feedSource + f.Name }

const feedSource = "feed:"

// IsFeedSource says whether a batch's or user's source is a feed.
func IsFeedSource(source string) bool { return strings.HasPrefix(source, feedSource) }

// FeedView is a feed as `feed list` and `feed show` print it.
type FeedView struct {
	Name      string     `json:"name"`
	Dir       string     `json:"dir"`
	Schedule  string     `json:"schedule"`
	Mode      string     `json:"mode"`
	LastRun   *time.Time `json:"lastRun"`
	LastBatch string     `json:"lastBatch"`
	NextRun   *time.Time `json:"nextRun"`
	Users     int        `json:"users"` // active users of the feed
	Feed      Feed       `json:"config"`
}

// FeedStore is what the feed operations need of the directory. Each
// method is one transaction.
type FeedStore interface {
	AddFeed(ctx context.Context, actor string, f Feed) error
	// UpdateFeed replaces the feed's settings; ENOTFOUND when there is none.
	UpdateFeed(ctx context.Context, actor string, f Feed) error
	Feed(ctx context.Context, name string) (Feed, error)
	Feeds(ctx context.Context) ([]Feed, error)
	RemoveFeed(ctx context.Context, actor, name string) error
	// SetFeedToken stores the hash of the feed's new upload token, which
	// revokes the old one.
	SetFeedToken(ctx context.Context, actor, name, tokenHash string) error
	// FeedByToken returns the name of the feed whose token hashes to
	// tokenHash; ENOTFOUND when none does.
	FeedByToken(ctx context.Context, tokenHash string) (string, error)
	// FeedUsers counts the feed's active users (not deleted, not left).
	FeedUsers(ctx context.Context, source string) (int, error)
}

// ManageFeeds is who may add, change, run and remove feeds: those who may
// create users (Global admin and User admin), since a feed creates,
// blocks and deletes users in their name.
func ManageFeeds() Permission { return Allows(validate.CreateUser) }

// CheckFeed validates f and puts its values in canonical form: the name,
// an absolute folder, the cron schedule, the mode, the --map (our column
// names resolved), the patterns, the limits.
func CheckFeed(f *Feed) error {
	if err := feedName(f.Name); err != nil {
		return err
	}
	if f.Dir == "" {
		return Errorf(EINVALID, "feed %s: --dir is required: the folder the HR system drops its files in", f.Name)
	}
	dir, err := filepath.Abs(f.Dir)
	if err != nil {
		return Errorf(EINVALID, "--dir %q: %v", f.Dir, err)
	}
	f.Dir = dir
	if f.Schedule != "" {
		if _, err := ParseSchedule(f.Schedule); err != nil {
			return err
		}
	}
	switch f.Mode {
	case "":
		f.Mode = ModeSync
	case ModeSync, ModeUpsert:
	default:
		return Errorf(EINVALID, "--mode %q: a feed's mode is sync or upsert", f.Mode)
	}
	for i := range f.Map {
		c, ok := ColumnNamed(f.Map[i].Ours)
		if !ok {
			return Errorf(EINVALID, "--map %q=%q: %q is not one of our columns (see `userimport template`)", f.Map[i].Ours, f.Map[i].Theirs, f.Map[i].Ours)
		}
		f.Map[i].Column, f.Map[i].Ours = c, c.String()
	}
	if f.StatusColumn == "" && len(f.LeaverValues) > 0 {
		return Errorf(EINVALID, "--leaver-values needs --status-column: the column that holds them")
	}
	if f.StatusColumn != "" && len(f.LeaverValues) == 0 {
		return Errorf(EINVALID, "--status-column %q needs --leaver-values, e.g. \"Terminated;Inactive\"", f.StatusColumn)
	}
	if f.UPN != "" {
		if err := validate.UPNPattern(f.UPN); err != nil {
			return Errorf(EINVALID, "--upn %q: %v", f.UPN, err)
		}
		if f.Domain == "" {
			return Errorf(EINVALID, "--upn %q needs --domain: the domain of the user names it makes", f.UPN)
		}
	}
	fold, err := validate.Fold(f.Fold)
	if err != nil {
		return Errorf(EINVALID, "--fold %q: %v", f.Fold, err)
	}
	f.Fold = fold
	if f.Domain != "" {
		if err := validate.Domain(f.Domain); err != nil {
			return Errorf(EINVALID, "--domain %q: %v", f.Domain, err)
		}
		f.Domain = strings.ToLower(f.Domain)
	}
	if f.UsageLocation != "" {
		code, err := validate.UsageLocation(f.UsageLocation)
		if err != nil {
			return Errorf(EINVALID, "--usage-location %q: %v", f.UsageLocation, err)
		}
		f.UsageLocation = code
	}
	if len(f.Notify) > 5 {
		return Errorf(EINVALID, "--notify: %d addresses, at most 5", len(f.Notify))
	}
	for _, a := range f.Notify {
		if _, err := mail.ParseAddress(a); err != nil {
			return Errorf(EINVALID, "--notify %q: not an email address", a)
		}
	}
	switch {
	case f.DeleteAfter < 0:
		return Errorf(EINVALID, "--delete-after %d: days, 0 or more (0 deletes leavers at once)", f.DeleteAfter)
	case f.MaxLeavers < 0 || f.MaxLeavers > 100:
		return Errorf(EINVALID, "--max-leavers %d: a percentage, 0–100", f.MaxLeavers)
	case f.MinRows < 0:
		return Errorf(EINVALID, "--min-rows %d: 0 or more", f.MinRows)
	case f.Prehire < 0:
		return Errorf(EINVALID, "--prehire %d: days, 0 or more", f.Prehire)
	}
	return nil
}

// feedName checks a feed's name: 1–64 letters, digits, '-' and '_', as it
// appears in URLs and in users' source ("feed:NAME").
func feedName(s string) error {
	if s == "" || len(s) > 64 {
		return Errorf(EINVALID, "feed name %q: 1–64 letters, digits, - or _", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return Errorf(EINVALID, "feed name %q: only letters, digits, - and _ (it is used in URLs)", s)
		}
	}
	return nil
}

// ColumnNamed returns our column whose name is s, case, spaces and
// punctuation ignored ("employee id" is Employee ID).
func ColumnNamed(s string) (Column, bool) {
	key := func(s string) string {
		var b strings.Builder
		for _, r := range strings.ToLower(s) {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				b.WriteRune(r)
			}
		}
		return b.String()
	}
	k := key(s)
	for _, c := range Columns() {
		if key(c.String()) == k {
			return c, true
		}
	}
	return 0, false
}

// ParseMap parses a --map value into entries (validate.FieldMap); our
// names are resolved by CheckFeed.
func ParseMap(s string) ([]MapEntry, error) {
	ps, err := validate.FieldMap(s)
	if err != nil {
		return nil, Errorf(EINVALID, "--map: %v", err)
	}
	out := make([]MapEntry, len(ps))
	for i, p := range ps {
		out[i] = MapEntry{Ours: p.Ours, Theirs: p.Theirs}
	}
	return out, nil
}

// scheduleParser reads the five standard cron fields, with an optional
// CRON_TZ= (or TZ=) prefix naming the time zone, and descriptors such as
// @daily.
var scheduleParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// ParseSchedule parses a feed's --schedule.
func ParseSchedule(s string) (cron.Schedule, error) {
	sch, err := scheduleParser.Parse(s)
	if err != nil {
		return nil, Errorf(EINVALID, "--schedule %q: %v (five cron fields, e.g. \"CRON_TZ=Europe/Berlin 30 2 * * *\" for 02:30 Berlin time)", s, err)
	}
	return sch, nil
}

// NextRun returns when the feed's schedule next fires after now, or nil
// for a feed without one (its files are taken once stable).
func (f *Feed) NextRun(now time.Time) *time.Time {
	if f.Schedule == "" {
		return nil
	}
	sch, err := ParseSchedule(f.Schedule)
	if err != nil {
		return nil
	}
	t := sch.Next(now)
	return &t
}

// AddFeed adds a feed after CheckFeed; its runs act as actor unless
// f.ActingAdmin names another admin.
func AddFeed(ctx context.Context, s FeedStore, actor User, f Feed) error {
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return err
	}
	if err := CheckFeed(&f); err != nil {
		return err
	}
	if f.ActingAdmin == "" {
		f.ActingAdmin = actor.UserPrincipalName
	}
	return s.AddFeed(ctx, actor.UserPrincipalName, f)
}

// SetFeed changes a feed: change edits a copy, which is checked and stored.
func SetFeed(ctx context.Context, s FeedStore, actor User, name string, change func(*Feed)) (Feed, error) {
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return Feed{}, err
	}
	f, err := s.Feed(ctx, name)
	if err != nil {
		return Feed{}, err
	}
	change(&f)
	f.Name = name
	if err := CheckFeed(&f); err != nil {
		return Feed{}, err
	}
	return f, s.UpdateFeed(ctx, actor.UserPrincipalName, f)
}

// RemoveFeed removes a feed. Its users stay, as they are.
func RemoveFeed(ctx context.Context, s FeedStore, actor User, name string) error {
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return err
	}
	return s.RemoveFeed(ctx, actor.UserPrincipalName, name)
}

// ViewFeeds returns the feeds as listings show them, with next runs after
// now.
func ViewFeeds(ctx context.Context, s FeedStore, now time.Time, names ...string) ([]FeedView, error) {
	var fs []Feed
	if len(names) == 0 {
		var err error
		if fs, err = s.Feeds(ctx); err != nil {
			return nil, err
		}
	}
	for _, n := range names {
		f, err := s.Feed(ctx, n)
		if err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	out := make([]FeedView, 0, len(fs))
	for _, f := range fs {
		n, err := s.FeedUsers(ctx, f.Source())
		if err != nil {
			return nil, err
		}
		out = append(out, FeedView{Name: f.Name, Dir: f.Dir, Schedule: f.Schedule, Mode: f.Mode, LastRun: f.LastRun,
			LastBatch: f.LastBatch, NextRun: f.NextRun(now), Users: n, Feed: f})
	}
	return out, nil
}

// NewFeedToken issues the feed's upload token: it is returned once and
// only its hash is kept; the old token stops working at once.
func NewFeedToken(ctx context.Context, s FeedStore, actor User, name string) (Secret, error) {
	if err := Authorize(actor, ManageFeeds()); err != nil {
		return "", err
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("token: %w", err)
	}
	tok := "uif_" + base64.RawURLEncoding.EncodeToString(b)
	if err := s.SetFeedToken(ctx, actor.UserPrincipalName, name, HashFeedToken(tok)); err != nil {
		return "", err
	}
	return Secret(tok), nil
}

// HashFeedToken is the stored form of an upload token: its SHA-256, hex.
// A token is 256 random bits, so a fast hash is enough (nothing to guess).
func HashFeedToken(tok string) string {
	h := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(h[:])
}

// FeedForToken returns the name of the feed whose upload token tok is;
// EFORBIDDEN for a wrong or revoked token.
func FeedForToken(ctx context.Context, s FeedStore, name, tok string) error {
	got, err := s.FeedByToken(ctx, HashFeedToken(tok))
	if ErrorCode(err) == ENOTFOUND || (err == nil && got != name) {
		return Errorf(EFORBIDDEN, "wrong or revoked upload token for feed %s", name)
	}
	return err
}
