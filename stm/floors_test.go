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

// TestOptimisticSnapshotDoesNotHoldFloor: a read-write transaction that sits in its function
// does not keep old versions alive (it reads only the newest ones): commits meanwhile cut the
// lists below their heads as if it did not run. It still counts for SnapshotHeld.
func TestOptimisticSnapshotDoesNotHoldFloor(t *testing.T) {
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, GCInterval: -1})
			defer s.Close()
			v := make([]*Var[int], 8)
			for i := range v {
				v[i] = NewVar(0)
			}
			inside, release, done := make(chan int64), make(chan struct{}), make(chan error)
			go func() {
				first := true
				done <- s.Atomic(func(tx Tx) error {
					if first {
						first = false
						inside <- tx.Snapshot()
						<-release
					}
					v[0].Store(tx, v[0].Load(tx)+1)
					return nil
				})
			}()
			snap := <-inside
			for i := range 1000 {
				b := v[1+i%7]
				_ = s.Atomic(func(tx Tx) error { b.Store(tx, b.Load(tx)+1); return nil })
			}
			held := s.SnapshotHeld(snap, snap)
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if !held {
				t.Error("the read-write transaction's snapshot was not reported held")
			}
			for i, b := range v[1:] {
				if n := chainLen(b); n > 40 {
					t.Fatalf("box %d keeps %d versions behind a read-write transaction", i+1, n)
				}
			}
		})
	}
}

// TestPinInOptimisticTransaction: a read-write transaction that pins its snapshot after the
// floor has passed it (it does not hold the floor back) aborts and reruns, and the pin it gets
// reads its snapshot's values.
func TestPinInOptimisticTransaction(t *testing.T) {
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, GCInterval: -1})
			defer s.Close()
			x := NewVar(0)
			var pin *Pin
			var want int
			out, err := s.Run(false, func(tx Tx) error {
				want = x.Load(tx)
				if tx.Snapshot() == 0 {
					// Commit over x many times from another goroutine, then refresh the floor.
					done := make(chan struct{})
					go func() {
						defer close(done)
						for range 100 {
							_ = s.Atomic(func(tx Tx) error { x.Store(tx, x.Load(tx)+1); return nil })
						}
						s.CollectGarbage()
					}()
					<-done
				}
				pin = tx.Pin()
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			defer pin.Release()
			if out.Attempts < 2 {
				t.Fatalf("pinned a snapshot the floor had passed (attempts %d)", out.Attempts)
			}
			if got := x.LoadAt(pin); got != want || pin.Version() != out.Snapshot {
				t.Fatalf("pin at %d reads %d, want %d (snapshot %d)", pin.Version(), got, want, out.Snapshot)
			}
		})
	}
}
