package stmbench7

import (
	"dustm/stm"
	"dustm/upgrade"
)

// Under the stm backend the design objects are upgradable objects of the upgrade engine, and
// the code that reads and writes their state (the reference's design-object classes:
// AtomicPartImpl, DocumentImpl, …) is the program's code. A program version is a programCode:
// one implementation per class. Operations are written once against Tx; the upgradable Tx
// (upgTx) forwards each state method to the class code of the program version its transaction
// runs, so a version 2 of the benchmark changes a class's shape by supplying new class code and
// a transformer, and every operation then runs on the new shape.
type programCode struct {
	Name      string
	Atomic    atomicCode
	Composite compositeCode
	Document  documentCode
	Manual    manualCode
	Base      baseCode
	Complex   complexCode
	Module    moduleCode
}

// The class code interfaces. New returns the initial state of a new object in this version's
// shape; the other methods are the class's methods of the Tx contract.

type atomicCode interface {
	New(date, x, y int) any
	Date(tx upgrade.Tx, p *AtomicPart) int
	UpdateDate(tx upgrade.Tx, p *AtomicPart)
	XY(tx upgrade.Tx, p *AtomicPart) (x, y int)
	SwapXY(tx upgrade.Tx, p *AtomicPart)
}

type compositeCode interface {
	// New gets the new part (its document and part set are filled in) for versions whose
	// state summarizes them.
	New(tx upgrade.Tx, date int, c *CompositePart) any
	Date(tx upgrade.Tx, c *CompositePart) int
	UpdateDate(tx upgrade.Tx, c *CompositePart)
	UsedIn(tx upgrade.Tx, c *CompositePart) []*BaseAssembly
	AddUsedIn(tx upgrade.Tx, c *CompositePart, b *BaseAssembly)
	RemoveUsedIn(tx upgrade.Tx, c *CompositePart, b *BaseAssembly) bool
}

type documentCode interface {
	New(text string) any
	Text(tx upgrade.Tx, d *Document) string
	Search(tx upgrade.Tx, d *Document, ch byte) int
	Replace(tx upgrade.Tx, d *Document, from, to string) int
	StartsWith(tx upgrade.Tx, d *Document, prefix string) bool
}

type manualCode interface {
	New(text string) any
	Text(tx upgrade.Tx, m *Manual) string
	Count(tx upgrade.Tx, m *Manual, ch byte) int
	FirstLastSame(tx upgrade.Tx, m *Manual) int
	StartsWith(tx upgrade.Tx, m *Manual, ch byte) bool
	ReplaceChar(tx upgrade.Tx, m *Manual, from, to byte) int
}

type baseCode interface {
	New(date int) any
	Date(tx upgrade.Tx, b *BaseAssembly) int
	UpdateDate(tx upgrade.Tx, b *BaseAssembly)
	Components(tx upgrade.Tx, b *BaseAssembly) []*CompositePart
	AddComponent(tx upgrade.Tx, b *BaseAssembly, c *CompositePart)
	RemoveComponent(tx upgrade.Tx, b *BaseAssembly, c *CompositePart) bool
}

type complexCode interface {
	New(date int) any
	Date(tx upgrade.Tx, a *ComplexAssembly) int
	UpdateDate(tx upgrade.Tx, a *ComplexAssembly)
	Subs(tx upgrade.Tx, a *ComplexAssembly) []*ComplexAssembly
	Bases(tx upgrade.Tx, a *ComplexAssembly) []*BaseAssembly
	AddSub(tx upgrade.Tx, a, child *ComplexAssembly) bool
	RemoveSub(tx upgrade.Tx, a, child *ComplexAssembly) bool
	AddBase(tx upgrade.Tx, a *ComplexAssembly, child *BaseAssembly) bool
	RemoveBase(tx upgrade.Tx, a *ComplexAssembly, child *BaseAssembly) bool
}

type moduleCode interface {
	New(date int) any
	Date(tx upgrade.Tx, m *Module) int
}

// codeV1 is version 1: the reference's classes, with states in the shapes of objects.go,
// stored as pointers to immutable values (a write installs a new value).
var codeV1 = &programCode{
	Name:      "v1",
	Atomic:    atomicV1{},
	Composite: compositeV1{},
	Document:  documentV1{},
	Manual:    manualV1{},
	Base:      baseV1{},
	Complex:   complexV1{},
	Module:    moduleV1{},
}

