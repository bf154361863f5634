package stm

import (
	"sync/atomic"
)

type mode uint8

const (
	modeReadOnly mode = iota
	modeReadWrite
	modeInevitable
)

// Tx is a running transaction, handed to the function passed to [STM.Atomic] and its variants.
// It is a small value; it is valid only until that function returns.
type Tx struct {
	t   *txn
	gen uint64
}

// Snapshot returns the version of the snapshot the transaction reads.
func (tx Tx) Snapshot() int64 {
	tx.check()
	return tx.t.snapshot
}

// ReadOnly reports whether the transaction is read-only.
func (tx Tx) ReadOnly() bool {
	tx.check()
	return tx.t.mode == modeReadOnly
}

// Inevitable reports whether the transaction runs inevitably (it cannot abort).
func (tx Tx) Inevitable() bool {
	tx.check()
	return tx.t.mode == modeInevitable
}

// STM returns the memory the transaction runs on.
func (tx Tx) STM() *STM {
	tx.check()
	return tx.t.s
}

// Pin keeps the transaction's snapshot readable after the transaction ends, until the pin is
// released. Read it with [Var.LoadAt] or [STM.ReadOnlyAt].
func (tx Tx) Pin() *Pin {
	tx.check()
	return tx.t.s.newPin(tx.t.snapshot, tx.t.mode == modeReadWrite)
}

func (tx Tx) check() {
	if tx.t == nil || tx.t.gen != tx.gen {
		panicEnded()
	}
}

// noGen is a generation no transaction reaches.
const noGen = ^uint64(0)

// wsEntry is one buffered write: the box and the body to install in it.
type wsEntry struct {
	box *atomic.Pointer[body]
	b   *body
}

// indexThreshold is the write-set size above which lookups go through a map.
const indexThreshold = 16

// txn is the reusable state behind a Tx; transactions take one from a pool and return it.
type txn struct {
	s    *STM
	slot *slot
	gen  uint64
	// roGen is gen while a read-only attempt runs and noGen otherwise: the read fast paths
	// check that the Tx is current and read-only with one compare.
	roGen     uint64
	mode      mode
	exclusive bool // runs while the world is stopped: does not wait for it to resume
	snapshot  int64
	reads     []*atomic.Pointer[body]
	writes    []wsEntry
	wfilter   uint64
	windex    map[*atomic.Pointer[body]]int32 // kept across uses; valid while indexed
	indexed   bool
	irec      *record // lock-free inevitable: the placeholder record holding the commit order
}

// readRW reads a box's newest body for a read-write or inevitable transaction, recording it in
// the read set; it aborts the attempt when the body is newer than the snapshot.
func (t *txn) readRW(h *atomic.Pointer[body]) *body {
	b := h.Load()
	if t.mode == modeInevitable {
		// Nobody else commits while an inevitable transaction holds the commit order; only an
		// install at a past version can have moved the head, and that is older than us.
		if b != nil && b.version > t.snapshot {
			b = olderBody(b, t.snapshot)
		}
		return b
	}
	if b != nil && b.version > t.snapshot {
		panic(causeReadConflict)
	}
	t.reads = append(t.reads, h)
	return b
}

// pending returns the transaction's buffered body for a box, or nil.
func (t *txn) pending(h *atomic.Pointer[body]) *body {
	if t.indexed {
		if i, ok := t.windex[h]; ok {
			return t.writes[i].b
		}
		return nil
	}
	for i := len(t.writes) - 1; i >= 0; i-- {
		if t.writes[i].box == h {
			return t.writes[i].b
		}
	}
	return nil
}

func (t *txn) addWrite(h *atomic.Pointer[body], b *body) {
	t.wfilter |= filterBit(h)
	t.writes = append(t.writes, wsEntry{h, b})
	switch {
	case t.indexed:
		t.windex[h] = int32(len(t.writes) - 1)
	case len(t.writes) > indexThreshold:
		if t.windex == nil {
			t.windex = make(map[*atomic.Pointer[body]]int32, 2*len(t.writes))
		}
		for i, w := range t.writes {
			t.windex[w.box] = int32(i)
		}
		t.indexed = true
	}
}

// validate reports whether no box the transaction read has been committed after its snapshot.
func (t *txn) validate() bool {
	for _, h := range t.reads {
		if b := h.Load(); b != nil && b.version > t.snapshot {
			return false
		}
	}
	return true
}

// maxRetained bounds the read- and write-set capacity a pooled transaction keeps, so one huge
// transaction does not pin its buffers forever.
const maxRetained = 1 << 16

// smallSet is the size up to which reset leaves stale pointers in the read-set array instead
// of clearing it: they point at boxes, not versions, and are overwritten by the next use.
const smallSet = 64

// reset forgets the attempt's read and write sets.
func (t *txn) reset() {
	switch {
	case cap(t.reads) > maxRetained:
		t.reads = nil
	case len(t.reads) > smallSet:
		clear(t.reads)
		fallthrough
	default:
		t.reads = t.reads[:0]
	}
	// The write set is always cleared: a stale body kept here would keep the older bodies
	// below it alive long after the collector unlinked them.
	if cap(t.writes) > maxRetained {
		t.writes = nil
	} else {
		clear(t.writes)
		t.writes = t.writes[:0]
	}
	t.wfilter = 0
	if t.indexed {
		if len(t.windex) > maxRetained {
			t.windex = nil
		} else {
			clear(t.windex)
		}
		t.indexed = false
	}
	t.irec = nil
}
