package upgrade

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"dustm/stm"
)

// The test program: items whose state changes shape from V1 (a count) to V2 (a count and its
// double) to V3 (a label and the count), and a "summary" class whose transformer reads items.

type ItemV1 struct{ N int }
type ItemV2 struct{ N, Twice int }
type ItemV3 struct {
	Label string
	N     int
}
type SumV1 struct{ Total int }
type SumV2 struct{ Total, ItemsSeen int }

// code is the program's code: a version tag and the item shape it expects.
type code struct {
	version int
	read    func(tx Tx, o *Object) int // the item's count, read in this version's shape
	write   func(tx Tx, o *Object, n int)
}

var codeV1 = &code{1,
	func(tx Tx, o *Object) int { return Get[*ItemV1](tx, o).N },
	func(tx Tx, o *Object, n int) { o.Store(tx, &ItemV1{N: n}) }}
var codeV2 = &code{2,
	func(tx Tx, o *Object) int {
		s := Get[*ItemV2](tx, o)
		if s.Twice != 2*s.N {
			panic(fmt.Sprintf("V2 invariant broken: %+v", *s))
		}
		return s.N
	},
	func(tx Tx, o *Object, n int) { o.Store(tx, &ItemV2{N: n, Twice: 2 * n}) }}
var codeV3 = &code{3,
	func(tx Tx, o *Object) int { return Get[*ItemV3](tx, o).N },
	func(tx Tx, o *Object, n int) { o.Store(tx, &ItemV3{Label: "item", N: n}) }}

func toV2() Transformer {
	return Convert(func(s *ItemV1) (*ItemV2, error) { return &ItemV2{N: s.N, Twice: 2 * s.N}, nil })
}

func toV3() Transformer {
	return Convert(func(s *ItemV2) (*ItemV3, error) { return &ItemV3{Label: "item", N: s.N}, nil })
}

type world struct {
	s     *stm.STM
	e     *Engine
	item  *Class
	sum   *Class
	items []*Object
}

func newWorld(t testing.TB, a stm.Algorithm, n int) *world {
	s := stm.New(stm.Options{Algorithm: a, GCInterval: time.Millisecond})
	w := &world{s: s, e: New(s, codeV1)}
	w.item = w.e.NewClass("Item")
	w.sum = w.e.NewClass("Sum")
	for i := range n {
		w.items = append(w.items, w.e.NewObjectLatest(w.item, i, &ItemV1{N: i}))
	}
	t.Cleanup(func() { w.e.Close(); s.Close() })
	return w
}

func forEachAlgorithm(t *testing.T, f func(t *testing.T, a stm.Algorithm)) {
	for _, a := range stm.Algorithms() {
		t.Run(a.String(), func(t *testing.T) { f(t, a) })
	}
}

func (w *world) upgrade(t testing.TB, name string, c any, tr map[*Class]Transformer, s Strategy) *Migration {
	t.Helper()
	m, err := w.e.Upgrade(context.Background(), Upgrade{Name: name, Code: c, Transformers: tr},
		Options{Strategy: s, Sweepers: 2, CheckInterval: time.Millisecond})
	if err != nil {
		t.Fatalf("upgrade %s: %v", name, err)
	}
	return m
}

func scaled(n int) int {
	if raceEnabled {
		return max(n/10, 1)
	}
	return n
}

