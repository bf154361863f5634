package kv

import (
	"hash/maphash"
	"slices"

	"dustm/stm"
)

// The stm-plain backend: the same table of buckets as stm's, on the plain STM with versioned
// boxes (no upgrade support): the cost of the engine is the difference between the two.
type plainStore struct {
	s       *stm.STM
	code    *Code
	seed    maphash.Seed
	mask    uint64
	buckets []stm.Var[[]entry[*stm.Var[any]]]
	counts  [stripes]stm.Var[int64]
}

func newPlainStore(n int, code *Code) *plainStore {
	nb := bucketCount(n)
	return &plainStore{
		s: stm.New(stm.Options{}), code: code, seed: maphash.MakeSeed(), mask: uint64(nb - 1),
		buckets: make([]stm.Var[[]entry[*stm.Var[any]]], nb),
	}
}

func (st *plainStore) load(key string, v any) {
	i := keyHash(st.seed, key) & st.mask
	b := &st.buckets[i]
	b.Init(append(b.LoadLatest(), entry[*stm.Var[any]]{key, stm.NewVar(v)}))
	st.counts[i%stripes].Init(st.counts[i%stripes].LoadLatest() + 1)
}

func (st *plainStore) loaded() {}

func (st *plainStore) Update(_ [][]byte, _ bool, fn func(Txn) error) error {
	return st.s.Atomic(func(tx stm.Tx) error { return fn(&plainTxn{st, tx}) })
}

func (st *plainStore) View(_ [][]byte, _ bool, fn func(Txn) error) error {
	return st.s.ReadOnly(func(tx stm.Tx) error { return fn(&plainTxn{st, tx}) })
}

func (st *plainStore) Close() { st.s.Close() }

type plainTxn struct {
	st *plainStore
	tx stm.Tx
}

func (t *plainTxn) Code() *Code { return t.st.code }

func (t *plainTxn) find(key string) (int, []entry[*stm.Var[any]], int) {
	bi := int(keyHash(t.st.seed, key) & t.st.mask)
	es := t.st.buckets[bi].Load(t.tx)
	for i := range es {
		if es[i].key == key {
			return bi, es, i
		}
	}
	return bi, es, -1
}

func (t *plainTxn) Get(key string) any {
	_, es, i := t.find(key)
	if i < 0 {
		return nil
	}
	return es[i].cell.Load(t.tx)
}

func (t *plainTxn) Put(key string, v any) {
	bi, es, i := t.find(key)
	if i >= 0 {
		es[i].cell.Store(t.tx, v)
		return
	}
	t.st.buckets[bi].Store(t.tx, append(slices.Clip(es), entry[*stm.Var[any]]{key, stm.NewVar(v)}))
	t.addCount(bi, 1)
}

func (t *plainTxn) Modify(key string, v any) { t.Put(key, v) }

func (t *plainTxn) addCount(bi int, d int64) {
	c := &t.st.counts[bi%stripes]
	c.Store(t.tx, c.Load(t.tx)+d)
}

func (t *plainTxn) Del(key string) bool {
	bi, es, i := t.find(key)
	if i < 0 {
		return false
	}
	t.st.buckets[bi].Store(t.tx, slices.Delete(slices.Clone(es), i, i+1))
	t.addCount(bi, -1)
	return true
}

func (t *plainTxn) Len() int64 {
	var n int64
	for i := range t.st.counts {
		n += t.st.counts[i].Load(t.tx)
	}
	return n
}

func (t *plainTxn) Flush() {
	for i := range t.st.buckets {
		if len(t.st.buckets[i].Load(t.tx)) > 0 {
			t.st.buckets[i].Store(t.tx, nil)
		}
	}
	for i := range t.st.counts {
		t.st.counts[i].Store(t.tx, 0)
	}
}
