package stmbench7

// The design-object classes of program version 1 (the reference's AtomicPartImpl,
// DocumentImpl, …), written once against a small storage abstraction: states[S] loads and
// modifies one object's mutable state S. The same class code runs in place under the lock
// backends (no adapter), over versioned boxes under stm-plain (boxed, tx_stm.go) and over
// upgradable objects under stm (upgradable, tx_upg.go); each adapter is four methods. An
// upgrade scenario replaces only the classes it changes (scenario_steps.go): a new shape is
// a new adapter (reshaped) under the same class code, rewritten methods a wrapping Tx.
//
// Every accessor names the fields it touches (a fields mask): under the medium backend
// different fields of one object are protected by different locks (a composite part's date
// by the composite-part lock, its usedIn bag by the structure lock), so an accessor must read
// and write only what it names; the per-field layout of the STM loads and stores exactly those
// fields' boxes.

// fields names some of a state's fields.
type fields uint8

// The fields of the states in objects.go. Each class uses its own subset.
const (
	fDate  fields = 1 << iota // every class but documents and manuals
	fXY                       // atomicState.X and Y
	fText                     // documentState.Text, manualState.Text
	fLinks                    // compositeState.UsedIn, baseState.Components, complexState.Subs
	fBases                    // complexState.Bases
)

// states is a backend's storage of the mutable state S of one class's objects.
//
// read returns the state for reading only the named fields; the pointer is valid until the
// next call on the same adapter and must not be written through. write returns the state
// to change: the caller writes only the named fields, then either calls commit with the same
// mask, or drops it if nothing changed. init gives a new object its first state.
type states[S any] interface {
	// kind is the representation the adapter's objects keep their state in.
	kind() repKind
	read(c *cell[S], f fields) *S
	write(c *cell[S], f fields) *S
	commit(c *cell[S], s *S, f fields)
	init(c *cell[S], owner any, s S)
}

// objects is the class code of version 1: the state half of Tx, over one backend's states.
// A nil adapter means the state lies in place (cell.plain), read and written directly: the
// lock backends' class code is the zero objects, so that their field reads cost no call.
type objects struct {
	atomics    states[atomicState]
	composites states[compositeState]
	documents  states[documentState]
	manuals    states[manualState]
	bases      states[baseState]
	complexes  states[complexState]
	modules    states[moduleState]
}

// read, write, commit, modify and initState go through the adapter a, or work in place if a is nil.

func read[S any](a states[S], c *cell[S], f fields) *S {
	if a == nil {
		return c.plain()
	}
	return a.read(c, f)
}

func write[S any](a states[S], c *cell[S], f fields) *S {
	if a == nil {
		return c.plain()
	}
	return a.write(c, f)
}

func commit[S any](a states[S], c *cell[S], s *S, f fields) {
	if a != nil {
		a.commit(c, s, f)
	}
}

// modify changes the named fields of c's state with change, and commits the state if change
// reports that it changed something; it returns what change reported.
func modify[S any](a states[S], c *cell[S], f fields, change func(*S) bool) bool {
	s := write(a, c, f)
	if !change(s) {
		return false
	}
	commit(a, c, s, f)
	return true
}

func initState[S any](a states[S], c *cell[S], owner any, s S) {
	if a == nil {
		*c.plain() = s
		return
	}
	a.init(c, owner, s)
}

// newObj allocates an object O with the representation of a's states in front of it.
func newObj[O, S any](a states[S]) *O {
	if a == nil {
		return allocate[O, S](repPlain)
	}
	return allocate[O, S](a.kind())
}

// Build dates.

func (o *objects) AtomicDate(p *AtomicPart) int { return int(read(o.atomics, &p.st, fDate).Date) }
func (o *objects) UpdateAtomicDate(p *AtomicPart) {
	modify(o.atomics, &p.st, fDate, func(s *atomicState) bool { s.Date = nextDate(s.Date); return true })
}
func (o *objects) CompositeDate(c *CompositePart) int {
	return int(read(o.composites, &c.st, fDate).Date)
}
func (o *objects) UpdateCompositeDate(c *CompositePart) {
	modify(o.composites, &c.st, fDate, func(s *compositeState) bool { s.Date = nextDate(s.Date); return true })
}
func (o *objects) BaseDate(b *BaseAssembly) int { return int(read(o.bases, &b.st, fDate).Date) }
func (o *objects) UpdateBaseDate(b *BaseAssembly) {
	modify(o.bases, &b.st, fDate, func(s *baseState) bool { s.Date = nextDate(s.Date); return true })
}
func (o *objects) ComplexDate(a *ComplexAssembly) int {
	return int(read(o.complexes, &a.st, fDate).Date)
}
func (o *objects) UpdateComplexDate(a *ComplexAssembly) {
	modify(o.complexes, &a.st, fDate, func(s *complexState) bool { s.Date = nextDate(s.Date); return true })
}
func (o *objects) ModuleDate(m *Module) int { return int(read(o.modules, &m.st, fDate).Date) }

