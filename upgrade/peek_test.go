package upgrade

import (
	"testing"

	"dustm/stm"
)

// TestPeek: Object.Peek answers only where Load's answer needs no more work (a read-only
// transaction, the newest state in the program's shape) and agrees with Load there; an
// object still to convert, a read-write transaction and a transaction that has ended get nil,
// and Load then does the work.
func TestPeek(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 3)
		late := w.e.NewClass("Late") // created after program version 1: class version 1
		lo := w.e.NewObjectLatest(late, nil, &ItemV1{N: 9})
		var stale Tx
		if err := w.e.ReadOnly(func(tx Tx) error {
			stale = tx
			if v := w.items[1].Peek(tx); v == nil || v.(*ItemV1).N != 1 {
				t.Errorf("read-only Peek = %v, want item 1's state", v)
			}
			if v := lo.Peek(tx); v == nil || v.(*ItemV1).N != 9 {
				t.Errorf("Peek of a class created after the program = %v", v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if v := w.items[1].Peek(stale); v != nil {
			t.Fatalf("Peek in an ended transaction = %v, want nil", v)
		}
		if err := w.e.Atomic(func(tx Tx) error {
			if v := w.items[1].Peek(tx); v != nil {
				t.Errorf("read-write Peek = %v, want nil", v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
		if err := w.e.ReadOnly(func(tx Tx) error {
			if v := w.items[2].Peek(tx); v != nil {
				t.Errorf("Peek of an object still to convert = %v, want nil", v)
			}
			if v := w.items[2].Load(tx).(*ItemV2); v.Twice != 4 {
				t.Errorf("Load after a declined Peek = %+v", v)
			}
			if v := lo.Peek(tx); v == nil || v.(*ItemV1).N != 9 {
				t.Errorf("Peek of an unchanged class after the upgrade = %v", v)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	})
}
