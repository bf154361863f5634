package upgrade

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"dustm/stm"
)

// BenchmarkSteadyState measures the cost of being upgradable with no upgrade pending: a
// read-only transaction reading 10 random objects of 1000, through upgradable handles and
// through plain boxes holding the same states. The ratio of the two is the overhead.
func BenchmarkSteadyState(b *testing.B) {
	const n = 1000
	for _, a := range stm.Algorithms() {
		b.Run(a.String(), func(b *testing.B) {
			s := stm.New(stm.Options{Algorithm: a})
			defer s.Close()
			e := New(s, codeV1)
			defer e.Close()
			item := e.NewClass("Item")
			objs := make([]*Object, n)
			plain := make([]*stm.Var[*ItemV1], n)
			for i := range objs {
				objs[i] = e.NewObjectLatest(item, nil, &ItemV1{N: i})
				plain[i] = stm.NewVar(&ItemV1{N: i})
			}
			var seed atomic.Uint64
			b.Run("ro10/plain", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					r := rand.New(rand.NewPCG(seed.Add(1), 1))
					var idx [10]int
					sum := 0
					for pb.Next() {
						for i := range idx {
							idx[i] = r.IntN(n)
						}
						_ = s.ReadOnly(func(tx stm.Tx) error {
							for _, i := range idx {
								sum += plain[i].Load(tx).N
							}
							return nil
						})
					}
					_ = sum
				})
			})
			b.Run("ro10/upgradable", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					r := rand.New(rand.NewPCG(seed.Add(1), 1))
					var idx [10]int
					sum := 0
					for pb.Next() {
						for i := range idx {
							idx[i] = r.IntN(n)
						}
						_ = e.ReadOnly(func(tx Tx) error {
							for _, i := range idx {
								sum += objs[i].Load(tx).(*ItemV1).N
							}
							return nil
						})
					}
					_ = sum
				})
			})
			// The same reads with Load's fast path in line (Object.Peek).
			b.Run("ro10/upgradable-peek", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					r := rand.New(rand.NewPCG(seed.Add(1), 1))
					var idx [10]int
					sum := 0
					for pb.Next() {
						for i := range idx {
							idx[i] = r.IntN(n)
						}
						_ = e.ReadOnly(func(tx Tx) error {
							for _, i := range idx {
								v := objs[i].Peek(tx)
								if v == nil {
									v = objs[i].Load(tx)
								}
								sum += v.(*ItemV1).N
							}
							return nil
						})
					}
					_ = sum
				})
			})
		})
	}
}

// BenchmarkEagerPause measures the eager upgrade's stopped world per object converted, at 1
// and 2 conversion workers (Options.Workers), over 20000 objects whose transformer also reads
// a neighbour through its view, as STMBench7's do; "heavy" transformers also do a thousand
// dependent multiply-adds (a few hundred nanoseconds), where the parallel part dominates. One iteration is one upgrade (v1 → v2 →
// v3 …, every one converting every object); pause-ns/object is the metric to compare.
func BenchmarkEagerPause(b *testing.B) {
	const n = 20000
	for _, heavy := range []bool{false, true} {
		for _, workers := range []int{1, 2} {
			benchEagerPause(b, n, heavy, workers)
		}
	}
}

func benchEagerPause(b *testing.B, n int, heavy bool, workers int) {
	name := "light"
	if heavy {
		name = "heavy"
	}
	b.Run(fmt.Sprintf("%s/workers=%d", name, workers), func(b *testing.B) {
		e, item, objs := benchItems(b, n)
		tr := func(o *Object, old any, v View) (any, error) {
			nb, err := ViewGet[*ItemV1](v, objs[(o.Owner().(int)+1)%n])
			if err != nil {
				return nil, err
			}
			if heavy {
				x := uint64(nb.N)
				for range 1000 {
					x = x*6364136223846793005 + 1442695040888963407
				}
				if x == 1 { // keeps the computation alive; practically never true
					return nil, fmt.Errorf("object %d: unlucky hash", nb.N)
				}
			}
			return &ItemV1{N: old.(*ItemV1).N}, nil
		}
		var pause time.Duration
		b.ResetTimer()
		for i := 0; b.Loop(); i++ {
			m, err := e.Upgrade(context.Background(), Upgrade{Name: fmt.Sprint("v", i+2), Code: codeV1,
				Transformers: map[*Class]Transformer{item: tr}}, Options{Strategy: Eager, Workers: workers})
			if err != nil {
				b.Fatal(err)
			}
			st := m.Stats()
			if st.Workers != workers || st.ConvertedStopped != int64(n) {
				b.Fatalf("workers %d, converted %d", st.Workers, st.ConvertedStopped)
			}
			pause += st.Pause
		}
		b.ReportMetric(float64(pause.Nanoseconds())/float64(b.N)/float64(n), "pause-ns/object")
	})
}

// BenchmarkLazySweep measures a lazy migration with a sweeper from the upgrade to its end
// (every object converted, the pin released), over 200000 objects and no other load: the
// migration's scan, the sweeper, and the versions it leaves to the STM's collector. One
// iteration is one upgrade; ns/object is the metric to compare.
func BenchmarkLazySweep(b *testing.B) {
	const n = 200000
	e, item, objs := benchItems(b, n)
	tr := func(o *Object, old any, v View) (any, error) { return &ItemV1{N: old.(*ItemV1).N + 1}, nil }
	var took time.Duration
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		m, err := e.Upgrade(context.Background(), Upgrade{Name: fmt.Sprint("v", i+2), Code: codeV1,
			Transformers: map[*Class]Transformer{item: tr}}, Options{Strategy: LazySweep, CheckInterval: time.Millisecond})
		if err != nil {
			b.Fatal(err)
		}
		<-m.Done()
		took += time.Since(start)
		if st := m.Stats(); st.Converted() != n {
			b.Fatalf("converted %d of %d", st.Converted(), n)
		}
	}
	b.ReportMetric(float64(took.Nanoseconds())/float64(b.N)/n, "ns/object")
	runtime.KeepAlive(objs)
}

// BenchmarkNewObject measures creating an upgradable object, which adds it to its class's
// registry (the registry's growth and compaction included).
func BenchmarkNewObject(b *testing.B) {
	s := stm.New(stm.Options{})
	defer s.Close()
	e := New(s, codeV1)
	defer e.Close()
	item := e.NewClass("Item")
	keep := make([]*Object, 0, 1<<20)
	for i := 0; b.Loop(); i++ {
		o := e.NewObjectLatest(item, i, &ItemV1{N: i})
		if i%2 == 0 && len(keep) < cap(keep) { // half of them stay alive, half die
			keep = append(keep, o)
		}
	}
	runtime.KeepAlive(keep)
}

// benchItems returns an engine with n objects of a class Item, closed when b ends.
func benchItems(b *testing.B, n int) (*Engine, *Class, []*Object) {
	s := stm.New(stm.Options{})
	b.Cleanup(s.Close)
	e := New(s, codeV1)
	b.Cleanup(e.Close)
	item := e.NewClass("Item")
	objs := make([]*Object, n)
	for i := range objs {
		objs[i] = e.NewObjectLatest(item, i, &ItemV1{N: i})
	}
	return e, item, objs
}
