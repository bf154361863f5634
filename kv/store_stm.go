package kv

import (
	"hash/maphash"
	"slices"
	"time"

	"dustm/stm"
	"dustm/upgrade"
)

// The stm backend: the upgrade engine's program. Every key's value is an upgradable object of
// the class of its type, and the key → object index is a fixed table of buckets, each an
// upgradable object too (class "bucket") holding an immutable slice of entries, so that every
// command is one STM transaction over the index and the values. Key counts for DBSIZE are
// striped over boxes so that inserts into different stripes do not conflict.

// entry is one key of a bucket: its name and its cell (an *upgrade.Object or a box).
type entry[C any] struct {
	key  string
	cell C
}

// bucket is version 1's bucket state; bucketStats the keystats upgrade's, which also counts
// the bucket's keys by type.
type bucket struct{ es []entry[*upgrade.Object] }

type bucketStats struct {
	es []entry[*upgrade.Object]
	n  [numTypes]int64
}

const stripes = 64

type stmStore struct {
	s       *stm.STM
	e       *upgrade.Engine
	seed    maphash.Seed
	mask    uint64
	buckets []*upgrade.Object
	counts  [stripes]stm.Var[int64]
	bucketC *upgrade.Class
	classes [numTypes]*upgrade.Class
	pending [][]entry[*upgrade.Object] // the preload's buckets, until loaded
}

func newSTMStore(n int, code *Code) *stmStore {
	s := stm.New(stm.Options{})
	st := &stmStore{s: s, e: upgrade.New(s, code), seed: maphash.MakeSeed()}
	nb := bucketCount(n)
	st.mask = uint64(nb - 1)
	st.bucketC = st.e.NewClass("bucket")
	for t := range st.classes {
		st.classes[t] = st.e.NewClass(typeNames[t])
	}
	st.pending = make([][]entry[*upgrade.Object], nb)
	return st
}

// load adds a key during the preload (one goroutine, before serving).
func (st *stmStore) load(key string, v any) {
	i := keyHash(st.seed, key) & st.mask
	o := st.e.NewObjectLatest(st.classes[typeOf(v)], nil, v)
	st.pending[i] = append(st.pending[i], entry[*upgrade.Object]{key, o})
}

// loaded makes the buckets once the preload is done.
func (st *stmStore) loaded() {
	st.buckets = make([]*upgrade.Object, len(st.pending))
	var counts [stripes]int64
	for i, es := range st.pending {
		st.buckets[i] = st.e.NewObjectLatest(st.bucketC, nil, &bucket{es})
		counts[i%stripes] += int64(len(es))
	}
	for i := range counts {
		st.counts[i].Init(counts[i])
	}
	st.pending = nil
}

func (st *stmStore) Update(_ [][]byte, _ bool, fn func(Txn) error) error {
	return st.e.Atomic(func(tx upgrade.Tx) error { return fn(st.txn(tx)) })
}

func (st *stmStore) View(_ [][]byte, _ bool, fn func(Txn) error) error {
	return st.e.ReadOnly(func(tx upgrade.Tx) error { return fn(st.txn(tx)) })
}

func (st *stmStore) Close() {
	st.e.Close()
	st.s.Close()
}

func (st *stmStore) txn(tx upgrade.Tx) *stmTxn {
	return &stmTxn{st: st, tx: tx, code: tx.Code().(*Code)}
}

type stmTxn struct {
	st    *stmStore
	tx    upgrade.Tx
	code  *Code
	nowMs int64
}

func (t *stmTxn) Code() *Code { return t.code }

func (t *stmTxn) now() int64 {
	if t.nowMs == 0 {
		t.nowMs = time.Now().UnixMilli()
	}
	return t.nowMs
}

// entries returns a bucket's entries, in the shape of any version.
func (t *stmTxn) entries(b *upgrade.Object) []entry[*upgrade.Object] {
	switch s := b.Load(t.tx).(type) {
	case *bucket:
		return s.es
	case *bucketStats:
		return s.es
	}
	panic("kv: a bucket of unknown shape")
}

// find returns the key's bucket (and its index), its entries and the key's position (-1).
func (t *stmTxn) find(key string) (int, *upgrade.Object, []entry[*upgrade.Object], int) {
	bi := int(keyHash(t.st.seed, key) & t.st.mask)
	b := t.st.buckets[bi]
	es := t.entries(b)
	for i := range es {
		if es[i].key == key {
			return bi, b, es, i
		}
	}
	return bi, b, es, -1
}

