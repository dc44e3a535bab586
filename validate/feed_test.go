package validate

import (
	"strings"
	"testing"
)

func TestAliasFromPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, first, last, fold string
		want                       string // "" means an error
	}{
		{"{first}.{last}", "John", "Smith", "", "john.smith"},
		{"{first}.{last}", "Anna", "Müller", "default", "anna.muller"},
		{"{first}.{last}", "Anna", "Müller", "de", "anna.mueller"},
		{"{first}.{last}", "Jörg", "Groß", "de", "joerg.gross"},
		{"{first}.{last}", "Jörg", "Groß", "default", "jorg.gross"},
		{"{f}{last}", "Élodie", "Durand", "", "edurand"},
		{"{first}{l}", "Zoë", "Ng", "", "zoen"},
		{"{first}.{last}", "Mary Ann", "O'Brien", "", "maryann.o'brien"},
		{"{first}.{last}", "Anne-Marie", "Smith Jones", "", "anne-marie.smithjones"},
		{"{first}.{last}", "", "Smith", "", "smith"}, // no leading period
		{"{first}.{last}", "John", "", "", "john"},   // no trailing period
		{"{first}.{last}", "", "", "", ""},
		{"{first}.{last}", "李", "王", "", ""}, // nothing the alias rules allow
		{"{first}.{last}", "Ｊｏｈｎ", "Smith", "", "smith"},
		{"{first}.{last}", "e\u0301mile", "Zola", "", "emile.zola"}, // decomposed accent
		{"{first}.{last}", strings.Repeat("a", 60), strings.Repeat("b", 60), "", strings.Repeat("a", 60) + ".bbb"},
		{"{first}..{last}", "a", "b", "", "a.b"},
		{"{nick}", "a", "b", "", ""},
		{"first.last", "a", "b", "", ""},
		{"{first} {last}", "a", "b", "", ""},
		{"", "a", "b", "", ""},
	} {
		got, err := AliasFromPattern(tc.pattern, tc.first, tc.last, tc.fold)
		if tc.want == "" {
			if err == nil {
				t.Errorf("AliasFromPattern(%q, %q, %q, %q) = %q, want an error", tc.pattern, tc.first, tc.last, tc.fold, got)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("AliasFromPattern(%q, %q, %q, %q) = %q, %v; want %q", tc.pattern, tc.first, tc.last, tc.fold, got, err, tc.want)
		}
	}
}

func TestFold(t *testing.T) {
	for in, want := range map[string]string{"": "default", "default": "default", "DE": "de", " de ": "de", "fr": ""} {
		got, err := Fold(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("Fold(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestFreeAlias(t *testing.T) {
	long := strings.Repeat("x", 64)
	for _, tc := range []struct {
		base  string
		taken []string
		want  string
	}{
		{"anna.berg", nil, "anna.berg"},
		{"anna.berg", []string{"anna.berg"}, "anna.berg2"},
		{"anna.berg", []string{"anna.berg", "anna.berg2", "anna.berg3"}, "anna.berg4"},
		{"anna.berg", []string{"anna.berg", "anna.berg3"}, "anna.berg2"}, // the first free one, not after the highest
		{"anna.berg", []string{"anna.berg2"}, "anna.berg"},
		{long, []string{long}, strings.Repeat("x", 63) + "2"},
	} {
		set := map[string]bool{}
		for _, a := range tc.taken {
			set[a] = true
		}
		if got := FreeAlias(tc.base, func(a string) bool { return set[a] }); got != tc.want {
			t.Errorf("FreeAlias(%q, %v) = %q, want %q", tc.base, tc.taken, got, tc.want)
		}
	}
}

func TestFieldMap(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // pairs as "ours>theirs|…", or "error"
	}{
		{"", ""},
		{"Employee ID=WorkerID", "Employee ID>WorkerID"},
		{" Employee ID = WorkerID ; First Name=FirstName;", "Employee ID>WorkerID|First Name>FirstName"},
		{"Employee ID=WorkerID\nCountry or Region=CountryCode", "Employee ID>WorkerID|Country or Region>CountryCode"},
		{"Employee ID", "error"},
		{"=WorkerID", "error"},
		{"Employee ID=", "error"},
		{"Employee ID=A;employee id=B", "error"},
		{"Employee ID=A;First Name=a", "error"},
	} {
		ps, err := FieldMap(tc.in)
		var got []string
		for _, p := range ps {
			got = append(got, p.Ours+">"+p.Theirs)
		}
		g := strings.Join(got, "|")
		if err != nil {
			g = "error"
		}
		if g != tc.want {
			t.Errorf("FieldMap(%q) = %q (%v), want %q", tc.in, g, err, tc.want)
		}
	}
}

func TestLeaverValues(t *testing.T) {
	vs := LeaverValues(" Terminated;Inactive, ;Retired ")
	if strings.Join(vs, "|") != "Terminated|Inactive|Retired" {
		t.Fatalf("LeaverValues = %q", vs)
	}
	for cell, want := range map[string]bool{"terminated": true, " INACTIVE ": true, "Active": false, "": false, "Terminated2": false} {
		if got := IsLeaver(vs, cell); got != want {
			t.Errorf("IsLeaver(%q) = %t, want %t", cell, got, want)
		}
	}
}

// TestAliasOrEmployeeID: a name the alias rules allow nothing of gives the
// employee ID (lower case) when that is an alias; a bad pattern, or a bad
// ID, still fail.
func TestAliasOrEmployeeID(t *testing.T) {
	for _, tc := range []struct {
		pattern, first, last, id string
		want                     string // "" means an error
		fromID                   bool
	}{
		{"{first}.{last}", "John", "Smith", "E1", "john.smith", false},
		{"{first}.{last}", "敏", "张", "E0126135", "e0126135", true},
		{"{first}.{last}", "李", "Wang", "E1", "wang", false}, // the last name gives one
		{"{first}.{last}", "敏", "张", "", "", false},
		{"{first}.{last}", "敏", "张", "E 01/26", "", false}, // not an alias
		{"{nick}", "敏", "张", "E1", "", false},              // a bad pattern is not saved by the ID
	} {
		got, fromID, err := AliasOrEmployeeID(tc.pattern, tc.first, tc.last, tc.id, "")
		switch {
		case tc.want == "" && err == nil:
			t.Errorf("AliasOrEmployeeID(%q, %q, %q, %q) = %q, want an error", tc.pattern, tc.first, tc.last, tc.id, got)
		case tc.want != "" && (err != nil || got != tc.want || fromID != tc.fromID):
			t.Errorf("AliasOrEmployeeID(%q, %q, %q, %q) = %q, %t, %v; want %q, %t", tc.pattern, tc.first, tc.last, tc.id, got, fromID, err, tc.want, tc.fromID)
		}
	}
}
