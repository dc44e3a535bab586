package sheet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"userimport/importer"
)

// writeFile writes data to a file in a test's temporary directory.
func writeFile(tb testing.TB, name string, data []byte) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// readAll opens path and reads every row.
func readAll(tb testing.TB, path string, opts Options) (*Reader, []importer.Row) {
	tb.Helper()
	r, err := Open(path, opts)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { r.Close() })
	var rows []importer.Row
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatalf("Next: %v", err)
		}
		rows = append(rows, row)
	}
	return r, rows
}

// wantInvalid checks that err is an *importer.Error EINVALID whose message
// holds every one of parts.
func wantInvalid(tb testing.TB, err error, parts ...string) {
	tb.Helper()
	var e *importer.Error
	if !errors.As(err, &e) || e.Code != importer.EINVALID {
		tb.Fatalf("err = %#v, want an *importer.Error EINVALID", err)
	}
	for _, p := range parts {
		if !strings.Contains(e.Message, p) {
			tb.Errorf("message %q lacks %q", e.Message, p)
		}
	}
}

func TestOpen_CSV(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		path := writeFile(t, "a.csv", []byte("User Name,Display Name,Foo,Job Title,Bar\r\n"+
			"  ana@contoso.com ,\u00a0Ana Díaz\u00a0,x,Engineer,y\r\n"+
			"\r\n"+
			",,,,\r\n"+
			"bo@contoso.com,\"Bo, \"\"the\"\" Builder\",,\"Line 1\r\nLine 2\",\r\n"+
			"short@contoso.com\r\n"+
			"long@contoso.com,Long,a,b,c,d,e,f\r\n"))
		r, rows := readAll(t, path, Options{})
		if len(rows) != 4 {
			t.Fatalf("got %d rows, want 4: %+v", len(rows), rows)
		}
		want := []struct {
			n              int
			upn, dn, title string
		}{
			{2, "ana@contoso.com", "Ana Díaz", "Engineer"},
			{5, "bo@contoso.com", `Bo, "the" Builder`, "Line 1\nLine 2"},
			{6, "short@contoso.com", "", ""},
			{7, "long@contoso.com", "Long", "b"},
		}
		for i, w := range want {
			got := rows[i]
			if got.Number != w.n || got.Get(importer.ColUserName) != w.upn || got.Get(importer.ColDisplayName) != w.dn || got.Get(importer.ColJobTitle) != w.title {
				t.Errorf("row %d = %d %q %q %q, want %+v", i, got.Number, got.Get(importer.ColUserName), got.Get(importer.ColDisplayName), got.Get(importer.ColJobTitle), w)
			}
		}
		if !r.Has(importer.ColJobTitle) || r.Has(importer.ColFirstName) {
			t.Errorf("Has: wrong")
		}
		if w := strings.Join(r.Warnings(), "|"); w != `ignored columns: "Foo", "Bar"` {
			t.Errorf("warnings = %q", w)
		}
		if h := strings.Join(r.Header(), ","); h != "User Name,Display Name,Foo,Job Title,Bar" {
			t.Errorf("header = %q", h)
		}
	})
	t.Run("Delimiters", func(t *testing.T) {
		for _, d := range []string{",", ";", "\t", "|"} {
			text := strings.Join([]string{"User Name", "Display Name", "City"}, d) + "\n" +
				strings.Join([]string{"a@contoso.com", `"Díaz` + d + ` Ana"`, "Köln"}, d) + "\n"
			_, rows := readAll(t, writeFile(t, "d.csv", []byte(text)), Options{})
			if len(rows) != 1 || rows[0].Get(importer.ColDisplayName) != "Díaz"+d+" Ana" || rows[0].Get(importer.ColCity) != "Köln" {
				t.Errorf("delimiter %q: rows = %+v", d, rows)
			}
		}
	})
	t.Run("DelimiterOverride", func(t *testing.T) {
		// Sniffed, ';' wins and there is no User Name column.
		text := "User Name|City;x;y\na@contoso.com|Köln;1;2\n"
		_, err := Open(writeFile(t, "d.csv", []byte(text)), Options{})
		wantInvalid(t, err, `"User Name|City"`)
		_, rows := readAll(t, writeFile(t, "d.csv", []byte(text)), Options{Delimiter: '|'})
		if len(rows) != 1 || rows[0].Get(importer.ColUserName) != "a@contoso.com" {
			t.Errorf("rows = %+v", rows)
		}
		_, err = Open(writeFile(t, "d.csv", []byte(text)), Options{Delimiter: '"'})
		wantInvalid(t, err, "--delimiter")
	})
	t.Run("DuplicateColumn", func(t *testing.T) {
		r, rows := readAll(t, writeFile(t, "d.csv", []byte("UPN,User Name,userPrincipalName\nfirst@x.com,second@x.com,third@x.com\n")), Options{})
		if rows[0].Get(importer.ColUserName) != "first@x.com" {
			t.Errorf("got %q", rows[0].Get(importer.ColUserName))
		}
		if w := strings.Join(r.Warnings(), "|"); !strings.Contains(w, `duplicate columns ignored`) || !strings.Contains(w, `"User Name" (column B)`) {
			t.Errorf("warnings = %q", w)
		}
	})
	t.Run("ErrUserNameMissing", func(t *testing.T) {
		_, err := Open(writeFile(t, "m.csv", []byte("\n\nDisplay Name,Mail\nAna,a@x.com\n")), Options{})
		wantInvalid(t, err, `"User Name"`, `"Display Name", "Mail"`)
	})
	t.Run("ErrEmpty", func(t *testing.T) {
		_, err := Open(writeFile(t, "e.csv", nil), Options{})
		wantInvalid(t, err, "no header row")
		_, err = Open(writeFile(t, "e.csv", []byte("\r\n ,,\r\n")), Options{})
		wantInvalid(t, err, "no header row")
	})
	t.Run("BareQuotes", func(t *testing.T) {
		_, rows := readAll(t, writeFile(t, "q.csv", []byte("User Name,Display Name,Office Number\na@x.com,Bo \"the\" Builder,5'10\"\n")), Options{})
		if len(rows) != 1 || rows[0].Get(importer.ColDisplayName) != `Bo "the" Builder` || rows[0].Get(importer.ColOfficeNumber) != `5'10"` {
			t.Errorf("rows = %+v", rows)
		}
	})
	t.Run("StrayQuote", func(t *testing.T) {
		// A quote that opens a cell with text after its closing quote is
		// read as Excel reads it: "Bob" Smith is Bob Smith, and the rows
		// after it are rows.
		_, rows := readAll(t, writeFile(t, "q.csv", []byte("User Name,Display Name,City\n"+
			"a@x.com,Ana,Köln\n"+
			"b@x.com,\"Bob\" Smith,Bonn\n"+
			"c@x.com,Cy,Berlin\n"+
			"d@x.com,\"Di\"\"\" \"x\",\"Ulm\"\n")), Options{})
		got := make([]string, len(rows))
		for i, row := range rows {
			got[i] = fmt.Sprintf("%d %s|%s|%s", row.Number, row.Get(importer.ColUserName), row.Get(importer.ColDisplayName), row.Get(importer.ColCity))
		}
		want := []string{"2 a@x.com|Ana|Köln", "3 b@x.com|Bob Smith|Bonn", "4 c@x.com|Cy|Berlin", `5 d@x.com|Di" "x"|Ulm`}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
	brokenQuoting := func(t *testing.T, after int) {
		var b strings.Builder
		b.WriteString("User Name,Display Name,City\na@x.com,Ana,Köln\nb@x.com,\"Bo,Bonn\nc@x.com,Cy,Berlin\n")
		for i := 0; i < after; i++ {
			fmt.Fprintf(&b, "x%d@x.com,X,\"Ulm\"\n", i)
		}
		r, err := Open(writeFile(t, "q.csv", []byte(b.String())), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var got []string
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				wantInvalid(t, err, "row 3: broken quoting", "starting on line 3 of the file")
				got = append(got, "error")
				continue
			}
			got = append(got, fmt.Sprintf("%d %s", row.Number, row.Get(importer.ColUserName)))
		}
		want := []string{"2 a@x.com", "error", "4 c@x.com"}
		for i := 0; i < after; i++ {
			want = append(want, fmt.Sprintf("%d x%d@x.com", 5+i, i))
		}
		if g, w := strings.Join(got, ","), strings.Join(want, ","); g != w {
			t.Errorf("got  %.300s\nwant %.300s", g, w)
		}
	}
	t.Run("ErrBrokenQuotingSmall", func(t *testing.T) { brokenQuoting(t, 0) })
	t.Run("ErrBrokenQuotingLong", func(t *testing.T) { brokenQuoting(t, 5000) })
	t.Run("MultiLineCell", func(t *testing.T) {
		// A quoted cell over lines that do not look like rows is a cell.
		_, rows := readAll(t, writeFile(t, "q.csv", []byte("User Name,Display Name,Address,City\n"+
			"a@x.com,Ana,\"1 Main St\nSuite 5, Floor 2\",Springfield\n"+
			"b@x.com,\"Bo\nBuilder\",\"x\",y\n")), Options{})
		if len(rows) != 2 || rows[0].Get(importer.ColAddress) != "1 Main St\nSuite 5, Floor 2" || rows[0].Get(importer.ColCity) != "Springfield" ||
			rows[1].Get(importer.ColDisplayName) != "Bo\nBuilder" || rows[1].Get(importer.ColCity) != "y" {
			t.Errorf("rows = %+v", rows)
		}
	})
	t.Run("ErrBrokenQuotingClosedLater", func(t *testing.T) {
		// The quote left open in row 3 is closed by the bare quote of
		// 5'10" in row 5, as a cell is closed: the rows in between look
		// like rows, so it is broken quoting all the same.
		r, err := Open(writeFile(t, "q.csv", []byte("User Name,Display Name,Office Number\n"+
			"a@x.com,Ana,1\nb@x.com,\"Bo,2\nc@x.com,Cy,3\nd@x.com,Di,4\ne@x.com,Ed,5'10\"\n")), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var got []string
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				wantInvalid(t, err, "row 3: broken quoting", "starting on line 3 of the file")
				got = append(got, "error")
				continue
			}
			got = append(got, fmt.Sprintf("%d %s %s", row.Number, row.Get(importer.ColUserName), row.Get(importer.ColOfficeNumber)))
		}
		if g := strings.Join(got, ","); g != `2 a@x.com 1,error,4 c@x.com 3,5 d@x.com 4,6 e@x.com 5'10"` {
			t.Errorf("got %s", g)
		}
	})
	t.Run("ErrNoFile", func(t *testing.T) {
		_, err := Open(filepath.Join(t.TempDir(), "nope.csv"), Options{})
		wantInvalid(t, err, "cannot open")
	})
}

