package stmbench7

import "dustm/stmbench7/jrand"

// Short operations: OP1–OP15 (Query1–3 = OP1–OP3, Traversal8/9 = OP4/OP5, Operation6–15).

var (
	errNoComplex = opFailure("no complex assembly with the drawn id")
	errNoBase    = opFailure("no base assembly with the drawn id")
)

// randomAtomicParts is Query1's loop: ten random atomic-part ids; act on each part found.
// It returns how many were found.
func randomAtomicParts(tx Tx, r *jrand.Rand, act partAction) int {
	maxID := tx.Params().MaxAtomicParts()
	n := 0
	for range 10 {
		p := tx.AtomicByID(r.IntN(maxID) + 1)
		if p == nil {
			continue
		}
		act.apply(tx, p)
		n++
	}
	return n
}

func op1(tx Tx, r *jrand.Rand) (int, error)  { return randomAtomicParts(tx, r, actNull), nil }
func op9(tx Tx, r *jrand.Rand) (int, error)  { return randomAtomicParts(tx, r, actSwap), nil }
func op15(tx Tx, r *jrand.Rand) (int, error) { return randomAtomicParts(tx, r, actDate), nil }

// dateRangeLow is Query2's lower bound for a range of percent % of the atomic-part dates; the
// upper bound is MaxAtomicDate, exclusive (the reference's getRange), so the newest date is
// never included.
func dateRangeLow(percent int) int {
	return MaxAtomicDate - percent*(MaxAtomicDate-MinAtomicDate)/100
}

// op2 and op3 (Query2, Query3) count the atomic parts in the newest 1 % and 10 % of dates.
func op2(tx Tx, _ *jrand.Rand) (int, error) { return dateRange(tx, 1, false), nil }
func op3(tx Tx, _ *jrand.Rand) (int, error) { return dateRange(tx, 10, false), nil }

// op10 swaps the coordinates of the atomic parts in the newest 1 % of dates.
func op10(tx Tx, _ *jrand.Rand) (int, error) { return dateRange(tx, 1, true), nil }

func dateRange(tx Tx, percent int, swap bool) int {
	sc := scratchOf(tx)
	sc.bind(tx)
	defer sc.release()
	fn := sc.countPart
	if swap {
		fn = sc.swapPart
	}
	tx.DateIndexRange(dateRangeLow(percent), MaxAtomicDate, fn)
	return sc.count
}

// op4 (Traversal8) counts the 'I's in the manual.
func op4(tx Tx, _ *jrand.Rand) (int, error) {
	return tx.ManualCount(tx.Module().Manual, 'I'), nil
}

// op5 (Traversal9): whether the manual's first and last characters are equal.
func op5(tx Tx, _ *jrand.Rand) (int, error) {
	return tx.ManualFirstLastSame(tx.Module().Manual), nil
}

// op11 flips the case of the manual's 'I's: if the text starts with 'I', every 'I' becomes
// 'i', and the other way round. It returns the count of the new character.
func op11(tx Tx, _ *jrand.Rand) (int, error) {
	man := tx.Module().Manual
	switch {
	case tx.ManualStartsWith(man, 'I'):
		return tx.ManualReplaceChar(man, 'I', 'i'), nil
	case tx.ManualStartsWith(man, 'i'):
		return tx.ManualReplaceChar(man, 'i', 'I'), nil
	}
	panic("stmbench7: OP11: unexpected manual text: " + prefixOf(tx.ManualText(man), 40))
}

// op6 and op12 (Operation6/12): a random complex assembly; a nullOperation on (OP6), or a
// build-date update of (OP12), the root if it is the root, else every child of its parent.
func op6(tx Tx, r *jrand.Rand) (int, error)  { return complexSiblings(tx, r, false) }
func op12(tx Tx, r *jrand.Rand) (int, error) { return complexSiblings(tx, r, true) }

func complexSiblings(tx Tx, r *jrand.Rand, update bool) (int, error) {
	a := tx.ComplexByID(r.IntN(tx.Params().MaxComplexAssemblies()) + 1)
	if a == nil {
		return 0, errNoComplex
	}
	if a.Super == nil {
		touchComplex(tx, a, update)
		return 1, nil
	}
	n := 0
	for _, s := range tx.SubAssemblies(a.Super) {
		touchComplex(tx, s, update)
		n++
	}
	return n, nil
}

func touchComplex(tx Tx, a *ComplexAssembly, update bool) {
	if update {
		tx.UpdateComplexDate(a)
	} else {
		tx.NullComplex(a)
	}
}

// op7 and op13 (Operation7/13): a random base assembly; every child of its parent (OP13
// updates their build dates).
func op7(tx Tx, r *jrand.Rand) (int, error)  { return baseSiblings(tx, r, false) }
func op13(tx Tx, r *jrand.Rand) (int, error) { return baseSiblings(tx, r, true) }

func baseSiblings(tx Tx, r *jrand.Rand, update bool) (int, error) {
	b := tx.BaseByID(r.IntN(tx.Params().MaxBaseAssemblies()) + 1)
	if b == nil {
		return 0, errNoBase
	}
	siblings := tx.BaseChildren(b.Super)
	if update {
		for _, s := range siblings {
			tx.UpdateBaseDate(s)
		}
	}
	return len(siblings), nil
}

// op8 and op14 (Operation8/14): a random base assembly; every component reference (OP14
// updates the composite part's build date, once per reference).
func op8(tx Tx, r *jrand.Rand) (int, error)  { return baseComponents(tx, r, false) }
func op14(tx Tx, r *jrand.Rand) (int, error) { return baseComponents(tx, r, true) }

func baseComponents(tx Tx, r *jrand.Rand, update bool) (int, error) {
	b := tx.BaseByID(r.IntN(tx.Params().MaxBaseAssemblies()) + 1)
	if b == nil {
		return 0, errNoBase
	}
	comps := tx.Components(b)
	if update {
		for _, c := range comps {
			tx.UpdateCompositeDate(c)
		}
	}
	return len(comps), nil
}
