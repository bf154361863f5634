package stmbench7

import "sort"

// plainTx is the Tx of the lock backends: it reads and writes cell.plain and the plainStore in
// place. It synchronizes nothing itself; the backend runs it under its locks. Each worker owns
// one (with its scratch space), so a plainTx must not be shared between goroutines.
//
// Methods touch only the field they need, never a whole state: under the medium backend's
// locks, different fields of one object are protected by different locks (a composite part's
// date by the composite-part lock, its usedIn bag by the structure lock), so copying a whole
// state would read a field another operation may be writing.
type plainTx struct {
	s  *plainStore
	sc scratch
}

var _ Tx = (*plainTx)(nil)

func (t *plainTx) scratch() *scratch { return &t.sc }

func (t *plainTx) Params() Params  { return t.s.params }
func (t *plainTx) Module() *Module { return t.s.module }

func (t *plainTx) AtomicDate(p *AtomicPart) int { return int(p.st.plain.Date) }
func (t *plainTx) UpdateAtomicDate(p *AtomicPart) {
	p.st.plain.Date = nextDate(p.st.plain.Date)
}
func (t *plainTx) CompositeDate(c *CompositePart) int { return int(c.st.plain.Date) }
func (t *plainTx) UpdateCompositeDate(c *CompositePart) {
	c.st.plain.Date = nextDate(c.st.plain.Date)
}
func (t *plainTx) BaseDate(b *BaseAssembly) int { return int(b.st.plain.Date) }
func (t *plainTx) UpdateBaseDate(b *BaseAssembly) {
	b.st.plain.Date = nextDate(b.st.plain.Date)
}
func (t *plainTx) ComplexDate(a *ComplexAssembly) int { return int(a.st.plain.Date) }
func (t *plainTx) UpdateComplexDate(a *ComplexAssembly) {
	a.st.plain.Date = nextDate(a.st.plain.Date)
}
func (t *plainTx) ModuleDate(m *Module) int       { return int(m.st.plain.Date) }
func (t *plainTx) NullComplex(a *ComplexAssembly) {}

func (t *plainTx) XY(p *AtomicPart) (x, y int) {
	return int(p.st.plain.X), int(p.st.plain.Y)
}

// SwapXY copies the whole atomic state: all its fields are under the same lock in every
// backend (the atomic-part lock in medium).
func (t *plainTx) SwapXY(p *AtomicPart) { p.st.plain = swapXY(p.st.plain) }

func (t *plainTx) UsedIn(c *CompositePart) []*BaseAssembly { return c.st.plain.UsedIn }
func (t *plainTx) AddUsedIn(c *CompositePart, b *BaseAssembly) {
	c.st.plain.UsedIn = bagAdd(c.st.plain.UsedIn, b)
}
func (t *plainTx) RemoveUsedIn(c *CompositePart, b *BaseAssembly) bool {
	var ok bool
	c.st.plain.UsedIn, ok = bagRemove(c.st.plain.UsedIn, b)
	return ok
}

func (t *plainTx) DocText(d *Document) string { return d.st.plain.Text }
func (t *plainTx) DocSearch(d *Document, ch byte) int {
	return countByte(d.st.plain.Text, ch)
}
func (t *plainTx) DocReplace(d *Document, from, to string) int {
	text, n := replacePrefix(d.st.plain.Text, from, to)
	if n != 0 {
		d.st.plain.Text = text
	}
	return n
}
func (t *plainTx) DocStartsWith(d *Document, prefix string) bool {
	text := d.st.plain.Text
	return len(text) >= len(prefix) && text[:len(prefix)] == prefix
}

func (t *plainTx) ManualText(m *Manual) string { return m.st.plain.Text }
func (t *plainTx) ManualCount(m *Manual, ch byte) int {
	return countByte(m.st.plain.Text, ch)
}
func (t *plainTx) ManualFirstLastSame(m *Manual) int { return firstLastSame(m.st.plain.Text) }
func (t *plainTx) ManualStartsWith(m *Manual, ch byte) bool {
	return startsWithByte(m.st.plain.Text, ch)
}
func (t *plainTx) ManualReplaceChar(m *Manual, from, to byte) int {
	text, n := replaceByte(m.st.plain.Text, from, to)
	m.st.plain.Text = text
	return n
}

func (t *plainTx) Components(b *BaseAssembly) []*CompositePart { return b.st.plain.Components }
func (t *plainTx) AddComponent(b *BaseAssembly, c *CompositePart) {
	b.st.plain.Components = bagAdd(b.st.plain.Components, c)
}
func (t *plainTx) RemoveComponent(b *BaseAssembly, c *CompositePart) bool {
	var ok bool
	b.st.plain.Components, ok = bagRemove(b.st.plain.Components, c)
	return ok
}