// stateOf returns an object's state, of type *S in the running version.
func stateOf[S any](tx upgrade.Tx, o *upgrade.Object) *S { return o.Load(tx).(*S) }

// modify runs f on a copy of an object's state (of type S in the running version) and stores
// the copy if f reports a change; it returns what f reported. States are immutable values:
// older versions of them stay readable by other transactions.
func modify[S any](tx upgrade.Tx, o *upgrade.Object, f func(*S) bool) bool {
	s := *stateOf[S](tx, o)
	if !f(&s) {
		return false
	}
	o.Store(tx, &s)
	return true
}

// modifyBox is modify for stm-plain, whose states are values in a plain versioned box.
func modifyBox[S any](stx stm.Tx, v *stm.Var[S], f func(*S) bool) bool {
	s := v.Load(stx)
	if !f(&s) {
		return false
	}
	v.Store(stx, s)
	return true
}

// Bag and set edits, as functions modify and modifyBox can apply to any state's slice.
func addTo[T comparable](x T) func(*[]T) bool {
	return func(s *[]T) bool { *s = bagAdd(*s, x); return true }
}

func removeFrom[T comparable](x T) func(*[]T) bool {
	return func(s *[]T) (ok bool) { *s, ok = bagRemove(*s, x); return ok }
}

func addToSet[T comparable](x T) func(*[]T) bool {
	return func(s *[]T) (ok bool) { *s, ok = setAdd(*s, x); return ok }
}

func updateDate(d *int32) bool { *d = nextDate(*d); return true }

type atomicV1 struct{}

func (atomicV1) New(date, x, y int) any {
	return &atomicState{X: int32(x), Y: int32(y), Date: int32(date)}
}
func (atomicV1) Date(tx upgrade.Tx, p *AtomicPart) int {
	return int(stateOf[atomicState](tx, &p.st.obj).Date)
}
func (atomicV1) UpdateDate(tx upgrade.Tx, p *AtomicPart) {
	modify(tx, &p.st.obj, func(s *atomicState) bool { return updateDate(&s.Date) })
}
func (atomicV1) XY(tx upgrade.Tx, p *AtomicPart) (int, int) {
	s := stateOf[atomicState](tx, &p.st.obj)
	return int(s.X), int(s.Y)
}
func (atomicV1) SwapXY(tx upgrade.Tx, p *AtomicPart) {
	modify(tx, &p.st.obj, func(s *atomicState) bool { *s = swapXY(*s); return true })
}

type compositeV1 struct{}

func (compositeV1) New(_ upgrade.Tx, date int, _ *CompositePart) any {
	return &compositeState{Date: int32(date)}
}
func (compositeV1) Date(tx upgrade.Tx, c *CompositePart) int {
	return int(stateOf[compositeState](tx, &c.st.obj).Date)
}
func (compositeV1) UpdateDate(tx upgrade.Tx, c *CompositePart) {
	modify(tx, &c.st.obj, func(s *compositeState) bool { return updateDate(&s.Date) })
}
func (compositeV1) UsedIn(tx upgrade.Tx, c *CompositePart) []*BaseAssembly {
	return stateOf[compositeState](tx, &c.st.obj).UsedIn
}
func (compositeV1) AddUsedIn(tx upgrade.Tx, c *CompositePart, b *BaseAssembly) {
	modify(tx, &c.st.obj, func(s *compositeState) bool { return addTo(b)(&s.UsedIn) })
}
func (compositeV1) RemoveUsedIn(tx upgrade.Tx, c *CompositePart, b *BaseAssembly) bool {
	return modify(tx, &c.st.obj, func(s *compositeState) bool { return removeFrom(b)(&s.UsedIn) })
}

type documentV1 struct{}

func docTextV1(tx upgrade.Tx, d *Document) string { return stateOf[documentState](tx, &d.st.obj).Text }

func (documentV1) New(text string) any                    { return &documentState{Text: text} }
func (documentV1) Text(tx upgrade.Tx, d *Document) string { return docTextV1(tx, d) }
func (documentV1) Search(tx upgrade.Tx, d *Document, ch byte) int {
	return countByte(docTextV1(tx, d), ch)
}
func (documentV1) Replace(tx upgrade.Tx, d *Document, from, to string) int {
	text, n := replacePrefix(docTextV1(tx, d), from, to)
	if n != 0 {
		d.st.obj.Store(tx, &documentState{Text: text})
	}
	return n
}
func (documentV1) StartsWith(tx upgrade.Tx, d *Document, prefix string) bool {
	text := docTextV1(tx, d)
	return len(text) >= len(prefix) && text[:len(prefix)] == prefix
}

