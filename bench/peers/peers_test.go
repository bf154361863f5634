package peers

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"

	"dustm/stm"

	anacrolix "github.com/anacrolix/stm"
	lukechampine "github.com/lukechampine/stm"
)

const boxes = 1000

// impl is one contender: it builds 1000 integer boxes holding 0 and returns the two workloads
// and a way to read the final sum outside any transaction.
type impl struct {
	name  string
	build func() (ro10 func(idx *[10]int) int, inc2 func(a, b int), sum func() int, done func())
}

func impls() []impl {
	dustmImpl := func(a stm.Algorithm) func() (func(*[10]int) int, func(int, int), func() int, func()) {
		return func() (func(*[10]int) int, func(int, int), func() int, func()) {
			s := stm.New(stm.Options{Algorithm: a})
			v := make([]*stm.Var[int], boxes)
			for i := range v {
				v[i] = stm.NewVar(0)
			}
			ro := func(idx *[10]int) (n int) {
				_ = s.ReadOnly(func(tx stm.Tx) error {
					n = 0
					for _, i := range idx {
						n += v[i].Load(tx)
					}
					return nil
				})
				return n
			}
			inc := func(a, b int) {
				_ = s.Atomic(func(tx stm.Tx) error {
					v[a].Store(tx, v[a].Load(tx)+1)
					v[b].Store(tx, v[b].Load(tx)+1)
					return nil
				})
			}
			sum := func() (n int) {
				for _, x := range v {
					n += x.LoadLatest()
				}
				return n
			}
			return ro, inc, sum, s.Close
		}
	}
	return []impl{
		{"dustm-lock", dustmImpl(stm.LockBased)},
		{"dustm-lockfree", dustmImpl(stm.LockFree)},
		{"anacrolix", func() (func(*[10]int) int, func(int, int), func() int, func()) {
			v := make([]*anacrolix.Var[int], boxes)
			for i := range v {
				v[i] = anacrolix.NewVar(0)
			}
			ro := func(idx *[10]int) int {
				return anacrolix.Atomically(func(tx *anacrolix.Tx) int {
					n := 0
					for _, i := range idx {
						n += v[i].Get(tx)
					}
					return n
				})
			}
			inc := func(a, b int) {
				anacrolix.Atomically(anacrolix.VoidOperation(func(tx *anacrolix.Tx) {
					v[a].Set(tx, v[a].Get(tx)+1)
					v[b].Set(tx, v[b].Get(tx)+1)
				}))
			}
			sum := func() (n int) {
				for _, x := range v {
					n += anacrolix.AtomicGet(x)
				}
				return n
			}
			return ro, inc, sum, func() {}
		}},
		{"lukechampine", func() (func(*[10]int) int, func(int, int), func() int, func()) {
			v := make([]*lukechampine.Var, boxes)
			for i := range v {
				v[i] = lukechampine.NewVar(0)
			}
			ro := func(idx *[10]int) (n int) {
				lukechampine.Atomically(func(tx *lukechampine.Tx) {
					n = 0
					for _, i := range idx {
						n += tx.Get(v[i]).(int)
					}
				})
				return n
			}
			inc := func(a, b int) {
				lukechampine.Atomically(func(tx *lukechampine.Tx) {
					tx.Set(v[a], tx.Get(v[a]).(int)+1)
					tx.Set(v[b], tx.Get(v[b]).(int)+1)
				})
			}
			sum := func() (n int) {
				for _, x := range v {
					n += lukechampine.AtomicGet(x).(int)
				}
				return n
			}
			return ro, inc, sum, func() {}
		}},
		{"rwmutex", func() (func(*[10]int) int, func(int, int), func() int, func()) {
			var mu sync.RWMutex
			v := make([]int, boxes)
			ro := func(idx *[10]int) int {
				mu.RLock()
				n := 0
				for _, i := range idx {
					n += v[i]
				}
				mu.RUnlock()
				return n
			}
			inc := func(a, b int) {
				mu.Lock()
				v[a]++
				v[b]++
				mu.Unlock()
			}
			sum := func() (n int) {
				mu.RLock()
				defer mu.RUnlock()
				for _, x := range v {
					n += x
				}
				return n
			}
			return ro, inc, sum, func() {}
		}},
	}
}

// BenchmarkPeers runs BenchmarkPeers/<impl>/<workload> for workloads ro10 (a read-only
// transaction reading 10 random boxes of 1000) and inc2 (a read-write transaction incrementing
// 2 random boxes). Random choices are drawn outside the transaction, so a retried attempt
// repeats the same work. The final sums are checked, so a broken STM cannot look fast.
func BenchmarkPeers(b *testing.B) {
	for _, im := range impls() {
		b.Run(im.name, func(b *testing.B) {
			b.Run("ro10", func(b *testing.B) {
				ro, inc, _, done := im.build()
				defer done()
				// Give every box a distinct value so the read sums are checkable.
				for i := range boxes {
					for range i % 7 {
						inc(i, (i+1)%boxes)
					}
				}
				expect := make([]int, boxes)
				for i := range boxes {
					expect[i] += i % 7
					expect[(i+1)%boxes] += i % 7
				}
				var seed atomic.Uint64
				var bad atomic.Int64
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					r := rand.New(rand.NewPCG(seed.Add(1), 1))
					var idx [10]int
					for pb.Next() {
						want := 0
						for i := range idx {
							idx[i] = r.IntN(boxes)
							want += expect[idx[i]]
						}
						if ro(&idx) != want {
							bad.Add(1)
						}
					}
				})
				if bad.Load() != 0 {
					b.Fatalf("%d read-only transactions returned a wrong sum", bad.Load())
				}
			})
			b.Run("inc2", func(b *testing.B) {
				_, inc, sum, done := im.build()
				defer done()
				var seed, count atomic.Int64
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					r := rand.New(rand.NewPCG(uint64(seed.Add(1)), 2))
					n := int64(0)
					for pb.Next() {
						x, y := r.IntN(boxes), r.IntN(boxes)
						inc(x, y)
						n++
					}
					count.Add(n)
				})
				b.StopTimer()
				if got, want := sum(), 2*int(count.Load()); got != want {
					b.Fatalf("sum %d after %d transactions, want %d: lost updates", got, count.Load(), want)
				}
			})
		})
	}
}
