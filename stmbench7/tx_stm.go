package stmbench7

import "dustm/stm"

// stmIndexes is the part of the Tx that both STM backends share: the indexes and id pools of
// an stmStore, read and written in the current STM transaction.
type stmIndexes struct {
	stx stm.Tx
	s   *stmStore
	sc  scratch
}

func (t *stmIndexes) scratch() *scratch { return &t.sc }

func (t *stmIndexes) Params() Params  { return t.s.params }
func (t *stmIndexes) Module() *Module { return t.s.module }

func (t *stmIndexes) AtomicByID(id int) *AtomicPart { return stmGet(t.stx, t.s.atomics, id) }
func (t *stmIndexes) PutAtomicByID(p *AtomicPart)   { stmPut(t.stx, t.s.atomics, p.ID, p) }
func (t *stmIndexes) RemoveAtomicByID(id int) bool  { return stmRemove(t.stx, t.s.atomics, id) }
func (t *stmIndexes) EachAtomic(fn func(*AtomicPart) bool) {
	stmEach(t.stx, t.s.atomics, fn)
}

func (t *stmIndexes) DateIndexAdd(date int, p *AtomicPart) { t.s.dateAdd(t.stx, date, p) }
func (t *stmIndexes) DateIndexRemove(date int, p *AtomicPart) bool {
	return t.s.dateRemove(t.stx, date, p)
}
func (t *stmIndexes) DateIndexRange(lo, hi int, fn func(*AtomicPart) bool) {
	t.s.dateRange(t.stx, lo, hi, fn)
}

func (t *stmIndexes) CompositeByID(id int) *CompositePart { return stmGet(t.stx, t.s.composites, id) }
func (t *stmIndexes) PutCompositeByID(c *CompositePart)   { stmPut(t.stx, t.s.composites, c.ID, c) }
func (t *stmIndexes) RemoveCompositeByID(id int) bool     { return stmRemove(t.stx, t.s.composites, id) }
func (t *stmIndexes) EachComposite(fn func(*CompositePart) bool) {
	stmEach(t.stx, t.s.composites, fn)
}

func (t *stmIndexes) DocumentByTitle(title string) *Document     { return t.s.docGet(t.stx, title) }
func (t *stmIndexes) PutDocumentByTitle(d *Document)             { t.s.docPut(t.stx, d) }
func (t *stmIndexes) RemoveDocumentByTitle(title string) bool    { return t.s.docRemove(t.stx, title) }
func (t *stmIndexes) EachDocument(fn func(*Document) bool)       { t.s.docEach(t.stx, fn) }
func (t *stmIndexes) BaseByID(id int) *BaseAssembly              { return stmGet(t.stx, t.s.bases, id) }
func (t *stmIndexes) PutBaseByID(b *BaseAssembly)                { stmPut(t.stx, t.s.bases, b.ID, b) }
func (t *stmIndexes) RemoveBaseByID(id int) bool                 { return stmRemove(t.stx, t.s.bases, id) }
func (t *stmIndexes) EachBase(fn func(*BaseAssembly) bool)       { stmEach(t.stx, t.s.bases, fn) }
func (t *stmIndexes) ComplexByID(id int) *ComplexAssembly        { return stmGet(t.stx, t.s.complexes, id) }
func (t *stmIndexes) PutComplexByID(a *ComplexAssembly)          { stmPut(t.stx, t.s.complexes, a.ID, a) }
func (t *stmIndexes) RemoveComplexByID(id int) bool              { return stmRemove(t.stx, t.s.complexes, id) }
func (t *stmIndexes) EachComplex(fn func(*ComplexAssembly) bool) { stmEach(t.stx, t.s.complexes, fn) }

func (t *stmIndexes) TakeID(pool Pool) (int, bool) { return t.s.pools[pool].take(t.stx) }
func (t *stmIndexes) ReturnID(pool Pool, id int)   { t.s.pools[pool].put(t.stx, id) }
func (t *stmIndexes) FreeIDs(pool Pool) []int      { return t.s.pools[pool].contents(t.stx) }

// The complex-assembly nullOperation reads nothing in an STM (the medium backend locks there).
func (t *stmIndexes) NullComplex(a *ComplexAssembly) {}