func TestOpen_Entra(t *testing.T) {
	text := "version:v1.0\n" +
		"Name [displayName] Required,User name [userPrincipalName] Required,Initial password [passwordProfile] Required,Block sign in (Yes/No) [accountEnabled] Required,First name [givenName],Last name [surname],Job title [jobTitle],Department [department],Usage location [usageLocation],Street address [streetAddress],State or province [state],Country or region [country],Office [physicalDeliveryOfficeName],City [city],ZIP or postal code [postalCode],Office phone [telephoneNumber],Mobile phone [mobile]\n" +
		"Chris Green,chris@contoso.com,Pa55w.rd!x,No,Chris,Green,Dev,IT,US,1 Main St,WA,United States,B1,Redmond,98052,+1 425 555 0100,+1 425 555 0101\n"
	r, rows := readAll(t, writeFile(t, "entra.csv", []byte(text)), Options{})
	if len(r.Warnings()) != 0 {
		t.Errorf("warnings: %q", r.Warnings())
	}
	if len(rows) != 1 || rows[0].Number != 3 {
		t.Fatalf("rows = %+v", rows)
	}
	want := map[importer.Column]string{
		importer.ColDisplayName: "Chris Green", importer.ColUserName: "chris@contoso.com", importer.ColPassword: "Pa55w.rd!x",
		importer.ColBlockSignIn: "No", importer.ColFirstName: "Chris", importer.ColLastName: "Green", importer.ColJobTitle: "Dev",
		importer.ColDepartment: "IT", importer.ColUsageLocation: "US", importer.ColAddress: "1 Main St", importer.ColState: "WA",
		importer.ColCountry: "United States", importer.ColOfficeNumber: "B1", importer.ColCity: "Redmond", importer.ColPostalCode: "98052",
		importer.ColOfficePhone: "+1 425 555 0100", importer.ColMobilePhone: "+1 425 555 0101",
	}
	for c, v := range want {
		if got := rows[0].Get(c); got != v {
			t.Errorf("%s = %q, want %q", c, got, v)
		}
	}
}

