package stmbench7

import (
	"fmt"
	"math/bits"

	"dustm/stm"
)

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

// stmTx is the Tx of stm-plain: the class code over states in versioned boxes (cell.box, a
// whole state replaced on every write), and the stmStore's indexes and pools. It is the STM
// without upgrade support, the baseline for the cost of being upgradable.
type stmTx struct {
	objects
	stmIndexes
}

var _ Tx = (*stmTx)(nil)

func newSTMTx(s *stmStore, l Layout) *stmTx {
	t := &stmTx{stmIndexes: stmIndexes{s: s}}
	if l == LayoutField {
		t.objects = objects{
			fieldsOf[atomicState](&t.stx), fieldsOf[compositeState](&t.stx), fieldsOf[documentState](&t.stx),
			fieldsOf[manualState](&t.stx), fieldsOf[baseState](&t.stx), fieldsOf[complexState](&t.stx),
			fieldsOf[moduleState](&t.stx),
		}
		return t
	}
	t.objects = objects{
		boxOf[atomicState](&t.stx), boxOf[compositeState](&t.stx), boxOf[documentState](&t.stx),
		boxOf[manualState](&t.stx), boxOf[baseState](&t.stx), boxOf[complexState](&t.stx),
		boxOf[moduleState](&t.stx),
	}
	return t
}

// boxed is stm-plain's states adapter: one versioned box per object, holding the whole state
// as a value. read and write copy the state into the adapter (the STM hands out values), and
// commit stores the changed copy as the box's new version.
type boxed[S any] struct {
	tx   *stm.Tx // the Tx's current transaction
	r, w S
}

func boxOf[S any](tx *stm.Tx) *boxed[S] { return &boxed[S]{tx: tx} }

func (*boxed[S]) kind() repKind                       { return repBox }
func (b *boxed[S]) read(c *cell[S], _ fields) *S      { b.r = c.box().Load(*b.tx); return &b.r }
func (b *boxed[S]) write(c *cell[S], _ fields) *S     { b.w = c.box().Load(*b.tx); return &b.w }
func (b *boxed[S]) commit(c *cell[S], s *S, _ fields) { c.box().Store(*b.tx, *s) }

// init gives a new object its state as the first body of a fresh box (version 0): the
// creating transaction's commit publishes the object.
func (b *boxed[S]) init(c *cell[S], _ any, s S) { c.box().Init(s) }

// fieldBoxes are an object's boxes under LayoutField, one per field bit (the bits its state
// type does not use stay zero boxes, never read). Box k holds a whole S of which only field
// k counts: the others keep whatever the object had when the box was last written.
type fieldBoxes[S any] [numFields]stm.Var[S]

const numFields = 5 // the bits of fields

// fielded is a state type that names its fields.
type fielded interface{ used() fields }

// fieldBoxed is stm-plain's states adapter under LayoutField: an accessor loads and stores
// only the box of the field it names. Every accessor of the class code names exactly one.
type fieldBoxed[S fielded] struct {
	tx   *stm.Tx
	r, w S
}

func fieldsOf[S fielded](tx *stm.Tx) *fieldBoxed[S] { return &fieldBoxed[S]{tx: tx} }

// box returns the box of field f.
func (*fieldBoxed[S]) box(c *cell[S], f fields) *stm.Var[S] {
	if f == 0 || f&(f-1) != 0 {
		panic(fmt.Sprintf("stmbench7: a per-field access names fields %05b, not one", f))
	}
	return &(*c.fields())[bits.TrailingZeros8(uint8(f))]
}

func (*fieldBoxed[S]) kind() repKind                       { return repFields }
func (b *fieldBoxed[S]) read(c *cell[S], f fields) *S      { b.r = b.box(c, f).Load(*b.tx); return &b.r }
func (b *fieldBoxed[S]) write(c *cell[S], f fields) *S     { b.w = b.box(c, f).Load(*b.tx); return &b.w }
func (b *fieldBoxed[S]) commit(c *cell[S], s *S, f fields) { b.box(c, f).Store(*b.tx, *s) }

// init gives every field of the new object its box, holding the first state.
func (b *fieldBoxed[S]) init(c *cell[S], _ any, s S) {
	fb := new(fieldBoxes[S])
	*c.fields() = fb
	for k := range numFields {
		if s.used()&(1<<k) != 0 {
			fb[k].Init(s)
		}
	}
}
