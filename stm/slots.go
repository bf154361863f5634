package stm

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/cpu"
)

// counter names one per-slot outcome counter.
type counter int

const (
	cReadOnly counter = iota
	cReadWrite
	cInevitable
	cAbortRead
	cAbortValidation
	cAbortUser
	cAbortPanic
	cAbortReadOnlyWrite
	cRetry
	cFallback
	numCounters
)

// slot is where one transaction (or one pin) publishes the snapshot it needs, so the version
// collector can see it, and where that transaction counts its outcomes. Each slot sits on cache
// lines of its own: a running transaction writes only to its own slot.
type slot struct {
	_       cpu.CacheLinePad
	active  atomic.Int64 // snapshot+1 while held by a running transaction or a pin; 0 otherwise
	pin     atomic.Bool  // held by a pin, not a transaction (pins do not block stopping the world)
	gcClaim atomic.Bool  // set while the collector settles the ring of the idle slot (gc.go)
	// guard is v+1 while the slot's transaction commits lock-free (or runs inevitably
	// lock-free) and so may hold commit records at version v or later; 0 otherwise. It bounds
	// the record floor, which, unlike the snapshot floor, a transaction still running its
	// function (or descheduled there) does not hold back: it holds no records.
	guard atomic.Int64
	// optimistic is set while the slot's transaction runs read-write (not inevitably): such a
	// transaction reads only the newest body of a box, aborting on one newer than its snapshot,
	// so its snapshot does not hold the floor back (a transaction descheduled in its function
	// would otherwise keep every old version alive). It still counts for SnapshotHeld and for
	// stopping the world. Set (or cleared) by begin before it publishes active.
	optimistic atomic.Bool
	counters   [numCounters]atomic.Uint64
	ring       *bodyRing  // bodies this slot's transactions installed over a head (gc.go)
	records    recordRing // lock-free: records this slot's transactions committed (commit.go)
	_          cpu.CacheLinePad
}

// slotTable hands out slots and lets the collector and the world-stopper scan them.
type slotTable struct {
	mu   sync.Mutex
	all  atomic.Pointer[[]*slot] // copy-on-write: scanners read it without the lock
	free []*slot
	// handover keeps a snapshot that moves from one slot to another (a transaction pinning its
	// snapshot, a transaction starting at a pin) from slipping between two slots that a scan
	// reads one after the other: scans that protect snapshots take it shared, a move
	// exclusively, so a scan sees the snapshot in the old slot or in the new one.
	handover sync.RWMutex
	// scanned, when set (by tests only), is called after a protecting scan read slot i: it
	// lets a test stop a scan half-way, where a hand-over could slip past it.
	scanned func(i int)
}

func (st *slotTable) get() *slot {
	st.mu.Lock()
	defer st.mu.Unlock()
	if n := len(st.free); n > 0 {
		s := st.free[n-1]
		st.free = st.free[:n-1]
		return s
	}
	s := new(slot)
	var all []*slot
	if p := st.all.Load(); p != nil {
		all = slices.Clone(*p)
	}
	all = append(all, s)
	st.all.Store(&all)
	return s
}

// put returns a slot that no transaction or pin holds any more. Its counters stay: whoever
// takes it next keeps adding to them, and sums over all slots stay correct.
func (st *slotTable) put(s *slot) {
	s.active.Store(0)
	s.guard.Store(0)
	s.optimistic.Store(false)
	s.pin.Store(false)
	st.mu.Lock()
	st.free = append(st.free, s)
	st.mu.Unlock()
}

func (st *slotTable) slots() []*slot {
	if p := st.all.Load(); p != nil {
		return *p
	}
	return nil
}

// snapshots appends the distinct snapshots currently held that protect old versions (not
// those of optimistic read-write transactions), sorted ascending, to buf. It also returns the
// oldest version a committing slot guards (see slot.guard), or math.MaxInt64. The caller holds
// the hand-over lock shared.
func (st *slotTable) snapshots(buf []int64) ([]int64, int64) {
	buf = buf[:0]
	guarded := int64(math.MaxInt64)
	for i, s := range st.slots() {
		if a := s.active.Load(); a != 0 && !s.optimistic.Load() {
			buf = append(buf, a-1)
		}
		if g := s.guard.Load(); g != 0 {
			guarded = min(guarded, g-1)
		}
		if st.scanned != nil {
			st.scanned(i)
		}
	}
	slices.Sort(buf)
	return slices.Compact(buf), guarded
}