func TestHeaderAliases(t *testing.T) {
	tests := []struct {
		name string
		want importer.Column
	}{
		{"User name [userPrincipalName] Required", importer.ColUserName},
		{"user_principal_name", importer.ColUserName},
		{"Email Address [Required]", importer.ColUserName},
		{"USERNAME", importer.ColUserName},
		{"upn", importer.ColUserName},
		{"User Name *", importer.ColUserName},
		{"First Name [Required]", importer.ColFirstName},
		{"given-name", importer.ColFirstName},
		{"Last name [surname]", importer.ColLastName},
		{"Employee Title", importer.ColJobTitle},
		{"Work Phone", importer.ColOfficePhone},
		{"Recovery Email", importer.ColAlternateEmail},
		{"Work Address", importer.ColAddress},
		{"New Licenses [Upload Only]", importer.ColLicenses},
		{"License", importer.ColLicenses},
		{"Licence", importer.ColLicenses},
		{"Licences", importer.ColLicenses},
		{"licences [upload only]", importer.ColLicenses},
		{"Change Password at Next Sign-In", importer.ColRequirePasswordChange},
		{"Block sign in (Yes/No) [accountEnabled] Required", importer.ColBlockSignIn},
		{"Employee ID", importer.ColEmployeeID},
		{"Mobile Phone", importer.ColMobilePhone},
		{"Alternate email address", importer.ColAlternateEmail},
		{"ZIP or Postal Code", importer.ColPostalCode},
		{"Password Hash Function [UPLOAD ONLY]", importer.ColPasswordHashFunction},
		{"New Status [UPLOAD ONLY]", importer.ColStatus},
	}
	for _, tt := range tests {
		if got, ok := lookupHeader(tt.name); !ok || got != tt.want {
			t.Errorf("lookupHeader(%q) = %v %v, want %v", tt.name, got, ok, tt.want)
		}
	}
	for _, name := range []string{"Recovery Phone [MUST BE IN THE E.164 FORMAT]", "Name", "Org Unit Path [Required]", "Home Phone", "New Primary Email [UPLOAD ONLY]"} {
		if c, ok := lookupHeader(name); ok {
			t.Errorf("lookupHeader(%q) = %v, want no column", name, c)
		}
	}
	for _, c := range importer.Columns() {
		if got, ok := lookupHeader(c.String()); !ok || got != c {
			t.Errorf("own name %q not matched", c)
		}
	}
}

