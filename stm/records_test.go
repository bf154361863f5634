package stm

import (
	"testing"
)

// TestRecordsReusedPastRunningTransaction: a read-write transaction that sits in its function
// (as one descheduled there would) holds the snapshot floor back, but not the reuse of the
// lock-free commit records: it holds none. Commits meanwhile allocate their two bodies and no
// record. (Before the record floor, every commit past the retired ring allocated a record:
// three allocations a commit.)
func TestRecordsReusedPastRunningTransaction(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under the race detector")
	}
	s := New(Options{Algorithm: LockFree, GCInterval: -1})
	defer s.Close()
	v := make([]*Var[int], 64)
	for i := range v {
		v[i] = NewVar(0)
	}
	inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
	go func() {
		first := true
		done <- s.Atomic(func(tx Tx) error {
			_ = v[0].Load(tx)
			if first {
				first = false
				close(inside)
				<-release
			}
			return nil
		})
	}()
	<-inside
	i := 0
	inc := func() {
		a, b := v[1+i%63], v[1+(i+7)%63]
		i++
		_ = s.Atomic(func(tx Tx) error {
			a.Store(tx, a.Load(tx)+1)
			b.Store(tx, b.Load(tx)+1)
			return nil
		})
	}
	for range 10 * retiredKeep { // past the retired ring, the floor stuck behind the transaction
		inc()
	}
	allocs := testing.AllocsPerRun(1000, inc)
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if allocs > 2.1 {
		t.Fatalf("%.2f allocations a commit while a transaction runs, want 2 (its bodies): records are not reused", allocs)
	}
}
