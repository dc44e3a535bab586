// Package metrics gives the service's figures in Prometheus' format
// (github.com/prometheus/client_golang). Counters (rows by outcome, hash
// time, sign-in failures) are fed by the pipeline through a *Metrics as work
// happens; gauges (batches and jobs by state, seats per product) are read
// from the directory at scrape time, so that they are right whichever
// process did the work.
//
// Names:
//
//	userimport_rows_total{outcome}        counter: rows processed, by outcome (created, updated, unchanged, failed)
//	userimport_hash_seconds               histogram: time of one password hash
//	userimport_signin_failures_total      counter: failed sign-ins
//	userimport_batches{state}             gauge: batches in the directory, by state
//	userimport_jobs{state}                gauge: jobs of the job engine, by River's state
//	userimport_seats_assigned{sku}        gauge: seats assigned, per product
//	userimport_seats_pending{sku}         gauge: assignments waiting for a seat, per product
//
// Rows per second is rate(userimport_rows_total[1m]).
package metrics

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/riverqueue/river/rivertype"
	"go.uber.org/zap"

	"userimport/importer"
)

// Directory is what the gauges are read from at scrape time.
type Directory interface {
	Products(ctx context.Context) ([]importer.Product, error)
	BatchStates(ctx context.Context) (map[string]int, error)
	JobStates(ctx context.Context) (map[string]int, error)
}

// batchStates are the states of SPEC §10; each is shown, with 0 when no
// batch is in it, so that a dashboard's series do not come and go. A state
// the directory holds that is not listed here is shown as well.
func batchStates() []string {
	return []string{importer.BatchPreview, importer.BatchQueued, importer.BatchRunning, importer.BatchInterrupted,
		importer.BatchHeld, importer.BatchDone, importer.BatchCancelled, importer.BatchFailed}
}

// outcomes are the row outcomes, shown from the start with 0.
func outcomes() []importer.Outcome {
	return []importer.Outcome{importer.Created, importer.Updated, importer.Unchanged, importer.Failed}
}

// scrapeTimeout bounds the directory's queries of one scrape.
const scrapeTimeout = 10 * time.Second

// Metrics holds the service's figures in a registry of its own. It is safe
// for concurrent use.
type Metrics struct {
	reg            *prometheus.Registry
	rows           *prometheus.CounterVec
	hash           prometheus.Histogram
	signinFailures prometheus.Counter
}

// New makes the metrics of a process. dir, when not nil, is read at each
// scrape for the gauges; log receives scrape errors (nil discards them).
func New(dir Directory, log *zap.Logger) *Metrics {
	if log == nil {
		log = zap.NewNop()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "userimport_rows_total",
			Help: "Rows processed, by outcome.",
		}, []string{"outcome"}),
		hash: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "userimport_hash_seconds",
			Help: "Time to hash one password (argon2id).",
			// 5 ms to 2.6 s: one hash takes about 28 ms on a free core.
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 10),
		}),
		signinFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "userimport_signin_failures_total",
			Help: "Failed sign-ins (unknown user, wrong password, blocked, deleted).",
		}),
	}
	for _, o := range outcomes() {
		m.rows.WithLabelValues(outcomeLabel(o))
	}
	m.reg.MustRegister(m.rows, m.hash, m.signinFailures,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if dir != nil {
		m.reg.MustRegister(newDirectoryCollector(dir, log))
	}
	return m
}

func outcomeLabel(o importer.Outcome) string { return strings.ToLower(string(o)) }

// Row counts one processed row with its outcome.
func (m *Metrics) Row(o importer.Outcome) { m.rows.WithLabelValues(outcomeLabel(o)).Inc() }

// Rows counts n processed rows with the same outcome.
func (m *Metrics) Rows(o importer.Outcome, n int) {
	m.rows.WithLabelValues(outcomeLabel(o)).Add(float64(n))
}

// HashTime records how long one password hash took.
func (m *Metrics) HashTime(d time.Duration) { m.hash.Observe(d.Seconds()) }

// SignInFailed counts one failed sign-in.
func (m *Metrics) SignInFailed() { m.signinFailures.Inc() }

// Handler serves the metrics in Prometheus' text format. A failing
// directory query leaves its gauges out of that scrape (and is logged);
// the counters are still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// directoryCollector reads the gauges from the directory at scrape time.
type directoryCollector struct {
	dir                              Directory
	log                              *zap.Logger
	batches, jobs, assigned, pending *prometheus.Desc
}

func newDirectoryCollector(dir Directory, log *zap.Logger) *directoryCollector {
	return &directoryCollector{
		dir: dir, log: log,
		batches:  prometheus.NewDesc("userimport_batches", "Batches in the directory, by state.", []string{"state"}, nil),
		jobs:     prometheus.NewDesc("userimport_jobs", "Jobs of the job engine, by state.", []string{"state"}, nil),
		assigned: prometheus.NewDesc("userimport_seats_assigned", "Seats assigned, per product.", []string{"sku"}, nil),
		pending:  prometheus.NewDesc("userimport_seats_pending", "License assignments waiting for a seat, per product.", []string{"sku"}, nil),
	}
}

func (c *directoryCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.batches
	ch <- c.jobs
	ch <- c.assigned
	ch <- c.pending
}

func (c *directoryCollector) Collect(ch chan<- prometheus.Metric) {
	// Collect has no context of its own; the bound keeps a hung database
	// from piling up scrapes.
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()

	states := func(desc *prometheus.Desc, known []string, counts map[string]int, err error) {
		if err != nil {
			c.log.Warn("metrics: read the directory", zap.Error(err))
			ch <- prometheus.NewInvalidMetric(desc, err)
			return
		}
		for _, s := range known {
			if _, ok := counts[s]; !ok {
				counts[s] = 0
			}
		}
		for s, n := range counts {
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n), s)
		}
	}
	b, err := c.dir.BatchStates(ctx)
	states(c.batches, batchStates(), b, err)
	j, err := c.dir.JobStates(ctx)
	states(c.jobs, jobStates(), j, err)

	ps, err := c.dir.Products(ctx)
	if err != nil {
		c.log.Warn("metrics: read the directory", zap.Error(err))
		ch <- prometheus.NewInvalidMetric(c.assigned, err)
		return
	}
	for _, p := range ps {
		ch <- prometheus.MustNewConstMetric(c.assigned, prometheus.GaugeValue, float64(p.Assigned), p.SKU)
		ch <- prometheus.MustNewConstMetric(c.pending, prometheus.GaugeValue, float64(p.Pending), p.SKU)
	}
}

func jobStates() []string {
	var out []string
	for _, s := range rivertype.JobStates() {
		out = append(out, string(s))
	}
	return out
}