// plainSTMTx is the Tx of stm-plain: every object's state is a value in a versioned box
// (cell.box), replaced as a whole on every write. It is the STM without upgrade support, the
// baseline for the cost of being upgradable.
type plainSTMTx struct{ stmIndexes }

var _ Tx = (*plainSTMTx)(nil)

func (t *plainSTMTx) AtomicDate(p *AtomicPart) int { return int(p.st.box.Load(t.stx).Date) }
func (t *plainSTMTx) UpdateAtomicDate(p *AtomicPart) {
	modifyBox(t.stx, &p.st.box, func(s *atomicState) bool { return updateDate(&s.Date) })
}
func (t *plainSTMTx) CompositeDate(c *CompositePart) int { return int(c.st.box.Load(t.stx).Date) }
func (t *plainSTMTx) UpdateCompositeDate(c *CompositePart) {
	modifyBox(t.stx, &c.st.box, func(s *compositeState) bool { return updateDate(&s.Date) })
}
func (t *plainSTMTx) BaseDate(b *BaseAssembly) int { return int(b.st.box.Load(t.stx).Date) }
func (t *plainSTMTx) UpdateBaseDate(b *BaseAssembly) {
	modifyBox(t.stx, &b.st.box, func(s *baseState) bool { return updateDate(&s.Date) })
}
func (t *plainSTMTx) ComplexDate(a *ComplexAssembly) int { return int(a.st.box.Load(t.stx).Date) }
func (t *plainSTMTx) UpdateComplexDate(a *ComplexAssembly) {
	modifyBox(t.stx, &a.st.box, func(s *complexState) bool { return updateDate(&s.Date) })
}
func (t *plainSTMTx) ModuleDate(m *Module) int { return int(m.st.box.Load(t.stx).Date) }

func (t *plainSTMTx) XY(p *AtomicPart) (x, y int) {
	s := p.st.box.Load(t.stx)
	return int(s.X), int(s.Y)
}
func (t *plainSTMTx) SwapXY(p *AtomicPart) { p.st.box.Store(t.stx, swapXY(p.st.box.Load(t.stx))) }

func (t *plainSTMTx) UsedIn(c *CompositePart) []*BaseAssembly { return c.st.box.Load(t.stx).UsedIn }
func (t *plainSTMTx) AddUsedIn(c *CompositePart, b *BaseAssembly) {
	modifyBox(t.stx, &c.st.box, func(s *compositeState) bool { return addTo(b)(&s.UsedIn) })
}
func (t *plainSTMTx) RemoveUsedIn(c *CompositePart, b *BaseAssembly) bool {
	return modifyBox(t.stx, &c.st.box, func(s *compositeState) bool { return removeFrom(b)(&s.UsedIn) })
}

func (t *plainSTMTx) DocText(d *Document) string { return d.st.box.Load(t.stx).Text }
func (t *plainSTMTx) DocSearch(d *Document, ch byte) int {
	return countByte(d.st.box.Load(t.stx).Text, ch)
}
func (t *plainSTMTx) DocReplace(d *Document, from, to string) int {
	text, n := replacePrefix(d.st.box.Load(t.stx).Text, from, to)
	if n != 0 {
		d.st.box.Store(t.stx, documentState{Text: text})
	}
	return n
}
func (t *plainSTMTx) DocStartsWith(d *Document, prefix string) bool {
	text := d.st.box.Load(t.stx).Text
	return len(text) >= len(prefix) && text[:len(prefix)] == prefix
}

func (t *plainSTMTx) ManualText(m *Manual) string { return m.st.box.Load(t.stx).Text }
func (t *plainSTMTx) ManualCount(m *Manual, ch byte) int {
	return countByte(m.st.box.Load(t.stx).Text, ch)
}
func (t *plainSTMTx) ManualFirstLastSame(m *Manual) int {
	return firstLastSame(m.st.box.Load(t.stx).Text)
}
func (t *plainSTMTx) ManualStartsWith(m *Manual, ch byte) bool {
	return startsWithByte(m.st.box.Load(t.stx).Text, ch)
}
func (t *plainSTMTx) ManualReplaceChar(m *Manual, from, to byte) int {
	text, n := replaceByte(m.st.box.Load(t.stx).Text, from, to)
	m.st.box.Store(t.stx, manualState{Text: text})
	return n
}