type manualV1 struct{}

func manualTextV1(tx upgrade.Tx, m *Manual) string { return stateOf[manualState](tx, &m.st.obj).Text }

func (manualV1) New(text string) any                  { return &manualState{Text: text} }
func (manualV1) Text(tx upgrade.Tx, m *Manual) string { return manualTextV1(tx, m) }
func (manualV1) Count(tx upgrade.Tx, m *Manual, ch byte) int {
	return countByte(manualTextV1(tx, m), ch)
}
func (manualV1) FirstLastSame(tx upgrade.Tx, m *Manual) int {
	return firstLastSame(manualTextV1(tx, m))
}
func (manualV1) StartsWith(tx upgrade.Tx, m *Manual, ch byte) bool {
	return startsWithByte(manualTextV1(tx, m), ch)
}
func (manualV1) ReplaceChar(tx upgrade.Tx, m *Manual, from, to byte) int {
	text, n := replaceByte(manualTextV1(tx, m), from, to)
	m.st.obj.Store(tx, &manualState{Text: text})
	return n
}

type baseV1 struct{}

func (baseV1) New(date int) any { return &baseState{Date: int32(date)} }
func (baseV1) Date(tx upgrade.Tx, b *BaseAssembly) int {
	return int(stateOf[baseState](tx, &b.st.obj).Date)
}
func (baseV1) UpdateDate(tx upgrade.Tx, b *BaseAssembly) {
	modify(tx, &b.st.obj, func(s *baseState) bool { return updateDate(&s.Date) })
}
func (baseV1) Components(tx upgrade.Tx, b *BaseAssembly) []*CompositePart {
	return stateOf[baseState](tx, &b.st.obj).Components
}
func (baseV1) AddComponent(tx upgrade.Tx, b *BaseAssembly, c *CompositePart) {
	modify(tx, &b.st.obj, func(s *baseState) bool { return addTo(c)(&s.Components) })
}
func (baseV1) RemoveComponent(tx upgrade.Tx, b *BaseAssembly, c *CompositePart) bool {
	return modify(tx, &b.st.obj, func(s *baseState) bool { return removeFrom(c)(&s.Components) })
}

type complexV1 struct{}

func (complexV1) New(date int) any { return &complexState{Date: int32(date)} }
func (complexV1) Date(tx upgrade.Tx, a *ComplexAssembly) int {
	return int(stateOf[complexState](tx, &a.st.obj).Date)
}
func (complexV1) UpdateDate(tx upgrade.Tx, a *ComplexAssembly) {
	modify(tx, &a.st.obj, func(s *complexState) bool { return updateDate(&s.Date) })
}
func (complexV1) Subs(tx upgrade.Tx, a *ComplexAssembly) []*ComplexAssembly {
	return stateOf[complexState](tx, &a.st.obj).Subs
}
func (complexV1) Bases(tx upgrade.Tx, a *ComplexAssembly) []*BaseAssembly {
	return stateOf[complexState](tx, &a.st.obj).Bases
}
func (complexV1) AddSub(tx upgrade.Tx, a, child *ComplexAssembly) bool {
	checkComplexChild(a)
	return modify(tx, &a.st.obj, func(s *complexState) bool { return addToSet(child)(&s.Subs) })
}
func (complexV1) RemoveSub(tx upgrade.Tx, a, child *ComplexAssembly) bool {
	return modify(tx, &a.st.obj, func(s *complexState) bool { return removeFrom(child)(&s.Subs) })
}
func (complexV1) AddBase(tx upgrade.Tx, a *ComplexAssembly, child *BaseAssembly) bool {
	checkBaseChild(a)
	return modify(tx, &a.st.obj, func(s *complexState) bool { return addToSet(child)(&s.Bases) })
}
func (complexV1) RemoveBase(tx upgrade.Tx, a *ComplexAssembly, child *BaseAssembly) bool {
	return modify(tx, &a.st.obj, func(s *complexState) bool { return removeFrom(child)(&s.Bases) })
}

type moduleV1 struct{}

func (moduleV1) New(date int) any { return &moduleState{Date: int32(date)} }
func (moduleV1) Date(tx upgrade.Tx, m *Module) int {
	return int(stateOf[moduleState](tx, &m.st.obj).Date)
}
