package stm

import "unsafe"

// Peek is the fast path of [Var.Load] on its own. When tx is a read-only transaction whose
// snapshot sees the box's newest body, it returns a pointer to the value Load would return,
// having done no more than Load does there; otherwise it returns nil, and the caller reads the
// box with Load (which also reports an ended transaction).
//
// The pointer is to the committed body itself, which every other transaction may be reading:
// it must never be written through.
//
// Peek exists for wrappers of a box that check what they read (the upgrade engine compares the
// class version a state carries): with Peek inlined, the wrapper's check and the read are one
// call, and only the pointer's fields that the caller uses are loaded.
func (v *Var[T]) Peek(tx Tx) *T {
	if t := tx.t; t.roGen == tx.gen {
		if b := v.head.Load(); b != nil && b.version <= t.snapshot {
			return &(*vbody[T])(unsafe.Pointer(b)).value
		}
	}
	return nil
}