func (t *plainSTMTx) Components(b *BaseAssembly) []*CompositePart {
	return b.st.box.Load(t.stx).Components
}
func (t *plainSTMTx) AddComponent(b *BaseAssembly, c *CompositePart) {
	modifyBox(t.stx, &b.st.box, func(s *baseState) bool { return addTo(c)(&s.Components) })
}
func (t *plainSTMTx) RemoveComponent(b *BaseAssembly, c *CompositePart) bool {
	return modifyBox(t.stx, &b.st.box, func(s *baseState) bool { return removeFrom(c)(&s.Components) })
}

func (t *plainSTMTx) SubAssemblies(a *ComplexAssembly) []*ComplexAssembly {
	return a.st.box.Load(t.stx).Subs
}
func (t *plainSTMTx) BaseChildren(a *ComplexAssembly) []*BaseAssembly {
	return a.st.box.Load(t.stx).Bases
}
func (t *plainSTMTx) AddSubAssembly(a, child *ComplexAssembly) bool {
	checkComplexChild(a)
	return modifyBox(t.stx, &a.st.box, func(s *complexState) bool { return addToSet(child)(&s.Subs) })
}
func (t *plainSTMTx) RemoveSubAssembly(a, child *ComplexAssembly) bool {
	return modifyBox(t.stx, &a.st.box, func(s *complexState) bool { return removeFrom(child)(&s.Subs) })
}
func (t *plainSTMTx) AddBaseChild(a *ComplexAssembly, child *BaseAssembly) bool {
	checkBaseChild(a)
	return modifyBox(t.stx, &a.st.box, func(s *complexState) bool { return addToSet(child)(&s.Bases) })
}
func (t *plainSTMTx) RemoveBaseChild(a *ComplexAssembly, child *BaseAssembly) bool {
	return modifyBox(t.stx, &a.st.box, func(s *complexState) bool { return removeFrom(child)(&s.Bases) })
}

// New objects get their state as the initial body of a fresh box (version 0): nobody can reach
// the object before the creating transaction commits, which publishes it.

func (t *plainSTMTx) NewAtomicPart(id int, typ string, date, x, y int) *AtomicPart {
	p := &AtomicPart{ID: id, Type: typ}
	p.st.box.Init(atomicState{X: int32(x), Y: int32(y), Date: int32(date)})
	return p
}

func (t *plainSTMTx) NewCompositePart(id int, typ string, date int, doc *Document, parts []*AtomicPart) *CompositePart {
	c := newCompositePart(id, typ, doc, parts)
	c.st.box.Init(compositeState{Date: int32(date)})
	return c
}

func (t *plainSTMTx) NewDocument(id int, title, text string) *Document {
	d := &Document{ID: id, Title: title}
	d.st.box.Init(documentState{Text: text})
	return d
}

func (t *plainSTMTx) NewManual(id int, title, text string) *Manual {
	m := &Manual{ID: id, Title: title}
	m.st.box.Init(manualState{Text: text})
	return m
}

func (t *plainSTMTx) NewBaseAssembly(id int, typ string, date int, super *ComplexAssembly, m *Module) *BaseAssembly {
	b := &BaseAssembly{ID: id, Type: typ, Super: super, Module: m}
	b.st.box.Init(baseState{Date: int32(date)})
	return b
}

func (t *plainSTMTx) NewComplexAssembly(id int, typ string, date int, level int, super *ComplexAssembly, m *Module) *ComplexAssembly {
	a := &ComplexAssembly{ID: id, Type: typ, Level: level, Super: super, Module: m}
	a.st.box.Init(complexState{Date: int32(date)})
	return a
}

func (t *plainSTMTx) NewModule(id int, typ string, date int, man *Manual) *Module {
	m := &Module{ID: id, Type: typ, Manual: man}
	m.st.box.Init(moduleState{Date: int32(date)})
	return m
}