// view turns a stored state into the value the command code sees (nil: expired).
func (t *stmTxn) view(st any) any {
	if x, ok := st.(*StrX); ok {
		if x.ExpMs != 0 && t.now() >= x.ExpMs {
			return nil
		}
		return x.S
	}
	return st
}

// shape turns a value into the state the program version stores.
func (t *stmTxn) shape(v any) any {
	if s, ok := v.(*Str); ok && t.code.expiry {
		return &StrX{S: s}
	}
	return v
}

func (t *stmTxn) Get(key string) any {
	_, _, es, i := t.find(key)
	if i < 0 {
		return nil
	}
	return t.view(es[i].cell.Load(t.tx))
}

func (t *stmTxn) typeOfClass(c *upgrade.Class) int {
	return slices.Index(t.st.classes[:], c)
}

// storeBucket writes a bucket's new entries; under keystats it moves one key from type
// `from` to type `to` (-1: none) in the bucket's counts.
func (t *stmTxn) storeBucket(b *upgrade.Object, es []entry[*upgrade.Object], from, to int) {
	if !t.code.keystats {
		b.Store(t.tx, &bucket{es})
		return
	}
	n := b.Load(t.tx).(*bucketStats).n
	if from >= 0 {
		n[from]--
	}
	if to >= 0 {
		n[to]++
	}
	b.Store(t.tx, &bucketStats{es, n})
}

func (t *stmTxn) addCount(bi int, d int64) {
	c := &t.st.counts[bi%stripes]
	c.Store(t.tx.Tx, c.Load(t.tx.Tx)+d)
}

func (t *stmTxn) Put(key string, v any) {
	bi, b, es, i := t.find(key)
	typ := typeOf(v)
	c := t.st.classes[typ]
	if i >= 0 {
		o := es[i].cell
		if o.Class() == c {
			o.Store(t.tx, t.shape(v))
			return
		}
		from := t.typeOfClass(o.Class())
		o.Delete(t.tx)
		es = slices.Clone(es)
		es[i].cell = t.st.e.NewObject(t.tx, c, nil, t.shape(v))
		t.storeBucket(b, es, from, typ)
		return
	}
	o := t.st.e.NewObject(t.tx, c, nil, t.shape(v))
	t.storeBucket(b, append(slices.Clip(es), entry[*upgrade.Object]{key, o}), -1, typ)
	t.addCount(bi, 1)
}

func (t *stmTxn) Modify(key string, v any) {
	if s, ok := v.(*Str); ok && t.code.expiry {
		if _, _, es, i := t.find(key); i >= 0 {
			if x, ok := es[i].cell.Load(t.tx).(*StrX); ok {
				es[i].cell.Store(t.tx, &StrX{S: s, ExpMs: x.ExpMs})
				return
			}
		}
	}
	t.Put(key, v)
}

func (t *stmTxn) Del(key string) bool {
	bi, b, es, i := t.find(key)
	if i < 0 {
		return false
	}
	o := es[i].cell
	present := t.view(o.Load(t.tx)) != nil
	o.Delete(t.tx)
	t.storeBucket(b, slices.Delete(slices.Clone(es), i, i+1), t.typeOfClass(o.Class()), -1)
	t.addCount(bi, -1)
	return present
}

func (t *stmTxn) Len() int64 {
	var n int64
	for i := range t.st.counts {
		n += t.st.counts[i].Load(t.tx.Tx)
	}
	return n
}

func (t *stmTxn) Flush() {
	for _, b := range t.st.buckets {
		es := t.entries(b)
		if len(es) == 0 {
			continue
		}
		for _, e := range es {
			e.cell.Delete(t.tx)
		}
		if t.code.keystats {
			b.Store(t.tx, &bucketStats{})
		} else {
			b.Store(t.tx, &bucket{})
		}
	}
	for i := range t.st.counts {
		t.st.counts[i].Store(t.tx.Tx, 0)
	}
}

// expiry returns a string key's state under the expiry upgrade (nil: no such live string).
func (t *stmTxn) expiry(key string) (*StrX, *upgrade.Object) {
	_, _, es, i := t.find(key)
	if i < 0 {
		return nil, nil
	}
	x, ok := es[i].cell.Load(t.tx).(*StrX)
	if !ok || t.view(x) == nil {
		return nil, nil
	}
	return x, es[i].cell
}

// typeCounts sums the keystats buckets' counts.
func (t *stmTxn) typeCounts() [numTypes]int64 {
	var n [numTypes]int64
	for _, b := range t.st.buckets {
		if s, ok := b.Load(t.tx).(*bucketStats); ok {
			for i := range n {
				n[i] += s.n[i]
			}
		}
	}
	return n
}
