package stmbench7

import (
	"slices"

	"dustm/upgrade"
)

// classes are the upgradable classes of the benchmark on one engine.
type classes struct {
	atomic, composite, document, manual, base, complex, module *upgrade.Class
}

func newClasses(e *upgrade.Engine) *classes {
	return &classes{
		atomic:    e.NewClass("AtomicPart"),
		composite: e.NewClass("CompositePart"),
		document:  e.NewClass("Document"),
		manual:    e.NewClass("Manual"),
		base:      e.NewClass("BaseAssembly"),
		complex:   e.NewClass("ComplexAssembly"),
		module:    e.NewClass("Module"),
	}
}

// upgTx is the Tx of the stm backend: indexes and pools as in stm-plain, object state through
// the upgrade engine, and every class method forwarded to the class code of the program version
// the transaction runs (so the same operations run on whatever shape that version has).
type upgTx struct {
	stmIndexes
	utx  upgrade.Tx
	code *programCode
	e    *upgrade.Engine
	cls  *classes
	// doomed are the objects this transaction took out of their index, waiting for their id
	// to be recycled (the last step of unregistering them) to be deleted in the engine.
	doomed []doomedObject
}

type doomedObject struct {
	pool Pool
	id   int
	obj  *upgrade.Object
}

var _ Tx = (*upgTx)(nil)

// bind points the Tx at a new transaction.
func (t *upgTx) bind(utx upgrade.Tx) {
	t.utx = utx
	t.stx = utx.Tx
	t.code = utx.Code().(*programCode)
	clear(t.doomed)
	t.doomed = t.doomed[:0]
}

// STMBench7 deletes an object by taking it out of its index, reading it a little longer, and
// recycling its id last. The engine is told at that last step (Object.Delete), so that a lazy
// migration does not wait for an object that nobody can reach any more.

func (t *upgTx) doom(pool Pool, id int, obj *upgrade.Object) {
	t.doomed = append(t.doomed, doomedObject{pool, id, obj})
}

func (t *upgTx) RemoveAtomicByID(id int) bool {
	if p := t.AtomicByID(id); p != nil {
		t.doom(PoolAtomic, id, &p.st.obj)
	}
	return t.stmIndexes.RemoveAtomicByID(id)
}

func (t *upgTx) RemoveCompositeByID(id int) bool {
	if c := t.CompositeByID(id); c != nil {
		t.doom(PoolComposite, id, &c.st.obj)
	}
	return t.stmIndexes.RemoveCompositeByID(id)
}

func (t *upgTx) RemoveDocumentByTitle(title string) bool {
	if d := t.DocumentByTitle(title); d != nil {
		t.doom(PoolDocument, d.ID, &d.st.obj)
	}
	return t.stmIndexes.RemoveDocumentByTitle(title)
}

func (t *upgTx) RemoveBaseByID(id int) bool {
	if b := t.BaseByID(id); b != nil {
		t.doom(PoolBase, id, &b.st.obj)
	}
	return t.stmIndexes.RemoveBaseByID(id)
}

func (t *upgTx) RemoveComplexByID(id int) bool {
	if a := t.ComplexByID(id); a != nil {
		t.doom(PoolComplex, id, &a.st.obj)
	}
	return t.stmIndexes.RemoveComplexByID(id)
}

func (t *upgTx) ReturnID(pool Pool, id int) {
	for i, d := range t.doomed {
		if d.pool == pool && d.id == id {
			d.obj.Delete(t.utx)
			t.doomed = slices.Delete(t.doomed, i, i+1)
			break
		}
	}
	t.stmIndexes.ReturnID(pool, id)
}

func (t *upgTx) AtomicDate(p *AtomicPart) int       { return t.code.Atomic.Date(t.utx, p) }
func (t *upgTx) UpdateAtomicDate(p *AtomicPart)     { t.code.Atomic.UpdateDate(t.utx, p) }
func (t *upgTx) CompositeDate(c *CompositePart) int { return t.code.Composite.Date(t.utx, c) }
func (t *upgTx) UpdateCompositeDate(c *CompositePart) {
	t.code.Composite.UpdateDate(t.utx, c)
}
func (t *upgTx) BaseDate(b *BaseAssembly) int       { return t.code.Base.Date(t.utx, b) }
func (t *upgTx) UpdateBaseDate(b *BaseAssembly)     { t.code.Base.UpdateDate(t.utx, b) }
func (t *upgTx) ComplexDate(a *ComplexAssembly) int { return t.code.Complex.Date(t.utx, a) }
func (t *upgTx) UpdateComplexDate(a *ComplexAssembly) {
	t.code.Complex.UpdateDate(t.utx, a)
}
func (t *upgTx) ModuleDate(m *Module) int { return t.code.Module.Date(t.utx, m) }

func (t *upgTx) XY(p *AtomicPart) (x, y int) { return t.code.Atomic.XY(t.utx, p) }
func (t *upgTx) SwapXY(p *AtomicPart)        { t.code.Atomic.SwapXY(t.utx, p) }

