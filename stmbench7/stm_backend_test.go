package stmbench7

import (
	"errors"
	"sync"
	"testing"

	"dustm/stm"
	"dustm/stmbench7/jrand"
)

// runSequence runs n operations drawn from the read-write mix on one worker with seed 7 and
// returns the results (failures as -1).
func runSequence(t *testing.T, b Backend, s *Structure, n int) []int {
	t.Helper()
	w := b.NewWorker(s, 0)
	r := jrand.New(7)
	var out []int
	for range n {
		op := OpID(r.IntN(NumOps))
		res, _, err := w.Execute(op, &r)
		switch {
		case errors.Is(err, ErrOperationFailed):
			res = -1
		case err != nil:
			t.Fatalf("%v: %v", op, err)
		}
		out = append(out, res)
	}
	return out
}

// The STM backends, with both commit algorithms, run the same operation sequence with the same
// results as the lock backend none and end in the same structure, id pools included: a failed
// operation's effects commit, as the reference's (SM1 and SM7 give back the ids they took at the
// end of their pools, which a rolled-back transaction would leave in their old order).
func TestSTMBackendsMatchNone(t *testing.T) {
	p := Sizes["tiny"]
	build := func(name string, a stm.Algorithm) (Backend, *Structure) {
		b, err := NewBackend(name, Options{STMCommit: a})
		if err != nil {
			t.Fatal(err)
		}
		r := jrand.New(3)
		s, err := b.Build(p, &r)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.Close)
		return b, s
	}
	ref, refS := build("none", stm.LockFree)
	want := runSequence(t, ref, refS, 3000)
	var wantSnap *Snapshot
	_ = ref.View(refS, func(tx Tx) error { wantSnap = Canonical(tx); return nil })
	for _, name := range []string{"stm-plain", "stm"} {
		for _, a := range stm.Algorithms {
			b, s := build(name, a)
			if err := s.Check(b, true); err != nil {
				t.Fatalf("%s/%v initial invariants: %v", name, a, err)
			}
			got := runSequence(t, b, s, 3000)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s/%v: operation %d returned %d, none returned %d", name, a, i, got[i], want[i])
				}
			}
			var snap *Snapshot
			_ = b.View(s, func(tx Tx) error { snap = Canonical(tx); return nil })
			if d := wantSnap.Diff(snap); len(d) > 0 {
				t.Fatalf("%s/%v: final structure differs: %v", name, a, d[:min(len(d), 10)])
			}
			if err := s.Check(b, false); err != nil {
				t.Fatalf("%s/%v final invariants: %v", name, a, err)
			}
		}
	}
}

// Several workers on the STM backends keep the structure consistent.
func TestSTMBackendsConcurrent(t *testing.T) {
	for _, name := range []string{"stm-plain", "stm"} {
		for _, a := range stm.Algorithms {
			b, _ := NewBackend(name, Options{STMCommit: a})
			defer b.Close()
			r := jrand.New(3)
			s, err := b.Build(Sizes["tiny"], &r)
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for th := range 4 {
				wg.Go(func() {
					w := b.NewWorker(s, th)
					r := jrand.New(int64(th))
					for range 1500 {
						op := OpID(r.IntN(NumOps))
						if _, _, err := w.Execute(op, &r); err != nil && !errors.Is(err, ErrOperationFailed) {
							t.Errorf("%v: %v", op, err)
							return
						}
					}
				})
			}
			wg.Wait()
			if err := s.Check(b, false); err != nil {
				t.Fatalf("%s/%v after concurrent run: %v", name, a, err)
			}
			t.Logf("%s/%v: %+v", name, a, b.Stats())
		}
	}
}
