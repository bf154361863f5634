package stm

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"dustm/internal/chunked"
)

// Version garbage collection, all of it. Every body that a commit or an install at a past
// version puts over a head keeps that head linked below it, because a snapshot older than the
// new body may still read it; the older bodies must go once no snapshot needs them (rule 5:
// exactly as long as needed, not until the box is written again). Two parties share the work:
//
//   - The committer. It cuts below the head it replaces when the floor (a lower bound of every
//     snapshot in use now or later) has passed that head, and it keeps the bodies it installed
//     in a ring in its own slot ([bodyRing]). At every commit it drains the ring's oldest
//     bodies that the floor has passed, cutting below each. No lock and no shared line: in the
//     common case a body dies a few commits after it was overwritten, by its own committer.
//   - The collector (a background goroutine, and [STM.CollectGarbage]). It takes over what a
//     committer cannot settle: the rings of idle slots (a box that is never written again still
//     loses its old versions) and their retired commit records (scrubbed below the floor, so a
//     program that stops committing gets the values back), a ring's overflow while a long
//     reader or a pin holds the floor back, and bodies installed at past versions. It trims those precisely, against the set of
//     snapshots actually held, so that a pin keeps only the bodies it reads.
//
// Only the collector unlinks a body from the middle of a list; committers only cut a list below
// a body that every snapshot reads or passes. A reader already standing on an unlinked body
// still follows its intact next pointer, which is what it needs, since it only stood there on
// its way to an older body.

// ringSize is how many installed bodies a slot keeps for its committer to settle. Committers
// refresh the floor every floorRefreshPeriod commits, so a ring holds a few dozen bodies while
// the floor moves; when a long snapshot holds it back the ring overflows to the collector.
const ringSize = 128

// bodyRing holds, oldest first, the bodies a slot's transactions installed over a head that a
// snapshot may still need. It is plain memory with two owners in turn: the slot's transaction
// while it runs (slot.active != 0), and the collector while it holds slot.gcClaim over an idle
// slot. The hand-off is Dekker's: the collector sets gcClaim and then reads active, a
// transaction sets active and then reads gcClaim (waiting while it is set), so at least one of
// them sees the other (sync/atomic is sequentially consistent).
type bodyRing struct {
	buf     [ringSize]*body
	head, n int
}

func (r *bodyRing) push(b *body) {
	r.buf[(r.head+r.n)%ringSize] = b
	r.n++
}

// drain cuts below, and forgets, the oldest bodies the floor has passed. A slot's bodies come
// in commit order, so it stops at the first one the floor has not reached.
func (r *bodyRing) drain(floor int64) {
	for r.n > 0 {
		b := r.buf[r.head]
		if b.version > floor {
			return
		}
		cutBelow(b, floor)
		r.buf[r.head] = nil
		r.head = (r.head + 1) % ringSize
		r.n--
	}
}

// takeAll appends every body in the ring to dst.
func (r *bodyRing) takeAll(dst *chunked.List[*body]) {
	for i := range r.n {
		dst.Append(r.buf[(r.head+i)%ringSize])
	}
}

// cutBelow drops the bodies below h when no snapshot can need them: every snapshot in use now
// or later is at least floor, so with h.version <= floor it reads h or something newer.
func cutBelow(h *body, floor int64) {
	if h.version <= floor && h.next.Load() != nil {
		h.next.Store(nil)
	}
}

// waitUnclaimed is called by a transaction right after it published a snapshot in sl, which
// made the slot active: if the collector is settling the slot's ring, it waits for it to end.
func (s *STM) waitUnclaimed(sl *slot) {
	for sl.gcClaim.Load() {
		s.at(hookClaimWait)
		runtime.Gosched()
	}
}

// claimIdle gives the collector sl's ring if no transaction runs in sl (a pin's slot never has
// one); release it with sl.gcClaim.Store(false).
func (s *STM) claimIdle(sl *slot) bool {
	sl.gcClaim.Store(true)
	s.at(hookClaimStep)
	if sl.active.Load() != 0 && !sl.pin.Load() {
		sl.gcClaim.Store(false)
		return false
	}
	return true
}

// drain cuts below the bodies in sl's ring that the floor has passed; the committer calls it
// once per commit, before keep.
func (sl *slot) drain(floor int64) {
	if sl.ring != nil {
		sl.ring.drain(floor)
	}
}

// keep puts b, which a commit of sl's transaction has just installed over a head, in sl's
// ring, for the committer to cut below later. A ring that is still full hands its older half
// to the collector. The ring is allocated here: slots that never commit (pins, readers) and
// idle ones (the collector takes their rings) have none.
func (c *collector) keep(sl *slot, b *body) {
	r := sl.ring
	if r == nil {
		r = new(bodyRing)
		sl.ring = r
	}
	if r.n == ringSize {
		c.overflow(r)
	}
	r.push(b)
}

