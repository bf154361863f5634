package stmbench7

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"
)

// plainStore is the storage of the lock backends (none, coarse, medium): the indexes and id
// pools as plain Go data, read and written in place under the backend's locks. Objects keep
// their mutable state in cell.plain.
//
// The integer-keyed indexes are dense arrays indexed by id: ids always come from the id pools,
// so they are bounded by the pool sizes (an index grows if ever given a larger id). Iterating
// such an array in order is iterating the reference's TreeMap in key order.
type plainStore struct {
	params Params
	module *Module

	atomics    []*AtomicPart
	composites []*CompositePart
	bases      []*BaseAssembly
	complexes  []*ComplexAssembly
	docs       map[string]*Document
	dates      dateIndex
	pools      [NumPools]idPool

	// Synchronization, used by the backends that need it.
	global sync.RWMutex  // coarse: the one global lock
	medium *mediumLocks  // medium: the reference's lock set
	serial atomic.Uint64 // the lock methods' serial points, with Options.Serials only
}

func newPlainStore(p Params) *plainStore {
	s := &plainStore{
		params:     p,
		atomics:    make([]*AtomicPart, p.MaxAtomicParts()+1),
		composites: make([]*CompositePart, p.MaxCompParts()+1),
		bases:      make([]*BaseAssembly, p.MaxBaseAssemblies()+1),
		complexes:  make([]*ComplexAssembly, p.MaxComplexAssemblies()+1),
		docs:       make(map[string]*Document, p.MaxCompParts()),
		// Atomic-part dates start in [MinAtomicDate, MaxAtomicDate]; updates move them by one
		// at most, to the nearest odd/even neighbour.
		dates:  newDateIndex(MinAtomicDate-1, MaxAtomicDate+1),
		medium: newMediumLocks(p.NumAssmLevels),
	}
	for pool := range NumPools {
		s.pools[pool] = newIDPool(Pool(pool).Size(p))
	}
	return s
}

// densePut stores v at index id of a dense index, growing it if needed.
func densePut[T any](index *[]*T, id int, v *T) {
	if id <= 0 {
		panic("stmbench7: index key must be a positive id, got " + itoa(id))
	}
	if id >= len(*index) {
		*index = slices.Grow(*index, id+1-len(*index))[:id+1]
	}
	(*index)[id] = v
}

func denseGet[T any](index []*T, id int) *T {
	if id <= 0 || id >= len(index) {
		return nil
	}
	return index[id]
}

func denseRemove[T any](index []*T, id int) bool {
	if id <= 0 || id >= len(index) || index[id] == nil {
		return false
	}
	index[id] = nil
	return true
}

func denseEach[T any](index []*T, fn func(*T) bool) {
	for _, v := range index {
		if v != nil && !fn(v) {
			return
		}
	}
}

// dateIndex is the atomic-part build-date index: date → the set of atomic parts with that date,
// ordered by id (the reference's TreeMap<Integer, TreeSet<AtomicPart>>). Dates within
// [lo, lo+len(buckets)) have a bucket in a dense array; any other date (none in a normal run:
// the array covers every date an atomic part can reach) goes to a map. Buckets are sorted
// slices modified in place, which is fine here: this storage belongs to the lock backends only.
type dateIndex struct {
	lo      int
	buckets [][]*AtomicPart
	other   map[int][]*AtomicPart
}

func newDateIndex(lo, hi int) dateIndex {
	return dateIndex{lo: lo, buckets: make([][]*AtomicPart, hi-lo+1)}
}

func (ix *dateIndex) inDense(date int) bool {
	i := date - ix.lo
	return i >= 0 && i < len(ix.buckets)
}

func cmpPartID(p *AtomicPart, id int) int { return p.ID - id }

// insertByID adds p to a bucket sorted by id unless a part with its id is there (TreeSet.add).
func insertByID(b []*AtomicPart, p *AtomicPart) []*AtomicPart {
	i, found := slices.BinarySearchFunc(b, p.ID, cmpPartID)
	if found {
		return b
	}
	return slices.Insert(b, i, p)
}