func (t *plainTx) SubAssemblies(a *ComplexAssembly) []*ComplexAssembly { return a.st.plain.Subs }
func (t *plainTx) BaseChildren(a *ComplexAssembly) []*BaseAssembly     { return a.st.plain.Bases }
func (t *plainTx) AddSubAssembly(a, child *ComplexAssembly) bool {
	checkComplexChild(a)
	var ok bool
	a.st.plain.Subs, ok = setAdd(a.st.plain.Subs, child)
	return ok
}
func (t *plainTx) RemoveSubAssembly(a, child *ComplexAssembly) bool {
	var ok bool
	a.st.plain.Subs, ok = setRemove(a.st.plain.Subs, child)
	return ok
}
func (t *plainTx) AddBaseChild(a *ComplexAssembly, child *BaseAssembly) bool {
	checkBaseChild(a)
	var ok bool
	a.st.plain.Bases, ok = setAdd(a.st.plain.Bases, child)
	return ok
}
func (t *plainTx) RemoveBaseChild(a *ComplexAssembly, child *BaseAssembly) bool {
	var ok bool
	a.st.plain.Bases, ok = setRemove(a.st.plain.Bases, child)
	return ok
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

func (t *plainTx) AtomicByID(id int) *AtomicPart        { return denseGet(t.s.atomics, id) }
func (t *plainTx) PutAtomicByID(p *AtomicPart)          { densePut(&t.s.atomics, p.ID, p) }
func (t *plainTx) RemoveAtomicByID(id int) bool         { return denseRemove(t.s.atomics, id) }
func (t *plainTx) EachAtomic(fn func(*AtomicPart) bool) { denseEach(t.s.atomics, fn) }

func (t *plainTx) DateIndexAdd(date int, p *AtomicPart) { t.s.dates.add(date, p) }
func (t *plainTx) DateIndexRemove(date int, p *AtomicPart) bool {
	return t.s.dates.remove(date, p)
}
func (t *plainTx) DateIndexRange(lo, hi int, fn func(*AtomicPart) bool) {
	t.s.dates.rangeVisit(lo, hi, fn)
}

func (t *plainTx) CompositeByID(id int) *CompositePart { return denseGet(t.s.composites, id) }
func (t *plainTx) PutCompositeByID(c *CompositePart)   { densePut(&t.s.composites, c.ID, c) }
func (t *plainTx) RemoveCompositeByID(id int) bool     { return denseRemove(t.s.composites, id) }
func (t *plainTx) EachComposite(fn func(*CompositePart) bool) {
	denseEach(t.s.composites, fn)
}

func (t *plainTx) DocumentByTitle(title string) *Document { return t.s.docs[title] }
func (t *plainTx) PutDocumentByTitle(d *Document)         { t.s.docs[d.Title] = d }
func (t *plainTx) RemoveDocumentByTitle(title string) bool {
	if _, ok := t.s.docs[title]; !ok {
		return false
	}
	delete(t.s.docs, title)
	return true
}
func (t *plainTx) EachDocument(fn func(*Document) bool) {
	titles := make([]string, 0, len(t.s.docs))
	for title := range t.s.docs {
		titles = append(titles, title)
	}
	sort.Strings(titles)
	for _, title := range titles {
		if !fn(t.s.docs[title]) {
			return
		}
	}
}

func (t *plainTx) BaseByID(id int) *BaseAssembly              { return denseGet(t.s.bases, id) }
func (t *plainTx) PutBaseByID(b *BaseAssembly)                { densePut(&t.s.bases, b.ID, b) }
func (t *plainTx) RemoveBaseByID(id int) bool                 { return denseRemove(t.s.bases, id) }
func (t *plainTx) EachBase(fn func(*BaseAssembly) bool)       { denseEach(t.s.bases, fn) }
func (t *plainTx) ComplexByID(id int) *ComplexAssembly        { return denseGet(t.s.complexes, id) }
func (t *plainTx) PutComplexByID(a *ComplexAssembly)          { densePut(&t.s.complexes, a.ID, a) }
func (t *plainTx) RemoveComplexByID(id int) bool              { return denseRemove(t.s.complexes, id) }
func (t *plainTx) EachComplex(fn func(*ComplexAssembly) bool) { denseEach(t.s.complexes, fn) }

func (t *plainTx) TakeID(pool Pool) (int, bool) { return t.s.pools[pool].take() }
func (t *plainTx) ReturnID(pool Pool, id int)   { t.s.pools[pool].put(id) }
func (t *plainTx) FreeIDs(pool Pool) []int      { return t.s.pools[pool].contents() }

func (t *plainTx) NewAtomicPart(id int, typ string, date, x, y int) *AtomicPart {
	p := &AtomicPart{ID: id, Type: typ}
	p.st.plain = atomicState{X: int32(x), Y: int32(y), Date: int32(date)}
	return p
}

func (t *plainTx) NewCompositePart(id int, typ string, date int, doc *Document, parts []*AtomicPart) *CompositePart {
	c := newCompositePart(id, typ, doc, parts)
	c.st.plain.Date = int32(date)
	return c
}

func (t *plainTx) NewDocument(id int, title, text string) *Document {
	d := &Document{ID: id, Title: title}
	d.st.plain.Text = text
	return d
}

func (t *plainTx) NewManual(id int, title, text string) *Manual {
	m := &Manual{ID: id, Title: title}
	m.st.plain.Text = text
	return m
}

func (t *plainTx) NewBaseAssembly(id int, typ string, date int, super *ComplexAssembly, m *Module) *BaseAssembly {
	b := &BaseAssembly{ID: id, Type: typ, Super: super, Module: m}
	b.st.plain.Date = int32(date)
	return b
}

func (t *plainTx) NewComplexAssembly(id int, typ string, date int, level int, super *ComplexAssembly, m *Module) *ComplexAssembly {
	a := &ComplexAssembly{ID: id, Type: typ, Level: level, Super: super, Module: m}
	a.st.plain.Date = int32(date)
	return a
}

func (t *plainTx) NewModule(id int, typ string, date int, man *Manual) *Module {
	m := &Module{ID: id, Type: typ, Manual: man}
	m.st.plain.Date = int32(date)
	return m
}
