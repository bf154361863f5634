package stmbench7

import "dustm/stmbench7/jrand"

// Short traversals: ST1–ST10 (ShortTraversal1/2/6–10, Traversal7 = ST3, Query4 = ST4,
// Query5 = ST5 in the reference).

var (
	errNoComponents = opFailure("the base assembly reached has no components")
	errNoAtomicPart = opFailure("no atomic part with the drawn id")
)

// randomComposite is ShortTraversal1's random descent: from the design root, a uniformly
// chosen child at every complex assembly, then a uniformly chosen component reference of the
// base assembly reached (failing if it has none).
func randomComposite(tx Tx, r *jrand.Rand) (*CompositePart, error) {
	a := tx.Module().DesignRoot
	for a.Level > 2 {
		subs := tx.SubAssemblies(a)
		a = subs[r.IntN(len(subs))]
	}
	bases := tx.BaseChildren(a)
	b := bases[r.IntN(len(bases))]
	comps := tx.Components(b)
	if len(comps) == 0 {
		return nil, errNoComponents
	}
	return comps[r.IntN(len(comps))], nil
}

// randomAtomicPart descends to a composite part and picks one of its atomic parts uniformly
// (the reference iterates its id-ordered part set to the drawn position).
func randomAtomicPart(tx Tx, r *jrand.Rand) (*AtomicPart, error) {
	c, err := randomComposite(tx, r)
	if err != nil {
		return nil, err
	}
	return c.Parts[r.IntN(len(c.Parts))], nil
}

// st1 reads the coordinates of a random atomic part.
func st1(tx Tx, r *jrand.Rand) (int, error) {
	p, err := randomAtomicPart(tx, r)
	if err != nil {
		return 0, err
	}
	x, y := tx.XY(p)
	return x + y, nil
}

// st6 swaps the coordinates of a random atomic part.
func st6(tx Tx, r *jrand.Rand) (int, error) {
	p, err := randomAtomicPart(tx, r)
	if err != nil {
		return 0, err
	}
	tx.SwapXY(p)
	x, y := tx.XY(p)
	return x + y, nil
}

// st2 counts the 'I's in a random composite part's document.
func st2(tx Tx, r *jrand.Rand) (int, error) {
	c, err := randomComposite(tx, r)
	if err != nil {
		return 0, err
	}
	return tx.DocSearch(c.Doc, 'I'), nil
}

// st7 flips the prefix of a random composite part's document.
func st7(tx Tx, r *jrand.Rand) (int, error) {
	c, err := randomComposite(tx, r)
	if err != nil {
		return 0, err
	}
	return flipDocument(tx, c.Doc, "ST7"), nil
}

// st9 traverses the graph of a random composite part.
func st9(tx Tx, r *jrand.Rand) (int, error) {
	c, err := randomComposite(tx, r)
	if err != nil {
		return 0, err
	}
	return graphTraversal(tx, scratchOf(tx), c, actCount, actCount), nil
}

// st10 traverses the graph of a random composite part, swapping every part's coordinates.
func st10(tx Tx, r *jrand.Rand) (int, error) {
	c, err := randomComposite(tx, r)
	if err != nil {
		return 0, err
	}
	return graphTraversal(tx, scratchOf(tx), c, actSwap, actSwap), nil
}

// st3 (Traversal7) and st8: from a random atomic part's composite part, climb from every base
// assembly using it to the root, visiting each assembly once (the visited set is shared by
// the climbs); ST8 updates the build date of each, ST3 only reads it.
func st3(tx Tx, r *jrand.Rand) (int, error) { return climbAssemblies(tx, r, false) }
func st8(tx Tx, r *jrand.Rand) (int, error) { return climbAssemblies(tx, r, true) }

func climbAssemblies(tx Tx, r *jrand.Rand, update bool) (int, error) {
	p := tx.AtomicByID(r.IntN(tx.Params().MaxAtomicParts()) + 1)
	if p == nil {
		return 0, errNoAtomicPart
	}
	sc := scratchOf(tx)
	sc.newVisit(tx.Params())
	n := 0
	for _, b := range tx.UsedIn(p.PartOf) {
		if !sc.visit(&sc.base, b.ID) {
			continue
		}
		if update {
			tx.UpdateBaseDate(b)
		}
		n++
		for a := b.Super; a != nil; a = a.Super {
			if !sc.visit(&sc.complex, a.ID) {
				break
			}
			if update {
				tx.UpdateComplexDate(a)
			} else {
				tx.NullComplex(a)
			}
			n++
		}
	}
	return n, nil
}

// st4 (Query4): a hundred random document-title lookups; for each document found, a
// nullOperation on every base assembly using its composite part. It never fails.
func st4(tx Tx, r *jrand.Rand) (int, error) {
	maxComp := tx.Params().MaxCompParts()
	n := 0
	for range 100 {
		d := tx.DocumentByTitle(DocumentTitle(r.IntN(maxComp) + 1))
		if d == nil {
			continue
		}
		n += len(tx.UsedIn(d.Part))
	}
	return n, nil
}

// st5 (Query5) counts the base assemblies with a component built later than themselves.
func st5(tx Tx, _ *jrand.Rand) (int, error) {
	sc := scratchOf(tx)
	sc.bind(tx)
	defer sc.release()
	tx.EachBase(sc.checkBaseDate)
	return sc.count, nil
}
