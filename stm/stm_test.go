package stm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// forEachAlgorithm runs a subtest per commit algorithm.
func forEachAlgorithm(t *testing.T, f func(t *testing.T, s *STM)) {
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, GCInterval: time.Millisecond})
			defer s.Close()
			f(t, s)
		})
	}
}

// scaled shrinks loop counts under the race detector, which is about ten times slower.
func scaled(n int) int {
	if raceEnabled {
		return max(n/10, 1)
	}
	return n
}

func TestParseAlgorithm(t *testing.T) {
	for _, a := range Algorithms() {
		got, err := ParseAlgorithm(a.String())
		if err != nil || got != a {
			t.Fatalf("ParseAlgorithm(%q) = %v, %v", a.String(), got, err)
		}
	}
	_, err := ParseAlgorithm("tl2")
	var ue *UnknownAlgorithmError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "lock, lockfree") {
		t.Fatalf("ParseAlgorithm(tl2) error = %v, want the accepted names", err)
	}
}

func TestZeroVarAndInit(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		var z Var[string]
		x := NewVar(7)
		if err := s.ReadOnly(func(tx Tx) error {
			if got := z.Load(tx); got != "" {
				t.Errorf("zero Var = %q", got)
			}
			if got := x.Load(tx); got != 7 {
				t.Errorf("NewVar(7) = %d", got)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := s.Atomic(func(tx Tx) error {
			z.Store(tx, "a")
			if got := z.Load(tx); got != "a" {
				t.Errorf("read-own-write = %q", got)
			}
			x.Store(tx, x.Load(tx)+1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if z.LoadLatest() != "a" || x.LoadLatest() != 8 {
			t.Fatalf("after commit: %q %d", z.LoadLatest(), x.LoadLatest())
		}
	})
}

func TestOutcomeVersions(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(0)
		for i := 1; i <= 5; i++ {
			out, err := s.Run(false, func(tx Tx) error { x.Store(tx, i); return nil })
			if err != nil || !out.Wrote || out.Version != int64(i) || out.Snapshot != int64(i-1) {
				t.Fatalf("commit %d: %+v %v", i, out, err)
			}
		}
		out, _ := s.Run(false, func(tx Tx) error { x.Load(tx); return nil })
		if out.Wrote || out.Version != 5 || out.Snapshot != 5 {
			t.Fatalf("read-write without writes: %+v", out)
		}
		out, _ = s.Run(true, func(tx Tx) error { x.Load(tx); return nil })
		if out.Version != 5 || out.Attempts != 1 {
			t.Fatalf("read-only: %+v", out)
		}
		if s.Clock() != 5 {
			t.Fatalf("clock = %d", s.Clock())
		}
	})
}

func TestWriteInReadOnly(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(1)
		err := s.ReadOnly(func(tx Tx) error { x.Store(tx, 2); return nil })
		if !errors.Is(err, ErrWriteInReadOnly) {
			t.Fatalf("err = %v, want ErrWriteInReadOnly", err)
		}
		if x.LoadLatest() != 1 {
			t.Fatal("the write went through")
		}
		if st := s.Stats(); st.AbortsWriteInRO != 1 {
			t.Fatalf("stats: %+v", st)
		}
	})
}

func TestUseAfterEnd(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(1)
		var kept Tx
		_ = s.Atomic(func(tx Tx) error { kept = tx; return nil })
		for name, use := range map[string]func(){
			"Load":     func() { x.Load(kept) },
			"Store":    func() { x.Store(kept, 3) },
			"Snapshot": func() { kept.Snapshot() },
		} {
			func() {
				defer func() {
					r := recover()
					err, ok := r.(error)
					if !ok || !errors.Is(err, ErrTxEnded) {
						t.Errorf("%s after end: recovered %v, want ErrTxEnded", name, r)
					}
				}()
				// Another transaction reuses the pooled state meanwhile: the stale Tx must
				// still be refused.
				_ = s.ReadOnly(func(tx Tx) error { use(); return nil })
			}()
		}
	})
}

