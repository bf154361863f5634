package stmbench7

import "sort"

// plainTx is the Tx of the lock backends: the class code over states kept in place
// (cell.plain: the zero objects, with no adapter), and the plainStore's indexes and pools. It synchronizes nothing itself; the
// backend runs it under its locks. Each worker owns one (with its scratch space), so a plainTx
// must not be shared between goroutines.
type plainTx struct {
	objects
	s  *plainStore
	sc scratch
}

var _ Tx = (*plainTx)(nil)

func newPlainTx(s *plainStore) *plainTx { return &plainTx{s: s} }

func (t *plainTx) scratch() *scratch { return &t.sc }

func (t *plainTx) Params() Params  { return t.s.params }
func (t *plainTx) Module() *Module { return t.s.module }

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
