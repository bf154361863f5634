package stm

import (
	"runtime"
	"runtime/metrics"
	"testing"
)

// liveHeap returns the bytes of heap objects that a full collection found reachable.
func liveHeap() uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// TestMemoryReturnsWhenQuiet overwrites one box many times with large values while a long
// read-only transaction holds an old snapshot, ends the reader, runs the collector and measures
// the live heap without any further commit: a program that goes quiet after a long scan (or
// after a migration's pin is released) must get back every value no snapshot needs, not keep
// them until its next commit.
//
// The transactions that committed stay reachable (as pooled transactions do in a busy
// program, where the pool is not emptied by every collection): whatever they keep, the
// collector must have let go of it.
func TestMemoryReturnsWhenQuiet(t *testing.T) {
	const size, overwrites = 256 << 10, 300
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, GCInterval: -1}) // the test runs the collector
			defer s.Close()
			box := NewVar(make([]byte, size))
			base := liveHeap()
			inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
			go func() {
				done <- s.ReadOnly(func(tx Tx) error {
					close(inside)
					<-release
					if got := len(box.Load(tx)); got != size || box.Load(tx)[0] != 0 {
						t.Errorf("long reader: the box does not hold its snapshot's value")
					}
					return nil
				})
			}()
			<-inside
			committed := make(map[*txn]bool) // keeps every transaction that committed reachable
			for k := range overwrites {
				_ = s.Atomic(func(tx Tx) error {
					committed[tx.t] = true
					v := make([]byte, size)
					v[0] = byte(k + 1)
					box.Store(tx, v)
					return nil
				})
			}
			// A pass while the reader holds its snapshot unlinks the bodies it does not read, but
			// must leave their links (the reader may be on its way down through them).
			s.CollectGarbage()
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			s.CollectGarbage() // nothing commits from here on
			if n := box.Bodies(); n != 1 {
				t.Fatalf("the box keeps %d bodies after the reader ended, want 1", n)
			}
			after := liveHeap()
			runtime.KeepAlive(committed)
			growth := int64(after) - int64(base)
			// The box holds one value, as at the base; allow 8 more for what the collector and
			// the runtime have in flight (the bug kept every overwritten value: 300).
			if limit := int64(8 * size); growth > limit {
				t.Fatalf("live heap grew by %d bytes (%d values of %d bytes) after the reader ended and the collector ran; at most %d expected",
					growth, growth/size, size, limit)
			}
			t.Logf("live heap growth: %d bytes", growth)
		})
	}
}
