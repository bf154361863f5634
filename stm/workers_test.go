package stm

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
)

// TestParallel: Tx.Parallel runs every worker once inside an exclusive function; a worker that
// begins a transaction gets ErrNestedInExclusive (instead of waiting for the world it helps to
// stop), and outside an exclusive function, or with no workers, Parallel refuses to run.
func TestParallel(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		v := NewVar(0)
		const n = 4
		var ran [n]atomic.Int32
		var nested atomic.Int32
		_, err := s.Exclusive(context.Background(), func(tx Tx) error {
			if err := tx.Parallel(0, func(int) {}); err == nil {
				t.Error("Parallel with 0 workers ran")
			}
			err := tx.Parallel(n, func(k int) {
				ran[k].Add(1)
				if err := s.Atomic(func(Tx) error { return nil }); errors.Is(err, ErrNestedInExclusive) {
					nested.Add(1)
				}
			})
			if err != nil {
				return err
			}
			v.Store(tx, 1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for k := range ran {
			if ran[k].Load() != 1 {
				t.Fatalf("worker %d ran %d times", k, ran[k].Load())
			}
		}
		if nested.Load() != n || v.LoadLatest() != 1 {
			t.Fatalf("%d of %d workers got ErrNestedInExclusive; box %d", nested.Load(), n, v.LoadLatest())
		}
		// Outside an exclusive function.
		err = s.Atomic(func(tx Tx) error { return tx.Parallel(1, func(int) {}) })
		if !errors.Is(err, ErrNotExclusive) {
			t.Fatalf("Parallel in a plain transaction: %v, want ErrNotExclusive", err)
		}
		// A worker's panic is raised in the exclusive function, which then aborts.
		func() {
			defer func() {
				if r := recover(); r != "worker bug" {
					t.Fatalf("recovered %v, want the worker's panic", r)
				}
			}()
			_, _ = s.Exclusive(context.Background(), func(tx Tx) error {
				v.Store(tx, 2)
				return tx.Parallel(2, func(k int) {
					if k == 1 {
						panic("worker bug")
					}
				})
			})
		}()
		if v.LoadLatest() != 1 {
			t.Fatalf("the exclusive function that panicked wrote %d", v.LoadLatest())
		}
		// The world resumed.
		if err := s.Atomic(func(tx Tx) error { v.Store(tx, 3); return nil }); err != nil {
			t.Fatal(err)
		}
	})
}
