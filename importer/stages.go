package importer

import (
	"context"
	"errors"
	"io"
	"strings"
	"userimport/validate"
)

// readChunks streams the file's rows in chunks; it closes out when done.
func (r *run) readChunks(ctx context.Context, out chan<- []Row) error {
	defer close(out)
	total, failing, last := 0, 0, 0
	chunk := make([]Row, 0, r.o.ChunkSize)
	for {
		row, err := r.src.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// A row that cannot be read fails alone, as a bad row does;
			// only a reader that makes no progress stops the batch.
			failing++
			if ErrorCode(err) != EINVALID || row.Number <= last || failing > maxUnreadable {
				return err
			}
			row = Row{Number: row.Number, Problem: ErrorMessage(err)}
		} else {
			failing = 0
		}
		last = row.Number
		total++
		chunk = append(chunk, row)
		if len(chunk) == r.o.ChunkSize {
			select {
			case out <- chunk:
			case <-ctx.Done():
				return ctx.Err()
			}
			chunk = make([]Row, 0, r.o.ChunkSize)
		}
	}
	if len(chunk) > 0 {
		select {
		case out <- chunk:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.o.Progress.setTotal(total)
	// The reader learns of some things (cells read as Windows-1252) only
	// as it reads: say those too, and count them all in the summary.
	r.rep.Total = total
	ws := r.src.Warnings()
	if total == 0 {
		ws = append(ws, "the file has a header row but no data rows: nothing was imported")
	}
	for _, w := range ws {
		if !r.warned[w] {
			r.o.Log.Warn(w)
		}
	}
	r.rep.Summary.Warnings, r.rep.Summary.WarningLines = len(ws), ws
	return nil
}

// planChunk looks the chunk's users up in bulk and plans each row. skip
// tells rows already journaled (resume): those are only remembered for the
// duplicate check.
func (p *planner) chunk(ctx context.Context, dir Directory, rows []Row, skip func(row int) bool) ([]JournalRow, error) {
	upnKeys := make([]string, len(rows))
	empKeys := make([]string, len(rows))
	var lookUPN, lookEmp []string
	var known []*User
	for i := range rows {
		upnKeys[i], empKeys[i] = p.keys(&rows[i])
		if skip(rows[i].Number) {
			continue
		}
		if k := rows[i].Known; k != nil && upnKeys[i] == strings.ToLower(k.UserPrincipalName) &&
			(empKeys[i] == "" || empKeys[i] == strings.ToLower(k.EmployeeID)) {
			known = append(known, k) // its source looked it up a moment ago
			continue
		}
		if upnKeys[i] != "" {
			lookUPN = append(lookUPN, upnKeys[i])
		}
		if empKeys[i] != "" {
			lookEmp = append(lookEmp, empKeys[i])
		}
	}
	users, owners, err := dir.Lookup(ctx, lookUPN, lookEmp)
	if err != nil {
		return nil, err
	}
	for _, k := range known {
		key := strings.ToLower(k.UserPrincipalName)
		users[key] = k
		if k.EmployeeID != "" {
			owners[strings.ToLower(k.EmployeeID)] = key
		}
	}
	out := make([]JournalRow, 0, len(rows))
	for i := range rows {
		dupUPN, dupEmp := p.remember(rows[i].Number, upnKeys[i], empKeys[i])
		if skip(rows[i].Number) {
			continue
		}
		out = append(out, p.plan(&rows[i], upnKeys[i], dupUPN, dupEmp, users[upnKeys[i]], owners[empKeys[i]]))
	}
	return out, nil
}

// planned is one chunk after the plan step, on its way to the writer.
type planned struct {
	chunk   int          // index of the read chunk, from 0
	lastRow int          // its last row number
	rows    []JournalRow // rows planned now
	all     bool         // rows holds every row of the chunk (none was journaled before)
	fresh   []Work       // the planned rows' work, with passwords from the file
	resumed []Work       // rows a crashed run staged but did not write
}

// planAll plans each chunk (looking its users up in bulk) and hands it on.
// It alone reads done and staged.
func (r *run) planAll(ctx context.Context, chunks <-chan []Row, out chan<- planned, done map[int]bool, staged map[int]*Planned) error {
	defer close(out)
	journaled := func(row int) bool { return done[row] || staged[row] != nil }
	index := 0
	for rows := range chunks {
		jrs, err := r.plan.chunk(ctx, r.dir, rows, journaled)
		if err != nil {
			return err
		}
		p := planned{chunk: index, lastRow: rows[len(rows)-1].Number, rows: jrs, all: len(jrs) == len(rows)}
		index++
		byNumber := make(map[int]*Row, len(rows))
		for i := range rows {
			byNumber[rows[i].Number] = &rows[i]
		}
		for _, jr := range jrs {
			if jr.Plan != nil {
				p.fresh = append(p.fresh, Work{Plan: jr.Plan, Password: passwordCell(jr.Plan, byNumber[jr.Row]), chunk: p.chunk})
			}
		}
		for i := range rows {
			n := rows[i].Number
			if done[n] {
				delete(done, n)
			} else if pl := staged[n]; pl != nil {
				p.resumed = append(p.resumed, Work{Plan: pl, Password: passwordCell(pl, &rows[i]), chunk: p.chunk})
				delete(staged, n)
			}
		}
		select {
		case out <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

// write journals each planned chunk with its seats, in row order, and
// hands the rows that need hashing to the workers; a chunk with nothing to
// hash it writes whole at once.
func (r *run) write(ctx context.Context, in <-chan planned, work chan<- []Work) error {
	defer close(work)
	size := bulkChunk
	if !r.o.NoPasswords {
		size = hashingChunk
	}
	for p := range in {
		whole, results, err := r.writeWhole(ctx, &p)
		if err != nil {
			return err
		}
		if !whole {
			if err := r.dir.Stage(ctx, r.batchID, p.rows); err != nil {
				return err
			}
		}
		if !p.all {
			results = nil // the rows journaled before are the journal's to tell
		}
		items := append(p.fresh, p.resumed...)
		r.follow.register(p.chunk, p.lastRow, len(items), results)
		for len(items) > 0 {
			n := min(size, len(items))
			select {
			case work <- items[:n:n]:
			case <-ctx.Done():
				return ctx.Err()
			}
			items = items[n:]
		}
	}
	return nil
}

// writeWhole counts the rows of a planned chunk that are decided (failed,
// unchanged: journaled as done) in the progress, and, when none of its
// rows has a password to hash, writes the chunk whole in its staging
// transaction and counts its rows too. It reports whether it wrote it, and
// then the rows' results, when the directory gave them.
func (r *run) writeWhole(ctx context.Context, p *planned) (bool, []Result, error) {
	decided := 0 // rows done by an earlier run were counted on resume
	for _, jr := range p.rows {
		if jr.Plan == nil {
			decided++
		}
	}
	whole := len(p.rows) == 0 || !needsHashing(p.rows)
	var results []Result
	if whole && len(p.rows) > 0 {
		var err error
		if results, err = r.dir.StageAndProvision(context.WithoutCancel(ctx), r.batchID, r.o.Actor.UserPrincipalName, p.rows); err != nil {
			return false, nil, err
		}
		decided += len(p.fresh)
		p.fresh = nil
	}
	r.o.Progress.add(decided)
	return whole, results, nil
}

func needsHashing(jrs []JournalRow) bool {
	for _, jr := range jrs {
		if jr.Plan != nil && jr.Plan.Action == ActionCreate && (jr.Plan.NeedsPassword || jr.Plan.ImportedHash != "") {
			return true
		}
	}
	return false
}

func passwordCell(p *Planned, row *Row) Secret {
	if p.PasswordFromFile && row != nil {
		return Secret(row.Cells[ColPassword])
	}
	return ""
}

// hash is one hasher: it gives each row that gets a password its password
// (from the file, else generated) and the password's hash. There is one
// hasher per CPU, so that every core hashes while the writers write.
func (r *run) hash(ctx context.Context, work <-chan []Work, hashed chan<- []Work) error {
	for {
		var items []Work
		select {
		case <-ctx.Done():
			return ctx.Err()
		case w, ok := <-work:
			if !ok {
				return nil
			}
			items = w
		}
		for i := range items {
			it := &items[i]
			if it.Plan.ImportedHash != "" {
				it.Hash = it.Plan.ImportedHash // stored as given: its password is not ours to know
				continue
			}
			if !it.Plan.NeedsPassword || it.Plan.Action != ActionCreate {
				continue
			}
			if it.Password == "" {
				alias, _, _ := strings.Cut(it.Plan.User.UserPrincipalName, "@")
				pw, err := validate.GeneratePasswordFor(alias)
				if err != nil {
					return err
				}
				it.Password = Secret(pw)
			}
			h, err := r.o.Hasher.Hash(ctx, it.Password.Reveal())
			if err != nil {
				return err
			}
			it.Hash = h
		}
		select {
		case hashed <- items:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// provision is one writer: it writes hashed rows and notes their passwords.
func (r *run) provision(ctx context.Context, hashed <-chan []Work) error {
	for {
		var items []Work
		select {
		case <-ctx.Done():
			return ctx.Err()
		case w, ok := <-hashed:
			if !ok {
				return nil
			}
			items = w
		}
		// Rows in flight finish even when the run is interrupted: their
		// passwords exist only here, and the notice must get them.
		wctx := context.WithoutCancel(ctx)
		results, err := r.dir.Provision(wctx, r.batchID, r.o.Actor.UserPrincipalName, items)
		if err != nil {
			return err
		}
		var lines []noticeLine
		for i, res := range results {
			if res.Outcome == Created && items[i].Hash != "" && items[i].Password != "" {
				lines = append(lines, noticeLine{row: res.Row, upn: res.UserName, password: items[i].Password,
					mustChange: items[i].Plan.User.MustChangePassword})
			}
		}
		if err := r.addToNotice(wctx, lines); err != nil {
			return err
		}
		r.o.Progress.add(len(items))
		r.follow.done(items[0].chunk, len(items))
	}
}
