package stmbench7

import (
	"hash/maphash"
	"slices"
	"sort"

	"dustm/stm"
)

// stmStore is the storage of the STM backends: the six indexes and the id pools as transactional
// structures with no global hot spot. Every integer-keyed index is a dense array of boxes indexed
// by id (ids come from the pools, so they are bounded); the build-date index is an array of boxes
// holding sorted buckets; the title index hashes titles over an array of boxes. Two transactions
// conflict only when they touch the same id, date or hash bucket.
type stmStore struct {
	params Params
	module *Module

	atomics    []stm.Var[*AtomicPart]
	composites []stm.Var[*CompositePart]
	bases      []stm.Var[*BaseAssembly]
	complexes  []stm.Var[*ComplexAssembly]
	titles     []stm.Var[[]*Document] // hash buckets, each sorted by title
	titleSeed  maphash.Seed
	dateLo     int
	dates      []stm.Var[[]*AtomicPart]       // buckets for dates dateLo.., each sorted by id
	otherDates stm.Var[map[int][]*AtomicPart] // any other date (none in a normal run)
	pools      [NumPools]stmPool
}

func newSTMStore(p Params) *stmStore {
	s := &stmStore{
		params:     p,
		atomics:    make([]stm.Var[*AtomicPart], p.MaxAtomicParts()+1),
		composites: make([]stm.Var[*CompositePart], p.MaxCompParts()+1),
		bases:      make([]stm.Var[*BaseAssembly], p.MaxBaseAssemblies()+1),
		complexes:  make([]stm.Var[*ComplexAssembly], p.MaxComplexAssemblies()+1),
		titleSeed:  maphash.MakeSeed(),
		dateLo:     MinAtomicDate - 1,
		dates:      make([]stm.Var[[]*AtomicPart], MaxAtomicDate-MinAtomicDate+3),
	}
	n := 64
	for n < 2*p.MaxCompParts() {
		n *= 2
	}
	s.titles = make([]stm.Var[[]*Document], n)
	for pool := range NumPools {
		s.pools[pool].init(Pool(pool).Size(p))
	}
	return s
}

// slot returns the box of id in a dense index; an id outside the pools' range is a broken
// structure.
func slot[T any](index []stm.Var[*T], id int) *stm.Var[*T] {
	if id <= 0 || id >= len(index) {
		return nil
	}
	return &index[id]
}

func stmGet[T any](tx stm.Tx, index []stm.Var[*T], id int) *T {
	if v := slot(index, id); v != nil {
		return v.Load(tx)
	}
	return nil
}

func stmPut[T any](tx stm.Tx, index []stm.Var[*T], id int, x *T) {
	v := slot(index, id)
	if v == nil {
		panic("stmbench7: id " + itoa(id) + " is outside the id pool's range")
	}
	v.Store(tx, x)
}

func stmRemove[T any](tx stm.Tx, index []stm.Var[*T], id int) bool {
	v := slot(index, id)
	if v == nil || v.Load(tx) == nil {
		return false
	}
	v.Store(tx, nil)
	return true
}

func stmEach[T any](tx stm.Tx, index []stm.Var[*T], fn func(*T) bool) {
	for i := range index {
		if x := index[i].Load(tx); x != nil && !fn(x) {
			return
		}
	}
}

func (s *stmStore) dateBox(date int) *stm.Var[[]*AtomicPart] {
	if i := date - s.dateLo; i >= 0 && i < len(s.dates) {
		return &s.dates[i]
	}
	return nil
}

func (s *stmStore) dateAdd(tx stm.Tx, date int, p *AtomicPart) {
	if v := s.dateBox(date); v != nil {
		b := v.Load(tx)
		i, found := slices.BinarySearchFunc(b, p.ID, cmpPartID)
		if !found {
			v.Store(tx, slices.Insert(slices.Clip(b), i, p)) // a new slice: old versions stay intact
		}
		return
	}
	m := s.otherDates.Load(tx)
	b := m[date]
	i, found := slices.BinarySearchFunc(b, p.ID, cmpPartID)
	if !found {
		m2 := make(map[int][]*AtomicPart, len(m)+1)
		for k, v := range m {
			m2[k] = v
		}
		m2[date] = slices.Insert(slices.Clip(b), i, p)
		s.otherDates.Store(tx, m2)
	}
}

func (s *stmStore) dateRemove(tx stm.Tx, date int, p *AtomicPart) bool {
	if v := s.dateBox(date); v != nil {
		b := v.Load(tx)
		i, found := slices.BinarySearchFunc(b, p.ID, cmpPartID)
		if found {
			v.Store(tx, slices.Delete(slices.Clone(b), i, i+1))
		}
		return found
	}
	m := s.otherDates.Load(tx)
	b, present := m[date]
	if !present {
		return false
	}
	i, found := slices.BinarySearchFunc(b, p.ID, cmpPartID)
	if found {
		m2 := make(map[int][]*AtomicPart, len(m))
		for k, v := range m {
			m2[k] = v
		}
		m2[date] = slices.Delete(slices.Clone(b), i, i+1) // empty buckets stay, as in the reference
		s.otherDates.Store(tx, m2)
	}
	return found
}

