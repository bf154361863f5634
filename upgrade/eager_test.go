package upgrade

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"

	"dustm/stm"
)

// eagerWorkerCounts are the worker counts the parallel eager tests try (0: GOMAXPROCS).
var eagerWorkerCounts = []int{0, 1, 2, 4}

// TestEagerParallelConvertsEachObjectOnce: with any number of workers, an eager upgrade runs
// the transformer exactly once per object, every object ends up converted, and the statistics
// record the workers used. The transformer also reads a neighbour through its view, so that
// views are used from several goroutines at once.
func TestEagerParallelConvertsEachObjectOnce(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		for _, workers := range eagerWorkerCounts {
			t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
				n := 5*eagerChunk + 3 // several chunks, the last one partial
				w := newWorld(t, a, n)
				calls := make([]atomic.Int32, n)
				tr := func(o *Object, old any, v View) (any, error) {
					i := o.Owner().(int)
					calls[i].Add(1)
					nb, err := ViewGet[*ItemV1](v, w.items[(i+1)%n])
					if err != nil || nb.N != (i+1)%n {
						return nil, fmt.Errorf("neighbour of %d read as %v, %v", i, nb, err)
					}
					return toV2()(o, old, v)
				}
				m, err := w.e.Upgrade(context.Background(), Upgrade{Name: "v2", Code: codeV2,
					Transformers: map[*Class]Transformer{w.item: tr}}, Options{Strategy: Eager, Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				for i := range calls {
					if c := calls[i].Load(); c != 1 {
						t.Fatalf("object %d converted %d times", i, c)
					}
					if st := w.items[i].box.LoadLatest(); st.ver != 2 || st.v.(*ItemV2).N != i {
						t.Fatalf("object %d holds %+v after the upgrade", i, st)
					}
				}
				want := workers
				if want == 0 {
					want = runtime.GOMAXPROCS(0)
				}
				st := m.Stats()
				if st.Workers != want || st.ConvertedStopped != int64(n) || st.Objects != n || !st.Complete {
					t.Fatalf("stats: workers %d (want %d), converted %d, objects %d (want %d), complete %v",
						st.Workers, want, st.ConvertedStopped, st.Objects, n, st.Complete)
				}
			})
		}
	})
}

// TestEagerParallelFailureIsAtomic: with several workers and several failing objects, the
// upgrade fails as a whole with the error of the first failing object in registration order,
// and nothing changes.
func TestEagerParallelFailureIsAtomic(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		for _, workers := range eagerWorkerCounts {
			t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
				n := 6 * eagerChunk
				w := newWorld(t, a, n)
				bad := func(o *Object, old any, v View) (any, error) {
					if i := old.(*ItemV1).N; i%50 == 7 {
						return nil, fmt.Errorf("object %d: %w", i, errBoom)
					}
					return toV2()(o, old, v)
				}
				m, err := w.e.Upgrade(context.Background(), Upgrade{Name: "bad", Code: codeV2,
					Transformers: map[*Class]Transformer{w.item: bad}}, Options{Strategy: Eager, Workers: workers})
				var ce *ConversionError
				if !errors.As(err, &ce) || !errors.Is(err, errBoom) || ce.Object != w.items[7] {
					t.Fatalf("err = %v, want the ConversionError of object 7", err)
				}
				if m.Stats().Failures < 1 {
					t.Fatal("no failure counted")
				}
				if w.e.Current().Number != 1 {
					t.Fatalf("program at version %d", w.e.Current().Number)
				}
				for i, it := range w.items {
					if st := it.box.LoadLatest(); st.ver != 1 || st.v.(*ItemV1).N != i {
						t.Fatalf("item %d changed: %+v", i, st)
					}
				}
				// The program runs on, and a correct upgrade still succeeds.
				if err := w.e.Atomic(func(tx Tx) error { codeV1.write(tx, w.items[0], 0); return nil }); err != nil {
					t.Fatal(err)
				}
				w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Eager)
			})
		}
	})
}

// TestEagerWorkersOption: a negative worker count is refused with a clear error.
func TestEagerWorkersOption(t *testing.T) {
	w := newWorld(t, stm.LockFree, 3)
	_, err := w.e.Upgrade(context.Background(), Upgrade{Name: "v2", Code: codeV2,
		Transformers: map[*Class]Transformer{w.item: toV2()}}, Options{Strategy: Eager, Workers: -1})
	if err == nil || w.e.Current().Number != 1 {
		t.Fatalf("workers -1: err %v, program version %d", err, w.e.Current().Number)
	}
}