// deleteByID removes the part with p's id from a bucket (TreeSet.remove compares ids).
func deleteByID(b []*AtomicPart, p *AtomicPart) ([]*AtomicPart, bool) {
	i, found := slices.BinarySearchFunc(b, p.ID, cmpPartID)
	if !found {
		return b, false
	}
	return slices.Delete(b, i, i+1), true
}

func (ix *dateIndex) add(date int, p *AtomicPart) {
	if ix.inDense(date) {
		i := date - ix.lo
		ix.buckets[i] = insertByID(ix.buckets[i], p)
		return
	}
	if ix.other == nil {
		ix.other = make(map[int][]*AtomicPart)
	}
	ix.other[date] = insertByID(ix.other[date], p)
}

func (ix *dateIndex) remove(date int, p *AtomicPart) bool {
	if ix.inDense(date) {
		var ok bool
		i := date - ix.lo
		ix.buckets[i], ok = deleteByID(ix.buckets[i], p)
		return ok
	}
	b, present := ix.other[date]
	if !present {
		return false
	}
	b, ok := deleteByID(b, p)
	ix.other[date] = b // an emptied set stays, as in the reference
	return ok
}

// rangeVisit visits the parts with lo <= date < hi by ascending date, then id.
func (ix *dateIndex) rangeVisit(lo, hi int, fn func(*AtomicPart) bool) {
	if len(ix.other) > 0 {
		ix.rangeSlow(lo, hi, fn)
		return
	}
	// Clamp before subtracting: lo and hi may be anything, math.MinInt included.
	lo, hi = max(lo, ix.lo), min(hi, ix.lo+len(ix.buckets))
	for i := lo - ix.lo; i < hi-ix.lo; i++ {
		for _, p := range ix.buckets[i] {
			if !fn(p) {
				return
			}
		}
	}
}

func (ix *dateIndex) rangeSlow(lo, hi int, fn func(*AtomicPart) bool) {
	var dates []int
	for i, b := range ix.buckets {
		if d := ix.lo + i; d >= lo && d < hi && len(b) > 0 {
			dates = append(dates, d)
		}
	}
	for d, b := range ix.other {
		if d >= lo && d < hi && len(b) > 0 {
			dates = append(dates, d)
		}
	}
	sort.Ints(dates)
	for _, d := range dates {
		b := ix.other[d]
		if ix.inDense(d) {
			b = ix.buckets[d-ix.lo]
		}
		for _, p := range b {
			if !fn(p) {
				return
			}
		}
	}
}

// idPool is a FIFO queue of free ids in a ring buffer, pre-filled with 1..size (the
// reference's IdPoolImpl over a LinkedList). A pool never holds more than size ids, since
// every id in it was taken from it.
type idPool struct {
	ids     []int32
	head, n int
}

func newIDPool(size int) idPool {
	ids := make([]int32, size)
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	return idPool{ids: ids, n: size}
}

func (q *idPool) take() (int, bool) {
	if q.n == 0 {
		return 0, false
	}
	id := q.ids[q.head]
	q.head++
	if q.head == len(q.ids) {
		q.head = 0
	}
	q.n--
	return int(id), true
}

func (q *idPool) put(id int) {
	if q.n == len(q.ids) {
		panic("stmbench7: id " + itoa(id) + " returned to a full id pool (returned twice?)")
	}
	i := q.head + q.n
	if i >= len(q.ids) {
		i -= len(q.ids)
	}
	q.ids[i] = int32(id)
	q.n++
}

func (q *idPool) contents() []int {
	out := make([]int, q.n)
	for k := range out {
		i := q.head + k
		if i >= len(q.ids) {
			i -= len(q.ids)
		}
		out[k] = int(q.ids[i])
	}
	return out
}