// TestOpen_LongLines checks that a header line over 1 MiB is refused
// without being held (an unterminated 100 MB line cost 1.48 GB), and that
// a row over 16 MiB fails alone.
func TestOpen_LongLines(t *testing.T) {
	t.Run("ErrHeader", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "long.csv")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("User Name,Display Name")
		chunk := []byte(strings.Repeat(",Column", 1<<14))
		for i := 0; i < (100<<20)/len(chunk); i++ {
			f.Write(chunk)
		}
		f.Close()
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err = Open(path, Options{})
		runtime.ReadMemStats(&after)
		wantInvalid(t, err, "line 1 of the file is longer than 1 MiB before the header row ends", "User Name")
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
			t.Errorf("refusing a 100 MB header line allocated %d MB", alloc>>20)
		}
	})
	t.Run("HeaderUnderLimit", func(t *testing.T) {
		header := "User Name,Display Name," + strings.Repeat("x", maxHeaderBytes-100)
		_, rows := readAll(t, writeFile(t, "h.csv", []byte(header+"\na@x.com,Ana\n")), Options{})
		if len(rows) != 1 {
			t.Errorf("rows = %d", len(rows))
		}
	})
	t.Run("ErrRow", func(t *testing.T) {
		data := "User Name,Display Name\na@x.com,Ana\nb@x.com," + strings.Repeat("B", maxRowBytes) + "\nc@x.com,Cy\n"
		r, err := Open(writeFile(t, "r.csv", []byte(data)), Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var got []string
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				wantInvalid(t, err, "row 3: line 3 of the file is longer than 16 MiB")
				got = append(got, "error")
				continue
			}
			got = append(got, fmt.Sprintf("%d %s", row.Number, row.Get(importer.ColUserName)))
		}
		if g := strings.Join(got, ","); g != "2 a@x.com,error,4 c@x.com" {
			t.Errorf("got %s", g)
		}
	})
}

