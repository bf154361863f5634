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

// upgTx is the Tx of the stm backend in program version 1: the class code over upgradable
// objects (cell.obj), and the indexes and pools as in stm-plain. A later program version runs
// the Tx its programCode makes over this one (view), which replaces the classes it changes.
type upgTx struct {
	objects
	stmIndexes
	utx upgrade.Tx
	e   *upgrade.Engine
	cls *classes
	// code is the program version of the current transaction, view its Tx (t itself in
	// version 1), and versions what was made for each version met (a read-only transaction
	// runs in its snapshot's version, so versions can alternate during an upgrade).
	code     *programCode
	view     Tx
	versions map[*programCode]versionOf
	// doomed are the objects this transaction took out of their index, waiting for their id
	// to be recycled (the last step of unregistering them) to be deleted in the engine.
	doomed []doomedObject
}

type versionOf struct {
	objects objects
	view    Tx
}

type doomedObject struct {
	pool Pool
	id   int
	obj  *upgrade.Object
}

var _ Tx = (*upgTx)(nil)

func newUpgTx(s *stmStore, e *upgrade.Engine, cls *classes) *upgTx {
	t := &upgTx{stmIndexes: stmIndexes{s: s}, e: e, cls: cls, versions: map[*programCode]versionOf{}}
	t.objects = codeV1.objects(t)
	return t
}

// bind points the Tx at a new transaction, and makes the Tx of its program version if that
// changed.
func (t *upgTx) bind(utx upgrade.Tx) {
	t.utx = utx
	t.stx = utx.Tx
	if code := utx.Code().(*programCode); code != t.code {
		v, ok := t.versions[code]
		if !ok {
			v = versionOf{code.objects(t), code.tx(t)}
			t.versions[code] = v
		}
		t.code, t.objects, t.view = code, v.objects, v.view
	}
	clear(t.doomed)
	t.doomed = t.doomed[:0]
}

// upgradable is the stm backend's states adapter for version 1's shapes: the object's state
// is a pointer to an immutable S, converted by the engine first if it has an older shape. A
// write installs a changed copy.
type upgradable[S any] struct {
	t   *upgTx
	cls *upgrade.Class
}

func upgradableOf[S any](t *upgTx, cls *upgrade.Class) *upgradable[S] {
	return &upgradable[S]{t: t, cls: cls}
}

func (*upgradable[S]) kind() repKind                  { return repObject }
func (u *upgradable[S]) read(c *cell[S], _ fields) *S { return c.obj().Load(u.t.utx).(*S) }
func (u *upgradable[S]) write(c *cell[S], _ fields) *S {
	s := *c.obj().Load(u.t.utx).(*S)
	return &s
}
func (u *upgradable[S]) commit(c *cell[S], s *S, _ fields) { c.obj().Store(u.t.utx, s) }

// init creates the object in the transaction's program version, registered with its class.
func (u *upgradable[S]) init(c *cell[S], owner any, s S) {
	u.t.e.InitObject(c.obj(), u.t.utx, u.cls, owner, &s)
}

// programCode is one program version of the benchmark under stm. Version 1 is the class code
// of classes.go over upgradable objects. A later version changes some classes: reshape gives
// the classes whose shape it changes a states adapter that runs the same class code on the
// new shape (reshaped), and wrap puts the previous version's Tx in one that overrides the
// methods it rewrites (version). Everything else is the previous version's.
type programCode struct {
	name    string
	prev    *programCode
	reshape func(base *upgTx, o *objects)
	wrap    func(base *upgTx, prev Tx) Tx
}

// codeV1 is version 1: the reference's classes, with states in the shapes of objects.go.
var codeV1 = &programCode{name: "v1"}

