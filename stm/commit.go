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
//
// A retired record still holds the bodies it installed, and a body that the collector has
// since unlinked still points at the older bodies below it; so records wait in a short ring,
// are scrubbed (their bodies dropped) as soon as they fall below the floor, and the oldest is
// left to the Go collector when the ring is full (a long reader holds the floor back). That
// bounds what a transaction keeps alive beyond what snapshots need to retiredKeep records.
const retiredKeep = 32

// recordRing holds the records a transaction committed, oldest first, until they can be reused.
type recordRing struct {
	buf        [retiredKeep]*record
	head, size int
	free       []*record // scrubbed records, reusable at once
}

// reclaim scrubs and frees every retired record below the floor.
func (r *recordRing) reclaim(floor int64) {
	for r.size > 0 && r.buf[r.head].version < floor {
		rec := r.buf[r.head]
		r.buf[r.head] = nil
		r.head = (r.head + 1) % retiredKeep
		r.size--
		r.free = append(r.free, rec.scrub())
	}
}

// scrub forgets a record's contents so that it keeps nothing alive.
func (rec *record) scrub() *record {
	clear(rec.inline[:])
	*rec = record{}
	return rec
}

// newRecord copies a write set into a record, reusing one of t's retired records when it can.
func (t *txn) newRecord(ws []wsEntry) *record {
	r := &t.retired
	r.reclaim(t.s.floor.Load())
	var rec *record
	if n := len(r.free); n > 0 {
		rec = r.free[n-1]
		r.free[n-1] = nil
		r.free = r.free[:n-1]
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

// unpublished gives back a record that was never appended to the queue: reusable at once.
func (t *txn) unpublished(rec *record) {
	t.retired.free = append(t.retired.free, rec.scrub())
}

// retire queues a record t committed for reuse. When the ring is full (the floor is held back
// by a long reader) the oldest record is left to the Go collector instead.
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

// install writes back a write set at version v by its only committer (the commit lock or the
// commit order is held), appending the heads it replaced to old. The head is replaced with a
// compare-and-swap: an install at a past version ([Var.InstallAt]) may put a body on top
// between the load and the store, and the new body must then go above that one.
func (s *STM) install(ws []wsEntry, v int64, old []*body) []*body {
	for _, w := range ws {
		w.b.version = v
		for {
			h := w.box.Load()
			setNextUnpublished(w.b, h)
			if w.box.CompareAndSwap(h, w.b) {
				old = append(old, h)
				break
			}
		}
	}
	return old
}

// afterInstall trims below the heads a commit replaced and hands the new bodies to the
// collector, which unlinks each replaced head once no snapshot between it and the new body is
// left (rule 5: old versions are kept exactly as long as needed, not until the box is written
// again).
func (s *STM) afterInstall(sl *slot, ws []wsEntry, old []*body) {
	floor := s.floor.Load()
	for i, h := range old {
		old[i] = nil
		if h != nil {
			cutBelow(h, floor)
			old[i] = ws[i].b
		}
	}
	sl.adopt(old)
	clear(old)
}

// cutBelow drops the bodies below h, the head just replaced, when no snapshot can need them:
// every snapshot in use now or later is at least floor, so it reads h or something newer.
func cutBelow(h *body, floor int64) {
	if h.version <= floor && h.next.Load() != nil {
		h.next.Store(nil)
	}
}

// adopt hands the collector the bodies, among bs, whose lists need trimming later; nil
// entries are skipped. One lock for a whole commit.
func (sl *slot) adopt(bs []*body) {
	sl.gcMu.Lock()
	for _, b := range bs {
		if b != nil {
			sl.gcIn = append(sl.gcIn, b)
		}
	}
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
			t.unpublished(rec)
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
		var buf [8]*body
		adopted := buf[:0]
		for i := range ents {
			w := ents[(start+i)%len(ents)]
			if installIdempotent(w.box, w.b, rec.version, floor) {
				adopted = append(adopted, w.b)
			}
		}
		if len(adopted) > 0 {
			sl.adopt(adopted)
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
// happened, and reports whether this call installed it over a head, which stays linked below
// (then the caller hands b to the collector, see afterInstall).
//
// Heads only ever get newer, so a head at v or later means b was installed, by this helper or
// another. Below v, b is in no list yet and its next pointer is the helpers' alone: it is
// linked to the head seen, and relinked if the head moved (an install at a past version,
// [Var.InstallAt], may put a body on top at any time) before the head is swapped. A helper
// that loses a race only retries; no helper reports the work done before the head is at v.
func installIdempotent(box *atomic.Pointer[body], b *body, v, floor int64) bool {
	for {
		h := box.Load()
		if h != nil && h.version >= v {
			return false
		}
		if n := b.next.Load(); n != h {
			if box.Load() != h {
				continue // the head moved: b may have been installed meanwhile
			}
			// The head was still h after next was read, so b was not in a list when it was
			// read; a failed swap means another helper relinked it first.
			if !b.next.CompareAndSwap(n, h) {
				continue
			}
		}
		if box.CompareAndSwap(h, b) {
			if h == nil {
				return false
			}
			cutBelow(h, floor)
			return true
		}
	}
}