func TestHeaderWarnings(t *testing.T) {
	t.Run("DidYouMean", func(t *testing.T) {
		r, _ := readAll(t, writeFile(t, "h.csv", []byte("User Name,Licnse,Deparment,Notes,Cost Centre\na@x.com,SPB,Sales,x,y\n")), Options{})
		w := r.Warnings()
		want := []string{
			`column B "Licnse" is ignored: did you mean "License"?`,
			`column C "Deparment" is ignored: did you mean "Department"?`,
			`ignored columns: "Notes", "Cost Centre"`,
		}
		if strings.Join(w, "|") != strings.Join(want, "|") {
			t.Errorf("warnings = %q, want %q", w, want)
		}
	})
	t.Run("ManyIgnored", func(t *testing.T) {
		var h strings.Builder
		h.WriteString("User Name")
		for i := 1; i <= 5000; i++ {
			fmt.Fprintf(&h, ",Extra %d", i)
		}
		r, _ := readAll(t, writeFile(t, "h.csv", []byte(h.String()+"\na@x.com\n")), Options{})
		w := strings.Join(r.Warnings(), "|")
		if !strings.Contains(w, `"Extra 20" and 4980 more`) || strings.Contains(w, `"Extra 21"`) {
			t.Errorf("warnings = %.300q…", w)
		}
	})
	t.Run("LongNamesCut", func(t *testing.T) {
		long := strings.Repeat("x", 500_000)
		r, _ := readAll(t, writeFile(t, "h.csv", []byte("User Name,"+long+"\na@x.com\n")), Options{})
		if w := strings.Join(r.Warnings(), "|"); len(w) > 200 || !strings.Contains(w, `"xxxx`) || !strings.Contains(w, "…") {
			t.Errorf("warnings = %.300q (%d bytes)", w, len(w))
		}
		_, err := Open(writeFile(t, "h.csv", []byte("Name,"+long+"\na@x.com\n")), Options{})
		if wantInvalid(t, err, `"Name", "xxxx`); len(err.Error()) > 1000 {
			t.Errorf("error of %d bytes", len(err.Error()))
		}
	})
	t.Run("ErrMissingNamesSheet", func(t *testing.T) {
		data := xlsxBytes(t, [][]any{{"Name", "Mail"}, {"Ana", "a@x.com"}})
		_, err := Open(writeFile(t, "h.xlsx", data), Options{})
		wantInvalid(t, err, `worksheet "Sheet1" has no "User Name" column`, `"Name", "Mail"`, "--sheet")
		empty := xlsxBytes(t, [][]any{})
		_, err = Open(writeFile(t, "e.xlsx", empty), Options{})
		wantInvalid(t, err, `worksheet "Sheet1" has no header row`, "--sheet")
		_, err = Open(writeFile(t, "h.csv", []byte("Name,Mail\nAna,a@x.com\n")), Options{})
		wantInvalid(t, err, `the file has no "User Name" column`)
		if strings.Contains(err.Error(), "--sheet") {
			t.Errorf("a CSV file's error mentions --sheet: %v", err)
		}
	})
}

