package web

import (
	"net/url"
	"strings"

	"userimport/importer"
	"userimport/importer/sheet"
	"userimport/validate"
)

// formOptions are the import options of the upload form, named like the
// flags of `userimport import` (SPEC §11).
type formOptions struct {
	Mode                  string `json:"mode"`
	License               string `json:"license"`
	DisabledApps          string `json:"disabledApps"`
	UsageLocation         string `json:"usageLocation"`
	RequirePasswordChange bool   `json:"requirePasswordChange"`
	BlockSignIn           bool   `json:"blockSignIn"`
	NoPasswords           bool   `json:"noPasswords"`
	Notify                string `json:"notify"`
	Sheet                 string `json:"sheet"`
}

// defaultOptions are the flags' defaults.
func defaultOptions() formOptions {
	return formOptions{Mode: importer.ModeCreate, RequirePasswordChange: true}
}

// parseOptions reads the option fields of v over the defaults. A boolean
// field takes yes/no, true/false, on/off, 1/0; absent, it keeps the
// default (a script may leave out what it does not change).
func parseOptions(v url.Values) (formOptions, error) {
	o := defaultOptions()
	if m := strings.ToLower(strings.TrimSpace(v.Get("mode"))); m != "" {
		o.Mode = m
	}
	if o.Mode != importer.ModeCreate && o.Mode != importer.ModeUpsert {
		return o, importer.Errorf(importer.EINVALID, "mode %q: choose create or upsert", o.Mode)
	}
	o.License = strings.TrimSpace(v.Get("license"))
	o.DisabledApps = strings.TrimSpace(v.Get("disabled-apps"))
	o.UsageLocation = strings.TrimSpace(v.Get("usage-location"))
	o.Notify = strings.TrimSpace(v.Get("notify"))
	o.Sheet = strings.TrimSpace(v.Get("sheet"))
	for _, b := range []struct {
		name string
		to   *bool
	}{{"require-password-change", &o.RequirePasswordChange}, {"block-sign-in", &o.BlockSignIn}, {"no-passwords", &o.NoPasswords}} {
		if !v.Has(b.name) {
			continue
		}
		switch strings.ToLower(strings.TrimSpace(v.Get(b.name))) {
		case "yes", "true", "on", "1", "y":
			*b.to = true
		case "no", "false", "off", "0", "n", "":
			*b.to = false
		default:
			return o, importer.Errorf(importer.EINVALID, "%s %q: say yes or no", b.name, v.Get(b.name))
		}
	}
	if _, err := importer.NotifyRecipients(validate.List(o.Notify), o.NoPasswords); err != nil {
		return o, err
	}
	return o, nil
}

// importOptions are o as importer.Options of the upload at path.
func (o formOptions) importOptions(path string) importer.Options {
	so := sheet.Options{Sheet: o.Sheet}
	return importer.Options{
		Mode: o.Mode, Licenses: validate.List(o.License), DisabledApps: validate.List(o.DisabledApps),
		UsageLocation: o.UsageLocation, RequirePasswordChange: o.RequirePasswordChange, BlockSignIn: o.BlockSignIn,
		NoPasswords: o.NoPasswords, Source: importer.SourceWeb,
		Open: func() (importer.RowSource, error) {
			r, err := sheet.Open(path, so)
			if err != nil {
				return nil, err
			}
			return r, nil
		},
	}
}
