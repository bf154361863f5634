package kv

import (
	"hash/maphash"
	"slices"
	"sync"
)

// The mutex backend: the non-STM baseline, a sharded map under read-write locks. A command
// locks the shards of the keys it declares, in increasing order (so that MULTI/EXEC across
// shards cannot deadlock), or every shard for FLUSHALL and DBSIZE.
type mutexStore struct {
	code   *Code
	seed   maphash.Seed
	shards []mshard
}

type mshard struct {
	mu sync.RWMutex
	m  map[string]any
	_  [40]byte // keep shards' locks off each other's cache lines
}

const mutexShards = 256

func newMutexStore(n int, code *Code) *mutexStore {
	st := &mutexStore{code: code, seed: maphash.MakeSeed(), shards: make([]mshard, mutexShards)}
	for i := range st.shards {
		st.shards[i].m = make(map[string]any, n/mutexShards)
	}
	return st
}

func (st *mutexStore) shardOf(key string) int { return int(keyHash(st.seed, key) % mutexShards) }

func (st *mutexStore) load(key string, v any) { st.shards[st.shardOf(key)].m[key] = v }

func (st *mutexStore) loaded() {}

// lockSet returns the shards to lock, sorted and distinct.
func (st *mutexStore) lockSet(keys [][]byte, all bool) []int {
	if all {
		out := make([]int, mutexShards)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, 0, len(keys))
	for _, k := range keys {
		out = append(out, st.shardOf(string(k)))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func (st *mutexStore) Update(keys [][]byte, all bool, fn func(Txn) error) error {
	set := st.lockSet(keys, all)
	for _, i := range set {
		st.shards[i].mu.Lock()
	}
	defer func() {
		for _, i := range set {
			st.shards[i].mu.Unlock()
		}
	}()
	return fn(&mutexTxn{st})
}

func (st *mutexStore) View(keys [][]byte, all bool, fn func(Txn) error) error {
	set := st.lockSet(keys, all)
	for _, i := range set {
		st.shards[i].mu.RLock()
	}
	defer func() {
		for _, i := range set {
			st.shards[i].mu.RUnlock()
		}
	}()
	return fn(&mutexTxn{st})
}

func (st *mutexStore) Close() {}

// mutexTxn touches only the shards its transaction locked (the command table's key
// positions say which).
type mutexTxn struct{ st *mutexStore }

func (t *mutexTxn) m(key string) map[string]any { return t.st.shards[t.st.shardOf(key)].m }

func (t *mutexTxn) Code() *Code              { return t.st.code }
func (t *mutexTxn) Get(key string) any       { return t.m(key)[key] }
func (t *mutexTxn) Put(key string, v any)    { t.m(key)[key] = v }
func (t *mutexTxn) Modify(key string, v any) { t.m(key)[key] = v }

func (t *mutexTxn) Del(key string) bool {
	m := t.m(key)
	_, ok := m[key]
	delete(m, key)
	return ok
}

func (t *mutexTxn) Len() int64 {
	var n int64
	for i := range t.st.shards {
		n += int64(len(t.st.shards[i].m))
	}
	return n
}

func (t *mutexTxn) Flush() {
	for i := range t.st.shards {
		clear(t.st.shards[i].m)
	}
}
