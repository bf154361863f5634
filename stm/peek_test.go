package stm

import "testing"

// TestPeek checks that Peek answers exactly where Load's fast path would, with Load's value,
// and returns nil everywhere else, so a caller falling back to Load reads what Load alone reads.
func TestPeek(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(7)
		var z Var[int] // never written: no body yet
		if err := s.ReadOnly(func(tx Tx) error {
			if p := x.Peek(tx); p == nil || *p != 7 {
				t.Errorf("Peek in a read-only transaction = %v; want a pointer to 7", p)
			}
			if p := z.Peek(tx); p != nil {
				t.Errorf("Peek of a box with no body = %v (%d); want nil", p, *p)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		// A box committed after the snapshot: the fast path does not see it, Load walks back.
		started, wrote := make(chan struct{}), make(chan struct{})
		done := make(chan error, 1)
		go func() {
			done <- s.ReadOnly(func(tx Tx) error {
				close(started)
				<-wrote
				if p := x.Peek(tx); p != nil {
					t.Errorf("Peek of a box newer than the snapshot = %d; want nil", *p)
				}
				if v := x.Load(tx); v != 7 {
					t.Errorf("Load at the older snapshot = %d, want 7", v)
				}
				return nil
			})
		}()
		<-started
		if err := s.Atomic(func(tx Tx) error { x.Store(tx, 8); return nil }); err != nil {
			t.Fatal(err)
		}
		close(wrote)
		if err := <-done; err != nil {
			t.Fatal(err)
		}

		// Read-write transactions keep a read set and see their own writes: never the fast path.
		if err := s.Atomic(func(tx Tx) error {
			if p := x.Peek(tx); p != nil {
				t.Errorf("Peek in a read-write transaction = %d; want nil", *p)
			}
			x.Store(tx, 9)
			if p := x.Peek(tx); p != nil {
				t.Errorf("Peek of a pending write = %d; want nil", *p)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}

		// A Tx used after its transaction ended: Peek declines, so Load reports it.
		var old Tx
		if err := s.ReadOnly(func(tx Tx) error { old = tx; return nil }); err != nil {
			t.Fatal(err)
		}
		if p := x.Peek(old); p != nil {
			t.Errorf("Peek with an ended transaction = %d; want nil", *p)
		}
	})
}