// Rule 1: no transaction ever sees a mix of versions, code or state, while upgrades commit
// under concurrent load.
func TestRule1NoMixedVersions(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		for _, strat := range Strategies() {
			t.Run(strat.String(), func(t *testing.T) {
				w := newWorld(t, a, 200)
				var mixed, runs atomic.Int64
				stop := make(chan struct{})
				var wg sync.WaitGroup
				for g := range 4 {
					wg.Go(func() {
						r := rand.New(rand.NewPCG(uint64(g), 1))
						for {
							select {
							case <-stop:
								return
							default:
							}
							ro := g%2 == 0
							_, err := w.e.Run(ro, func(tx Tx) error {
								c := tx.Code().(*code)
								if c.version != tx.Program().Number {
									mixed.Add(1)
								}
								for range 8 {
									o := w.items[r.IntN(len(w.items))]
									v := o.Load(tx)
									ok := false
									switch v.(type) {
									case *ItemV1:
										ok = c.version == 1
									case *ItemV2:
										ok = c.version == 2
									case *ItemV3:
										ok = c.version == 3
									}
									if !ok {
										mixed.Add(1)
									}
									if !ro {
										c.write(tx, o, c.read(tx, o)+1)
									}
								}
								return nil
							})
							if err != nil {
								t.Error(err)
								return
							}
							runs.Add(1)
						}
					})
				}
				time.Sleep(20 * time.Millisecond)
				m2 := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, strat)
				time.Sleep(20 * time.Millisecond)
				m3 := w.upgrade(t, "v3", codeV3, map[*Class]Transformer{w.item: toV3()}, strat)
				time.Sleep(20 * time.Millisecond)
				close(stop)
				wg.Wait()
				if n := mixed.Load(); n != 0 {
					t.Fatalf("%d observations mixed versions (of %d transactions)", n, runs.Load())
				}
				if w.e.Current().Number != 3 {
					t.Fatalf("program at version %d", w.e.Current().Number)
				}
				t.Logf("%d transactions; %+v; %+v", runs.Load(), m2.Stats(), m3.Stats())
			})
		}
	})
}

// Rule 2: a read-write transaction that straddles the upgrade aborts and reruns in the new
// version; a read-only one finishes on the old snapshot.
func TestRule2NoStraddlingWriters(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 4)
		inRW, inRO := make(chan struct{}), make(chan struct{})
		goOn := make(chan struct{})
		var rwVersions, roVersions []int
		var rwOut, roOut stm.Outcome
		var wg sync.WaitGroup
		wg.Go(func() {
			var once sync.Once
			rwOut, _ = w.e.Run(false, func(tx Tx) error {
				c := tx.Code().(*code)
				rwVersions = append(rwVersions, c.version)
				c.write(tx, w.items[0], c.read(tx, w.items[0])+10)
				once.Do(func() { close(inRW); <-goOn })
				return nil
			})
		})
		wg.Go(func() {
			roOut, _ = w.e.Run(true, func(tx Tx) error {
				roVersions = append(roVersions, tx.Code().(*code).version)
				close(inRO)
				<-goOn
				for _, o := range w.items {
					if _, ok := o.Load(tx).(*ItemV1); !ok {
						t.Errorf("read-only transaction begun before the upgrade sees %T", o.Load(tx))
					}
				}
				return nil
			})
		})
		<-inRW
		<-inRO
		w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
		close(goOn)
		wg.Wait()
		if fmt.Sprint(rwVersions) != "[1 2]" || rwOut.Attempts != 2 {
			t.Fatalf("read-write ran in versions %v (%d attempts), want [1 2]", rwVersions, rwOut.Attempts)
		}
		if fmt.Sprint(roVersions) != "[1]" || roOut.Attempts != 1 {
			t.Fatalf("read-only ran in versions %v (%d attempts), want [1]", roVersions, roOut.Attempts)
		}
		_ = w.e.ReadOnly(func(tx Tx) error {
			if got := Get[*ItemV2](tx, w.items[0]); got.N != 10 || got.Twice != 20 {
				t.Errorf("item 0 = %+v, want the rerun's write in the new shape", *got)
			}
			return nil
		})
	})
}

// Rule 3: a transformer sees only pre-upgrade state, even when the objects it reads were already
// converted and written after the upgrade; reading an object does not convert it.
func TestRule3TransformersReadThePast(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 3)
		total := w.e.NewObjectLatest(w.sum, nil, &SumV1{Total: 3})
		var seen []int
		sumT := func(o *Object, old any, v View) (any, error) {
			s := old.(*SumV1)
			n := 0
			for _, it := range w.items {
				st, err := ViewGet[*ItemV1](v, it) // items in their pre-upgrade shape
				if err != nil {
					return nil, err
				}
				n += st.N
				seen = append(seen, st.N)
			}
			return &SumV2{Total: s.Total, ItemsSeen: n}, nil
		}
		m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2(), w.sum: sumT}, Lazy)
		// After the upgrade, item 0 is converted and overwritten; item 1 only overwritten
		// blindly; item 2 not touched.
		_ = w.e.Atomic(func(tx Tx) error {
			c := tx.Code().(*code)
			c.write(tx, w.items[0], c.read(tx, w.items[0])+100)
			c.write(tx, w.items[1], 500)
			return nil
		})
		var got *SumV2
		_ = w.e.ReadOnly(func(tx Tx) error { got = Get[*SumV2](tx, total); return nil })
		if got.ItemsSeen != 0+1+2 || fmt.Sprint(seen) != "[0 1 2]" {
			t.Fatalf("transformer saw %v (sum %d), want the pre-upgrade counts [0 1 2]", seen, got.ItemsSeen)
		}
		if w.items[2].box.Version() >= m.version {
			t.Fatal("reading item 2 in a transformer converted it")
		}
	})
}