func TestOneEdit(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"license", "licnse", true},
		{"license", "licenses", true},
		{"license", "lisense", true},
		{"license", "license", false},
		{"license", "licenze1", false},
		{"", "a", true},
		{"", "", false},
		{"zoë", "zoe", true},
		{"ab", "ba", false},
	} {
		if got := oneEdit(tt.a, tt.b); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v", tt.a, tt.b, got)
		}
		if got := oneEdit(tt.b, tt.a); got != tt.want {
			t.Errorf("oneEdit(%q, %q) = %v", tt.b, tt.a, got)
		}
	}
}

func TestOpen_Encodings(t *testing.T) {
	const text = "User Name\tDisplay Name\tCity\r\nzoe@contoso.com\tZoë Müller\tKöln €\r\n"
	utf16 := func(e unicode.Endianness) []byte {
		b, err := unicode.UTF16(e, unicode.UseBOM).NewEncoder().Bytes([]byte(text))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cp, err := charmap.Windows1252.NewEncoder().Bytes([]byte(strings.ReplaceAll(text, "\t", ";")))
	if err != nil {
		t.Fatal(err)
	}
	utf16NoBOM, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(text))
	tests := []struct {
		name    string
		data    []byte
		opts    Options
		warning string
	}{
		{"UTF8", []byte(text), Options{}, ""},
		{"UTF8BOM", append([]byte("\xEF\xBB\xBF"), text...), Options{}, ""},
		{"UTF16LE", utf16(unicode.LittleEndian), Options{}, ""},
		{"UTF16BE", utf16(unicode.BigEndian), Options{}, ""},
		{"UTF16LENoBOM", utf16NoBOM, Options{}, "UTF-16"},
		{"UTF16LEForced", utf16NoBOM, Options{Encoding: "utf-16le"}, ""},
		{"Windows1252", cp, Options{}, "Windows-1252"},
		{"Windows1252Forced", cp, Options{Encoding: "cp1252"}, ""},
		{"Latin1Alias", cp, Options{Encoding: "latin1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, rows := readAll(t, writeFile(t, "e.csv", tt.data), tt.opts)
			if len(rows) != 1 {
				t.Fatalf("rows = %+v", rows)
			}
			if got := rows[0].Get(importer.ColDisplayName); got != "Zoë Müller" {
				t.Errorf("display name = %q", got)
			}
			if got := rows[0].Get(importer.ColCity); got != "Köln €" {
				t.Errorf("city = %q", got)
			}
			if got := rows[0].Get(importer.ColUserName); got != "zoe@contoso.com" {
				t.Errorf("user name = %q", got)
			}
			w := strings.Join(r.Warnings(), "|")
			if tt.warning == "" && w != "" || !strings.Contains(w, tt.warning) {
				t.Errorf("warnings = %q, want %q", w, tt.warning)
			}
		})
	}
	t.Run("ErrUnknownEncoding", func(t *testing.T) {
		_, err := Open(writeFile(t, "e.csv", []byte(text)), Options{Encoding: "ebcdic"})
		wantInvalid(t, err, "--encoding")
	})
	t.Run("MixedInSniff", func(t *testing.T) {
		// One row in Windows-1252 among UTF-8 ones, all in the first MiB:
		// each cell is read in its own encoding.
		data := "User Name,Display Name\na@contoso.com,Zoë Müller\nb@contoso.com,Zo\xEB M\xFCller\nc@contoso.com,Łukasz\n"
		r, rows := readAll(t, writeFile(t, "mixed.csv", []byte(data)), Options{})
		for i, want := range []string{"Zoë Müller", "Zoë Müller", "Łukasz"} {
			if got := rows[i].Get(importer.ColDisplayName); got != want {
				t.Errorf("row %d = %q, want %q", rows[i].Number, got, want)
			}
		}
		if w := strings.Join(r.Warnings(), "|"); w != "row 3 is not valid UTF-8; its odd characters were read as Windows-1252" {
			t.Errorf("warnings = %q", w)
		}
	})
	t.Run("SplitCharacter", func(t *testing.T) {
		// Cells whose bytes together would be UTF-8 (Ã©: C3 A9) but are
		// not one by one: each is read as Windows-1252.
		data := "User Name,Display Name,Job Title\na@contoso.com,Zo\xC3,\xA9b\nb@contoso.com,Zoë,Chef\n"
		r, rows := readAll(t, writeFile(t, "split.csv", []byte(data)), Options{})
		if got := rows[0].Get(importer.ColDisplayName) + "|" + rows[0].Get(importer.ColJobTitle); got != "ZoÃ|©b" {
			t.Errorf("row 2 = %q, want %q", got, "ZoÃ|©b")
		}
		if got := rows[1].Get(importer.ColDisplayName); got != "Zoë" {
			t.Errorf("row 3 = %q, want Zoë", got)
		}
		if w := strings.Join(r.Warnings(), "|"); w != "row 2 is not valid UTF-8; its odd characters were read as Windows-1252" {
			t.Errorf("warnings = %q", w)
		}
	})
	t.Run("Windows1252AfterSniff", func(t *testing.T) {
		// Valid UTF-8 for longer than the sniffed part, then one row in
		// Windows-1252: that row's odd bytes are read as Windows-1252.
		var b bytes.Buffer
		b.WriteString("User Name,Display Name\n")
		for b.Len() < sniffSize+100 {
			b.WriteString("a@contoso.com,Zoë\n")
		}
		b.WriteString("b@contoso.com,Zo\xEB M\xFCller\n")
		r, rows := readAll(t, writeFile(t, "late.csv", b.Bytes()), Options{})
		last := rows[len(rows)-1]
		if got := last.Get(importer.ColDisplayName); got != "Zoë Müller" {
			t.Errorf("last = %q", got)
		}
		if rows[0].Get(importer.ColDisplayName) != "Zoë" {
			t.Errorf("first = %q", rows[0].Get(importer.ColDisplayName))
		}
		if w := strings.Join(r.Warnings(), "|"); !strings.Contains(w, "Windows-1252") || !strings.Contains(w, "row "+strconv.Itoa(last.Number)+" is not valid UTF-8") {
			t.Errorf("warnings = %q", w)
		}
	})
}