// objects returns the version's class code over a worker's version-1 Tx.
func (c *programCode) objects(base *upgTx) objects {
	if c.prev == nil {
		return objects{
			upgradableOf[atomicState](base, base.cls.atomic), upgradableOf[compositeState](base, base.cls.composite),
			upgradableOf[documentState](base, base.cls.document), upgradableOf[manualState](base, base.cls.manual),
			upgradableOf[baseState](base, base.cls.base), upgradableOf[complexState](base, base.cls.complex),
			upgradableOf[moduleState](base, base.cls.module),
		}
	}
	o := c.prev.objects(base)
	if c.reshape != nil {
		c.reshape(base, &o)
	}
	return o
}

// tx returns the version's Tx over a worker's version-1 Tx.
func (c *programCode) tx(base *upgTx) Tx {
	if c.prev == nil {
		return base
	}
	prev := c.prev.tx(base)
	if c.wrap == nil {
		return prev
	}
	return c.wrap(base, prev)
}

// reshaped is the states adapter of a class whose shape a later version changed from S to N:
// it runs version 1's class code on N, converting the state on every access. to makes the
// new shape from a changed S and the object's current state (nil for a new object), so that
// fields of N that S lacks carry over.
type reshaped[S, N any] struct {
	t    *upgTx
	cls  *upgrade.Class
	from func(*N) S
	to   func(s S, old *N, owner any) *N
	r, w S
}

func (*reshaped[S, N]) kind() repKind { return repObject }
func (u *reshaped[S, N]) read(c *cell[S], _ fields) *S {
	u.r = u.from(c.obj().Load(u.t.utx).(*N))
	return &u.r
}
func (u *reshaped[S, N]) write(c *cell[S], _ fields) *S {
	u.w = u.from(c.obj().Load(u.t.utx).(*N))
	return &u.w
}
func (u *reshaped[S, N]) commit(c *cell[S], s *S, _ fields) {
	c.obj().Store(u.t.utx, u.to(*s, c.obj().Load(u.t.utx).(*N), c.obj().Owner()))
}
func (u *reshaped[S, N]) init(c *cell[S], owner any, s S) {
	u.t.e.InitObject(c.obj(), u.t.utx, u.cls, owner, u.to(s, nil, owner))
}

// version is what a later program version's Tx embeds: the previous version's Tx, whose
// methods it keeps, and the worker's version-1 Tx (its transaction, engine, classes and
// scratch). Methods that call another class go through base.view, the running version's Tx.
type version struct {
	Tx
	base *upgTx
}

func (v version) scratch() *scratch { return v.base.scratch() }

// STMBench7 deletes an object by taking it out of its index, reading it a little longer, and
// recycling its id last. The engine is told at that last step (Object.Delete), so that a lazy
// migration does not wait for an object that nobody can reach any more.

func (t *upgTx) doom(pool Pool, id int, obj *upgrade.Object) {
	t.doomed = append(t.doomed, doomedObject{pool, id, obj})
}

func (t *upgTx) RemoveAtomicByID(id int) bool {
	if p := t.AtomicByID(id); p != nil {
		t.doom(PoolAtomic, id, p.st.obj())
	}
	return t.stmIndexes.RemoveAtomicByID(id)
}

func (t *upgTx) RemoveCompositeByID(id int) bool {
	if c := t.CompositeByID(id); c != nil {
		t.doom(PoolComposite, id, c.st.obj())
	}
	return t.stmIndexes.RemoveCompositeByID(id)
}

func (t *upgTx) RemoveDocumentByTitle(title string) bool {
	if d := t.DocumentByTitle(title); d != nil {
		t.doom(PoolDocument, d.ID, d.st.obj())
	}
	return t.stmIndexes.RemoveDocumentByTitle(title)
}

func (t *upgTx) RemoveBaseByID(id int) bool {
	if b := t.BaseByID(id); b != nil {
		t.doom(PoolBase, id, b.st.obj())
	}
	return t.stmIndexes.RemoveBaseByID(id)
}

func (t *upgTx) RemoveComplexByID(id int) bool {
	if a := t.ComplexByID(id); a != nil {
		t.doom(PoolComplex, id, a.st.obj())
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