func (s *stmStore) dateRange(tx stm.Tx, lo, hi int, fn func(*AtomicPart) bool) {
	visit := func(b []*AtomicPart) bool {
		for _, p := range b {
			if !fn(p) {
				return false
			}
		}
		return true
	}
	other := s.otherDates.Load(tx)
	var below, above []int
	for d := range other {
		if d >= lo && d < hi {
			if d < s.dateLo {
				below = append(below, d)
			} else {
				above = append(above, d)
			}
		}
	}
	sort.Ints(below)
	sort.Ints(above)
	for _, d := range below {
		if !visit(other[d]) {
			return
		}
	}
	for d := max(lo, s.dateLo); d < hi && d-s.dateLo < len(s.dates); d++ {
		if !visit(s.dates[d-s.dateLo].Load(tx)) {
			return
		}
	}
	for _, d := range above {
		if !visit(other[d]) {
			return
		}
	}
}

func (s *stmStore) titleBox(title string) *stm.Var[[]*Document] {
	return &s.titles[maphash.String(s.titleSeed, title)&uint64(len(s.titles)-1)]
}

func cmpDocTitle(d *Document, title string) int {
	switch {
	case d.Title < title:
		return -1
	case d.Title > title:
		return 1
	}
	return 0
}

func (s *stmStore) docGet(tx stm.Tx, title string) *Document {
	b := s.titleBox(title).Load(tx)
	if i, found := slices.BinarySearchFunc(b, title, cmpDocTitle); found {
		return b[i]
	}
	return nil
}

func (s *stmStore) docPut(tx stm.Tx, d *Document) {
	v := s.titleBox(d.Title)
	b := slices.Clone(v.Load(tx))
	if i, found := slices.BinarySearchFunc(b, d.Title, cmpDocTitle); found {
		b[i] = d
	} else {
		b = slices.Insert(b, i, d)
	}
	v.Store(tx, b)
}

func (s *stmStore) docRemove(tx stm.Tx, title string) bool {
	v := s.titleBox(title)
	b := v.Load(tx)
	i, found := slices.BinarySearchFunc(b, title, cmpDocTitle)
	if found {
		v.Store(tx, slices.Delete(slices.Clone(b), i, i+1))
	}
	return found
}

func (s *stmStore) docEach(tx stm.Tx, fn func(*Document) bool) {
	var all []*Document
	for i := range s.titles {
		all = append(all, s.titles[i].Load(tx)...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Title < all[j].Title })
	for _, d := range all {
		if !fn(d) {
			return
		}
	}
}

// stmPool is a FIFO id pool: a ring of boxes between two counters. Taking and returning ids
// conflict with each other (the queue's order is the point), but only structural modifications
// use the pools.
//
// The ring starts full with slot i holding id i+1. A box that was never written holds 0, which
// is no id, so that is what 0 means: slot i's boxes start as zero Vars and cost no version body
// each (the big structure's pools have 125 000 slots, a tenth of the heap's objects, which the
// collector would otherwise mark on every cycle for the whole run).
type stmPool struct {
	head, tail stm.Var[int64] // ids are at head..tail-1, modulo the ring's size
	ring       []stm.Var[int32]
}

func (p *stmPool) init(n int) {
	p.ring = make([]stm.Var[int32], n)
	p.tail.Init(int64(n))
}

// slot returns the id in the ring's slot i.
func (p *stmPool) slot(tx stm.Tx, i int64) int {
	if id := p.ring[i].Load(tx); id != 0 {
		return int(id)
	}
	return int(i) + 1 // never written: the initial id
}

func (p *stmPool) take(tx stm.Tx) (int, bool) {
	h, t := p.head.Load(tx), p.tail.Load(tx)
	if h == t {
		return 0, false
	}
	id := p.slot(tx, h%int64(len(p.ring)))
	p.head.Store(tx, h+1)
	return id, true
}

func (p *stmPool) put(tx stm.Tx, id int) {
	h, t := p.head.Load(tx), p.tail.Load(tx)
	if t-h >= int64(len(p.ring)) {
		panic("stmbench7: id " + itoa(id) + " returned to a full id pool")
	}
	if id <= 0 {
		panic("stmbench7: id " + itoa(id) + " returned to an id pool")
	}
	p.ring[t%int64(len(p.ring))].Store(tx, int32(id))
	p.tail.Store(tx, t+1)
}

func (p *stmPool) contents(tx stm.Tx) []int {
	h, t := p.head.Load(tx), p.tail.Load(tx)
	out := make([]int, 0, t-h)
	for i := h; i < t; i++ {
		out = append(out, p.slot(tx, i%int64(len(p.ring))))
	}
	return out
}
