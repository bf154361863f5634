package stm

// Peek is the fast path of [Var.Load] on its own: when tx is a read-only transaction whose
// snapshot sees the box's newest body, it returns the value Load would return and true, having
// done no more than Load does there. Otherwise it returns the zero value and false, and the
// caller reads the box with Load (which also reports an ended transaction).
//
// It exists for wrappers of a box that check what they read and want their own check to inline
// together with the read: Load itself inlines, but a caller adding a comparison and an
// out-of-line slow path of its own would otherwise go over the inlining budget.
func (v *Var[T]) Peek(tx Tx) (T, bool) {
	if t := tx.t; t.gen == tx.gen && t.mode == modeReadOnly {
		if b := v.head.Load(); b != nil && b.version <= t.snapshot {
			return valueOf[T](b), true
		}
	}
	var zero T
	return zero, false
}
