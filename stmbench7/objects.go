package stmbench7

import (
	"slices"
	"strconv"
	"unsafe"

	"dustm/stm"
	"dustm/upgrade"
)

// cell[S] stands for the mutable state S of one object, which the backend that built the
// structure keeps in its own representation R, allocated in front of the object (newObject):
//
//   - S itself for none, coarse and medium, which read and write it in place under their locks;
//   - stm.Var[S] for stm-plain, a versioned box (states are values: a write installs a new
//     copy); under LayoutField, a *fieldBoxes[S] instead, a box per field (fieldBoxed);
//   - upgrade.Object for stm, an upgradable object of the upgrade engine, whose state is a
//     pointer to a value in the shape of the running program version.
//
// Each object carries only its own backend's representation, and reaching it costs no load:
// the cell is the object's first field and has no size, so its address is the object's, and
// the representation lies a constant distance before it, in the same allocation. The class
// code is written once over *cell[S] (classes.go); an object that newObject did not make has
// no representation in front of it, so objects are made only by a Tx's New* methods (under
// the race detector, checkptr reports an access that leaves the object's allocation).
type cell[S any] struct{}

// repSlot is a representation padded to the pointer alignment, so that an object that follows
// it (withRep) starts exactly unsafe.Sizeof(repSlot[R]{}) after it.
type repSlot[R any] struct {
	_ [0]uintptr // first: a trailing zero-size field would add padding
	_ R          // reached only through repOf
}

// withRep is the allocation of one object O with its state's representation R in front.
type withRep[R, O any] struct {
	_   repSlot[R] // reached only through repOf
	obj O
}

// newObject allocates an object O whose state is kept as an R.
func newObject[R, O any]() *O { return &new(withRep[R, O]).obj }

// repOf returns the representation in front of the object whose cell is c; R must be the
// one newObject was given.
func repOf[R, S any](c *cell[S]) *R {
	return (*R)(unsafe.Add(unsafe.Pointer(c), -int(unsafe.Sizeof(repSlot[R]{}))))
}

// The representations of the backends (which one an object has is the backend's business).

func (c *cell[S]) plain() *S               { return repOf[S](c) }
func (c *cell[S]) box() *stm.Var[S]        { return repOf[stm.Var[S]](c) }
func (c *cell[S]) fields() **fieldBoxes[S] { return repOf[*fieldBoxes[S]](c) }
func (c *cell[S]) obj() *upgrade.Object    { return repOf[upgrade.Object](c) }

// repKind names a representation, for newObject's callers.
type repKind uint8

const (
	repPlain  repKind = iota // S
	repBox                   // stm.Var[S]
	repFields                // *fieldBoxes[S]
	repObject                // upgrade.Object
)

// allocate makes an object O whose state S is kept in representation k.
func allocate[O, S any](k repKind) *O {
	switch k {
	case repPlain:
		return newObject[S, O]()
	case repBox:
		return newObject[stm.Var[S], O]()
	case repFields:
		return newObject[*fieldBoxes[S], O]()
	case repObject:
		return newObject[upgrade.Object, O]()
	}
	panic("stmbench7: unknown representation " + itoa(int(k)))
}

// TypeName returns the reference's type string "type #k".
func TypeName(k int) string { return typeNames[k] }

var typeNames = func() (n [NumTypes]string) {
	for k := range n {
		n[k] = "type #" + itoa(k)
	}
	return n
}()

// itoa is strconv.Itoa, short for the panic messages and names that use it.
func itoa(i int) string { return strconv.Itoa(i) }

// atomicState is an atomic part's mutable state.
type atomicState struct {
	X, Y int32
	Date int32
}

// compositeState is a composite part's mutable state. UsedIn is a bag: a base assembly appears
// once per reference it holds. Slices in states are never modified in place: a change installs
// a new slice (so that a versioned copy stays intact).
type compositeState struct {
	Date   int32
	UsedIn []*BaseAssembly
}

type documentState struct{ Text string }

type manualState struct{ Text string }

// baseState is a base assembly's mutable state; Components is a bag (a composite part appears
// once per reference).
type baseState struct {
	Date       int32
	Components []*CompositePart
}

