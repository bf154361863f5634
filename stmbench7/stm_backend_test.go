package stmbench7

import (
	"errors"
	"strings"
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
	p := sizes["tiny"]
	build := func(name string, a stm.Algorithm, l Layout) (Backend, *Structure) {
		b, err := NewBackend(name, Options{STMCommit: a, Layout: l})
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
	ref, refS := build("none", stm.LockFree, LayoutObject)
	want := runSequence(t, ref, refS, 3000)
	var wantSnap *Snapshot
	_ = ref.View(refS, func(tx Tx) error { wantSnap = Canonical(tx); return nil })
	for _, c := range stmConfigs {
		for _, a := range stm.Algorithms() {
			name := c.name + "/" + c.layout.String()
			b, s := build(c.name, a, c.layout)
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

// stmConfigs are the STM backends with every layout they accept.
var stmConfigs = []struct {
	name   string
	layout Layout
}{{"stm-plain", LayoutObject}, {"stm-plain", LayoutField}, {"stm", LayoutObject}}

// Several workers on the STM backends keep the structure consistent.
func TestSTMBackendsConcurrent(t *testing.T) {
	for _, c := range stmConfigs {
		for _, a := range stm.Algorithms() {
			name := c.name + "/" + c.layout.String()
			b, err := NewBackend(c.name, Options{STMCommit: a, Layout: c.layout})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			r := jrand.New(3)
			s, err := b.Build(sizes["tiny"], &r)
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

func TestParseLayout(t *testing.T) {
	for _, l := range []Layout{LayoutObject, LayoutField} {
		if got, err := ParseLayout(l.String()); err != nil || got != l {
			t.Errorf("ParseLayout(%q) = %v, %v", l.String(), got, err)
		}
	}
	for _, bad := range []string{"", "Object", "fields", "box"} {
		if _, err := ParseLayout(bad); err == nil || !strings.Contains(err.Error(), "accepted: object, field") {
			t.Errorf("ParseLayout(%q): %v", bad, err)
		}
	}
	// An upgradable object is one box: stm refuses the per-field layout, saying what it takes.
	if _, err := NewBackend("stm", Options{Layout: LayoutField}); err == nil || !strings.Contains(err.Error(), "stm-plain only") {
		t.Errorf("stm with the field layout: %v", err)
	}
}

// Under the per-field layout, an operation that changes one field of an object does not
// conflict with one that reads another field of it: an atomic part's date update commits
// while a transaction that read its coordinates is still open, and that one commits too.
func TestFieldLayoutSeparatesFields(t *testing.T) {
	for _, l := range []Layout{LayoutObject, LayoutField} {
		b, err := NewBackend("stm-plain", Options{Layout: l})
		if err != nil {
			t.Fatal(err)
		}
		r := jrand.New(3)
		s, err := b.Build(sizes["tiny"], &r)
		if err != nil {
			t.Fatal(err)
		}
		sp := b.(*stmPlainBackend)
		reader, writer := newSTMTx(stmStoreOf(s), l), newSTMTx(stmStoreOf(s), l)
		attempts := 0
		_, err = sp.s.Run(false, func(stx stm.Tx) error {
			attempts++
			reader.stx = stx
			p := reader.AtomicByID(1)
			reader.XY(p)
			if attempts == 1 {
				// Another transaction commits a date change of p meanwhile.
				if _, err := sp.run(writer, false, func(tx Tx) error { tx.UpdateAtomicDate(tx.AtomicByID(1)); return nil }); err != nil {
					return err
				}
			}
			reader.SwapXY(p) // a write, so that the transaction validates its reads
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[Layout]int{LayoutObject: 2, LayoutField: 1}[l]; attempts != want {
			t.Errorf("%v layout: %d attempts, want %d", l, attempts, want)
		}
		b.Close()
	}
}
