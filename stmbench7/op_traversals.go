package stmbench7

import "dustm/stmbench7/jrand"

// Long traversals: T1–T6, Q6, Q7 (Traversal1–6, Query6, Query7 in the reference).
//
// T1–T6 walk the whole assembly tree depth-first from the design root and process every
// component reference of every base assembly (a composite part referenced k times is processed
// k times). The graph traversals (T1–T3) start at the composite part's root atomic part and go
// depth-first over outgoing connections, with a visited set fresh for each composite-part visit.

// partAction is what a graph traversal does to an atomic part, and how it counts it.
type partAction uint8

const (
	actNull  partAction = iota // nullOperation, counts 0
	actCount                   // nullOperation, counts 1
	actSwap                    // swap x/y, counts 1
	actSwap4                   // swap x/y four times, counts 4
	actDate                    // update the build date (keeping the date index), counts 1
	actDate4                   // the same four times, counts 4
)

func (a partAction) apply(tx Tx, p *AtomicPart) int {
	switch a {
	case actNull:
		return 0
	case actCount:
		return 1
	case actSwap:
		tx.SwapXY(p)
		return 1
	case actSwap4:
		for range 4 {
			tx.SwapXY(p)
		}
		return 4
	case actDate:
		updateAtomicDate(tx, p)
		return 1
	case actDate4:
		for range 4 {
			updateAtomicDate(tx, p)
		}
		return 4
	}
	panic("stmbench7: unknown part action")
}

// updateAtomicDate updates a part's build date and moves it to its new date-index set
// (Traversal3a.updateBuildDate, Operation15).
func updateAtomicDate(tx Tx, p *AtomicPart) {
	tx.DateIndexRemove(tx.AtomicDate(p), p)
	tx.UpdateAtomicDate(p)
	tx.DateIndexAdd(tx.AtomicDate(p), p)
}

// graphTraversal visits every atomic part reachable from c's root part once, depth-first in
// connection order as the reference recurses, applying rootAct to the first part (the root:
// T2a and T3a treat it apart, by testing whether the visited set is still empty) and act to
// the others. It returns the sum of the counts.
func graphTraversal(tx Tx, sc *scratch, c *CompositePart, rootAct, act partAction) int {
	sc.newVisit(tx.Params())
	root := c.RootPart
	if root == nil {
		return 0
	}
	sc.visit(&sc.atomic, root.ID)
	n := rootAct.apply(tx, root)
	for i := range root.To {
		n += graphVisit(tx, sc, root.To[i].To, act)
	}
	return n
}

func graphVisit(tx Tx, sc *scratch, p *AtomicPart, act partAction) int {
	if !sc.visit(&sc.atomic, p.ID) {
		return 0
	}
	n := act.apply(tx, p)
	for i := range p.To {
		n += graphVisit(tx, sc, p.To[i].To, act)
	}
	return n
}

// longKind says what a long traversal does at each composite-part reference.
type longKind uint8

const (
	longT1 longKind = iota
	longT2a
	longT2b
	longT2c
	longT3a
	longT3b
	longT3c
	longT4
	longT5
	longT6
)

func longTraversal(kind longKind) opFunc {
	return func(tx Tx, _ *jrand.Rand) (int, error) {
		sc := scratchOf(tx)
		return traverseComplex(tx, sc, tx.Module().DesignRoot, kind), nil
	}
}

func traverseComplex(tx Tx, sc *scratch, a *ComplexAssembly, kind longKind) int {
	n := 0
	if a.Level > 2 {
		for _, child := range tx.SubAssemblies(a) {
			n += traverseComplex(tx, sc, child, kind)
		}
		return n
	}
	for _, b := range tx.BaseChildren(a) {
		for _, c := range tx.Components(b) {
			n += traverseComposite(tx, sc, c, kind)
		}
	}
	return n
}

func traverseComposite(tx Tx, sc *scratch, c *CompositePart, kind longKind) int {
	switch kind {
	case longT1:
		return graphTraversal(tx, sc, c, actCount, actCount)
	case longT2a:
		return graphTraversal(tx, sc, c, actSwap, actNull)
	case longT2b:
		return graphTraversal(tx, sc, c, actSwap, actSwap)
	case longT2c:
		return graphTraversal(tx, sc, c, actSwap4, actSwap4)
	case longT3a:
		return graphTraversal(tx, sc, c, actDate, actNull)
	case longT3b:
		return graphTraversal(tx, sc, c, actDate, actDate)
	case longT3c:
		return graphTraversal(tx, sc, c, actDate4, actDate4)
	case longT4:
		return tx.DocSearch(c.Doc, 'I')
	case longT5:
		return flipDocument(tx, c.Doc, "T5")
	case longT6:
		if c.RootPart == nil {
			return 0
		}
		return 1 // nullOperation on the root part
	}
	panic("stmbench7: unknown long traversal")
}

// flipDocument is T5's and ST7's text update: "I am" at the start becomes "This is" and vice
// versa. Any other start means the structure is broken (the reference throws a RuntimeError).
func flipDocument(tx Tx, d *Document, op string) int {
	var n int
	switch {
	case tx.DocStartsWith(d, "I am"):
		n = tx.DocReplace(d, "I am", "This is")
	case tx.DocStartsWith(d, "This is"):
		n = tx.DocReplace(d, "This is", "I am")
	default:
		panic("stmbench7: " + op + ": illegal text in document " + itoa(d.ID) + ": " + prefixOf(tx.DocText(d), 40))
	}
	if n == 0 {
		panic("stmbench7: " + op + ": concurrent modification of document " + itoa(d.ID))
	}
	return n
}

func prefixOf(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// q6 (Query6): a base assembly scores 1 if one of its components was built later than the
// assembly; a complex assembly scores the sum of its children plus one (and a nullOperation)
// if that sum is positive. It returns the design root's score.
func q6(tx Tx, _ *jrand.Rand) (int, error) {
	return q6Complex(tx, tx.Module().DesignRoot), nil
}

func q6Complex(tx Tx, a *ComplexAssembly) int {
	n := 0
	if a.Level > 2 {
		for _, child := range tx.SubAssemblies(a) {
			n += q6Complex(tx, child)
		}
	} else {
		for _, b := range tx.BaseChildren(a) {
			n += baseHasYoungerComponent(tx, b)
		}
	}
	if n == 0 {
		return 0
	}
	tx.NullComplex(a)
	return n + 1
}

// baseHasYoungerComponent is Query5.checkBaseAssembly: 1 if one of b's components has a later
// build date than b.
func baseHasYoungerComponent(tx Tx, b *BaseAssembly) int {
	date := tx.BaseDate(b)
	for _, c := range tx.Components(b) {
		if tx.CompositeDate(c) > date {
			return 1
		}
	}
	return 0
}

// q7 (Query7) visits the whole atomic-part id index.
func q7(tx Tx, _ *jrand.Rand) (int, error) {
	sc := scratchOf(tx)
	sc.bind(tx)
	defer sc.release()
	tx.EachAtomic(sc.countPart)
	return sc.count, nil
}