// NullComplex reads nothing (the medium backend's Tx takes the level lock for it).
func (o *objects) NullComplex(a *ComplexAssembly) {}

// Atomic parts.

func (o *objects) XY(p *AtomicPart) (x, y int) {
	s := read(o.atomics, &p.st, fXY)
	return int(s.X), int(s.Y)
}

// SwapXY rewrites the whole atomic state in place under the lock backends: all its fields are
// under the same lock in every backend (the atomic-part lock in medium).
func (o *objects) SwapXY(p *AtomicPart) {
	modify(o.atomics, &p.st, fXY, func(s *atomicState) bool { *s = swapXY(*s); return true })
}

// Composite parts.

func (o *objects) UsedIn(c *CompositePart) []*BaseAssembly {
	return read(o.composites, &c.st, fLinks).UsedIn
}
func (o *objects) AddUsedIn(c *CompositePart, b *BaseAssembly) {
	modify(o.composites, &c.st, fLinks, func(s *compositeState) bool { s.UsedIn = bagAdd(s.UsedIn, b); return true })
}
func (o *objects) RemoveUsedIn(c *CompositePart, b *BaseAssembly) bool {
	return modify(o.composites, &c.st, fLinks, func(s *compositeState) (ok bool) { s.UsedIn, ok = bagRemove(s.UsedIn, b); return ok })
}

// Documents.

func (o *objects) DocText(d *Document) string { return read(o.documents, &d.st, fText).Text }
func (o *objects) DocSearch(d *Document, ch byte) int {
	return countByte(read(o.documents, &d.st, fText).Text, ch)
}
func (o *objects) DocReplace(d *Document, from, to string) int {
	text, n := replacePrefix(read(o.documents, &d.st, fText).Text, from, to)
	if n != 0 {
		s := write(o.documents, &d.st, fText)
		s.Text = text
		commit(o.documents, &d.st, s, fText)
	}
	return n
}
func (o *objects) DocStartsWith(d *Document, prefix string) bool {
	text := read(o.documents, &d.st, fText).Text
	return len(text) >= len(prefix) && text[:len(prefix)] == prefix
}

// The manual.

func (o *objects) ManualText(m *Manual) string { return read(o.manuals, &m.st, fText).Text }
func (o *objects) ManualCount(m *Manual, ch byte) int {
	return countByte(read(o.manuals, &m.st, fText).Text, ch)
}
func (o *objects) ManualFirstLastSame(m *Manual) int {
	return firstLastSame(read(o.manuals, &m.st, fText).Text)
}
func (o *objects) ManualStartsWith(m *Manual, ch byte) bool {
	return startsWithByte(read(o.manuals, &m.st, fText).Text, ch)
}

// ManualReplaceChar always stores the text, as the reference does (a new text only when
// something changed: replaceByte returns the old one otherwise).
func (o *objects) ManualReplaceChar(m *Manual, from, to byte) int {
	s := write(o.manuals, &m.st, fText)
	var n int
	s.Text, n = replaceByte(s.Text, from, to)
	commit(o.manuals, &m.st, s, fText)
	return n
}

// Base assemblies.

func (o *objects) Components(b *BaseAssembly) []*CompositePart {
	return read(o.bases, &b.st, fLinks).Components
}
func (o *objects) AddComponent(b *BaseAssembly, c *CompositePart) {
	modify(o.bases, &b.st, fLinks, func(s *baseState) bool { s.Components = bagAdd(s.Components, c); return true })
}
func (o *objects) RemoveComponent(b *BaseAssembly, c *CompositePart) bool {
	return modify(o.bases, &b.st, fLinks, func(s *baseState) (ok bool) { s.Components, ok = bagRemove(s.Components, c); return ok })
}

