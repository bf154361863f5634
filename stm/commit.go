package stm

import (
	"math/rand/v2"
	"runtime"
	"sync/atomic"
)

// Algorithm selects how read-write transactions commit.
type Algorithm uint8

const (
	// LockFree is JVSTM 2's commit: a queue of commit records appended with one CAS; every
	// committer helps the records before its own to write back, so no committer waits for
	// another that was descheduled.
	LockFree Algorithm = iota
	// LockBased is JVSTM 1's commit: validation and write-back under one global lock.
	LockBased
)

// Algorithms lists the algorithms in a fixed order, for benchmarks and flag help.
var Algorithms = []Algorithm{LockBased, LockFree}

func (a Algorithm) String() string {
	switch a {
	case LockFree:
		return "lockfree"
	case LockBased:
		return "lock"
	}
	return "unknown"
}

// ParseAlgorithm accepts "lock" and "lockfree".
func ParseAlgorithm(name string) (Algorithm, error) {
	switch name {
	case "lock":
		return LockBased, nil
	case "lockfree":
		return LockFree, nil
	}
	return 0, &UnknownAlgorithmError{Name: name}
}

// UnknownAlgorithmError reports a commit algorithm name that [ParseAlgorithm] does not know.
type UnknownAlgorithmError struct{ Name string }

func (e *UnknownAlgorithmError) Error() string {
	return "stm: unknown commit algorithm " + quote(e.Name) + " (accepted: lock, lockfree)"
}

func quote(s string) string { return "\"" + s + "\"" }

// record is one commit of the lock-free algorithm: a version and the bodies to install. Records
// form a queue; the newest committed one is STM.last, and at most one record after it is still
// being written back.
type record struct {
	version   int64
	entries   []wsEntry
	next      atomic.Pointer[record]
	ready     atomic.Bool // false while an inevitable transaction still owns the record
	committed atomic.Bool // every entry installed
	inline    [4]wsEntry  // small write sets live here: one allocation per commit
}

// Records are recycled by the transaction that committed them. A record whose version is below
// the floor is out of everyone's reach: committers and helpers only ever hold records at or
// after their own snapshot, which the floor does not pass.
const (
	retiredKeep = 256 // records a transaction waits to recycle; older ones are left to the Go GC
)

// recordRing holds the records a transaction committed, oldest first, until they can be reused.
type recordRing struct {
	buf        [retiredKeep]*record
	head, size int
	spare      *record // a record that was never published: reusable at once
}

// newRecord copies a write set into a record, reusing one of t's retired records when it can.
func (t *txn) newRecord(ws []wsEntry) *record {
	r := &t.retired
	rec := r.spare
	r.spare = nil
	if rec == nil && r.size > 0 && r.buf[r.head].version < t.s.floor.Load() {
		rec = r.buf[r.head]
		r.buf[r.head] = nil
		r.head = (r.head + 1) % retiredKeep
		r.size--
	}
	if rec != nil {
		clear(rec.inline[:])
		*rec = record{}
	} else {
		rec = new(record)
	}
	if len(ws) <= len(rec.inline) {
		rec.entries = rec.inline[:len(ws)]
	} else {
		rec.entries = make([]wsEntry, len(ws))
	}
	copy(rec.entries, ws)
	return rec
}

// retire queues a record t committed for reuse. When the queue is full (the floor is held
// back by a long reader) the oldest record is left to the Go collector instead.
func (t *txn) retire(rec *record) {
	r := &t.retired
	if r.size == retiredKeep {
		r.buf[r.head] = nil
		r.head = (r.head + 1) % retiredKeep
		r.size--
	}
	r.buf[(r.head+r.size)%retiredKeep] = rec
	r.size++
}

// commitLocked commits t's writes under the global commit lock and returns the new version.
// It reports false when validation fails.
//
// The lock is held only for what must be atomic: validation, installing the heads and
// publishing the clock. Validating once before taking it brings the boxes' cache lines over
// (and fails early); trimming below the replaced heads happens after it is released.
func (s *STM) commitLocked(t *txn) (int64, bool) {
	if !t.validate() {
		return 0, false
	}
	s.commitMu.Lock()
	cur := s.clock.Load()
	if cur != t.snapshot && !t.validate() {
		s.commitMu.Unlock()
		return 0, false
	}
	v := cur + 1
	t.replaced = s.install(t.writes, v, t.replaced[:0])
	s.clock.Store(v)
	s.commitMu.Unlock()
	s.afterInstall(t.slot, t.writes, t.replaced)
	s.maybeRefreshFloor(v)
	return v, true
}

// install writes back a write set at version v by its only writer (the commit lock or the
// commit order is held), appending the heads it replaced to old.
func (s *STM) install(ws []wsEntry, v int64, old []*body) []*body {
	for _, w := range ws {
		h := w.box.Load()
		w.b.version = v
		setNextUnpublished(w.b, h)
		w.box.Store(w.b)
		old = append(old, h)
	}
	return old
}

