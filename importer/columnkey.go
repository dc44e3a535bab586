package importer

import (
	"strings"
	"unicode"
)

// Key returns the column's stable key, as the journal records changed
// columns: the JSON field name of SPEC §3 where the column is a user's
// field ("jobTitle"), else its name in lower camel case. Keys never change
// when a column's display name does.
func (c Column) Key() string {
	if c < 0 || int(c) >= NumColumns {
		return ""
	}
	return columnKeys[c]
}

// columnKeys holds every column's key, made once: Key is asked for every
// changed column of every updated row.
var columnKeys = func() (keys [NumColumns]string) {
	for c := range Column(NumColumns) {
		keys[c] = c.makeKey()
	}
	return keys
}()

func (c Column) makeKey() string {
	switch c {
	case ColUserName:
		return "userPrincipalName"
	case ColAlternateEmail:
		return "alternateEmail"
	case ColState:
		return "state"
	case ColPostalCode:
		return "postalCode"
	case ColCountry:
		return "country"
	case ColEmployeeID:
		return "employeeId"
	}
	var b strings.Builder
	for i, w := range strings.Fields(c.String()) {
		if i == 0 {
			b.WriteString(strings.ToLower(w))
			continue
		}
		r := []rune(strings.ToLower(w))
		r[0] = unicode.ToUpper(r[0])
		b.WriteString(string(r))
	}
	return b.String()
}

// ColumnOf returns the column whose key (or, for journals written before
// keys, whose display name) is s.
func ColumnOf(s string) (Column, bool) {
	for c := range Column(NumColumns) {
		if columnKeys[c] == s {
			return c, true
		}
	}
	for c := range Column(NumColumns) {
		if c.String() == s {
			return c, true
		}
	}
	return 0, false
}

// ChangedColumns returns the columns an update plan changes, in its order.
func (p *Planned) ChangedColumns() []Column {
	cs := make([]Column, 0, len(p.Changed))
	for _, s := range p.Changed {
		if c, ok := ColumnOf(s); ok {
			cs = append(cs, c)
		}
	}
	return cs
}

// ChangedNames returns the display names of the columns an update plan
// changes, for messages and the audit log.
func (p *Planned) ChangedNames() []string {
	cs := p.ChangedColumns()
	names := make([]string, len(cs))
	for i, c := range cs {
		names[i] = c.String()
	}
	return names
}
