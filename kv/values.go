package kv

import (
	"cmp"
	"maps"
	"slices"
)

// Values are immutable: a command that changes one builds a new value (sharing what it
// can), because an STM keeps old versions readable by older snapshots and a transaction may
// rerun. Collections are copy-on-write (O(n) per write) except lists, which are persistent
// deques (O(1) pushes and pops), since redis-benchmark pushes hundreds of thousands of
// elements onto one list.

// Str is a string value.
type Str struct{ B []byte }

// StrX is a string with an expiry: the shape of strings after the expiry upgrade.
type StrX struct {
	S     *Str
	ExpMs int64 // Unix milliseconds; 0 for none
}

// Type indexes of values, in TYPE's names.
const (
	tString = iota
	tList
	tSet
	tHash
	tZSet
	numTypes
)

var typeNames = [numTypes]string{"string", "list", "set", "hash", "zset"}

// typeOf returns a state's type index, for the shapes of every program version.
func typeOf(v any) int {
	switch v.(type) {
	case *Str, *StrX:
		return tString
	case *List:
		return tList
	case *Set:
		return tSet
	case Hash:
		return tHash
	case *ZSet:
		return tZSet
	}
	panic("kv: a value of unknown type")
}

// List is a persistent deque: two immutable stacks, the front in order and the back reversed.
type List struct {
	front, back *node
	nf, nb      int
}

type node struct {
	v    []byte
	next *node
}

// Len returns the number of elements.
func (l *List) Len() int { return l.nf + l.nb }

// PushFront returns the list with v in front.
func (l *List) PushFront(v []byte) *List {
	return &List{front: &node{v, l.front}, back: l.back, nf: l.nf + 1, nb: l.nb}
}

// PushBack returns the list with v at the back.
func (l *List) PushBack(v []byte) *List {
	return &List{front: l.front, back: &node{v, l.back}, nf: l.nf, nb: l.nb + 1}
}

// reversed returns the stack n of k elements reversed.
func reversed(n *node) *node {
	var out *node
	for ; n != nil; n = n.next {
		out = &node{n.v, out}
	}
	return out
}

// PopFront returns the first element and the rest; the list must not be empty.
func (l *List) PopFront() ([]byte, *List) {
	if l.front == nil { // move the back over, once: amortized O(1)
		l = &List{front: reversed(l.back), nf: l.nb}
	}
	return l.front.v, &List{front: l.front.next, back: l.back, nf: l.nf - 1, nb: l.nb}
}

// PopBack returns the last element and the rest; the list must not be empty.
func (l *List) PopBack() ([]byte, *List) {
	if l.back == nil {
		l = &List{back: reversed(l.front), nb: l.nf}
	}
	return l.back.v, &List{front: l.front, back: l.back.next, nf: l.nf, nb: l.nb - 1}
}

// Range returns the elements from index lo to hi inclusive (valid, lo <= hi). Within the
// front stack it walks only that far; a range reaching into the back reads the back once.
func (l *List) Range(lo, hi int) [][]byte {
	out := make([][]byte, 0, hi-lo+1)
	i := 0
	for n := l.front; n != nil && i <= hi; n, i = n.next, i+1 {
		if i >= lo {
			out = append(out, n.v)
		}
	}
	if i > hi {
		return out
	}
	back := make([][]byte, l.nb)
	j := l.nb - 1
	for n := l.back; n != nil; n, j = n.next, j-1 {
		back[j] = n.v
	}
	for ; i <= hi; i++ {
		if i >= lo {
			out = append(out, back[i-l.nf])
		}
	}
	return out
}

// Set is a set of members.
type Set struct{ m map[string]struct{} }

func (s *Set) Len() int { return len(s.m) }

// Hash is a hash value in any encoding: the flat one of version 1 (Redis's listpack: a
// slice in insertion order) or the map of the hash-encoding upgrade. Both give the same
// replies.
type Hash interface {
	Len() int
	Get(f string) ([]byte, bool)
	// With returns the hash with f set to v, and whether f was new.
	With(f string, v []byte) (Hash, bool)
	// Without returns the hash without f, and whether f was there.
	Without(f string) (Hash, bool)
	Each(fn func(f string, v []byte))
}