func TestUserErrorRollsBack(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(1)
		boom := errors.New("boom")
		err := s.Atomic(func(tx Tx) error { x.Store(tx, 2); return boom })
		if !errors.Is(err, boom) || x.LoadLatest() != 1 {
			t.Fatalf("err = %v, x = %d", err, x.LoadLatest())
		}
		if st := s.Stats(); st.AbortsUserError != 1 || st.ReadWriteCommits != 0 {
			t.Fatalf("stats: %+v", st)
		}
	})
}

func TestPanicRollsBackAndPropagates(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(1)
		for _, inevitable := range []bool{false, true} {
			func() {
				defer func() {
					if r := recover(); r != "boom" {
						t.Fatalf("recovered %v, want the original panic", r)
					}
				}()
				fn := func(tx Tx) error { x.Store(tx, 2); panic("boom") }
				if inevitable {
					_, _ = s.Inevitable(fn)
				} else {
					_ = s.Atomic(fn)
				}
			}()
			if x.LoadLatest() != 1 {
				t.Fatal("a panicking transaction wrote")
			}
		}
		// Neither the commit lock nor the commit queue is left held.
		if err := s.Atomic(func(tx Tx) error { x.Store(tx, 3); return nil }); err != nil {
			t.Fatal(err)
		}
		if x.LoadLatest() != 3 || s.Stats().AbortsPanic != 2 {
			t.Fatalf("x = %d, stats %+v", x.LoadLatest(), s.Stats())
		}
	})
}

// TestOpacity moves money between accounts while transactions of every kind sum them: every
// execution, including attempts that go on to abort, must see the same total at every point.
func TestOpacity(t *testing.T) {
	const accounts, initial = 32, 100
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		acc := make([]*Var[int], accounts)
		for i := range acc {
			acc[i] = NewVar(initial)
		}
		var bad atomic.Int64
		var wg sync.WaitGroup
		deadline := time.Now().Add(time.Duration(scaled(1500)) * time.Millisecond)
		for w := range 4 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 1))
				for time.Now().Before(deadline) {
					a, b, amt := r.IntN(accounts), r.IntN(accounts), r.IntN(10)
					_ = s.Atomic(func(tx Tx) error {
						acc[a].Store(tx, acc[a].Load(tx)-amt)
						acc[b].Store(tx, acc[b].Load(tx)+amt)
						// Also check inside writers: a sum over a random subset of the pending
						// state is checked below through the full sum.
						if r.IntN(8) == 0 {
							sum := 0
							for _, v := range acc {
								sum += v.Load(tx)
							}
							if sum != accounts*initial {
								bad.Add(1)
							}
						}
						return nil
					})
				}
			})
		}
		for _, ro := range []bool{true, false} {
			wg.Go(func() {
				for time.Now().Before(deadline) {
					_, _ = s.Run(ro, func(tx Tx) error {
						sum := 0
						for _, v := range acc {
							sum += v.Load(tx)
						}
						if sum != accounts*initial {
							bad.Add(1)
						}
						return nil
					})
				}
			})
		}
		wg.Wait()
		if n := bad.Load(); n != 0 {
			t.Fatalf("%d executions saw an inconsistent total", n)
		}
		st := s.Stats()
		if st.ReadWriteCommits == 0 || st.ReadOnlyCommits == 0 {
			t.Fatalf("no work done: %+v", st)
		}
		t.Logf("stats: %+v", st)
	})
}

