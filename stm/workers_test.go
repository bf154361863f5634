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
			if err := tx.Parallel(0, func(int, *Writer) {}); err == nil {
				t.Error("Parallel with 0 workers ran")
			}
			err := tx.Parallel(n, func(k int, _ *Writer) {
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
		err = s.Atomic(func(tx Tx) error { return tx.Parallel(1, func(int, *Writer) {}) })
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
				return tx.Parallel(2, func(k int, _ *Writer) {
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

// TestParallelWriters: what Tx.Parallel's workers store through their writers commits with the
// exclusive transaction, as if stored through it; a box written twice (by two writers, or by a
// writer and the transaction) fails Parallel with an error and nothing of the writers' is
// written, with small write sets and indexed ones alike.
func TestParallelWriters(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		for _, n := range []int{8, 100} { // below and above the write-set index threshold
			v := make([]*Var[int], n)
			for i := range v {
				v[i] = NewVar(-1)
			}
			var z Var[int] // a zero box: StoreBy gives it its version-0 body
			_, err := s.Exclusive(context.Background(), func(tx Tx) error {
				v[0].Store(tx, 100)
				return tx.Parallel(4, func(k int, w *Writer) {
					for i := 1 + k; i < n; i += 4 {
						v[i].StoreBy(w, i)
					}
					if k == 0 {
						z.StoreBy(w, 7)
					}
				})
			})
			if err != nil {
				t.Fatal(err)
			}
			for i := 1; i < n; i++ {
				if got := v[i].LoadLatest(); got != i {
					t.Fatalf("n=%d: box %d = %d after the commit", n, i, got)
				}
			}
			if v[0].LoadLatest() != 100 || z.LoadLatest() != 7 {
				t.Fatalf("n=%d: box 0 = %d, zero box = %d", n, v[0].LoadLatest(), z.LoadLatest())
			}
			for _, dupByTx := range []bool{false, true} {
				_, err = s.Exclusive(context.Background(), func(tx Tx) error {
					if dupByTx {
						v[n-1].Store(tx, 0)
					}
					err := tx.Parallel(2, func(k int, w *Writer) {
						for i := 1 + k; i < n; i += 2 {
							v[i].StoreBy(w, -i)
						}
						if k == 1 && !dupByTx {
							v[1].StoreBy(w, 0) // worker 0 writes box 1 too
						}
					})
					if err == nil {
						t.Errorf("n=%d: a box written twice went unnoticed", n)
					}
					if !dupByTx && len(tx.t.writes) != 0 {
						t.Errorf("n=%d: %d writes left after the failed merge", n, len(tx.t.writes))
					}
					return err
				})
				if err == nil {
					t.Fatal("the exclusive function's error was lost")
				}
				for i := 1; i < n; i++ {
					if got := v[i].LoadLatest(); got != i {
						t.Fatalf("n=%d: box %d = %d after the failed exclusive function", n, i, got)
					}
				}
			}
		}
	})
}