// afterInstall trims below the heads a commit replaced, or hands the new bodies to the
// collector when it cannot yet.
func (s *STM) afterInstall(sl *slot, ws []wsEntry, old []*body) {
	floor := s.floor.Load()
	for i, h := range old {
		if !cutBelow(h, floor) {
			sl.adopt(ws[i].b)
		}
	}
	clear(old)
}

// cutBelow drops the bodies below h, the head just replaced, when no snapshot can need them:
// every snapshot in use now or later is at least floor, so it reads h or something newer. It
// reports false when h is newer than the floor: then some snapshot may still read h or what is
// below it, and the collector must look at the list again once those snapshots are gone.
func cutBelow(h *body, floor int64) bool {
	if h == nil {
		return true
	}
	if h.version <= floor {
		if h.next.Load() != nil {
			h.next.Store(nil)
		}
		return true
	}
	return false
}

// adopt hands the collector a body whose list may need trimming.
func (sl *slot) adopt(b *body) {
	sl.gcMu.Lock()
	sl.gcIn = append(sl.gcIn, b)
	sl.gcMu.Unlock()
}

// floorRefreshPeriod is how many commits pass between two refreshes of the floor by
// committers (the collector refreshes it on every pass too).
const floorRefreshPeriod = 16

func (s *STM) maybeRefreshFloor(v int64) {
	if v%floorRefreshPeriod == 0 {
		s.refreshFloor(nil)
	}
}

// refreshFloor computes a lower bound of every snapshot in use now or later and raises the
// floor to it. Any such bound stays valid forever: a snapshot taken after the slots were read
// is at least the clock read before them. It returns the sorted snapshots it saw, in buf.
func (s *STM) refreshFloor(buf []int64) ([]int64, int64, int64) {
	c0 := s.clock.Load()
	buf = s.slots.snapshots(buf)
	f := c0
	if len(buf) > 0 && buf[0] < f {
		f = buf[0]
	}
	for {
		old := s.floor.Load()
		if old >= f || s.floor.CompareAndSwap(old, f) {
			break
		}
	}
	return buf, c0, f
}

// commitLockFree appends t's record to the commit queue and returns its version. It reports
// false when validation fails.
func (s *STM) commitLockFree(t *txn) (int64, bool) {
	// Publish a current snapshot: records at or after it cannot be recycled while we hold them.
	s.publish(t.slot)
	rec := t.newRecord(t.writes)
	rec.ready.Store(true)
	for {
		last := s.helpCommitted(t.slot)
		if last.version != t.snapshot && !t.validate() {
			t.retired.spare = rec // never published: reusable at once
			return 0, false
		}
		v := last.version + 1
		rec.version = v
		for _, w := range rec.entries {
			w.b.version = v
		}
		if last.next.CompareAndSwap(nil, rec) {
			s.helpRecord(t.slot, rec)
			t.retire(rec)
			s.maybeRefreshFloor(v)
			return v, true
		}
	}
}

// helpCommitted writes back every record queued after the newest committed one and returns
// the newest committed record.
func (s *STM) helpCommitted(sl *slot) *record {
	last := s.last.Load()
	for {
		next := last.next.Load()
		if next == nil {
			return last
		}
		s.helpRecord(sl, next)
		last = next
	}
}

// helpRecord finishes the write-back of rec, whose predecessors are all committed, and
// publishes it. Any number of helpers may run it at once: every step is idempotent.
//
// sl is the helping transaction's slot, which takes any body that needs the collector.
func (s *STM) helpRecord(sl *slot, rec *record) {
	if !rec.committed.Load() {
		for !rec.ready.Load() {
			// An inevitable transaction holds this record until it finishes.
			runtime.Gosched()
		}
		ents := rec.entries
		// Helpers start at different places so that they spread over a large write set.
		start := 0
		if n := len(ents); n > 8 {
			start = rand.IntN(n)
		}
		floor := s.floor.Load()
		for i := range ents {
			w := ents[(start+i)%len(ents)]
			if !installIdempotent(w.box, w.b, rec.version, floor) {
				sl.adopt(w.b)
			}
		}
		rec.committed.Store(true)
	}
	for {
		l := s.last.Load()
		if l.version >= rec.version || s.last.CompareAndSwap(l, rec) {
			break
		}
	}
	for {
		c := s.clock.Load()
		if c >= rec.version || s.clock.CompareAndSwap(c, rec.version) {
			break
		}
	}
}

// installIdempotent makes b (written at version v) the head of box unless that already
// happened. The body is linked below the current head with a CAS from `unlinked`, so that only
// the first link counts; a helper that finds it linked elsewhere knows it was installed and the
// collector has since trimmed its list.
//
// It reports false when this call installed b and the list below it may need the collector
// (see cutBelow); a helper that finds the work done reports true: the installer reported.
func installIdempotent(box *atomic.Pointer[body], b *body, v, floor int64) bool {
	h := box.Load()
	if h != nil && h.version >= v {
		return true
	}
	if !b.next.CompareAndSwap(unlinked, h) && b.next.Load() != h {
		return true
	}
	if box.CompareAndSwap(h, b) {
		return cutBelow(h, floor)
	}
	return true
}
