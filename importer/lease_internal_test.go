package importer

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
)

// TestKeepLeaseStopsItself: a run whose lease renewals fail, or hang, stops
// (keepLease returns lost) once it went selfStop without a renewal, before
// another run may take the lease over; one whose renewals succeed goes on
// until done.
func TestKeepLeaseStopsItself(t *testing.T) {
	const every, selfStop = 5 * time.Millisecond, 400 * time.Millisecond // selfStop: far from any scheduling delay
	lost := errors.New("lost")
	for name, renew := range map[string]func(context.Context) (bool, error){
		"failing": func(context.Context) (bool, error) { return false, errors.New("connection refused") },
		"hanging": func(ctx context.Context) (bool, error) { <-ctx.Done(); return false, ctx.Err() },
		"taken":   func(context.Context) (bool, error) { return false, nil },
	} {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			err := keepLeaseEvery(context.Background(), every, selfStop, renew, lost, zap.NewNop(), nil)
			if !errors.Is(err, lost) {
				t.Fatalf("keepLease = %v, want the lease lost", err)
			}
			if name != "taken" && time.Since(start) < selfStop {
				t.Errorf("stopped after %v, before its %v without a renewal", time.Since(start), selfStop)
			}
		})
	}
	t.Run("renewing", func(t *testing.T) {
		done := make(chan struct{})
		n := 0
		renew := func(context.Context) (bool, error) {
			if n++; n == 120 { // 600 ms: well past selfStop
				close(done)
			}
			return true, nil
		}
		if err := keepLeaseEvery(context.Background(), every, selfStop, renew, lost, zap.NewNop(), done); err != nil {
			t.Errorf("a lease renewed every time was lost: %v", err)
		}
	})
}

// TestLeaseLostOnlyForCancelledRuns: a run cancelled because its lease was
// lost says so; one that ended (some rows failed, or none) ended, whatever
// became of the lease after.
func TestLeaseLostOnlyForCancelledRuns(t *testing.T) {
	lost := fmt.Errorf("feed hr: lost: %w", errLostLease)
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(lost)
	if err := leaseLost(ctx, &PartialError{Err: context.Canceled, Done: 10}); !errors.Is(err, errLostLease) {
		t.Errorf("a run cancelled by the lost lease: %v", err)
	}
	rf := &RowsFailedError{Failed: 1}
	if err := leaseLost(ctx, rf); err != rf {
		t.Errorf("a run that ended with a failed row: %v, want that", err)
	}
	if err := leaseLost(ctx, nil); err != nil {
		t.Errorf("a run that ended: %v", err)
	}
	if err := leaseLost(context.Background(), context.Canceled); !errors.Is(err, context.Canceled) || errors.Is(err, errLostLease) {
		t.Errorf("a run cancelled by its admin: %v", err)
	}
}