// overflow moves the older half of a full ring to the collector: a snapshot holds the floor
// back, so only a trim against the snapshots actually held can free these bodies' lists.
func (c *collector) overflow(r *bodyRing) {
	c.inMu.Lock()
	for range ringSize / 2 {
		c.in.Append(r.buf[r.head])
		r.buf[r.head] = nil
		r.head = (r.head + 1) % ringSize
		r.n--
	}
	c.inMu.Unlock()
}

// installedAt hands the collector a body installed at a past version ([Var.InstallAt]).
func (c *collector) installedAt(b *body) {
	c.inMu.Lock()
	c.in.Append(b)
	c.inMu.Unlock()
}

// floorRefreshPeriod is how many commits pass between two refreshes of the floor by
// committers (the collector refreshes it on every pass too).
const floorRefreshPeriod = 16

func (s *STM) maybeRefreshFloor(v int64) {
	if v%floorRefreshPeriod == 0 {
		var buf [8]int64 // a few snapshots fit without allocating
		s.refreshFloor(buf[:0])
	}
}

// refreshFloor computes a lower bound of every snapshot in use now or later and raises the
// floor to it. Any such bound stays valid forever: a snapshot taken after the slots were read
// is at least the clock read before them. It returns the sorted snapshots it saw, in buf.
func (s *STM) refreshFloor(buf []int64) ([]int64, int64, int64) {
	c0 := s.clock.Load()
	// The floor is raised under the hand-over lock too: a pin taken by an optimistic
	// transaction checks it there (newPin).
	s.slots.handover.RLock()
	defer s.slots.handover.RUnlock()
	buf, guarded := s.slots.snapshots(buf)
	f := c0
	if len(buf) > 0 && buf[0] < f {
		f = buf[0]
	}
	raise(&s.floor, f)
	raise(&s.recFloor, min(c0, guarded))
	return buf, c0, f
}

// raise moves x up to f unless it is there already.
func raise(x *atomic.Int64, f int64) {
	for {
		old := x.Load()
		if old >= f || x.CompareAndSwap(old, f) {
			return
		}
	}
}

// collector is the background half of version collection.
//
// It keeps a list of bodies that still have older bodies below them ("pending"), fed by ring
// overflows, idle rings and installs at past versions. A pass reads the clock c0, then the set
// S of snapshots held by running transactions and pins. A body is still needed when it is a
// box's head, or when it is the newest body not newer than some snapshot in S, or than some
// snapshot at or after c0 (a transaction that publishes its snapshot after the scan reads the
// clock again and so has a snapshot >= c0). A pass unlinks every other body below a pending
// one, and cuts the list below the newest body not newer than min(S ∪ {c0}).
type collector struct {
	s       *STM
	mu      sync.Mutex // one pass at a time
	inMu    sync.Mutex
	in      chunked.List[*body] // installed bodies whose lists may need trimming
	pending chunked.List[*body]
	snaps   []int64
	// parked are pending bodies whose list is down to one older body that only snapshots
	// older than the pending body itself need (b → p, with p the oldest and cut below): such
	// a list cannot change until the floor reaches b's version, so it waits here instead of
	// being walked on every pass (a lazy migration's pin keeps one for every box written since
	// the upgrade). parkedMin is the oldest parked body's version.
	parked    chunked.List[*body]
	parkedMin int64
	// parkedKept is the length of parked after its last compaction: a parked body that a
	// newer one's trim unlinks stays in the list (and alive) until the list has doubled,
	// which bounds what parking keeps to twice the boxes written while the floor was held.
	parkedKept int

	passes   atomic.Uint64
	unlinked atomic.Uint64
	cuts     atomic.Uint64
	npending atomic.Int64

	stopCh chan struct{}
	doneCh chan struct{}
}

// GCStats describes the version collector's work so far.
type GCStats struct {
	Passes   uint64 `json:"passes"`
	Unlinked uint64 `json:"bodies_unlinked"` // bodies unlinked from between two needed ones
	Cuts     uint64 `json:"cuts"`            // lists cut below their oldest needed body
	Pending  int64  `json:"pending"`         // bodies that still have older bodies below them
}

func (c *collector) init(s *STM) {
	c.s = s
}

func (c *collector) start(interval time.Duration) {
	c.stopCh = make(chan struct{})
	c.doneCh = make(chan struct{})
	go func() {
		defer close(c.doneCh)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			select {
			case <-c.stopCh:
				return
			case <-tick.C:
				c.pass()
			}
		}
	}()
}