// Rule 4: the same deterministic workload with the upgrade at the same point ends in exactly
// the same state under every strategy, whatever order lazy conversion happens in.
func TestRule4SameStateUnderEveryStrategy(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		final := map[Strategy]string{}
		for _, strat := range Strategies() {
			w := newWorld(t, a, 50)
			total := w.e.NewObjectLatest(w.sum, nil, &SumV1{Total: 0})
			r := rand.New(rand.NewPCG(42, 42))
			step := func() {
				_ = w.e.Atomic(func(tx Tx) error {
					c := tx.Code().(*code)
					i, j := r.IntN(len(w.items)), r.IntN(len(w.items))
					c.write(tx, w.items[i], c.read(tx, w.items[i])+c.read(tx, w.items[j])%7+1)
					return nil
				})
			}
			for range 200 {
				step()
			}
			sumT := func(o *Object, old any, v View) (any, error) {
				n := 0
				for _, it := range w.items {
					st, err := ViewGet[*ItemV1](v, it)
					if err != nil {
						return nil, err
					}
					n += st.N
				}
				return &SumV2{Total: old.(*SumV1).Total, ItemsSeen: n}, nil
			}
			m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2(), w.sum: sumT}, strat)
			for range 200 {
				step()
			}
			if strat != Lazy {
				<-m.Done()
			}
			var b strings.Builder
			// Reading converts what is left, in reverse order (a different order than the
			// workload's), so lazy conversion order varies between strategies.
			_ = w.e.ReadOnly(func(tx Tx) error {
				for i := len(w.items) - 1; i >= 0; i-- {
					fmt.Fprintf(&b, "%+v ", *Get[*ItemV2](tx, w.items[i]))
				}
				fmt.Fprintf(&b, "%+v", *Get[*SumV2](tx, total))
				return nil
			})
			final[strat] = b.String()
		}
		if final[Lazy] != final[Eager] || final[Lazy] != final[LazySweep] {
			t.Fatalf("final states differ:\nlazy:       %s\neager:      %s\nlazy+sweep: %s", final[Lazy], final[Eager], final[LazySweep])
		}
	})
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// Rule 5: the pinned snapshot is kept until the last object is converted, then released, and
// memory returns to its steady-state size (the old bodies below converted states go too).
// Rule 5, the other side: the pin is not released while a transaction that may still read an
// object in its old shape is running. Here a reader's snapshot is after the upgrade but before
// a write that replaced the object's state without reading it: the watcher sees every object in
// the new shape, yet the reader still finds the old state at its snapshot and must convert it
// from the pinned snapshot.
func TestRule5PinOutlivesOlderReaders(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, a, 1)
			o := w.items[0]
			m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
			started, resume := make(chan struct{}), make(chan struct{})
			got := make(chan int, 1)
			go func() {
				err := w.e.ReadOnly(func(tx Tx) error {
					if tx.Program().Number != 2 {
						return fmt.Errorf("reader in program %d", tx.Program().Number)
					}
					close(started)
					<-resume
					got <- codeV2.read(tx, o) // old shape at this snapshot: converted from the pin
					return nil
				})
				if err != nil {
					t.Error(err)
					got <- -1
				}
			}()
			<-started
			if err := w.e.Atomic(func(tx Tx) error { codeV2.write(tx, o, 7); return nil }); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for !m.Stats().Complete && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
			if !m.Stats().Complete {
				t.Fatal("the blind write did not count as a conversion")
			}
			time.Sleep(20 * time.Millisecond) // many watcher ticks
			synctest.Wait()
			select {
			case <-m.Done():
				t.Fatal("pin released while a reader at an older snapshot runs")
			default:
			}
			close(resume)
			if n := <-got; n != 0 {
				t.Fatalf("the reader saw count %d, want the pre-write 0", n)
			}
			select {
			case <-m.Done():
			case <-time.After(5 * time.Second):
				t.Fatal("pin never released after the reader ended")
			}
		})
	})
}

