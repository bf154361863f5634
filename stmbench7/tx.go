package stmbench7

import "fmt"

// Tx is what an operation sees of the structure inside one atomic unit (a locked section or a
// transaction). Every backend implements it over its own storage. Its methods are the
// reference's design-object methods (DesignObj, AtomicPart, Document, …) plus the six indexes
// and the id pools; an operation reads and writes mutable state only through them.
//
// Slices returned by a Tx are read-only views: the caller must not modify them, and must not
// keep them past the atomic unit.
type Tx interface {
	// Params returns the structure's size parameters.
	Params() Params
	// Module returns the module (the structure's root; its identity never changes).
	Module() *Module

	// Build dates. "Update" is the reference's updateBuildDate: an even date is decremented,
	// an odd one incremented. Updating an atomic part's date does not touch the date index:
	// the operation does that.
	AtomicDate(p *AtomicPart) int
	UpdateAtomicDate(p *AtomicPart)
	CompositeDate(c *CompositePart) int
	UpdateCompositeDate(c *CompositePart)
	BaseDate(b *BaseAssembly) int
	UpdateBaseDate(b *BaseAssembly)
	ComplexDate(a *ComplexAssembly) int
	UpdateComplexDate(a *ComplexAssembly)
	ModuleDate(m *Module) int

	// NullComplex is the reference's nullOperation on a complex assembly (a read of the
	// object: the medium backend takes the assembly's level lock for it). On other objects
	// nullOperation does nothing at all and operations need not call anything.
	NullComplex(a *ComplexAssembly)

	// Atomic parts.
	XY(p *AtomicPart) (x, y int)
	SwapXY(p *AtomicPart)

	// Composite parts: the bag of base assemblies that use them.
	UsedIn(c *CompositePart) []*BaseAssembly
	AddUsedIn(c *CompositePart, b *BaseAssembly)
	// RemoveUsedIn removes the first occurrence of b (ArrayList.remove, as the reference);
	// it reports whether there was one.
	RemoveUsedIn(c *CompositePart, b *BaseAssembly) bool

	// Documents.
	DocText(d *Document) string
	// DocSearch counts the occurrences of ch in the text (searchText).
	DocSearch(d *Document, ch byte) int
	// DocReplace is the reference's replaceText: if the text starts with from, that prefix is
	// replaced by to and the result is 1; otherwise nothing changes and the result is 0.
	DocReplace(d *Document, from, to string) int
	DocStartsWith(d *Document, prefix string) bool

	// The manual.
	ManualText(m *Manual) string
	ManualCount(m *Manual, ch byte) int             // countOccurences
	ManualFirstLastSame(m *Manual) int              // checkFirstLastCharTheSame: 1 or 0
	ManualStartsWith(m *Manual, ch byte) bool       // startsWith
	ManualReplaceChar(m *Manual, from, to byte) int // replaceChar: returns the count of `to` after

	// Base assemblies: the bag of composite parts they reference.
	Components(b *BaseAssembly) []*CompositePart
	AddComponent(b *BaseAssembly, c *CompositePart)
	// RemoveComponent removes the first occurrence of c (SM4 depends on which one goes);
	// it reports whether there was one. AddComponent and RemoveComponent change only this
	// bag: the operation keeps the composite part's usedIn bag in step.
	RemoveComponent(b *BaseAssembly, c *CompositePart) bool

	// Complex assemblies: children in insertion order (complex ones above level 2, base ones
	// at level 2). Add reports false if the child is already there; Remove whether it was.
	SubAssemblies(a *ComplexAssembly) []*ComplexAssembly
	BaseChildren(a *ComplexAssembly) []*BaseAssembly
	AddSubAssembly(a, child *ComplexAssembly) bool
	RemoveSubAssembly(a, child *ComplexAssembly) bool
	AddBaseChild(a *ComplexAssembly, child *BaseAssembly) bool
	RemoveBaseChild(a *ComplexAssembly, child *BaseAssembly) bool

	// The indexes. Get returns nil when the key is absent; Put overwrites; Remove reports
	// whether the key was there.
	AtomicByID(id int) *AtomicPart
	PutAtomicByID(p *AtomicPart)
	RemoveAtomicByID(id int) bool
	// EachAtomic visits the atomic-part id index in ascending id order until fn returns false.
	EachAtomic(fn func(*AtomicPart) bool)

	// The build-date index maps a date to the set of atomic parts with that date.
	DateIndexAdd(date int, p *AtomicPart)
	DateIndexRemove(date int, p *AtomicPart) bool
	// DateIndexRange visits the parts with lo <= date < hi (upper bound exclusive, as the
	// reference's getRange), by ascending date and then ascending id, until fn returns false.
	DateIndexRange(lo, hi int, fn func(*AtomicPart) bool)

	CompositeByID(id int) *CompositePart
	PutCompositeByID(c *CompositePart)
	RemoveCompositeByID(id int) bool

	DocumentByTitle(title string) *Document
	PutDocumentByTitle(d *Document)
	RemoveDocumentByTitle(title string) bool

	BaseByID(id int) *BaseAssembly
	PutBaseByID(b *BaseAssembly)
	RemoveBaseByID(id int) bool
	// EachBase visits the base-assembly id index in ascending id order until fn returns false.
	EachBase(fn func(*BaseAssembly) bool)

	ComplexByID(id int) *ComplexAssembly
	PutComplexByID(a *ComplexAssembly)
	RemoveComplexByID(id int) bool

	// Enumerations that no operation needs but the invariant check and the canonical dump
	// do (to find what an index holds beyond the objects reachable from the module).
	// EachComposite and EachComplex visit their id index in ascending id order,
	// EachDocument the title index in ascending title order (byte-wise string order, as the
	// reference's TreeMap<String,…>), until fn returns false.
	EachComposite(fn func(*CompositePart) bool)
	EachComplex(fn func(*ComplexAssembly) bool)
	EachDocument(fn func(*Document) bool)

	// Id pools (FIFO queues pre-filled with 1..Max; a freed id goes to the back).
	TakeID(pool Pool) (id int, ok bool)
	ReturnID(pool Pool, id int)
	// FreeIDs returns the ids in the pool, front of the queue first (a fresh slice).
	FreeIDs(pool Pool) []int

	// Creating objects: the backend initializes the object's mutable state in its own
	// representation. Links and connections are plain fields the caller fills in before the
	// object becomes reachable.
	NewAtomicPart(id int, typ string, date, x, y int) *AtomicPart
	// NewCompositePart gets the composite part's document and atomic parts (parts[0] is the
	// root part; the part set is kept ordered by id) so that a program version whose state
	// summarizes them can compute it at creation.
	NewCompositePart(id int, typ string, date int, doc *Document, parts []*AtomicPart) *CompositePart
	NewDocument(id int, title, text string) *Document
	NewManual(id int, title, text string) *Manual
	NewBaseAssembly(id int, typ string, date int, super *ComplexAssembly, m *Module) *BaseAssembly
	NewComplexAssembly(id int, typ string, date int, level int, super *ComplexAssembly, m *Module) *ComplexAssembly
	NewModule(id int, typ string, date int, man *Manual) *Module
}

// Pool names one of the id pools.
type Pool int

const (
	PoolAtomic Pool = iota
	PoolComposite
	PoolDocument
	PoolBase
	PoolComplex
	NumPools int = iota
)

var poolNames = [NumPools]string{"atomic", "composite", "document", "base", "complex"}

// String returns the pool's name.
func (pool Pool) String() string {
	if pool >= 0 && int(pool) < NumPools {
		return poolNames[pool]
	}
	return fmt.Sprintf("Pool(%d)", int(pool))
}

// Size returns the number of ids in the pool (1..Size).
func (pool Pool) Size(p Params) int {
	switch pool {
	case PoolAtomic:
		return p.MaxAtomicParts()
	case PoolComposite, PoolDocument:
		return p.MaxCompParts()
	case PoolBase:
		return p.MaxBaseAssemblies()
	case PoolComplex:
		return p.MaxComplexAssemblies()
	}
	panic("stmbench7: unknown pool")
}