// Complex assemblies.

func (o *objects) SubAssemblies(a *ComplexAssembly) []*ComplexAssembly {
	return read(o.complexes, &a.st, fLinks).Subs
}
func (o *objects) BaseChildren(a *ComplexAssembly) []*BaseAssembly {
	return read(o.complexes, &a.st, fBases).Bases
}
func (o *objects) AddSubAssembly(a, child *ComplexAssembly) bool {
	checkComplexChild(a)
	return modify(o.complexes, &a.st, fLinks, func(s *complexState) (ok bool) { s.Subs, ok = setAdd(s.Subs, child); return ok })
}
func (o *objects) RemoveSubAssembly(a, child *ComplexAssembly) bool {
	return modify(o.complexes, &a.st, fLinks, func(s *complexState) (ok bool) { s.Subs, ok = setRemove(s.Subs, child); return ok })
}
func (o *objects) AddBaseChild(a *ComplexAssembly, child *BaseAssembly) bool {
	checkBaseChild(a)
	return modify(o.complexes, &a.st, fBases, func(s *complexState) (ok bool) { s.Bases, ok = setAdd(s.Bases, child); return ok })
}
func (o *objects) RemoveBaseChild(a *ComplexAssembly, child *BaseAssembly) bool {
	return modify(o.complexes, &a.st, fBases, func(s *complexState) (ok bool) { s.Bases, ok = setRemove(s.Bases, child); return ok })
}

// checkBaseChild and checkComplexChild are ComplexAssembly.addSubAssembly's level check (the
// reference checks only base assemblies; a complex child of a level-2 assembly would break
// the tree just as much).
func checkBaseChild(a *ComplexAssembly) {
	if a.Level != 2 {
		panic("stmbench7: a base assembly added to complex assembly " + itoa(a.ID) + " at level " + itoa(a.Level))
	}
}

func checkComplexChild(a *ComplexAssembly) {
	if a.Level <= 2 {
		panic("stmbench7: a complex assembly added to complex assembly " + itoa(a.ID) + " at level " + itoa(a.Level))
	}
}

// Creating objects: the identity and immutable fields are the same everywhere; the adapter
// gives the object its first state in its own representation. Nobody can reach the object
// before the creating atomic unit publishes it.

func (o *objects) NewAtomicPart(id int, typ string, date, x, y int) *AtomicPart {
	p := newObj[AtomicPart](o.atomics)
	p.ID, p.Type = id, typ
	initState(o.atomics, &p.st, p, atomicState{X: int32(x), Y: int32(y), Date: int32(date)})
	return p
}

func (o *objects) NewCompositePart(id int, typ string, date int, doc *Document, parts []*AtomicPart) *CompositePart {
	c := newObj[CompositePart](o.composites)
	initCompositePart(c, id, typ, doc, parts)
	initState(o.composites, &c.st, c, compositeState{Date: int32(date)})
	return c
}

func (o *objects) NewDocument(id int, title, text string) *Document {
	d := newObj[Document](o.documents)
	d.ID, d.Title = id, title
	initState(o.documents, &d.st, d, documentState{Text: text})
	return d
}

func (o *objects) NewManual(id int, title, text string) *Manual {
	m := newObj[Manual](o.manuals)
	m.ID, m.Title = id, title
	initState(o.manuals, &m.st, m, manualState{Text: text})
	return m
}

func (o *objects) NewBaseAssembly(id int, typ string, date int, super *ComplexAssembly, m *Module) *BaseAssembly {
	b := newObj[BaseAssembly](o.bases)
	b.ID, b.Type, b.Super, b.Module = id, typ, super, m
	initState(o.bases, &b.st, b, baseState{Date: int32(date)})
	return b
}

func (o *objects) NewComplexAssembly(id int, typ string, date int, level int, super *ComplexAssembly, m *Module) *ComplexAssembly {
	a := newObj[ComplexAssembly](o.complexes)
	a.ID, a.Type, a.Level, a.Super, a.Module = id, typ, level, super, m
	initState(o.complexes, &a.st, a, complexState{Date: int32(date)})
	return a
}

func (o *objects) NewModule(id int, typ string, date int, man *Manual) *Module {
	m := newObj[Module](o.modules)
	m.ID, m.Type, m.Manual = id, typ, man
	initState(o.modules, &m.st, m, moduleState{Date: int32(date)})
	return m
}
