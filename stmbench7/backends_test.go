package stmbench7

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"unsafe"

	"golang.org/x/sys/cpu"

	"dustm/stmbench7/jrand"
)

// plainBackends are the lock backends.
var plainBackends = []string{"none", "coarse", "medium"}

// runMix runs n operations of the reference's mix on w, one thread, starting from seed.
func runMix(w Worker, cdf *[NumOps]float64, seed int64, n int) (fails int) {
	r := jrand.New(seed)
	for range n {
		op := nextOp(cdf, &r)
		if _, _, err := w.Execute(op, &r); err != nil {
			if !errors.Is(err, ErrOperationFailed) {
				panic(err)
			}
			fails++
		}
	}
	return fails
}

// TestInvariantsAfterRandomRuns: every lock backend keeps the invariants through long runs of
// every workload with every operation enabled, and all of them end in the same structure
// (one worker, same seed).
func TestInvariantsAfterRandomRuns(t *testing.T) {
	n := 20000
	if testing.Short() || raceEnabled {
		n = 4000
	}
	for _, size := range []string{"tiny", "small"} {
		for _, wl := range []string{"r", "rw", "w"} {
			t.Run(size+"/"+wl, func(t *testing.T) {
				cdf := refCDF(readOnlyPercent[wl], true, true)
				var first *Snapshot
				for _, name := range plainBackends {
					b, s := build(t, name, sizes[size])
					fails := runMix(b.NewWorker(s, 0), &cdf, 7, n)
					if err := s.Check(b, false); err != nil {
						t.Fatalf("%s: %v", name, err)
					}
					var snap *Snapshot
					view(t, b, s, func(tx Tx) { snap = Canonical(tx) })
					if first == nil {
						first = snap
						t.Logf("%d operations, %d failed; %d atomic parts, %d base assemblies left",
							n, fails, len(snap.Atomic), len(snap.Base))
					} else if d := first.Diff(snap); len(d) > 0 {
						t.Fatalf("%s ends in another structure than none:\n%s", name, strings.Join(d, "\n"))
					}
				}
			})
		}
	}
}

type logEntry struct {
	at     Serial
	op     OpID
	before jrand.Rand // the generator as the operation found it
	result int
	failed bool
}

// TestConcurrentRunsReplay: coarse and medium with several workers running the full mix stay
// consistent (under -race: no data race either), and replaying the operations one at a time in
// Serial order on a fresh structure (backend none) reproduces every result and failure and
// the final structure. This is the replay check, which validates the Serial numbering.
func TestConcurrentRunsReplay(t *testing.T) {
	const workers = 4
	perWorker := 3000
	if testing.Short() || raceEnabled {
		perWorker = 800
	}
	for _, name := range []string{"coarse", "medium"} {
		// Without SMs, medium's operations really run in parallel (an SM excludes all).
		for _, wl := range []string{"r", "w", "w-nosms"} {
			t.Run(name+"/"+wl, func(t *testing.T) {
				p := sizes["small"]
				b, s := buildWith(t, name, Options{Serials: true}, p)
				workload, sms := strings.CutSuffix(wl, "-nosms")
				cdf := refCDF(readOnlyPercent[workload], true, !sms)
				logs := make([][]logEntry, workers)
				var wg sync.WaitGroup
				for i := range workers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						w := b.NewWorker(s, i)
						r := jrand.New(int64(3 + i))
						for range perWorker {
							op := nextOp(&cdf, &r)
							before := r
							res, at, err := w.Execute(op, &r)
							logs[i] = append(logs[i], logEntry{at, op, before, res, err != nil})
						}
					}()
				}
				wg.Wait()
				if err := s.Check(b, false); err != nil {
					t.Fatal(err)
				}
				all := slices.Concat(logs...)
				slices.SortFunc(all, func(a, b logEntry) int { return int(a.at) - int(b.at) })
				for i := 1; i < len(all); i++ {
					if all[i].at == all[i-1].at {
						t.Fatalf("two operations with serial %d", all[i].at)
					}
				}

				rb, rs := build(t, "none", p)
				rw := rb.NewWorker(rs, 0)
				for k, e := range all {
					r := e.before
					res, _, err := rw.Execute(e.op, &r)
					if res != e.result || (err != nil) != e.failed {
						t.Fatalf("replay of operation %d (%s, serial %d): %d, %v; the run had %d, failed=%v",
							k, e.op, e.at, res, err, e.result, e.failed)
					}
				}
				var got, want *Snapshot
				view(t, b, s, func(tx Tx) { got = Canonical(tx) })
				view(t, rb, rs, func(tx Tx) { want = Canonical(tx) })
				if d := want.Diff(got); len(d) > 0 {
					t.Fatalf("the replayed structure differs:\n%s", strings.Join(d, "\n"))
				}
			})
		}
	}
}