// complexState is a complex assembly's mutable state. Its children are complex assemblies when
// its level is above 2 (Subs), base assemblies at level 2 (Bases), in insertion order.
type complexState struct {
	Date  int32
	Subs  []*ComplexAssembly
	Bases []*BaseAssembly
}

type moduleState struct{ Date int32 }

// used returns the fields of a state type (for the per-field layout).
func (atomicState) used() fields    { return fDate | fXY }
func (compositeState) used() fields { return fDate | fLinks }
func (documentState) used() fields  { return fText }
func (manualState) used() fields    { return fText }
func (baseState) used() fields      { return fDate | fLinks }
func (complexState) used() fields   { return fDate | fLinks | fBases }
func (moduleState) used() fields    { return fDate }

// AtomicPart is a node of a composite part's graph.
type AtomicPart struct {
	st     cell[atomicState] // the mutable state, in front of the object: first and of size 0
	ID     int
	Type   string
	PartOf *CompositePart // set when its composite part is created; never changes after
	// To are the outgoing connections (exactly NumConnPerAtomic), From the incoming ones
	// (reversed copies). Both are complete when the composite part is published and never
	// change after. They are values, not pointers: no operation needs a connection's
	// identity, and the collector then marks 2 pointers per connection instead of 4 (the
	// pointer to it and the type string's besides its two ends): connections are most of
	// the graph's pointers.
	To, From []Connection
}

// Connection is an immutable directed edge between two atomic parts of one composite part.
// The pointers come first, so that the collector's scan of a connection stops after them.
type Connection struct {
	From, To *AtomicPart
	Length   int32
	Type     ConnType
}

// ConnType is a connection's type: the index of its type string (the reference keeps the
// string itself; every one is one of the NumTypes strings "type #k").
type ConnType uint8

// String returns the reference's type string, "type #k".
func (t ConnType) String() string {
	if int(t) < NumTypes {
		return typeNames[t]
	}
	return "ConnType(" + itoa(int(t)) + ")"
}

// CompositePart is a component of the design library.
type CompositePart struct {
	st       cell[compositeState] // the mutable state, in front of the object: first and of size 0
	ID       int
	Type     string
	Doc      *Document
	Parts    []*AtomicPart // its atomic parts, ordered by id (the reference's LargeSet); never changes
	RootPart *AtomicPart
}

// initCompositePart sets the identity and immutable fields of a new composite part: its
// document, its root part (the first part added, parts[0]) and its part set ordered by id
// (the reference's TreeSet).
func initCompositePart(c *CompositePart, id int, typ string, doc *Document, parts []*AtomicPart) {
	c.ID, c.Type, c.Doc = id, typ, doc
	if len(parts) > 0 {
		c.RootPart = parts[0]
		c.Parts = slices.Clone(parts)
		slices.SortFunc(c.Parts, func(a, b *AtomicPart) int { return a.ID - b.ID })
	}
}

// Document is a composite part's documentation.
type Document struct {
	st    cell[documentState] // the mutable state, in front of the object: first and of size 0
	ID    int
	Title string
	Part  *CompositePart
}

// Manual is the module's manual.
type Manual struct {
	st     cell[manualState] // the mutable state, in front of the object: first and of size 0
	ID     int
	Title  string
	Module *Module
}

// BaseAssembly is a leaf of the assembly tree (level 1); it references composite parts.
type BaseAssembly struct {
	st     cell[baseState] // the mutable state, in front of the object: first and of size 0
	ID     int
	Type   string
	Super  *ComplexAssembly
	Module *Module
}

// ComplexAssembly is an inner node of the assembly tree, at levels 2 to NumAssmLevels.
type ComplexAssembly struct {
	st     cell[complexState] // the mutable state, in front of the object: first and of size 0
	ID     int
	Type   string
	Level  int
	Super  *ComplexAssembly // nil for the design root
	Module *Module
}

// Module is the root of the structure (there is exactly one).
type Module struct {
	st         cell[moduleState] // the mutable state, in front of the object: first and of size 0
	ID         int
	Type       string
	Manual     *Manual
	DesignRoot *ComplexAssembly
}
