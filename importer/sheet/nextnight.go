package sheet

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"userimport/importer"
)

// Changes say how NextNight makes the next night's HR file from a night's.
type Changes struct {
	Leavers int // rows dropped
	Movers  int // rows whose department changes; every other one's last name too
	Joiners int // new people, at the end, with a blank User Name (a feed's --upn makes it)
	Domain  string
	Seed    int64
}

// NextNight writes to w, as "csv" or "xlsx", the file an HR system would
// drop the night after the file at from: the same people in the same
// order, but for c.Leavers rows dropped, c.Movers rows moved to another
// department (every other one also with a new last name, as after a
// marriage: the user name stays), and c.Joiners new people at the end.
// Joiners have fresh employee IDs and no User Name; when there are two or
// more, the first two share a first and last name, and the third (if any)
// takes the name of someone in the file, so that the feed's user-name
// pattern must number them. The same seed gives the same night. The file
// at from is read twice, as a stream.
func NextNight(w io.Writer, format, from string, c Changes) error {
	if c.Leavers < 0 || c.Movers < 0 || c.Joiners < 0 {
		return importer.Errorf(importer.EINVALID, "--leavers, --movers and --joiners take 0 or more")
	}
	total, maxID, err := scanNight(from)
	if err != nil {
		return err
	}
	if c.Leavers+c.Movers > total {
		return importer.Errorf(importer.EINVALID, "--leavers %d and --movers %d: %s has only %d rows", c.Leavers, c.Movers, from, total)
	}
	rnd := rand.New(rand.NewPCG(uint64(c.Seed), 0x0e1647))
	picked := rnd.Perm(total)[:c.Leavers+c.Movers] // a permutation of total ints: 8 bytes a row, for a few seconds
	fate := make(map[int]byte, len(picked))        // row index → 'l' (leaver) or 'm' (mover)
	for i, idx := range picked {
		if i < c.Leavers {
			fate[idx] = 'l'
		} else {
			fate[idx] = 'm'
		}
	}
	r, err := Open(from, Options{})
	if err != nil {
		return err
	}
	defer r.Close()
	// The joiners are new people: not the generator's first ones, whom
	// the first night (made by generate with the same seed) holds already.
	g := newGenerator(c.Domain, c.Seed^int64(maxID)<<20^0x101e1)
	if c.Domain == "" {
		g.domain = "contoso.com"
	}
	return writeRoster(w, format, func(emit func([]string) error) error {
		var someone [2]string // a first and last name of the file, for a joiner's clash
		out := make([]string, importer.NumColumns)
		moved := 0
		for i := 0; ; i++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return err
			}
			copy(out, row.Cells[:])
			switch fate[i] {
			case 'l':
				continue
			case 'm':
				out[importer.ColDepartment] = otherDepartment(rnd, out[importer.ColDepartment])
				if moved%2 == 1 {
					c := &countries[rnd.IntN(len(countries))]
					last := c.last[rnd.IntN(len(c.last))].text
					if last == out[importer.ColLastName] {
						last += "-" + c.last[0].text
					}
					out[importer.ColLastName] = last
					out[importer.ColDisplayName] = strings.TrimSpace(out[importer.ColFirstName] + " " + last)
				}
				moved++
			}
			if someone[0] == "" && out[importer.ColFirstName] != "" && out[importer.ColLastName] != "" {
				someone = [2]string{out[importer.ColFirstName], out[importer.ColLastName]}
			}
			if err := emit(out); err != nil {
				return err
			}
		}
		var twin [2]string
		for j := 0; j < c.Joiners; j++ {
			p := g.person(j)
			switch {
			case j == 1:
				p[importer.ColFirstName], p[importer.ColLastName] = twin[0], twin[1]
			case j == 2 && someone[0] != "":
				p[importer.ColFirstName], p[importer.ColLastName] = someone[0], someone[1]
			}
			if j == 0 {
				twin = [2]string{p[importer.ColFirstName], p[importer.ColLastName]}
			}
			p[importer.ColDisplayName] = p[importer.ColFirstName] + " " + p[importer.ColLastName]
			p[importer.ColUserName] = ""
			p[importer.ColAlternateEmail] = ""
			p[importer.ColEmployeeID] = fmt.Sprintf("E%07d", maxID+1+j)
			if err := emit(p); err != nil {
				return err
			}
		}
		return nil
	})
}

// scanNight counts the data rows of the file at from and finds the highest
// number among its employee IDs (E0123456 is 123456).
func scanNight(from string) (rows, maxID int, err error) {
	r, err := Open(from, Options{})
	if err != nil {
		return 0, 0, err
	}
	defer r.Close()
	if !r.Has(importer.ColEmployeeID) {
		return 0, 0, importer.Errorf(importer.EINVALID, "--from %s: no Employee ID column: a night's file matches people by it", from)
	}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return rows, maxID, nil
		}
		if err != nil {
			return 0, 0, err
		}
		rows++
		id := strings.TrimLeft(row.Cells[importer.ColEmployeeID], "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
		if n, err := strconv.Atoi(id); err == nil && n > maxID {
			maxID = n
		}
	}
}

func otherDepartment(rnd *rand.Rand, current string) string {
	for {
		d := departments[rnd.IntN(len(departments))].name
		if d != current {
			return d
		}
	}
}
