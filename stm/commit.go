package stm

import (
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
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

// Algorithms returns the algorithms in a fixed order, for benchmarks and flag help (a new
// slice: the caller may change it).
func Algorithms() []Algorithm { return []Algorithm{LockBased, LockFree} }

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

// AlgorithmNames returns the algorithms' names, as ParseAlgorithm accepts them, joined for a
// message.
func AlgorithmNames() string {
	var names []string
	for _, a := range Algorithms() {
		names = append(names, a.String())
	}
	return strings.Join(names, ", ")
}

// UnknownAlgorithmError reports a commit algorithm name that [ParseAlgorithm] does not know.
type UnknownAlgorithmError struct{ Name string }

func (e *UnknownAlgorithmError) Error() string {
	return "stm: unknown commit algorithm " + strconv.Quote(e.Name) + " (accepted: " + AlgorithmNames() + ")"
}

// record is one commit of the lock-free algorithm: a version and the bodies to install. Records
// form a queue; the newest committed one is STM.last, and at most one record after it is still
// being written back.
type record struct {
	version   int64
	entries   []wsEntry
	next      atomic.Pointer[record]
	ready     atomic.Bool // false while an inevitable transaction still owns the record
	committed atomic.Bool // every entry installed
	// done has bit k set once every entry of block k is installed (see helpRecord), so that
	// helpers of a large write set skip what others have written back.
	done   atomic.Uint64
	inline [4]wsEntry // small write sets live here: one allocation per commit
}

// Helpers write a record back in blocks (JVSTM's WriteSet): at most maxBlocks blocks of at
// least minBlock entries each.
const (
	minBlock  = 16
	maxBlocks = 64
)

// blocks returns how many blocks rec's entries form and how many entries each holds.
func (rec *record) blocks() (n, size int) {
	e := len(rec.entries)
	if e <= minBlock {
		return 1, e
	}
	n = min((e+minBlock-1)/minBlock, maxBlocks)
	size = (e + n - 1) / n
	return (e + size - 1) / size, size
}

// Records are recycled through the slot of the transaction that committed them. A record whose
// version is below the record floor (STM.recFloor) is out of everyone's reach: committers and
// helpers only ever hold records at or after the version their slot guards while they commit
// (slot.guard), which the record floor does not pass. Transactions that are still running
// their functions hold no records, so a descheduled one holds back the snapshot floor (the
// bodies it may read) but not the reuse of records.
//
// A retired record still holds the bodies it installed, and a body that the collector has
// since unlinked still points at the older bodies below it; so records wait in a short ring in
// their slot, are scrubbed (their bodies dropped) as soon as they fall below the floor, and the
// oldest is left to the Go collector when the ring is full (a long reader holds the floor
// back). Scrubbing is done by the slot's next commit or, when the slot is idle, by the
// collector (gc.go): a program that stops committing still gets the bodies back. That bounds
// what a slot keeps alive beyond what snapshots need to retiredKeep records, and to none once
// the floor has passed them.
const retiredKeep = 32

// recordRing holds the records a slot's transactions committed, oldest first, until they can
// be reused. Like the slot's bodyRing it is owned by the slot's running transaction, or by the
// collector while it holds the idle slot's claim.
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

// settle is the collector's reclaim for an idle slot: it forgets every record the slot kept. A
// record links to the next one committed, so a record that an idle slot kept would keep every
// later record, and their bodies, alive for as long as a long reader holds the floor back;
// forgotten, it lives only while a helper still holds it. Those below the floor are scrubbed
// first, in case a helper still does. Free records are dropped too: slots come and go with
// the transactions' pool, and idle ones should not each keep a ring's worth of records.
func (r *recordRing) settle(floor int64) {
	r.reclaim(floor)
	clear(r.buf[:])
	r.head, r.size = 0, 0
	clear(r.free)
	r.free = r.free[:0]
}

// scrub forgets a record's contents so that it keeps nothing alive.
func (rec *record) scrub() *record {
	clear(rec.inline[:])
	*rec = record{}
	return rec
}

// newRecord copies a write set into a record, reusing one of the slot's retired records when
// it can.
func (t *txn) newRecord(ws []wsEntry) *record {
	r := &t.slot.records
	r.reclaim(t.s.recFloor.Load())
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
	r := &t.slot.records
	r.free = append(r.free, rec.scrub())
}

// retire queues a record t committed for reuse. When the ring is full (the floor is held back
// by a long reader) the oldest record is left to the Go collector instead.
func (t *txn) retire(rec *record) {
	r := &t.slot.records
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
	s.install(t.writes, v)
	s.clock.Store(v)
	s.commitMu.Unlock()
	s.afterInstall(t.slot, t.writes)
	s.maybeRefreshFloor(v)
	return v, true
}

// install writes back a write set at version v by its only committer (the commit lock or the
// commit order is held). The head is replaced with a
// compare-and-swap: an install at a past version ([Var.InstallAt]) may put a body on top
// between the load and the store, and the new body must then go above that one.
func (s *STM) install(ws []wsEntry, v int64) {
	for _, w := range ws {
		w.b.version = v
		for {
			h := w.box.Load()
			setNextUnpublished(w.b, h)
			if w.box.CompareAndSwap(h, w.b) {
				break
			}
		}
	}
}

// afterInstall, by the only committer of ws, once the commit is published, cuts below the heads
// it replaced where the floor allows and keeps the new bodies in its slot's ring (gc.go).
func (s *STM) afterInstall(sl *slot, ws []wsEntry) {
	floor := s.floor.Load()
	sl.drain(floor)
	for _, w := range ws {
		// w.b.next is the head w.b replaced, or an older body of the box if the collector has
		// unlinked that one since: below either, the floor decides alike.
		if h := w.b.next.Load(); h != nil {
			cutBelow(h, floor)
			s.gc.keep(sl, w.b)
		}
	}
}

// commitLockFree appends t's record to the commit queue and returns its version. It reports
// false when validation fails.
func (s *STM) commitLockFree(t *txn) (int64, bool) {
	// Guard the current version: records at or after it cannot be recycled while we hold them.
	s.publishGuard(t.slot)
	rec := t.newRecord(t.writes)
	rec.ready.Store(true)
	for {
		last := s.helpCommitted(t.slot)
		if last.version != t.snapshot && !t.validate() {
			t.slot.guard.Store(0)
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
			t.slot.guard.Store(0)
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
// sl is the helping transaction's slot, whose ring takes the bodies this helper installed.
func (s *STM) helpRecord(sl *slot, rec *record) {
	if !rec.committed.Load() {
		for !rec.ready.Load() {
			// An inevitable transaction holds this record until it finishes.
			runtime.Gosched()
		}
		ents := rec.entries
		floor := s.floor.Load()
		sl.drain(floor)
		// Helpers start at different blocks so that they spread over a large write set, and
		// skip the blocks already written back. A block is marked done only once all its
		// entries are installed, so a helper that skips it loses nothing.
		nb, size := rec.blocks()
		start := 0
		if nb > 1 {
			start = rand.IntN(nb)
		}
		for i := range nb {
			k := (start + i) % nb
			bit := uint64(1) << k
			if rec.done.Load()&bit != 0 {
				continue
			}
			for _, w := range ents[k*size : min((k+1)*size, len(ents))] {
				if s.installIdempotent(w.box, w.b, rec.version, floor) {
					s.gc.keep(sl, w.b)
				}
			}
			if nb > 1 {
				rec.done.Or(bit)
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
		s.at(hookClockLoaded)
		if c >= rec.version || s.clock.CompareAndSwap(c, rec.version) {
			break
		}
	}
}

// installIdempotent makes b (written at version v) the head of box unless that already
// happened, and reports whether this call installed it over a head, which stays linked below
// (then the caller keeps b in its slot's ring, see afterInstall).
//
// Heads only ever get newer, so a head at v or later means b was installed, by this helper or
// another. Below v, b is in no list yet and its next pointer is the helpers' alone: it is
// linked to the head seen, and relinked if the head moved (an install at a past version,
// [Var.InstallAt], may put a body on top at any time) before the head is swapped. A helper
// that loses a race only retries; no helper reports the work done before the head is at v.
func (s *STM) installIdempotent(box *atomic.Pointer[body], b *body, v, floor int64) bool {
	for {
		h := box.Load()
		if h != nil && h.version >= v {
			return false
		}
		s.at(hookHeadLoaded)
		if n := b.next.Load(); n != h {
			if box.Load() != h {
				continue // the head moved: b may have been installed meanwhile
			}
			// The head was still h after next was read, so b was not in a list when it was
			// read; a failed swap means another helper relinked it first.
			s.at(hookRelink)
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
