package main

import (
	"bytes"
	"context"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"
)

var t0 = time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)

func at(secs float64) time.Time { return t0.Add(time.Duration(secs * float64(time.Second))) }

// TestRenderProgress checks the progress line at fixed points.
func TestRenderProgress(t *testing.T) {
	for _, tt := range []struct {
		name                     string
		done, total, doneAtStart int64
		samples                  []progressSample
		now                      time.Time
		want                     string
	}{
		{
			name: "TotalUnknown", done: 1234, total: -1,
			samples: []progressSample{{at(0), 0}, {at(2), 1234}}, now: at(2),
			want: "1,234 rows · total not known yet · 617 rows/s",
		},
		{
			// The bar of the issue: 50,000 of 50,000 showed 24%.
			name: "Finished", done: 50000, total: 50000,
			samples: []progressSample{{at(0), 40000}, {at(10), 50000}}, now: at(10),
			want: "100% [████████████████████████] 50,000 of 50,000 rows · 1,000 rows/s · 0s left",
		},
		{
			name: "Quarter", done: 12500, total: 50000,
			samples: []progressSample{{at(0), 4000}, {at(10), 12500}}, now: at(10),
			want: " 25% [██████░░░░░░░░░░░░░░░░░░] 12,500 of 50,000 rows · 850 rows/s · 45s left",
		},
		{
			// Rounded down: 100% only once every row is done.
			name: "AlmostDone", done: 49999, total: 50000,
			samples: []progressSample{{at(0), 49000}, {at(10), 49999}}, now: at(10),
			want: " 99% [███████████████████████░] 49,999 of 50,000 rows · 100 rows/s · 1s left",
		},
		{
			// At the start there is no speed yet, let alone 60,516,203 rows/s.
			name: "JustStarted", done: 5000, total: 20000,
			samples: []progressSample{{at(0), 0}, {at(0.01), 5000}}, now: at(0.01),
			want: " 25% [██████░░░░░░░░░░░░░░░░░░] 5,000 of 20,000 rows",
		},
		{
			// A resumed batch: 15,000 rows were done before this run; they
			// count in the percentage, not in the speed, even when they
			// arrive after the first sample.
			name: "Resumed", done: 15300, total: 20000, doneAtStart: 15000,
			samples: []progressSample{{at(0), 0}, {at(1), 15100}, {at(3), 15300}}, now: at(3),
			want: " 76% [██████████████████░░░░░░] 15,300 of 20,000 rows · 100 rows/s · 47s left",
		},
		{
			name: "Stalled", done: 100, total: 1000,
			samples: []progressSample{{at(0), 100}, {at(5), 100}}, now: at(5),
			want: " 10% [██░░░░░░░░░░░░░░░░░░░░░░] 100 of 1,000 rows · 0.0 rows/s",
		},
		{
			name: "HoursLeft", done: 1000, total: 1000000,
			samples: []progressSample{{at(0), 0}, {at(10), 1000}}, now: at(10),
			want: "  0% [░░░░░░░░░░░░░░░░░░░░░░░░] 1,000 of 1,000,000 rows · 100 rows/s · 2h46m left",
		},
		{
			name: "EmptyFile", done: 0, total: 0,
			samples: []progressSample{{at(0), 0}}, now: at(0),
			want: "100% [████████████████████████] 0 of 0 rows",
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := renderProgress(tt.done, tt.total, tt.doneAtStart, tt.samples, tt.now)
			if got != tt.want {
				t.Errorf("renderProgress =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

// TestProgressMeter_Window: the speed follows the last seconds, not the
// average since the start.
func TestProgressMeter_Window(t *testing.T) {
	var m progressMeter
	// 100 rows/s for a minute, then 1,000 rows/s.
	done := int64(0)
	for s := 0; s <= 60; s++ {
		m.sample(at(float64(s)), done)
		done += 100
	}
	done -= 100
	for s := 61; s <= 80; s++ {
		done += 1000
		m.sample(at(float64(s)), done)
	}
	rate, ok := rowsPerSecond(0, m.samples)
	if !ok || rate != 1000 {
		t.Errorf("rate = %v, %v; want 1000 over the last %v", rate, ok, progressWindow)
	}
	if span := m.samples[len(m.samples)-1].at.Sub(m.samples[0].at); span != progressWindow {
		t.Errorf("samples span %v, want %v", span, progressWindow)
	}
}

type fakeProgress struct{ done, total, resumed atomic.Int64 }

func (p *fakeProgress) Done() int64    { return p.done.Load() }
func (p *fakeProgress) Total() int64   { return p.total.Load() }
func (p *fakeProgress) Resumed() int64 { return p.resumed.Load() }

// TestProgressDisplay_Terminal drives the display with chosen ticks.
func TestProgressDisplay_Terminal(t *testing.T) {
	p := &fakeProgress{}
	p.total.Store(-1)
	var out bytes.Buffer
	d := &progressDisplay{src: p, term: &out, log: zap.NewNop()}
	d.start(at(0))
	ticks := make(chan time.Time)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { d.run(ctx, ticks); close(stopped) }()

	p.done.Store(400)
	ticks <- at(2)
	p.total.Store(1000) // the file has been read
	p.done.Store(600)
	ticks <- at(4)
	cancel()
	<-stopped

	want := "\r400 rows · total not known yet · 200 rows/s\x1b[K" +
		"\r 60% [██████████████░░░░░░░░░░] 600 of 1,000 rows · 150 rows/s · 3s left\x1b[K" +
		"\r\x1b[K"
	if out.String() != want {
		t.Errorf("terminal output\n%q\nwant\n%q", out.String(), want)
	}
}

// TestProgressDisplay_Log: without a terminal, a log line per tick, with
// this run's speed.
func TestProgressDisplay_Log(t *testing.T) {
	p := &fakeProgress{}
	p.total.Store(2000)
	p.resumed.Store(1000)
	core, logs := observer.New(zapcore.InfoLevel)
	d := &progressDisplay{src: p, log: zap.New(core)}
	d.start(at(0))
	p.done.Store(1000) // the resumed rows, taken in after the start
	d.tick(at(5))
	p.done.Store(1500)
	d.tick(at(10))

	entries := logs.All()
	if len(entries) != 2 {
		t.Fatalf("%d log lines, want 2", len(entries))
	}
	got := entries[1].ContextMap()
	for k, v := range map[string]any{"done": int64(1500), "total": int64(2000), "percent": int64(75),
		"rowsPerSecond": 50.0, "secondsLeft": int64(10)} {
		if got[k] != v {
			t.Errorf("log field %s = %v (%T), want %v", k, got[k], got[k], v)
		}
	}
	if first := entries[0].ContextMap(); first["rowsPerSecond"] != 0.0 {
		t.Errorf("the resumed rows made a speed: %v", first)
	}
	if strings.Contains(entries[0].Message, "%") {
		t.Errorf("message %q", entries[0].Message)
	}
}

func TestThousands(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000"} {
		if got := thousands(n); got != want {
			t.Errorf("thousands(%d) = %q, want %q", n, got, want)
		}
	}
}
