package stm

import (
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// collector is the version garbage collector.
//
// It keeps a list of bodies that still have older bodies below them ("pending"), fed by every
// commit and every install at a past version. A pass reads the clock c0, then the set S of
// snapshots held by running transactions and pins. A body is still needed when it is a box's
// head, or when it is the newest body not newer than some snapshot in S, or than some snapshot
// at or after c0 (a transaction that publishes its snapshot after the scan reads the clock again
// and so has a snapshot >= c0). A pass unlinks every other body below a pending one, and cuts
// the list below the newest body not newer than min(S ∪ {c0}).
//
// Only the collector writes the next pointer of a body that is in a list, so unlinking is a
// plain atomic store; a reader already standing on an unlinked body still follows its (intact)
// next pointer, which is exactly what it needs, since it only stood there on its way to an
// older body.
type collector struct {
	s       *STM
	mu      sync.Mutex // one pass at a time
	inMu    sync.Mutex
	in      []*body // installed bodies whose lists may need trimming
	spare   []*body
	pending []*body
	snaps   []int64
	// parked are pending bodies whose list is down to one older body that only snapshots
	// older than the pending body itself need (b → p, with p the oldest and cut below): such
	// a list cannot change until the floor reaches b's version, so it waits here instead of
	// being walked on every pass (a lazy migration's pin keeps one for every box written since
	// the upgrade). parkedMin is the oldest parked body's version.
	parked    []*body
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

// adopt takes an installed body whose list may need trimming later.
func (c *collector) adopt(b *body) {
	c.inMu.Lock()
	c.in = append(c.in, b)
	c.inMu.Unlock()
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

	c.inMu.Lock()
	in := c.in
	c.in = c.spare[:0]
	c.inMu.Unlock()
	c.pending = append(c.pending, in...)
	if len(c.parked) > 0 && floor >= c.parkedMin {
		c.pending = append(c.pending, c.parked...)
		clear(c.parked)
		c.parked = c.parked[:0]
		c.parkedKept = 0
	}
	clear(in)
	c.spare = in[:0]
	for _, sl := range c.s.slots.slots() {
		sl.gcMu.Lock()
		c.pending = append(c.pending, sl.gcIn...)
		clear(sl.gcIn)
		sl.gcIn = sl.gcIn[:0]
		sl.gcMu.Unlock()
	}

	// Newest first: trimming below a newer body unlinks the older bodies of the same box that
	// are pending too, which are then skipped. Bodies newer than c0 wait for the next pass (every
	// body below them would count as needed now).
	// The bodies to keep are compacted towards the end (w never passes i), then moved down.
	w := len(c.pending)
	for i := len(c.pending) - 1; i >= 0; i-- {
		b := c.pending[i]
		if b.spliced {
			continue
		}
		trimmed := b.version <= c0
		if trimmed {
			c.trim(b, c0, floor)
		}
		n := b.next.Load()
		switch {
		case n == nil || n == unlinked || b.spliced:
			// nothing below to collect
		case trimmed && n.next.Load() == nil:
			if len(c.parked) == 0 || b.version < c.parkedMin {
				c.parkedMin = b.version
			}
			c.parked = append(c.parked, b)
		default:
			w--
			c.pending[w] = b
		}
	}
	n := copy(c.pending, c.pending[w:])
	clear(c.pending[n:])
	c.pending = c.pending[:n]
	if len(c.parked) > 2*c.parkedKept+1024 {
		k := 0
		for _, b := range c.parked {
			if !b.spliced {
				c.parked[k] = b
				k++
			}
		}
		clear(c.parked[k:])
		c.parked = c.parked[:k]
		c.parkedKept = k
	}
	c.npending.Store(int64(n + len(c.parked)))
	c.passes.Add(1)
}

// trim unlinks the bodies below b that no snapshot needs.
func (c *collector) trim(b *body, c0, floor int64) {
	prev, upper := b, b.version
	for cur := prev.next.Load(); cur != nil && cur != unlinked; {
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