func TestRule5PinReleasedAndMemoryReturns(t *testing.T) {
	type Big struct{ Data []byte }
	type Big2 struct {
		Data []byte
		Sum  int
	}
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		synctest.Test(t, func(t *testing.T) {
			const n, size = 400, 32 << 10
			s := stm.New(stm.Options{Algorithm: a, GCInterval: time.Millisecond})
			defer s.Close()
			e := New(s, "v1")
			defer e.Close()
			blob := e.NewClass("Blob")
			objs := make([]*Object, n)
			for i := range objs {
				objs[i] = e.NewObjectLatest(blob, nil, &Big{Data: make([]byte, size)})
			}
			steady := heapAlloc()
			m, err := e.Upgrade(context.Background(), Upgrade{Name: "big2", Code: "v2",
				Transformers: map[*Class]Transformer{blob: Convert(func(b *Big) (*Big2, error) {
					return &Big2{Data: make([]byte, size), Sum: len(b.Data)}, nil
				})}}, Options{Strategy: Lazy, CheckInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			// Convert half: the pin must stay.
			_ = e.ReadOnly(func(tx Tx) error {
				for _, o := range objs[:n/2] {
					o.Load(tx)
				}
				return nil
			})
			time.Sleep(20 * time.Millisecond) // many watcher ticks
			synctest.Wait()
			if m.Stats().Complete || m.pin.Version() != m.version-1 {
				t.Fatal("migration complete with half the objects unconverted")
			}
			if got := objs[0].box.LoadAt(m.pin); got.ver != 1 {
				t.Fatal("the pinned snapshot does not show the pre-upgrade state")
			}
			_ = e.ReadOnly(func(tx Tx) error {
				for _, o := range objs[n/2:] {
					o.Load(tx)
				}
				return nil
			})
			select {
			case <-m.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("migration never completed")
			}
			st := m.Stats()
			if !st.Complete || st.ConvertedForeground != n || st.Objects != n || st.PinnedFor <= 0 {
				t.Fatalf("stats %+v", st)
			}
			s.CollectGarbage()
			for i, o := range objs {
				if b := o.box.Bodies(); b != 1 {
					t.Fatalf("object %d keeps %d bodies after migration", i, b)
				}
			}
			after := heapAlloc()
			runtime.KeepAlive(objs) // the converted states count: the objects are still in use
			if after > steady+uint64(n*size)/4 {
				t.Fatalf("heap %d after migration, steady state was %d (old states kept?)", after, steady)
			}
			t.Logf("heap: steady %d, after migration %d", steady, after)
		})
	})
}

// Rule 6: a second upgrade commits while the first is still migrating; an object goes through
// both transformers, each reading at its own upgrade's snapshot, each result installed at its
// own version; the second transformer sees objects in the first upgrade's shape.
func TestRule6SuccessiveUpgrades(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 5)
		total := w.e.NewObjectLatest(w.sum, nil, &SumV1{Total: 1})
		m2 := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
		var sawShapes []string
		sumT := func(o *Object, old any, v View) (any, error) {
			n := 0
			for _, it := range w.items {
				st, err := ViewGet[*ItemV2](v, it) // the first upgrade's shape
				if err != nil {
					return nil, err
				}
				sawShapes = append(sawShapes, fmt.Sprintf("%d/%d", st.N, st.Twice))
				n += st.N
			}
			return &SumV2{Total: old.(*SumV1).Total, ItemsSeen: n}, nil
		}
		// Item 4 is converted and changed by version 2 before the second upgrade.
		_ = w.e.Atomic(func(tx Tx) error { codeV2.write(tx, w.items[4], 40); return nil })
		m3 := w.upgrade(t, "v3", codeV3, map[*Class]Transformer{w.item: toV3(), w.sum: sumT}, Lazy)
		if m2.Stats().Complete {
			t.Fatal("first upgrade complete before the test touched its objects")
		}
		_ = w.e.ReadOnly(func(tx Tx) error {
			if got := Get[*SumV2](tx, total); got.ItemsSeen != 0+1+2+3+40 {
				t.Errorf("sum saw %d", got.ItemsSeen)
			}
			for i, it := range w.items {
				got := Get[*ItemV3](tx, it)
				want := i
				if i == 4 {
					want = 40
				}
				if got.N != want || got.Label != "item" {
					t.Errorf("item %d = %+v", i, *got)
				}
			}
			// Each intermediate state stands at its own upgrade's version. (Reading the second
			// upgrade's pin is safe here: this transaction's snapshot is after that upgrade, so
			// the pin is kept until it ends.)
			for i, it := range w.items[:4] {
				if st := it.box.LoadAt(m3.pin); st.ver != 2 {
					t.Errorf("item %d at the second upgrade's snapshot has class version %d, want 2", i, st.ver)
				}
			}
			return nil
		})
		if fmt.Sprint(sawShapes) != "[0/0 1/2 2/4 3/6 40/80]" {
			t.Fatalf("second transformer saw %v", sawShapes)
		}
		for _, m := range []*Migration{m2, m3} {
			select {
			case <-m.Done():
			case <-time.After(10 * time.Second):
				t.Fatalf("%s never completed: %+v", m.name, m.Stats())
			}
		}
	})
}