func TestMaxThreads(t *testing.T) {
	for name, want := range map[string]int{"none": 1, "coarse": 0, "medium": 0} {
		b, err := NewBackend(name, Options{})
		if err != nil || b.Name() != name || b.MaxThreads() != want {
			t.Errorf("%s: %v, MaxThreads %d", name, err, b.MaxThreads())
		}
	}
	if b := NewBrokenBackend(); b.MaxThreads() != 0 || b.Name() == "coarse" {
		t.Errorf("broken backend: %s, %d", b.Name(), b.MaxThreads())
	}
}

// TestSerialsIncrease: with Options.Serials the lock methods number their operations in
// order; without it they leave the shared counter alone and every operation is at 0.
func TestSerialsIncrease(t *testing.T) {
	for _, name := range plainBackends {
		b, s := buildWith(t, name, Options{Serials: true}, sizes["tiny"])
		w := b.NewWorker(s, 0)
		var last Serial
		r := jrand.New(3)
		for op := range OpID(NumOps) {
			_, at, _ := w.Execute(op, &r)
			if at <= last {
				t.Fatalf("%s: %s has serial %d after %d", name, op, at, last)
			}
			last = at
		}

		b, s = build(t, name, sizes["tiny"])
		w = b.NewWorker(s, 0)
		r = jrand.New(3)
		for op := range OpID(NumOps) {
			if _, at, _ := w.Execute(op, &r); at != 0 {
				t.Fatalf("%s without Serials: %s has serial %d", name, op, at)
			}
		}
		if n := storeOf(s).serial.Load(); n != 0 {
			t.Fatalf("%s without Serials: the shared counter moved to %d", name, n)
		}
	}
}

// TestMediumLockPlans: structural modifications take the structure lock alone, in write mode;
// every other operation the structure lock in read mode first; every plan respects the global
// order; update operations write-lock something (or lock lazily: OP12).
func TestMediumLockPlans(t *testing.T) {
	m := newMediumLocks(7)
	for op := range OpID(NumOps) {
		plan := m.plan(op)
		if op.Type() == StructuralModification {
			if !slices.Equal(plan, []lockReq{{lockStructure, true}}) {
				t.Errorf("%s: %v", op, plan)
			}
			continue
		}
		if plan[0] != (lockReq{lockStructure, false}) {
			t.Errorf("%s does not start with the structure read lock: %v", op, plan)
		}
		writes := false
		for i := 1; i < len(plan); i++ {
			if plan[i].lock <= plan[i-1].lock {
				t.Errorf("%s: plan out of the global order: %v", op, plan)
			}
			writes = writes || plan[i].write
		}
		if writes == op.ReadOnly() && op != OP12 {
			t.Errorf("%s (read-only %v) plan writes=%v: %v", op, op.ReadOnly(), writes, plan)
		}
	}
	if got := len(m.plan(ST8)); got != 1+1+6 {
		t.Errorf("ST8 takes %d locks, want structure, base and six levels", got)
	}
}

// TestMediumReleasesLocks: after every operation, whatever it locked up front or lazily, no
// lock is held.
func TestMediumReleasesLocks(t *testing.T) {
	b, s := build(t, "medium", sizes["tiny"])
	w := b.NewWorker(s, 0).(*mediumWorker)
	st := storeOf(s)
	r := jrand.New(3)
	for range 3 {
		for op := range OpID(NumOps) {
			w.Execute(op, &r)
			for i := range st.medium.locks {
				if !st.medium.locks[i].TryLock() {
					t.Fatalf("after %s, lock %d is still held", op, i)
				}
				st.medium.locks[i].Unlock()
			}
			if slices.ContainsFunc(w.tx.held, func(h uint8) bool { return h != levelFree }) || w.tx.exclusive {
				t.Fatalf("after %s, the Tx still records held level locks", op)
			}
		}
	}
}