func (c *collector) stop() {
	if c.stopCh != nil {
		close(c.stopCh)
		<-c.doneCh
	}
}

func (c *collector) stats() GCStats {
	return GCStats{Passes: c.passes.Load(), Unlinked: c.unlinked.Load(), Cuts: c.cuts.Load(),
		Pending: c.npending.Load()}
}

// CollectGarbage runs one pass of version collection now and returns the collector's totals.
func (s *STM) CollectGarbage() GCStats {
	s.gc.pass()
	return s.gc.stats()
}

func (c *collector) pass() {
	c.mu.Lock()
	defer c.mu.Unlock()

	var c0, floor int64
	c.snaps, c0, floor = c.s.refreshFloor(c.snaps)
	recFloor := c.s.recFloor.Load()

	// The lists hold millions of bodies while a pin holds the floor (one per object an upgrade
	// converts): chunked lists, so that no copy of them holds a processor for long.
	c.inMu.Lock()
	in := c.in
	c.in = chunked.List[*body]{}
	c.inMu.Unlock()
	c.pending.AppendList(&in)
	if c.parked.Len() > 0 && floor >= c.parkedMin {
		c.pending.AppendList(&c.parked)
		c.parked = chunked.List[*body]{}
		c.parkedKept = 0
	}
	// Idle slots' rings: their committers may not commit again to settle them, nor scrub the
	// records they retired (which still hold the bodies they installed, and through bodies
	// unlinked since, older ones). A running transaction's rings are left to it.
	for _, sl := range c.s.slots.slots() {
		if c.s.claimIdle(sl) {
			c.s.at(hookClaimed)
			if sl.ring != nil {
				sl.ring.takeAll(&c.pending)
				sl.ring = nil
			}
			sl.records.settle(recFloor)
			sl.gcClaim.Store(false)
		}
	}

	// Newest first: trimming below a newer body unlinks the older bodies of the same box that
	// are pending too, which are then skipped. Bodies newer than c0 wait for the next pass (every
	// body below them would count as needed now).
	// The bodies to keep are compacted towards the end (w never passes i), then moved down.
	w := c.pending.Len()
	for i := w - 1; i >= 0; i-- {
		if i%passYield == 0 {
			// Go's scheduler has no priorities: without this, a pass over the millions of bodies
			// an upgrade leaves holds a processor for a tenth of a second while requests wait.
			runtime.Gosched()
		}
		b := c.pending.At(i)
		if b.spliced {
			continue
		}
		trimmed := b.version <= c0
		if trimmed {
			c.trim(b, c0, floor)
		}
		n := b.next.Load()
		switch {
		case n == nil || b.spliced:
			// nothing below to collect
		case trimmed && n.next.Load() == nil:
			if c.parked.Len() == 0 || b.version < c.parkedMin {
				c.parkedMin = b.version
			}
			c.parked.Append(b)
		default:
			w--
			c.pending.Set(w, b)
		}
	}
	c.pending.DropFront(w)
	if c.parked.Len() > 2*c.parkedKept+1024 {
		c.parked.Keep(func(b *body) bool { return !b.spliced })
		c.parkedKept = c.parked.Len()
	}
	c.npending.Store(int64(c.pending.Len() + c.parked.Len()))
	c.passes.Add(1)
}

// passYield is how many pending bodies a pass trims between yields of its processor.
const passYield = 4096

// trim unlinks the bodies below b that no snapshot needs.
func (c *collector) trim(b *body, c0, floor int64) {
	prev, upper := b, b.version
	for cur := prev.next.Load(); cur != nil; {
		next := cur.next.Load()
		if upper > c0 || c.snapshotIn(cur.version, upper) {
			if cur.version <= floor {
				// cur serves every snapshot from the oldest one up: nothing below it is needed.
				if next != nil {
					cur.next.Store(nil)
					c.cuts.Add(1)
				}
				return
			}
			prev, upper = cur, cur.version
		} else {
			prev.next.Store(next)
			cur.spliced = true
			c.unlinked.Add(1)
			if len(c.snaps) == 0 || c.snaps[0] >= cur.version {
				// Only a reader whose snapshot is older than cur can be standing on it, on its
				// way down; with none held, cur's own link would only keep older bodies alive
				// for whoever still holds cur (a retired record, a stale write set).
				cur.next.Store(nil)
			}
		}
		cur = next
	}
}

// snapshotIn reports whether some held snapshot s has lo <= s < hi.
func (c *collector) snapshotIn(lo, hi int64) bool {
	i := sort.Search(len(c.snaps), func(i int) bool { return c.snaps[i] >= lo })
	return i < len(c.snaps) && c.snaps[i] < hi
}
