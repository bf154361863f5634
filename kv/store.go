package kv

import (
	"fmt"
	"hash/maphash"
	"math/bits"
	"strings"
)

// Txn is one transaction on the keyspace, as the command code sees it. Values are *Str,
// *List, *Set, Hash and *ZSet whatever the program version stores (an adapter of the stm
// backend turns a newer shape into these, as stmbench7's reshaped adapters do). The command
// code is written once over Txn; each backend implements it.
type Txn interface {
	// Get returns the key's value, nil when it has none (or it expired).
	Get(key string) any
	// Put sets the key's value, dropping what the key carried besides (an expiry).
	Put(key string, v any)
	// Modify replaces an existing key's value, keeping its expiry (INCR, APPEND, LPUSH, …).
	Modify(key string, v any)
	// Del removes the key; it reports whether the key existed.
	Del(key string) bool
	// Len counts the keys.
	Len() int64
	// Flush removes every key.
	Flush()
	// Code is the code of the transaction's program version.
	Code() *Code
}

// Store is a backend: it runs transactions. keys are the keys the transaction may touch
// (the mutex backend locks their shards, in a fixed order); all means every key (FLUSHALL,
// DBSIZE). The STM backends run fn as a transaction and may run it more than once.
type Store interface {
	Update(keys [][]byte, all bool, fn func(Txn) error) error
	View(keys [][]byte, all bool, fn func(Txn) error) error
	Close()
}

// Backends names the backends, as --backend accepts them.
var backendNames = []string{"stm", "stm-plain", "mutex"}

// BackendNames returns the accepted --backend values, joined for a message.
func BackendNames() string { return strings.Join(backendNames, ", ") }

// MaxPreload bounds --preload.
const MaxPreload = 10_000_000

// newStore builds a backend sized for about n keys, preloaded with n keys, running code.
func newStore(backend string, n int, code *Code) (Store, error) {
	var s interface {
		Store
		load(key string, v any)
		loaded()
	}
	switch backend {
	case "stm":
		s = newSTMStore(n, code)
	case "stm-plain":
		s = newPlainStore(n, code)
	case "mutex":
		s = newMutexStore(n, code)
	default:
		return nil, fmt.Errorf("unknown backend %q (accepted: %s)", backend, BackendNames())
	}
	preload(n, s.load)
	s.loaded()
	return s, nil
}

// The preloaded keyspace: of n keys, 2.5% each are hashes ("hash:%012d", four fields),
// lists ("list:%012d", four elements), sets ("set:%012d", four members) and sorted sets
// ("zset:%012d", four members), the rest strings "key:%012d" numbered from 0 (redis-benchmark's
// key names, so that its GET with -r up to that count hits them) holding "xxx" (its default
// 3-byte value).
func preloadShares(n int) (strs, each int) {
	each = n / 40
	return n - 4*each, each
}

// keyName is prefix + i in 12 digits, as fmt's "%012d" writes it, without fmt's cost (the
// preload names up to ten million keys).
func keyName(prefix string, i int) string {
	b := make([]byte, len(prefix)+12)
	copy(b, prefix)
	for j := len(b) - 1; j >= len(prefix); j-- {
		b[j] = byte('0' + i%10)
		i /= 10
	}
	return string(b)
}

func preload(n int, load func(string, any)) {
	strs, each := preloadShares(n)
	for i := range strs {
		load(keyName("key:", i), &Str{B: []byte("xxx")})
	}
	for i := range each {
		fs := [][]byte{[]byte("f1"), []byte("f2"), []byte("f3"), []byte("f4")}
		h := &HashFlat{}
		l := &List{}
		s := &Set{m: make(map[string]struct{}, 4)}
		z := &ZSet{}
		for j, f := range fs {
			h.kv = append(h.kv, pair{string(f), []byte("xxx")})
			l = l.PushBack(f)
			s.m[string(f)] = struct{}{}
			z, _ = z.With(string(f), float64(j))
		}
		load(keyName("hash:", i), h)
		load(keyName("list:", i), l)
		load(keyName("set:", i), s)
		load(keyName("zset:", i), z)
	}
}

// bucketCount sizes a hash table of buckets for about n keys: about four keys a bucket, at
// least 16384 buckets, a power of two. The table does not grow: far more keys than that make
// buckets longer (documented in the README).
func bucketCount(n int) int {
	want := max(n/4, 1<<14)
	return 1 << bits.Len(uint(want-1))
}

// keyHash hashes a key for the bucket tables and the mutex shards.
func keyHash(seed maphash.Seed, key string) uint64 { return maphash.String(seed, key) }