// TestMediumLazyLevelLocks: OP6/OP12 take their level's lock in the right mode, once; the
// operations that lock every level up front do not lock again.
func TestMediumLazyLevelLocks(t *testing.T) {
	b, s := build(t, "medium", sizes["tiny"])
	w := b.NewWorker(s, 0).(*mediumWorker)
	tx := &w.tx
	a := s.Module().DesignRoot
	tx.NullComplex(a)
	tx.ComplexDate(a)
	if tx.held[a.Level] != levelLazyRead {
		t.Fatalf("after a read: level state %d", tx.held[a.Level])
	}
	func() {
		defer func() {
			if recover() == nil {
				t.Error("upgrading a read-locked level did not panic")
			}
		}()
		tx.UpdateComplexDate(a)
	}()
	w.release(nil)
	tx.UpdateComplexDate(a)
	tx.UpdateComplexDate(a)
	tx.NullComplex(a)
	if tx.held[a.Level] != levelLazyWrite {
		t.Fatalf("after writes: level state %d", tx.held[a.Level])
	}
	w.release(nil)
	for i := range storeOf(s).medium.locks {
		if !storeOf(s).medium.locks[i].TryLock() {
			t.Fatalf("lock %d still held", i)
		}
	}
}

// TestBrokenBackend: one worker on the deliberately broken backend behaves like coarse (it is
// only wrong under concurrency); several workers do not crash it (without the race detector,
// which would rightly report its races).
func TestBrokenBackend(t *testing.T) {
	cdf := refCDF(10, true, true)
	var snaps []*Snapshot
	for _, b := range []Backend{NewBrokenBackend(), must(NewBackend("coarse", Options{}))} {
		r := jrand.New(3)
		s, err := b.Build(sizes["small"], &r)
		if err != nil {
			t.Fatal(err)
		}
		runMix(b.NewWorker(s, 0), &cdf, 5, 3000)
		var snap *Snapshot
		view(t, b, s, func(tx Tx) { snap = Canonical(tx) })
		snaps = append(snaps, snap)
	}
	if d := snaps[0].Diff(snaps[1]); len(d) > 0 {
		t.Fatalf("one-worker broken run differs from coarse:\n%s", strings.Join(d, "\n"))
	}
	if raceEnabled {
		return
	}
	b := NewBrokenBackend()
	r := jrand.New(3)
	s, err := b.Build(sizes["small"], &r)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			runMix(b.NewWorker(s, i), &cdf, int64(i), 3000)
		}()
	}
	wg.Wait()
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestStructureFromAnotherBackend: a lock backend refuses a structure it cannot run.
func TestStructureFromAnotherBackend(t *testing.T) {
	b, _ := NewBackend("coarse", Options{})
	defer func() {
		if v := recover(); v == nil || !strings.Contains(fmt.Sprint(v), "not a lock backend") {
			t.Errorf("recovered %v", v)
		}
	}()
	b.NewWorker(&Structure{backend: "stm", data: 1}, 0)
}

// TestMediumLocksPadded: no two of medium's locks share a cache line: between the end of one
// and the start of the next lies at least a line.
func TestMediumLocksPadded(t *testing.T) {
	cacheLine := unsafe.Sizeof(cpu.CacheLinePad{})
	m := newMediumLocks(7)
	for i := 1; i < len(m.locks); i++ {
		end := uintptr(unsafe.Pointer(&m.locks[i-1].RWMutex)) + unsafe.Sizeof(sync.RWMutex{})
		b := uintptr(unsafe.Pointer(&m.locks[i].RWMutex))
		if b-end < cacheLine {
			t.Fatalf("locks %d and %d are %d bytes apart, less than a cache line (%d)", i-1, i, b-end, cacheLine)
		}
	}
}
