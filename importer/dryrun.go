package importer

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
)

// dryRun does everything but the writing: seats are counted in row order
// in memory, and results go straight to the workbook.
func (r *run) dryRun(ctx context.Context, products []Product) error {
	free, waiting := map[string]int{}, map[string]int{}
	for _, p := range products {
		free[p.SKU] = p.Seats - p.Assigned
	}
	w, xlsx, csv, err := createResults(r.o, r.base, "")
	if err != nil {
		return err
	}
	r.rep.ResultsPath, r.rep.CSVPath = xlsx, csv
	s := &r.rep.Summary
	s.BatchID = "dry run"
	if r.o.BatchID != "" {
		s.BatchID = r.o.BatchID
	}
	chunks := make(chan []Row, 2)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return r.readChunks(gctx, chunks) })
	g.Go(func() error {
		for rows := range chunks {
			jrs, err := r.plan.chunk(gctx, r.dir, rows, func(int) bool { return false })
			if err != nil {
				return err
			}
			for _, jr := range jrs {
				res := jr.Result
				if jr.Plan != nil {
					for i := range jr.Plan.Licenses {
						l := &jr.Plan.Licenses[i]
						l.Status = LicensePending
						if free[l.SKU] > 0 {
							free[l.SKU]--
							l.Status = LicenseAssigned
						} else {
							waiting[l.SKU]++
						}
					}
					pr := jr.Plan.Result(jr.Plan.Outcome())
					res = &pr
				}
				count(s, res, jr.Plan)
				if err := w.Write(*res); err != nil {
					return err
				}
			}
			r.o.Progress.add(len(rows))
		}
		return nil
	})
	err = g.Wait()
	s.Finished = r.o.Now()
	for _, p := range products {
		p.Assigned, p.Pending = p.Seats-free[p.SKU], p.Pending+waiting[p.SKU]
		s.Products = append(s.Products, p)
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		w.Abort()
		r.rep.ResultsPath, r.rep.CSVPath, s.Finished = "", "", time.Time{}
		return err
	}
	if cerr := w.Close(*s); cerr != nil {
		r.rep.ResultsPath, r.rep.CSVPath, s.Finished = "", "", time.Time{}
		return fmt.Errorf("write the dry run's workbook: %w", cerr)
	}
	if r.o.BatchID != "" && err == nil {
		b := r.newBatch()
		b.ResultsName = filepath.Base(r.rep.ResultsPath)
		if perr := r.dir.SavePreview(context.WithoutCancel(ctx), b, *s); perr != nil {
			return perr
		}
	}
	if err != nil {
		return err
	}
	return failedErr(s)
}
