package stm

import "testing"

// TestPeek checks that Peek answers exactly where Load's fast path would, with Load's value,
// and declines everywhere else, so a caller falling back to Load reads what Load alone reads.
func TestPeek(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(7)
		var z Var[int] // never written: no body yet
		if err := s.ReadOnly(func(tx Tx) error {
			if v, ok := x.Peek(tx); !ok || v != 7 {
				t.Errorf("Peek in a read-only transaction = %d, %v; want 7, true", v, ok)
			}
			if v, ok := z.Peek(tx); ok || v != 0 {
				t.Errorf("Peek of a box with no body = %d, %v; want 0, false", v, ok)
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
				if v, ok := x.Peek(tx); ok {
					t.Errorf("Peek of a box newer than the snapshot = %d, true; want false", v)
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
			if v, ok := x.Peek(tx); ok {
				t.Errorf("Peek in a read-write transaction = %d, true; want false", v)
			}
			x.Store(tx, 9)
			if v, ok := x.Peek(tx); ok {
				t.Errorf("Peek of a pending write = %d, true; want false", v)
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
		if v, ok := x.Peek(old); ok {
			t.Errorf("Peek with an ended transaction = %d, true; want false", v)
		}
	})
}