func TestOpen_Rejected(t *testing.T) {
	ods := zipBytes(t, map[string]string{"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "content.xml": "<x/>"})
	other := zipBytes(t, map[string]string{"readme.txt": "hello"})
	xlsb := zipBytes(t, map[string]string{"xl/workbook.bin": "\x00\x01"})
	good := xlsxBytes(t, [][]any{{"User Name"}, {"a@x.com"}})
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"XLS", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 600)...), ".xls"},
		{"ODS", ods, ".ods"},
		{"OtherZip", other, "not an Excel workbook"},
		{"XLSB", xlsb, ".xlsb"},
		{"Binary", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00"), "neither a spreadsheet nor text"},
		{"NULInHeader", []byte("User Name,Disp\x00lay Name\na@x.com,A\n"), "neither a spreadsheet nor text"},
		{"TruncatedZip", good[:len(good)/2], "damaged"},
		{"TruncatedZipHead", good[:30], "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Open(writeFile(t, "f", tt.data), Options{})
			wantInvalid(t, err, tt.want, "save")
		})
	}
}

// TestOpen_NULInCell: one NUL byte in a data cell of a text file is a bad
// cell, whose row fails alone (by the rules), not a binary file.
func TestOpen_NULInCell(t *testing.T) {
	_, rows := readAll(t, writeFile(t, "nul.csv", []byte("User Name,Display Name\nnul@x.com,Nul\x00One\nok@x.com,Fine\n")), Options{})
	if len(rows) != 2 || rows[0].Cells[importer.ColDisplayName] != "Nul\x00One" || rows[1].Cells[importer.ColUserName] != "ok@x.com" {
		t.Fatalf("rows %+v, want both, the first with its NUL", rows)
	}
}