// activeTransactions counts slots held by running transactions, not counting `except`.
func (st *slotTable) activeTransactions(except *slot) int {
	n := 0
	for _, s := range st.slots() {
		if s != except && s.active.Load() != 0 && !s.pin.Load() {
			n++
		}
	}
	return n
}

func (st *slotTable) sum() (c [numCounters]uint64) {
	for _, s := range st.slots() {
		for i := range c {
			c[i] += s.counters[i].Load()
		}
	}
	return c
}

// SnapshotHeld reports whether a running transaction or a pin holds a snapshot s with
// lo <= s <= hi. A read-only transaction or pin that begins after the clock has passed hi
// publishes a newer snapshot (it reads the clock again after publishing), so once the clock is
// past hi and this reports false, nothing will read an older body at a snapshot in the range
// again. (A read-write transaction may still start at such a snapshot, but it only ever reads
// the newest body of a box, aborting on a newer one.)
func (s *STM) SnapshotHeld(lo, hi int64) bool {
	s.slots.handover.RLock()
	defer s.slots.handover.RUnlock()
	for i, sl := range s.slots.slots() {
		if a := sl.active.Load(); a != 0 && a-1 >= lo && a-1 <= hi {
			return true
		}
		if s.slots.scanned != nil {
			s.slots.scanned(i)
		}
	}
	return false
}

// Pin keeps one snapshot readable, against version garbage collection, until released.
type Pin struct {
	s        *STM
	version  int64
	slot     *slot
	released atomic.Bool
}

// Version returns the pinned snapshot's version.
func (p *Pin) Version() int64 { return p.version }

// Release lets the collector reclaim what only this snapshot needed. Releasing twice is a
// no-op.
func (p *Pin) Release() {
	if p.released.CompareAndSwap(false, true) {
		p.s.slots.put(p.slot)
	}
}

// newPin pins a version that the caller's running transaction protects in its own slot; the
// pin's slot is set under the handover lock, so that no scan misses the version in both.
//
// An optimistic read-write transaction does not protect its snapshot: the floor may have
// passed it, and old versions may be gone. The floor is raised only under the hand-over lock
// held shared (refreshFloor), so a floor still at or below the version once the pin is
// published stays so; otherwise the pin cannot be had and the transaction aborts and reruns
// at a newer snapshot.
func (s *STM) newPin(version int64, optimistic bool) *Pin {
	sl := s.slots.get()
	sl.pin.Store(true)
	s.slots.handover.Lock()
	sl.active.Store(version + 1)
	lost := optimistic && s.floor.Load() > version
	s.slots.handover.Unlock()
	if lost {
		s.slots.put(sl)
		panic(causeReadConflict)
	}
	return &Pin{s: s, version: version, slot: sl}
}

// adoptPin publishes p's snapshot in sl, for a transaction that runs at it. It reports false,
// publishing nothing, if p was released: a release that a scan may already have seen would
// leave the snapshot unprotected.
func (s *STM) adoptPin(sl *slot, p *Pin) bool {
	s.slots.handover.Lock()
	defer s.slots.handover.Unlock()
	if p.released.Load() {
		return false
	}
	sl.active.Store(p.version + 1)
	return true
}

// PinLatest pins the newest committed snapshot.
func (s *STM) PinLatest() *Pin {
	sl := s.slots.get()
	sl.pin.Store(true)
	v := s.publish(sl)
	return &Pin{s: s, version: v, slot: sl}
}

// publish makes the newest committed snapshot visible in sl and returns it. The clock is read
// again after publishing: if it moved, a collector pass that started in between may not have
// seen the slot, so the snapshot is taken again (the collector treats every snapshot at or
// after the clock it read first as live).
//
// Under a storm of commits the clock may move between the two reads again and again; after a
// few tries the snapshot is published under the hand-over lock, which no scan runs beside: a
// scan before it finished while the clock was at most v, and a scan after it sees the slot.
func (s *STM) publish(sl *slot) int64 { return s.publishIn(&sl.active) }

// publishGuard publishes, in the same way, the version from which sl's committer may hold
// commit records (see slot.guard); clear it with sl.guard.Store(0).
func (s *STM) publishGuard(sl *slot) { s.publishIn(&sl.guard) }

func (s *STM) publishIn(p *atomic.Int64) int64 {
	for range 4 {
		v := s.clock.Load()
		p.Store(v + 1)
		s.at(hookPublishRetry)
		if s.clock.Load() == v {
			return v
		}
	}
	s.slots.handover.Lock()
	v := s.clock.Load()
	s.at(hookPublishFallback)
	p.Store(v + 1)
	s.slots.handover.Unlock()
	return v
}
