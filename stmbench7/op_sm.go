package stmbench7

import "dustm/stmbench7/jrand"

// Structural modifications: SM1–SM8. They create and delete objects through the builders
// (builder.go), which keep the indexes and id pools consistent.

var (
	errNoComposite       = opFailure("no composite part with the drawn id")
	errNoBaseOrComposite = opFailure("no base assembly or no composite part with the drawn ids")
	errOnlyChild         = opFailure("the assembly is its parent's only child")
	errRootAssembly      = opFailure("the design root cannot be removed")
)

// sm1 creates a composite part as in the setup, attached to no base assembly.
func sm1(tx Tx, r *jrand.Rand) (int, error) {
	if _, err := createCompositePart(tx, r); err != nil {
		return 0, err
	}
	return 0, nil
}

// sm2 deletes a random composite part.
func sm2(tx Tx, r *jrand.Rand) (int, error) {
	c := tx.CompositeByID(r.IntN(tx.Params().MaxCompParts()) + 1)
	if c == nil {
		return 0, errNoComposite
	}
	unregisterCompositePart(tx, c)
	return 0, nil
}

// sm3 adds a reference from a random base assembly to a random composite part. Both ids are
// drawn before either is looked up.
func sm3(tx Tx, r *jrand.Rand) (int, error) {
	p := tx.Params()
	bid := r.IntN(p.MaxBaseAssemblies()) + 1
	cid := r.IntN(p.MaxCompParts()) + 1
	b, c := tx.BaseByID(bid), tx.CompositeByID(cid)
	if b == nil || c == nil {
		return 0, errNoBaseOrComposite
	}
	addComponent(tx, b, c)
	return 0, nil
}

// sm4 removes a uniformly chosen component reference from a random base assembly. As in the
// reference, what is removed is the first reference to the chosen composite part (which is a
// different position when the bag holds it twice).
func sm4(tx Tx, r *jrand.Rand) (int, error) {
	b := tx.BaseByID(r.IntN(tx.Params().MaxBaseAssemblies()) + 1)
	if b == nil {
		return 0, errNoBase
	}
	comps := tx.Components(b)
	if len(comps) == 0 {
		return 0, errNoComponents
	}
	removeComponent(tx, b, comps[r.IntN(len(comps))])
	return 0, nil
}

// sm5 creates a base assembly (with no components) as a sibling of a random one.
func sm5(tx Tx, r *jrand.Rand) (int, error) {
	b := tx.BaseByID(r.IntN(tx.Params().MaxBaseAssemblies()) + 1)
	if b == nil {
		return 0, errNoBase
	}
	if err := createAssembly(tx, r, tx.Module(), b.Super); err != nil {
		return 0, err
	}
	return 0, nil
}

// sm6 deletes a random base assembly, unless it is its parent's only child.
func sm6(tx Tx, r *jrand.Rand) (int, error) {
	b := tx.BaseByID(r.IntN(tx.Params().MaxBaseAssemblies()) + 1)
	if b == nil {
		return 0, errNoBase
	}
	if len(tx.BaseChildren(b.Super)) == 1 {
		return 0, errOnlyChild
	}
	unregisterBaseAssembly(tx, b)
	return 1, nil
}

// sm7 adds a child to a random complex assembly: a complete new subtree if it is above level
// 2, else a base assembly. If an id pool runs out, the partial subtree is rolled back.
func sm7(tx Tx, r *jrand.Rand) (int, error) {
	a := tx.ComplexByID(r.IntN(tx.Params().MaxComplexAssemblies()) + 1)
	if a == nil {
		return 0, errNoComplex
	}
	if err := createAssembly(tx, r, tx.Module(), a); err != nil {
		return 0, err
	}
	return 1, nil
}

// sm8 deletes a random complex assembly with its subtree, unless it is the root or its
// parent's only child.
func sm8(tx Tx, r *jrand.Rand) (int, error) {
	a := tx.ComplexByID(r.IntN(tx.Params().MaxComplexAssemblies()) + 1)
	if a == nil {
		return 0, errNoComplex
	}
	if a.Super == nil {
		return 0, errRootAssembly
	}
	if len(tx.SubAssemblies(a.Super)) == 1 {
		return 0, errOnlyChild
	}
	unregisterComplexAssembly(tx, a)
	return 1, nil
}