func (t *upgTx) UsedIn(c *CompositePart) []*BaseAssembly { return t.code.Composite.UsedIn(t.utx, c) }
func (t *upgTx) AddUsedIn(c *CompositePart, b *BaseAssembly) {
	t.code.Composite.AddUsedIn(t.utx, c, b)
}
func (t *upgTx) RemoveUsedIn(c *CompositePart, b *BaseAssembly) bool {
	return t.code.Composite.RemoveUsedIn(t.utx, c, b)
}

func (t *upgTx) DocText(d *Document) string { return t.code.Document.Text(t.utx, d) }
func (t *upgTx) DocSearch(d *Document, ch byte) int {
	return t.code.Document.Search(t.utx, d, ch)
}
func (t *upgTx) DocReplace(d *Document, from, to string) int {
	return t.code.Document.Replace(t.utx, d, from, to)
}
func (t *upgTx) DocStartsWith(d *Document, prefix string) bool {
	return t.code.Document.StartsWith(t.utx, d, prefix)
}

func (t *upgTx) ManualText(m *Manual) string { return t.code.Manual.Text(t.utx, m) }
func (t *upgTx) ManualCount(m *Manual, ch byte) int {
	return t.code.Manual.Count(t.utx, m, ch)
}
func (t *upgTx) ManualFirstLastSame(m *Manual) int { return t.code.Manual.FirstLastSame(t.utx, m) }
func (t *upgTx) ManualStartsWith(m *Manual, ch byte) bool {
	return t.code.Manual.StartsWith(t.utx, m, ch)
}
func (t *upgTx) ManualReplaceChar(m *Manual, from, to byte) int {
	return t.code.Manual.ReplaceChar(t.utx, m, from, to)
}

func (t *upgTx) Components(b *BaseAssembly) []*CompositePart {
	return t.code.Base.Components(t.utx, b)
}
func (t *upgTx) AddComponent(b *BaseAssembly, c *CompositePart) {
	t.code.Base.AddComponent(t.utx, b, c)
}
func (t *upgTx) RemoveComponent(b *BaseAssembly, c *CompositePart) bool {
	return t.code.Base.RemoveComponent(t.utx, b, c)
}

func (t *upgTx) SubAssemblies(a *ComplexAssembly) []*ComplexAssembly {
	return t.code.Complex.Subs(t.utx, a)
}
func (t *upgTx) BaseChildren(a *ComplexAssembly) []*BaseAssembly {
	return t.code.Complex.Bases(t.utx, a)
}
func (t *upgTx) AddSubAssembly(a, child *ComplexAssembly) bool {
	return t.code.Complex.AddSub(t.utx, a, child)
}
func (t *upgTx) RemoveSubAssembly(a, child *ComplexAssembly) bool {
	return t.code.Complex.RemoveSub(t.utx, a, child)
}
func (t *upgTx) AddBaseChild(a *ComplexAssembly, child *BaseAssembly) bool {
	return t.code.Complex.AddBase(t.utx, a, child)
}
func (t *upgTx) RemoveBaseChild(a *ComplexAssembly, child *BaseAssembly) bool {
	return t.code.Complex.RemoveBase(t.utx, a, child)
}

// New objects are upgradable objects created in the transaction's program version, with that
// version's initial state, and registered with their class.

func (t *upgTx) NewAtomicPart(id int, typ string, date, x, y int) *AtomicPart {
	p := &AtomicPart{ID: id, Type: typ}
	t.e.InitObject(&p.st.obj, t.utx, t.cls.atomic, p, t.code.Atomic.New(date, x, y))
	return p
}

func (t *upgTx) NewCompositePart(id int, typ string, date int, doc *Document, parts []*AtomicPart) *CompositePart {
	c := newCompositePart(id, typ, doc, parts)
	t.e.InitObject(&c.st.obj, t.utx, t.cls.composite, c, t.code.Composite.New(t.utx, date, c))
	return c
}

func (t *upgTx) NewDocument(id int, title, text string) *Document {
	d := &Document{ID: id, Title: title}
	t.e.InitObject(&d.st.obj, t.utx, t.cls.document, d, t.code.Document.New(text))
	return d
}

func (t *upgTx) NewManual(id int, title, text string) *Manual {
	m := &Manual{ID: id, Title: title}
	t.e.InitObject(&m.st.obj, t.utx, t.cls.manual, m, t.code.Manual.New(text))
	return m
}

func (t *upgTx) NewBaseAssembly(id int, typ string, date int, super *ComplexAssembly, m *Module) *BaseAssembly {
	b := &BaseAssembly{ID: id, Type: typ, Super: super, Module: m}
	t.e.InitObject(&b.st.obj, t.utx, t.cls.base, b, t.code.Base.New(date))
	return b
}

func (t *upgTx) NewComplexAssembly(id int, typ string, date int, level int, super *ComplexAssembly, m *Module) *ComplexAssembly {
	a := &ComplexAssembly{ID: id, Type: typ, Level: level, Super: super, Module: m}
	t.e.InitObject(&a.st.obj, t.utx, t.cls.complex, a, t.code.Complex.New(date))
	return a
}

func (t *upgTx) NewModule(id int, typ string, date int, man *Manual) *Module {
	m := &Module{ID: id, Type: typ, Manual: man}
	t.e.InitObject(&m.st.obj, t.utx, t.cls.module, m, t.code.Module.New(date))
	return m
}