// TestReadOnlyNeverAborts runs read-only transactions against writers that overwrite every box
// they read as fast as they can.
func TestReadOnlyNeverAborts(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		boxes := make([]*Var[int], 8)
		for i := range boxes {
			boxes[i] = NewVar(0)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					_ = s.Atomic(func(tx Tx) error {
						for _, b := range boxes {
							b.Store(tx, b.Load(tx)+1)
						}
						return nil
					})
				}
			})
		}
		// Let the writers get going first, and keep reading until they have committed a lot.
		for s.Clock() < 100 {
			time.Sleep(time.Millisecond)
		}
		n := 0
		for start := s.Clock(); n < scaled(20000) || s.Clock() < start+1000; n++ {
			out, err := s.Run(true, func(tx Tx) error {
				first := boxes[0].Load(tx)
				for _, b := range boxes[1:] {
					if v := b.Load(tx); v != first {
						return fmt.Errorf("read-only saw %d and %d in one snapshot", first, v)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if out.Attempts != 1 {
				t.Fatalf("read-only transaction ran %d times", out.Attempts)
			}
		}
		close(stop)
		wg.Wait()
		st := s.Stats()
		if st.ReadOnlyCommits != uint64(n) || st.ReadWriteCommits == 0 {
			t.Fatalf("stats: %+v", st)
		}
	})
}

func TestInevitable(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(0)
		var wg sync.WaitGroup
		n := scaled(2000)
		for range 3 {
			wg.Go(func() {
				for range n {
					_ = s.Atomic(func(tx Tx) error { x.Store(tx, x.Load(tx)+1); return nil })
				}
			})
		}
		wg.Go(func() {
			for range n / 10 {
				out, err := s.Inevitable(func(tx Tx) error {
					x.Store(tx, x.Load(tx)+1)
					return nil
				})
				if err != nil || !out.Inevitable || out.Attempts != 1 || out.Version != out.Snapshot+1 {
					t.Errorf("inevitable outcome %+v, %v", out, err)
				}
			}
		})
		wg.Wait()
		if got, want := x.LoadLatest(), 3*n+n/10; got != want {
			t.Fatalf("counter = %d, want %d (lost update)", got, want)
		}
	})
}

// TestFallbackToInevitable makes a transaction lose every optimistic attempt: it must end up
// committing inevitably.
func TestFallbackToInevitable(t *testing.T) {
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, MaxAttempts: 3})
			defer s.Close()
			x := NewVar(0)
			out, err := s.Run(false, func(tx Tx) error {
				v := x.Load(tx)
				if !tx.Inevitable() {
					// Someone else commits to x behind our back: our commit must fail.
					done := make(chan struct{})
					go func() {
						defer close(done)
						_ = s.Atomic(func(tx Tx) error { x.Store(tx, x.Load(tx)+100); return nil })
					}()
					<-done
				}
				x.Store(tx, v+1)
				return nil
			})
			if err != nil || !out.Inevitable || out.Attempts != 4 {
				t.Fatalf("outcome %+v, %v", out, err)
			}
			if got := x.LoadLatest(); got != 301 {
				t.Fatalf("x = %d, want 301", got)
			}
			if st := s.Stats(); st.InevitableFallback != 1 || st.AbortsValidation != 3 {
				t.Fatalf("stats %+v", st)
			}
		})
	}
}

func TestExclusiveStopsTheWorld(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x, y := NewVar(0), NewVar(0)
		stop := make(chan struct{})
		var inside atomic.Bool
		var overlap atomic.Int64
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					_, _ = s.Run(i == 0, func(tx Tx) error {
						if inside.Load() {
							overlap.Add(1)
						}
						if !tx.ReadOnly() {
							x.Store(tx, x.Load(tx)+1)
						} else {
							x.Load(tx)
						}
						return nil
					})
				}
			})
		}
		// Let the writers commit first (not a fixed sleep: a loaded machine may not have run them).
		for x.LoadLatest() == 0 {
			time.Sleep(time.Millisecond)
		}
		for range 5 {
			_, err := s.Exclusive(t.Context(), func(tx Tx) error {
				inside.Store(true)
				time.Sleep(2 * time.Millisecond)
				y.Store(tx, x.Load(tx))
				inside.Store(false)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		close(stop)
		wg.Wait()
		if n := overlap.Load(); n != 0 {
			t.Fatalf("%d transactions ran while the world was stopped", n)
		}
		if y.LoadLatest() == 0 {
			t.Fatal("exclusive transaction did not write")
		}
	})
}

