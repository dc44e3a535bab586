package sheet

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"userimport/importer"
)

// Generate writes a roster of n fake people to w, in our template's columns,
// as "csv" or "xlsx": Unicode names whose user names in domain are ASCII
// and unique, departments, titles, phones, addresses whose city, country and
// usage location agree, unique employee IDs and, for most, a license of the
// demo tenant. The same seed gives the same roster. Rows are written as they
// are made (the XLSX through excelize's StreamWriter), so memory does not
// grow with n.
func Generate(w io.Writer, format string, n int, domain string, seed int64) error {
	if n < 0 {
		return importer.Errorf(importer.EINVALID, "--rows %d: give a number of rows, 0 or more", n)
	}
	if domain == "" {
		domain = "contoso.com"
	}
	g := newGenerator(domain, seed)
	return writeRoster(w, format, func(emit func([]string) error) error {
		for i := 0; i < n; i++ {
			if err := emit(g.person(i)); err != nil {
				return err
			}
		}
		return nil
	})
}

// writeRoster writes our header and the rows that rows emits, as "csv" or
// "xlsx", as they come.
func writeRoster(w io.Writer, format string, rows func(emit func([]string) error) error) error {
	wrap := func(err error) error { return fmt.Errorf("sheet: generate: %w", err) }
	switch format {
	case "csv":
		bw := bufio.NewWriterSize(w, 64<<10)
		cw := csv.NewWriter(bw)
		cw.UseCRLF = true
		if err := cw.Write(columnNames()); err != nil {
			return wrap(err)
		}
		if err := rows(cw.Write); err != nil {
			return wrap(err)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return wrap(err)
		}
		if err := bw.Flush(); err != nil {
			return wrap(err)
		}
		return nil
	case "xlsx":
		return generateXLSX(w, rows)
	}
	return importer.Errorf(importer.EINVALID, "format %q: use csv or xlsx", format)
}