var errBoom = errors.New("boom")

// Rule 7 (eager): a transformer that fails or panics aborts the whole upgrade; the program
// stays at its version with nothing changed.
func TestRule7EagerFailureIsAtomic(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		for _, mode := range []string{"error", "panic"} {
			w := newWorld(t, a, 20)
			bad := func(o *Object, old any, v View) (any, error) {
				if old.(*ItemV1).N == 13 {
					if mode == "panic" {
						panic("transformer bug")
					}
					return nil, errBoom
				}
				return &ItemV2{N: old.(*ItemV1).N}, nil
			}
			m, err := w.e.Upgrade(context.Background(), Upgrade{Name: "bad", Code: codeV2,
				Transformers: map[*Class]Transformer{w.item: bad}}, Options{Strategy: Eager})
			var ce *ConversionError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), "bad") {
				t.Fatalf("%s: err = %v, want a ConversionError", mode, err)
			}
			if mode == "error" && !errors.Is(err, errBoom) {
				t.Fatalf("the transformer's error is not wrapped: %v", err)
			}
			// (The lock-free algorithm uses up a commit version for the abandoned upgrade; nothing
			// is written at it.)
			if w.e.Current().Number != 1 {
				t.Fatalf("%s: program at version %d", mode, w.e.Current().Number)
			}
			for i, it := range w.items {
				if st := it.box.LoadLatest(); st.ver != 1 || st.v.(*ItemV1).N != i {
					t.Fatalf("%s: item %d changed: %+v", mode, i, st)
				}
			}
			if m.Stats().Failures != 1 {
				t.Fatalf("failures %d", m.Stats().Failures)
			}
			// The program runs on at version 1.
			if err := w.e.Atomic(func(tx Tx) error { codeV1.write(tx, w.items[0], 1); return nil }); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// Rule 7 (lazy): a conversion that fails fails only the operation that triggered it, with a