func TestFail(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(1)
		boom := errors.New("deep failure")
		deep := func(tx Tx) { x.Store(tx, 5); Fail(fmt.Errorf("wrapped: %w", boom)) }
		for _, ro := range []bool{false, true} {
			out, err := s.Run(ro, func(tx Tx) error {
				if !ro {
					deep(tx)
				}
				Fail(boom)
				return nil
			})
			if !errors.Is(err, boom) || out.Attempts != 1 || x.LoadLatest() != 1 {
				t.Fatalf("read-only %v: err %v, outcome %+v, x %d", ro, err, out, x.LoadLatest())
			}
		}
		defer func() {
			if recover() == nil {
				t.Fatal("Fail(nil) did not panic")
			}
		}()
		_ = s.Atomic(func(tx Tx) error { Fail(nil); return nil })
	})
}

// TestAtomicallyReturnsResult checks the generic entry points: the result of the run that
// committed comes back (not that of an aborted run), an error comes back with R's zero value
// and writes nothing, and a read-only function may not write.
func TestAtomicallyReturnsResult(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(10)
		runs := 0
		got, err := Atomically(s, func(tx Tx) (string, error) {
			runs++
			v := x.Load(tx)
			if runs == 1 {
				// Another transaction commits to x after this one read it: this run aborts.
				done := make(chan struct{})
				go func() { _ = s.Atomic(func(tx Tx) error { x.Store(tx, 20); return nil }); close(done) }()
				<-done
			}
			x.Store(tx, v+1)
			return fmt.Sprintf("run %d saw %d", runs, v), nil
		})
		if err != nil || got != "run 2 saw 20" || x.LoadLatest() != 21 {
			t.Fatalf("Atomically = %q, %v after %d runs (x = %d); want the second run's result", got, err, runs, x.LoadLatest())
		}
		boom := errors.New("boom")
		n, err := Atomically(s, func(tx Tx) (int, error) { x.Store(tx, 99); return 7, boom })
		if !errors.Is(err, boom) || n != 0 || x.LoadLatest() != 21 {
			t.Fatalf("Atomically with an error = %d, %v (x = %d); want 0, boom, nothing written", n, err, x.LoadLatest())
		}
		sum, err := AtomicallyReadOnly(s, func(tx Tx) (int, error) {
			if !tx.ReadOnly() {
				t.Error("AtomicallyReadOnly runs a read-write transaction")
			}
			return x.Load(tx) * 2, nil
		})
		if err != nil || sum != 42 {
			t.Fatalf("AtomicallyReadOnly = %d, %v; want 42", sum, err)
		}
		if _, err := AtomicallyReadOnly(s, func(tx Tx) (int, error) { x.Store(tx, 1); return 1, nil }); !errors.Is(err, ErrWriteInReadOnly) {
			t.Fatalf("a write in AtomicallyReadOnly: err = %v, want ErrWriteInReadOnly", err)
		}
	})
}

// TestLargeWriteSetsHelped commits write sets large enough that lock-free helpers share their
// write-back in blocks, from four goroutines at once, with read-only transactions checking
// that every snapshot sees all of a commit or none of it, and the final counts.
func TestLargeWriteSetsHelped(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		const boxes, goroutines = 1000, 4
		commits := scaled(300)
		v := newBoxes(boxes)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for range commits {
					if g == 0 {
						if err := s.ReadOnly(func(tx Tx) error {
							first := v[0].Load(tx)
							for i, b := range v {
								if x := b.Load(tx); x != first {
									return fmt.Errorf("snapshot %d: box %d = %d, box 0 = %d", tx.Snapshot(), i, x, first)
								}
							}
							return nil
						}); err != nil {
							t.Error(err)
							return
						}
					}
					_ = s.Atomic(func(tx Tx) error {
						for _, b := range v {
							b.Store(tx, b.Load(tx)+1)
						}
						return nil
					})
				}
			})
		}
		wg.Wait()
		for i, b := range v {
			if got := b.LoadLatest(); got != goroutines*commits {
				t.Fatalf("box %d = %d after %d commits of every box", i, got, goroutines*commits)
			}
		}
	})
}
