package stmbench7

import (
	"testing"
	"unsafe"

	"dustm/stm"
	"dustm/upgrade"
)

// layoutOK reports whether an object O allocated with representation R starts exactly where
// repOf looks for R (the distance repOf subtracts is the representation's padded size).
func layoutOK[R, O any]() bool {
	var x withRep[R, O]
	return unsafe.Offsetof(x.obj) == unsafe.Sizeof(repSlot[R]{})
}

func layoutsOK[O, S any](t *testing.T, name string) {
	t.Helper()
	for k, ok := range []bool{layoutOK[S, O](), layoutOK[stm.Var[S], O](), layoutOK[*fieldBoxes[S], O](), layoutOK[upgrade.Object, O]()} {
		if !ok {
			t.Errorf("%s: representation %d does not end where the object begins", name, k)
		}
	}
}

func TestObjectLayout(t *testing.T) {
	layoutsOK[AtomicPart, atomicState](t, "AtomicPart")
	layoutsOK[CompositePart, compositeState](t, "CompositePart")
	layoutsOK[Document, documentState](t, "Document")
	layoutsOK[Manual, manualState](t, "Manual")
	layoutsOK[BaseAssembly, baseState](t, "BaseAssembly")
	layoutsOK[ComplexAssembly, complexState](t, "ComplexAssembly")
	layoutsOK[Module, moduleState](t, "Module")
	if unsafe.Offsetof(AtomicPart{}.st) != 0 || unsafe.Sizeof(cell[atomicState]{}) != 0 {
		t.Error("the cell must be the object's first field and have no size")
	}
}

// Each backend's objects carry only its own representation: an atomic part (most of the
// structure) under a lock backend is its identity and links plus its 12 bytes of state.
func TestObjectsCarryOneRepresentation(t *testing.T) {
	ident := unsafe.Sizeof(AtomicPart{})
	for _, c := range []struct {
		name string
		size uintptr
		max  uintptr
	}{
		{"plain", unsafe.Sizeof(withRep[atomicState, AtomicPart]{}), ident + 16},
		{"box", unsafe.Sizeof(withRep[stm.Var[atomicState], AtomicPart]{}), ident + 8},
		{"fields", unsafe.Sizeof(withRep[*fieldBoxes[atomicState], AtomicPart]{}), ident + 8},
		{"object", unsafe.Sizeof(withRep[upgrade.Object, AtomicPart]{}), ident + unsafe.Sizeof(upgrade.Object{})},
	} {
		if c.size > c.max {
			t.Errorf("an atomic part with the %s representation takes %d bytes, want at most %d", c.name, c.size, c.max)
		}
	}
}

// Every state and link written through the class code reads back on every backend; the
// structure tests (build, invariants, the Java reference) check the rest.
func TestRepresentationsReadBack(t *testing.T) {
	p := allocate[AtomicPart, atomicState](repPlain)
	p.ID = 7
	*p.st.plain() = atomicState{X: 1, Y: 2, Date: 3}
	if p.ID != 7 || *p.st.plain() != (atomicState{X: 1, Y: 2, Date: 3}) {
		t.Errorf("plain: id %d, state %+v", p.ID, *p.st.plain())
	}
	q := allocate[AtomicPart, atomicState](repBox)
	q.st.box().Init(atomicState{Date: 9})
	q.ID = 8
	if q.ID != 8 {
		t.Errorf("box: id %d after Init", q.ID)
	}
}