func generateXLSX(w io.Writer, rows func(emit func([]string) error) error) error {
	f := excelize.NewFile()
	defer f.Close()
	wrap := func(err error) error { return fmt.Errorf("sheet: generate: %w", err) }
	if err := f.SetSheetName("Sheet1", usersSheet); err != nil {
		return wrap(err)
	}
	sw, err := f.NewStreamWriter(usersSheet)
	if err != nil {
		return wrap(err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return wrap(err)
	}
	for _, c := range importer.Columns() {
		if err := sw.SetColWidth(int(c)+1, int(c)+1, columnWidth(c)); err != nil {
			return wrap(err)
		}
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return wrap(err)
	}
	names := columnNames()
	cells := make([]any, len(names))
	for i, name := range names {
		cells[i] = excelize.Cell{StyleID: bold, Value: name}
	}
	if err := sw.SetRow("A1", cells); err != nil {
		return wrap(err)
	}
	row := 1
	err = rows(func(vs []string) error {
		row++
		for j, v := range vs {
			cells[j] = v
		}
		cell, err := excelize.CoordinatesToCellName(1, row)
		if err != nil {
			return err
		}
		return sw.SetRow(cell, cells)
	})
	if err != nil {
		return wrap(err)
	}
	if err := sw.Flush(); err != nil {
		return wrap(err)
	}
	if err := f.Write(w); err != nil {
		return wrap(err)
	}
	return nil
}

// name is a name as written and as its ASCII user-name form; ascii is
// derived by asciiFold when empty.
type name struct{ text, ascii string }

type city struct {
	name, state, postal, phone, street string
}

type country struct {
	name, code  string
	first, last []name
	cities      []city
	phoneDigits int
}

func names(s string) []name {
	var ns []name
	for _, f := range strings.Split(s, ",") {
		text, ascii, _ := strings.Cut(f, "=")
		ns = append(ns, name{text, ascii})
	}
	return ns
}

var countries = []country{
	{"United States", "US", names("James,Mary,Chloé,Zoë,Liam,Olivia,Noah,Emma,Aaliyah,Mateo,Siobhan,D'Andre"), names("Smith,Johnson,O'Brien,García,Nguyễn,Williams,Brown,Martínez,Lee,Miller,Kowalski,Davis"),
		[]city{{"Redmond", "WA", "98052", "+1 425 555", "One Microsoft Way"}, {"New York", "NY", "10001", "+1 212 555", "350 Fifth Avenue"}, {"Boston", "MA", "02110", "+1 617 555", "1 Federal Street"}}, 4},
	{"Germany", "DE", names("Jürgen,Lena,Maximilian,Sophie,Lukas,Hannah,Jörg,Anna-Lena"), names("Müller,Schmidt,Schneider,Fischer,Weiß,Köhler,Groß,Schäfer"),
		[]city{{"Berlin", "BE", "10115", "+49 30", "Friedrichstraße 10"}, {"München", "BY", "80331", "+49 89", "Marienplatz 8"}}, 7},
	{"France", "FR", names("Chloé,Élodie,François,Benoît,Anaïs,Gaëlle,Jérôme,Léa"), names("Dubois,Lefèvre,Moreau,Girard,Rousseau,Bézier,Fontaine,Chevalier"),
		[]city{{"Paris", "", "75008", "+33 1", "8 rue de Rivoli"}, {"Lyon", "", "69002", "+33 4", "12 quai Saint-Antoine"}}, 8},
	{"Poland", "PL", names("Łukasz,Małgorzata,Paweł,Zofia,Wojciech,Agnieszka,Michał,Józef"), names("Wiśniewski,Kowalczyk,Wójcik,Kamińska,Zieliński,Szymańska,Dąbrowski,Łuczak"),
		[]city{{"Warszawa", "Mazowieckie", "00-950", "+48 22", "ul. Marszałkowska 1"}, {"Kraków", "Małopolskie", "30-001", "+48 12", "Rynek Główny 5"}}, 7},
	{"Denmark", "DK", names("Søren,Mette,Kasper,Frederik,Ida,Mikkel,Astrid,Rasmus"), names("Jørgensen,Sørensen,Nielsen,Hansen,Ødegaard,Larsen,Møller,Kjær"),
		[]city{{"København", "", "1050", "+45", "Strøget 12"}, {"Aarhus", "", "8000", "+45", "Åboulevarden 3"}}, 8},
	{"Iceland", "IS", names("Ólafur,Guðrún,Sigríður,Þór,Björk,Einar,Hildur,Ragnar"), names("Jónsson,Guðmundsdóttir,Sigurðsson,Þórsdóttir,Magnússon,Ólafsdóttir,Einarsson,Björnsson"),
		[]city{{"Reykjavík", "", "101", "+354", "Laugavegur 20"}}, 7},
	{"Spain", "ES", names("José,María,Íñigo,Begoña,Nuria,Raúl,Inés,Ángel"), names("García,Fernández,Núñez,Muñoz,Martín,Pérez,Jiménez,Ibáñez"),
		[]city{{"Madrid", "Madrid", "28013", "+34 91", "Calle Mayor 1"}, {"Barcelona", "Barcelona", "08002", "+34 93", "La Rambla 50"}}, 7},
	{"Vietnam", "VN", names("Anh,Bảo,Hương,Minh,Thảo,Quang,Linh,Đức"), names("Nguyễn,Trần,Lê,Phạm,Hoàng,Vũ,Đặng,Bùi"),
		[]city{{"Hà Nội", "", "100000", "+84 24", "12 Tràng Tiền"}, {"Thành phố Hồ Chí Minh", "", "700000", "+84 28", "86 Lê Thánh Tôn"}}, 8},
	{"China", "CN", names("伟=wei,芳=fang,娜=na,秀英=xiuying,敏=min,静=jing,强=qiang,磊=lei"), names("李=li,王=wang,张=zhang,刘=liu,陈=chen,杨=yang,赵=zhao,黄=huang"),
		[]city{{"上海", "上海", "200000", "+86 21", "南京东路 100 号"}, {"北京", "北京", "100000", "+86 10", "长安街 1 号"}}, 8},
	{"Ireland", "IE", names("Siobhán,Seán,Aoife,Niamh,Ciarán,Róisín,Pádraig,Éabha"), names("O'Brien,Ó Súilleabháin,Murphy,O'Connor,Mac Cárthaigh,Kelly,Walsh,Ní Bhriain"),
		[]city{{"Dublin", "", "D02 X285", "+353 1", "1 Grand Canal Square"}}, 7},
}

var departments = []struct {
	name   string
	titles []string
}{
	{"Engineering", []string{"Software Engineer", "Senior Software Engineer", "Engineering Manager", "Site Reliability Engineer"}},
	{"Sales", []string{"Account Executive", "Sales Manager", "Sales Development Representative"}},
	{"Marketing", []string{"Marketing Specialist", "Content Strategist", "Marketing Director"}},
	{"Finance", []string{"Accountant", "Financial Analyst", "Controller"}},
	{"Human Resources", []string{"HR Generalist", "Recruiter", "HR Business Partner"}},
	{"Operations", []string{"Operations Analyst", "Logistics Coordinator", "Facilities Manager"}},
	{"Customer Support", []string{"Support Specialist", "Support Team Lead"}},
	{"Legal", []string{"Counsel", "Paralegal"}},
}

// licenses of the demo tenant, weighted: a blank cell is no license.
var licenses = []string{"ENTERPRISEPACK", "ENTERPRISEPACK", "ENTERPRISEPACK", "SPB", "SPB", "EXCHANGESTANDARD", "EXCHANGESTANDARD", ""}

type generator struct {
	rnd     *rand.Rand
	domain  string
	aliases map[string]int // base alias → times used; at most first × last names entries
	idStart int
	row     []string
}

func newGenerator(domain string, seed int64) *generator {
	rnd := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	return &generator{
		rnd:     rnd,
		domain:  domain,
		aliases: make(map[string]int),
		idStart: 100000 + rnd.IntN(100000),
		row:     make([]string, importer.NumColumns),
	}
}

// person returns row i of the roster; the slice is reused by the next call.
func (g *generator) person(i int) []string {
	r := g.rnd
	c := &countries[r.IntN(len(countries))]
	first, last := c.first[r.IntN(len(c.first))], c.last[r.IntN(len(c.last))]
	ct := c.cities[r.IntN(len(c.cities))]
	d := departments[r.IntN(len(departments))]

	base := asciiAlias(first) + "." + asciiAlias(last)
	alias := base
	if k := g.aliases[base]; k > 0 {
		alias = fmt.Sprintf("%s%d", base, k+1)
	}
	g.aliases[base]++

	row := g.row
	for j := range row {
		row[j] = ""
	}
	row[importer.ColUserName] = alias + "@" + g.domain
	row[importer.ColFirstName] = first.text
	row[importer.ColLastName] = last.text
	if c.code == "CN" {
		row[importer.ColDisplayName] = last.text + first.text
	} else {
		row[importer.ColDisplayName] = first.text + " " + last.text
	}
	row[importer.ColJobTitle] = d.titles[r.IntN(len(d.titles))]
	row[importer.ColDepartment] = d.name
	row[importer.ColOfficeNumber] = fmt.Sprintf("%d/%d", 1+r.IntN(40), 1000+r.IntN(9000))
	row[importer.ColOfficePhone] = g.phone(c, ct)
	if r.IntN(3) > 0 {
		row[importer.ColMobilePhone] = g.phone(c, ct)
	}
	if r.IntN(4) == 0 {
		row[importer.ColAlternateEmail] = alias + "@example.net"
	}
	row[importer.ColAddress] = ct.street
	row[importer.ColCity] = ct.name
	row[importer.ColState] = ct.state
	row[importer.ColPostalCode] = ct.postal
	row[importer.ColCountry] = c.name
	row[importer.ColUsageLocation] = c.code
	row[importer.ColLicenses] = licenses[r.IntN(len(licenses))]
	row[importer.ColEmployeeID] = fmt.Sprintf("E%07d", g.idStart+i)
	return row
}

func (g *generator) phone(c *country, ct city) string {
	digits := make([]byte, c.phoneDigits)
	for i := range digits {
		digits[i] = byte('0' + g.rnd.IntN(10))
	}
	return ct.phone + " " + string(digits)
}

// asciiAlias returns n's user-name form: its given ASCII form, or its text
// with accents stripped and letters such as ł, ø, ß and þ spelled in ASCII,
// lower case, keeping only letters, digits and hyphens.
func asciiAlias(n name) string {
	s := n.ascii
	if s == "" {
		s = asciiFold(n.text)
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		}
	}
	return strings.Trim(b.String(), "-")
}

var foldSpecial = strings.NewReplacer(
	"ł", "l", "Ł", "L", "ø", "o", "Ø", "O", "ß", "ss", "æ", "ae", "Æ", "Ae",
	"œ", "oe", "Œ", "Oe", "đ", "d", "Đ", "D", "þ", "th", "Þ", "Th", "ð", "d", "Ð", "D", "ı", "i",
)

// asciiFold spells s in ASCII letters where it can: José → Jose,
// Łukasz → Lukasz, Søren → Soren, Nguyễn → Nguyen.
func asciiFold(s string) string {
	s = foldSpecial.Replace(s)
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}
