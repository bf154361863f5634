package stm

import (
	"math/rand/v2"
	"sync/atomic"
	"testing"
)

const benchBoxes = 1000

// BenchmarkReadOnly10 is a read-only transaction reading 10 random boxes of 1000.
func BenchmarkReadOnly10(b *testing.B) {
	for _, a := range Algorithms() {
		b.Run(a.String(), func(b *testing.B) {
			s := New(Options{Algorithm: a})
			defer s.Close()
			v := make([]*Var[int], benchBoxes)
			for i := range v {
				v[i] = NewVar(i)
			}
			var seed atomic.Uint64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(seed.Add(1), 1))
				var idx [10]int
				sink := 0
				for pb.Next() {
					for i := range idx {
						idx[i] = r.IntN(benchBoxes)
					}
					_ = s.ReadOnly(func(tx Tx) error {
						for _, i := range idx {
							sink += v[i].Load(tx)
						}
						return nil
					})
				}
				if sink < 0 {
					b.Fatal("impossible sum")
				}
			})
		})
	}
}

// BenchmarkIncrement2 is a read-write transaction incrementing 2 random boxes of 1000.
func BenchmarkIncrement2(b *testing.B) {
	for _, a := range Algorithms() {
		b.Run(a.String(), func(b *testing.B) {
			s := New(Options{Algorithm: a})
			defer s.Close()
			v := make([]*Var[int], benchBoxes)
			for i := range v {
				v[i] = NewVar(0)
			}
			var seed, done atomic.Uint64
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				r := rand.New(rand.NewPCG(seed.Add(1), 2))
				n := uint64(0)
				for pb.Next() {
					x, y := r.IntN(benchBoxes), r.IntN(benchBoxes)
					_ = s.Atomic(func(tx Tx) error {
						v[x].Store(tx, v[x].Load(tx)+1)
						v[y].Store(tx, v[y].Load(tx)+1)
						return nil
					})
					n++
				}
				done.Add(n)
			})
			st := s.Stats()
			b.ReportMetric(float64(st.Aborts())/float64(b.N), "aborts/op")
			sum := uint64(0)
			for _, x := range v {
				sum += uint64(x.LoadLatest())
			}
			if sum != 2*done.Load() {
				b.Fatalf("sum %d after %d transactions: lost updates", sum, done.Load())
			}
		})
	}
}
