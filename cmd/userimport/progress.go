package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/term"
)

// progressCounter is what the progress display reads; *importer.Progress
// is one. Total is -1 until the whole file has been read. Resumed is how
// many of Done's rows a resumed batch had done before this run: they count
// towards the percentage, not towards the speed.
type progressCounter interface {
	Done() int64
	Total() int64
	Resumed() int64
}

// Progress display settings.
const (
	progressTerminalEvery = 200 * time.Millisecond
	progressLogEvery      = 5 * time.Second
	// progressWindow is how far back the speed looks: long enough to
	// smooth out chunks landing together, short enough to follow a batch
	// that speeds up once the hashing starts.
	progressWindow = 10 * time.Second
	// progressMinSpan is the least time a speed is measured over; a speed
	// over a few milliseconds is noise (60,516,203 rows/s).
	progressMinSpan  = time.Second
	progressBarWidth = 24
)

// showProgress draws a progress line on stderr when it is a terminal, else
// logs a line every 5 seconds. The returned func stops it and clears the
// line.
func (g *globals) showProgress(ctx context.Context, p progressCounter, log *zap.Logger) func() {
	f, tty := g.stderr.(*os.File)
	tty = tty && term.IsTerminal(int(f.Fd()))
	every := progressLogEvery
	if tty {
		every = progressTerminalEvery
	}
	ctx, cancel := context.WithCancel(ctx)
	ticker := time.NewTicker(every)
	done := make(chan struct{})
	d := &progressDisplay{src: p, log: log}
	if tty {
		d.term = g.stderr
	}
	d.start(time.Now())
	go func() {
		defer close(done)
		defer ticker.Stop()
		d.run(ctx, ticker.C)
	}()
	return func() { cancel(); <-done }
}

// progressDisplay samples a progressCounter at each tick and shows it: on
// term, one line redrawn in place; else, with term nil, a log line. Its
// clock is the ticks' times, so tests drive it with chosen ones.
type progressDisplay struct {
	src   progressCounter
	term  io.Writer // nil: log instead
	log   *zap.Logger
	meter progressMeter
	drawn bool
}

func (d *progressDisplay) start(now time.Time) {
	d.meter.doneAtStart = d.src.Resumed()
	d.meter.sample(now, d.src.Done())
}

// run shows the progress at every tick until ctx ends, then clears the
// line.
func (d *progressDisplay) run(ctx context.Context, ticks <-chan time.Time) {
	for {
		select {
		case <-ctx.Done():
			d.finish()
			return
		case now := <-ticks:
			d.tick(now)
		}
	}
}

func (d *progressDisplay) tick(now time.Time) {
	// A resumed run learns its figure after it started.
	d.meter.doneAtStart = d.src.Resumed()
	done, total := d.src.Done(), d.src.Total()
	d.meter.sample(now, done)
	if d.term != nil {
		fmt.Fprint(d.term, "\r"+renderProgress(done, total, d.meter.doneAtStart, d.meter.samples, now)+"\x1b[K")
		d.drawn = true
		return
	}
	fields := []zap.Field{zap.Int64("done", done)}
	if total >= 0 {
		fields = append(fields, zap.Int64("total", total), zap.Int64("percent", percent(done, total)))
	}
	if rate, ok := rowsPerSecond(d.meter.doneAtStart, d.meter.samples); ok {
		fields = append(fields, zap.Float64("rowsPerSecond", math.Round(rate*10)/10))
		if left, ok := timeLeft(done, total, rate); ok {
			fields = append(fields, zap.Int64("secondsLeft", int64(left.Seconds())))
		}
	}
	d.log.Info("importing", fields...)
}

func (d *progressDisplay) finish() {
	if d.drawn {
		fmt.Fprint(d.term, "\r\x1b[K")
	}
}

// progressSample is how many rows were done at a moment.
type progressSample struct {
	at   time.Time
	done int64
}

// progressMeter keeps the samples of the last progressWindow, and one
// before it, so that the speed spans the whole window.
type progressMeter struct {
	doneAtStart int64
	samples     []progressSample
}

func (m *progressMeter) sample(now time.Time, done int64) {
	m.samples = append(m.samples, progressSample{now, done})
	cut := 0
	for cut+1 < len(m.samples) && now.Sub(m.samples[cut+1].at) >= progressWindow {
		cut++
	}
	m.samples = append(m.samples[:0], m.samples[cut:]...)
}

// renderProgress is the terminal's progress line for done rows of total
// (-1: not known yet), doneAtStart of them done before this run, given the
// samples of the last seconds and the time now:
//
//	 24% [█████░░░░░░░░░░░░░░░░░░░] 12,000 of 50,000 rows · 850 rows/s · 45s left
//	12,000 rows · total not known yet · 850 rows/s
//
// The speed counts only this run's rows over the last progressWindow, and
// is left out until it spans progressMinSpan; the time left is left out
// while the speed or the total is unknown.
func renderProgress(done, total, doneAtStart int64, samples []progressSample, now time.Time) string {
	var b strings.Builder
	if total >= 0 {
		pct := percent(done, total)
		fill := int(int64(progressBarWidth) * min(done, total) / max(total, 1))
		if total == 0 {
			fill = progressBarWidth
		}
		fmt.Fprintf(&b, "%3d%% [%s%s] %s of %s rows", pct,
			strings.Repeat("█", fill), strings.Repeat("░", progressBarWidth-fill),
			thousands(done), thousands(total))
	} else {
		fmt.Fprintf(&b, "%s rows · total not known yet", thousands(done))
	}
	rate, ok := rowsPerSecond(doneAtStart, samples)
	if !ok {
		return b.String()
	}
	b.WriteString(" · ")
	b.WriteString(formatRate(rate))
	if left, ok := timeLeft(done, total, rate); ok {
		b.WriteString(" · ")
		b.WriteString(formatLeft(left))
		b.WriteString(" left")
	}
	return b.String()
}

// percent is done as a whole percentage of total, rounded down, so that
// 100% means finished.
func percent(done, total int64) int64 {
	if total <= 0 {
		return 100
	}
	return min(done, total) * 100 / total
}

// rowsPerSecond is the speed of this run over samples: rows done before
// this run (doneAtStart) never count, even when the counter takes them in
// after the first sample.
func rowsPerSecond(doneAtStart int64, samples []progressSample) (float64, bool) {
	if len(samples) < 2 {
		return 0, false
	}
	first, last := samples[0], samples[len(samples)-1]
	span := last.at.Sub(first.at)
	if span < progressMinSpan {
		return 0, false
	}
	ran := func(s progressSample) int64 { return max(0, s.done-doneAtStart) }
	return float64(ran(last)-ran(first)) / span.Seconds(), true
}

func timeLeft(done, total int64, rate float64) (time.Duration, bool) {
	if total < 0 || rate <= 0 {
		return 0, false
	}
	secs := float64(max(0, total-done)) / rate
	if secs > float64(100*24*time.Hour/time.Second) {
		return 0, false
	}
	return time.Duration(math.Ceil(secs)) * time.Second, true
}

func formatRate(rate float64) string {
	if rate < 10 {
		return strconv.FormatFloat(rate, 'f', 1, 64) + " rows/s"
	}
	return thousands(int64(math.Round(rate))) + " rows/s"
}

// formatLeft writes d as "45s", "3m05s" or "1h02m".
func formatLeft(d time.Duration) string {
	s := int64(d / time.Second)
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		return fmt.Sprintf("%dm%02ds", s/60, s%60)
	}
	return fmt.Sprintf("%dh%02dm", s/3600, s%3600/60)
}

// thousands writes n with commas between groups of three digits.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
