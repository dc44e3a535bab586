package web_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"userimport/importer"
	"userimport/importer/sheet"
	"userimport/internal/dirtest"
)

// BenchmarkUploadToPreview measures, for a 100,000-row CSV, the time from
// the end of the upload to the preview page ready (the dry run of POST
// /batches, until its 303). Target: 5 s.
func BenchmarkUploadToPreview(b *testing.B) {
	var csv bytes.Buffer
	if err := sheet.Generate(&csv, "csv", 100_000, "contoso.com", 1); err != nil {
		b.Fatal(err)
	}
	{
		t := b
		db := dirtest.Demo(t, "sqlite:"+t.TempDir()+"/userimport.db")
		s := newSite(t, db)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		b.ResetTimer()
		var total time.Duration
		for i := 0; i < b.N; i++ {
			start := time.Now()
			a := c.upload("roster.csv", csv.Bytes(), nil)
			total += time.Since(start)
			if a.status != http.StatusSeeOther {
				t.Fatalf("upload: %d %s", a.status, a.body)
			}
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "s/preview")
		fmt.Fprintf(os.Stderr, "upload of a 100,000-row CSV to the preview ready: %.2f s (target 5 s)\n", total.Seconds()/float64(b.N))
	}
}

// BenchmarkUsersPage measures the server time of the Users page's first
// and hundredth page (keyset paging) and of a search, with
// USERIMPORT_BENCH_USERS users in the directory (default 100,000; SPEC's
// target is 1,000,000 users and 100 ms a page).
func BenchmarkUsersPage(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("USERIMPORT_BENCH_USERS")); err == nil && v > 0 {
		n = v
	}
	{
		t := b
		db := dirtest.Demo(t, "sqlite:"+t.TempDir()+"/userimport.db")
		const chunk = 5000
		for i := 0; i < n; i += chunk {
			var plans []*importer.Planned
			for j := i; j < min(i+chunk, n); j++ {
				p := dirtest.NewUser(fmt.Sprintf("u%07d@contoso.com", j))
				p.User.DisplayName, p.User.EmployeeID = fmt.Sprintf("Person %07d", j), fmt.Sprintf("E%07d", j)
				p.Row = j - i + 1
				plans = append(plans, p)
			}
			dirtest.MustProvision(t, db, dirtest.Admin, plans...)
		}
		s := newSite(t, db)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		after := fmt.Sprintf("u%07d@contoso.com", 99*importer.UserPageSize-1)
		for _, p := range []struct{ name, path string }{
			{"first page", "/users"},
			{"hundredth page", "/users?" + url.Values{"after": {after}}.Encode()},
			{"search by display name (1% of the users match)", "/users?q=" + url.QueryEscape("person "+onePercent(n))},
			{"search by employee ID", "/users?q=E0000042"},
		} {
			var total time.Duration
			for i := 0; i < b.N; i++ {
				start := time.Now()
				if a := c.get(p.path); a.status != http.StatusOK {
					t.Fatalf("%s: %d", p.path, a.status)
				}
				total += time.Since(start)
			}
			fmt.Fprintf(os.Stderr, "Users page, %d users, %s: %.1f ms (target 100 ms)\n", n, p.name, float64(total.Microseconds())/1000/float64(b.N))
		}
	}
}

// onePercent is the prefix of the numbers 0…n-1 (7 digits) that 1% of
// them start with: "001" for 1,000,000.
func onePercent(n int) string {
	s := fmt.Sprintf("%07d", n/100)
	i := strings.IndexFunc(s, func(r rune) bool { return r != '0' })
	return s[:i+1]
}

// BenchmarkFollowers measures how much 50 clients polling a batch's JSON
// every second, as the page's script does, slow the batch: the same 5,000-row import, in two fresh directories, without and
// with them. Target: less than 10%.
func BenchmarkFollowers(b *testing.B) {
	var csv bytes.Buffer
	if err := sheet.Generate(&csv, "csv", 5000, "contoso.com", 7); err != nil {
		b.Fatal(err)
	}
	runBatch := func(followers int) time.Duration {
		db := dirtest.Demo(b, "sqlite:"+b.TempDir()+"/userimport.db")
		s := newSite(b, db)
		c := s.client()
		c.mustSignIn(dirtest.Admin, dirtest.AdminPassword)
		c.get("/import")
		loc := c.upload("roster.csv", csv.Bytes(), nil).header.Get("Location")
		c.get(loc)
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < followers; i++ {
			f := s.client()
			f.hc.Jar = c.hc.Jar
			wg.Add(1)
			go func() {
				defer wg.Done()
				tick := time.NewTicker(time.Second)
				defer tick.Stop()
				for {
					select {
					case <-stop:
						return
					case <-tick.C:
						resp, err := f.hc.Get(s.srv.URL + loc + ".json")
						if err == nil {
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
						}
					}
				}
			}()
		}
		start := time.Now()
		if a := c.post(loc+"/start", nil); a.status != http.StatusSeeOther {
			b.Fatalf("start: %d", a.status)
		}
		s.starter.Wait()
		d := time.Since(start)
		close(stop)
		wg.Wait()
		return d
	}
	for i := 0; i < b.N; i++ {
		alone, followed := runBatch(0), runBatch(50)
		slow := 100 * (followed.Seconds() - alone.Seconds()) / alone.Seconds()
		b.ReportMetric(slow, "%slower")
		fmt.Fprintf(os.Stderr, "5,000-row batch: %.2f s alone, %.2f s with 50 followers: %+.1f%% (target < 10%%)\n", alone.Seconds(), followed.Seconds(), slow)
	}
}
