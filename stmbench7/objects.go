package stmbench7

import (
	"slices"
	"strconv"

	"dustm/stm"
	"dustm/upgrade"
)

// cell holds the mutable state S of one object. Exactly one representation is in use, chosen by
// the backend that built the structure:
//
//   - plain: none, coarse and medium read and write it in place under their locks;
//   - box: stm-plain keeps the state in a versioned box (states are values: a write installs a
//     new copy); under LayoutField, fields holds a box per field instead (fieldBoxed);
//   - obj: the stm backend embeds an upgradable object of the upgrade engine, whose state is a
//     pointer to a value in the shape of the running program version.
//
// Keeping all of them in one struct lets the graph be written once; the unused ones cost a few
// words per object and nothing in time.
type cell[S any] struct {
	plain  S
	box    stm.Var[S]
	fields *fieldBoxes[S]
	obj    upgrade.Object
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
	st       cell[atomicState]
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
	ID       int
	Type     string
	Doc      *Document
	Parts    []*AtomicPart // its atomic parts, ordered by id (the reference's LargeSet); never changes
	RootPart *AtomicPart
	st       cell[compositeState]
}

// newCompositePart makes the identity and immutable fields of a composite part: its document,
// its root part (the first part added, parts[0]) and its part set ordered by id (the
// reference's TreeSet).
func newCompositePart(id int, typ string, doc *Document, parts []*AtomicPart) *CompositePart {
	c := &CompositePart{ID: id, Type: typ, Doc: doc}
	if len(parts) > 0 {
		c.RootPart = parts[0]
		c.Parts = slices.Clone(parts)
		slices.SortFunc(c.Parts, func(a, b *AtomicPart) int { return a.ID - b.ID })
	}
	return c
}

// Document is a composite part's documentation.
type Document struct {
	ID    int
	Title string
	Part  *CompositePart
	st    cell[documentState]
}

// Manual is the module's manual.
type Manual struct {
	ID     int
	Title  string
	Module *Module
	st     cell[manualState]
}

// BaseAssembly is a leaf of the assembly tree (level 1); it references composite parts.
type BaseAssembly struct {
	ID     int
	Type   string
	Super  *ComplexAssembly
	Module *Module
	st     cell[baseState]
}

// ComplexAssembly is an inner node of the assembly tree, at levels 2 to NumAssmLevels.
type ComplexAssembly struct {
	ID     int
	Type   string
	Level  int
	Super  *ComplexAssembly // nil for the design root
	Module *Module
	st     cell[complexState]
}

// Module is the root of the structure (there is exactly one).
type Module struct {
	ID         int
	Type       string
	Manual     *Manual
	DesignRoot *ComplexAssembly
	st         cell[moduleState]
}