type pair struct {
	f string
	v []byte
}

// HashFlat is version 1's hash encoding.
type HashFlat struct{ kv []pair }

func (h *HashFlat) Len() int { return len(h.kv) }

func (h *HashFlat) find(f string) int {
	for i := range h.kv {
		if h.kv[i].f == f {
			return i
		}
	}
	return -1
}

func (h *HashFlat) Get(f string) ([]byte, bool) {
	if i := h.find(f); i >= 0 {
		return h.kv[i].v, true
	}
	return nil, false
}

func (h *HashFlat) With(f string, v []byte) (Hash, bool) {
	kv := slices.Clone(h.kv)
	if i := h.find(f); i >= 0 {
		kv[i].v = v
		return &HashFlat{kv}, false
	}
	return &HashFlat{append(kv, pair{f, v})}, true
}

func (h *HashFlat) Without(f string) (Hash, bool) {
	i := h.find(f)
	if i < 0 {
		return h, false
	}
	return &HashFlat{slices.Delete(slices.Clone(h.kv), i, i+1)}, true
}

func (h *HashFlat) Each(fn func(string, []byte)) {
	for _, p := range h.kv {
		fn(p.f, p.v)
	}
}

// HashMap is the hash encoding after the hash-encoding upgrade. Each visits fields in sorted
// order, so that replies do not depend on the map's order.
type HashMap struct{ m map[string][]byte }

func (h *HashMap) Len() int { return len(h.m) }

func (h *HashMap) Get(f string) ([]byte, bool) { v, ok := h.m[f]; return v, ok }

func (h *HashMap) With(f string, v []byte) (Hash, bool) {
	_, had := h.m[f]
	m := maps.Clone(h.m)
	if m == nil {
		m = map[string][]byte{}
	}
	m[f] = v
	return &HashMap{m}, !had
}

func (h *HashMap) Without(f string) (Hash, bool) {
	if _, had := h.m[f]; !had {
		return h, false
	}
	m := maps.Clone(h.m)
	delete(m, f)
	return &HashMap{m}, true
}

func (h *HashMap) Each(fn func(string, []byte)) {
	for _, f := range slices.Sorted(maps.Keys(h.m)) {
		fn(f, h.m[f])
	}
}

// flatToMap is the hash-encoding upgrade's conversion.
func flatToMap(h *HashFlat) *HashMap {
	m := make(map[string][]byte, len(h.kv))
	for _, p := range h.kv {
		m[p.f] = p.v
	}
	return &HashMap{m}
}

// ZSet is a sorted set: members by score, then member.
type ZSet struct {
	score map[string]float64
	order []zent // sorted
}

type zent struct {
	m string
	s float64
}

func zcmp(a, b zent) int {
	if c := cmp.Compare(a.s, b.s); c != 0 {
		return c
	}
	return cmp.Compare(a.m, b.m)
}

func (z *ZSet) Len() int { return len(z.order) }

// With returns the set with member m at score s, and whether m was new.
func (z *ZSet) With(m string, s float64) (*ZSet, bool) {
	old, had := z.score[m]
	if had && old == s {
		return z, false
	}
	order := slices.Clone(z.order)
	if had {
		i, _ := slices.BinarySearchFunc(order, zent{m, old}, zcmp)
		order = slices.Delete(order, i, i+1)
	}
	i, _ := slices.BinarySearchFunc(order, zent{m, s}, zcmp)
	order = slices.Insert(order, i, zent{m, s})
	sc := maps.Clone(z.score)
	if sc == nil {
		sc = map[string]float64{}
	}
	sc[m] = s
	return &ZSet{sc, order}, !had
}

// popMin returns the n lowest entries and the rest.
func (z *ZSet) popMin(n int) ([]zent, *ZSet) {
	n = min(n, len(z.order))
	out := z.order[:n]
	sc := maps.Clone(z.score)
	for _, e := range out {
		delete(sc, e.m)
	}
	return out, &ZSet{sc, z.order[n:]}
}