// clear error; the object stays unconverted and convertible, and the failure is counted. A dry
// run finds the failure first without installing anything.
func TestRule7LazyFailureAndDryRun(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 20)
		var broken atomic.Bool
		broken.Store(true)
		tr := func(o *Object, old any, v View) (any, error) {
			if old.(*ItemV1).N == 7 && broken.Load() {
				return nil, errBoom
			}
			return &ItemV2{N: old.(*ItemV1).N, Twice: 2 * old.(*ItemV1).N}, nil
		}
		u := Upgrade{Name: "flaky", Code: codeV2, Transformers: map[*Class]Transformer{w.item: tr}}
		rep, err := w.e.DryRun(context.Background(), u)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Objects != 20 || rep.FailureCount != 1 || rep.Failures[0].Object != w.items[7] || !errors.Is(rep.Err(), errBoom) {
			t.Fatalf("dry run: %+v", rep)
		}
		for i, it := range w.items {
			if it.box.Bodies() != 1 || it.box.Version() != 0 {
				t.Fatalf("dry run installed something on item %d", i)
			}
		}
		m, err := w.e.Upgrade(context.Background(), u, Options{Strategy: Lazy, CheckInterval: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		// Operations on other items work.
		if err := w.e.Atomic(func(tx Tx) error { codeV2.write(tx, w.items[3], codeV2.read(tx, w.items[3])+1); return nil }); err != nil {
			t.Fatal(err)
		}
		err = w.e.Atomic(func(tx Tx) error { codeV2.read(tx, w.items[6]); codeV2.read(tx, w.items[7]); return nil })
		var ce *ConversionError
		if !errors.As(err, &ce) || ce.Object != w.items[7] || ce.Class != "Item" || !errors.Is(err, errBoom) {
			t.Fatalf("err = %v", err)
		}
		if w.items[7].box.Version() >= m.version {
			t.Fatal("the failed object was converted")
		}
		if st := m.Stats(); st.Failures != 1 || st.LastFailure == "" || st.Complete {
			t.Fatalf("stats %+v", st)
		}
		broken.Store(false)
		if err := w.e.ReadOnly(func(tx Tx) error {
			for _, it := range w.items {
				codeV2.read(tx, it)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		select {
		case <-m.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("not complete: %+v", m.Stats())
		}
	})
}

// Sweepers convert objects nobody touches, so the snapshot is released without any traffic.
func TestLazySweepCompletesAlone(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, scaled(20000))
		m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, LazySweep)
		select {
		case <-m.Done():
		case <-time.After(30 * time.Second):
			t.Fatalf("not complete: %+v", m.Stats())
		}
		st := m.Stats()
		if st.ConvertedSweeper != int64(len(w.items)) || st.Objects != len(w.items) {
			t.Fatalf("stats %+v", st)
		}
		evs := m.Events()
		var kinds []string
		for _, ev := range evs {
			kinds = append(kinds, string(ev.Kind))
		}
		if strings.Join(kinds, ",") != "requested,committed,migrated" {
			t.Fatalf("events %v", kinds)
		}
	})
}

// The registry does not keep dead objects alive.
func TestRegistryIsWeak(t *testing.T) {
	s := stm.New(stm.Options{})
	defer s.Close()
	e := New(s, nil)
	c := e.NewClass("Temp")
	keep := e.NewObjectLatest(c, nil, 1)
	for range 5000 {
		e.NewObjectLatest(c, nil, 2)
	}
	runtime.GC()
	runtime.GC()
	if n := c.Objects(); n != 1 {
		t.Fatalf("%d objects alive, want 1", n)
	}
	runtime.KeepAlive(keep)
}

func TestBadUpgrades(t *testing.T) {
	w := newWorld(t, stm.LockFree, 2)
	other := New(w.s, nil).NewClass("Other")
	for _, tc := range []struct {
		u    Upgrade
		opts Options
		want string
	}{
		{Upgrade{Code: codeV2}, Options{}, "needs a name"},
		{Upgrade{Name: "x", Transformers: map[*Class]Transformer{w.item: nil}}, Options{}, "nil"},
		{Upgrade{Name: "x", Transformers: map[*Class]Transformer{other: toV2()}}, Options{}, "another engine"},
		{Upgrade{Name: "x"}, Options{Strategy: Strategy(9)}, "accepted: lazy, eager, lazy+sweep"},
		{Upgrade{Name: "x"}, Options{Sweepers: -1}, "negative"},
	} {
		if _, err := w.e.Upgrade(context.Background(), tc.u, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.u, err, tc.want)
		}
	}
	if w.e.Current().Number != 1 {
		t.Fatal("a refused upgrade changed the program")
	}
	if _, err := ParseStrategy("immediate"); err == nil || !strings.Contains(err.Error(), "lazy+sweep") {
		t.Fatalf("ParseStrategy: %v", err)
	}
}

func TestCopyFields(t *testing.T) {
	type Old struct {
		A, B int
		Name string
		gone int
	}
	type New struct {
		A     int
		Title string
		Extra float64
	}
	tr := CopyFields[*Old, *New](map[string]string{"Name": "Title"}, func(o *Old, n *New) error {
		n.Extra = float64(o.B) / 2
		return nil
	})
	got, err := tr(nil, &Old{A: 1, B: 3, Name: "x", gone: 7}, View{}) // an unexported field is not copied
	if err != nil {
		t.Fatal(err)
	}
	if *got.(*New) != (New{A: 1, Title: "x", Extra: 1.5}) {
		t.Fatalf("got %+v", *got.(*New))
	}
	if _, err := tr(nil, "not a state", View{}); err == nil {
		t.Fatal("wrong state type accepted")
	}
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "no field Nope") {
			t.Fatalf("recovered %v", r)
		}
	}()
	CopyFields[*Old, *New](map[string]string{"Nope": "X"}, nil)
}
