package stm

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The tests in this file each kill a mutant of the version-collection design that the rest of
// the suite let live, or caught only by a hang or a data race (issue 20). Where the bug needs a
// rare interleaving, a test hook (hooks.go) stops one goroutine at the exact point.

// onlyIn returns a hook that runs f at point p, once, and only in the goroutine whose id is
// stored in who: the other goroutines go through every point untouched.
func onlyIn(who *atomic.Uint64, p hookPoint, f func()) func(hookPoint) {
	var once sync.Once
	return func(q hookPoint) {
		if q == p && who.Load() != 0 && goroutineID() == who.Load() {
			once.Do(f)
		}
	}
}

// commitIn runs fn as a read-write transaction in t and commits it. t is kept out of the pool
// by the test, so that every commit uses its slot whatever the pool does (under the race
// detector the pool drops transactions at random).
func commitIn(tb testing.TB, s *STM, t *txn, fn func(Tx)) {
	tb.Helper()
	if err := s.begin(t, modeReadWrite, nil); err != nil {
		tb.Fatal(err)
	}
	fn(Tx{t, t.gen})
	if _, ok := s.commit(t); !ok {
		tb.Fatal("a blind write failed to commit")
	}
	t.gen++
	t.slot.active.Store(0)
	t.reset()
}

// TestBlocksCoverWriteSet: the blocks of a record's write-back cover its entries exactly (the
// last block is not empty), and a commit of more than a thousand writes installs all of them.
func TestBlocksCoverWriteSet(t *testing.T) {
	backing := make([]wsEntry, 5000)
	for e := 0; e <= len(backing); e++ {
		rec := &record{entries: backing[:e]}
		n, size := rec.blocks()
		if n < 1 || n > maxBlocks || (e > 0 && (n*size < e || (n-1)*size >= e)) {
			t.Fatalf("%d entries: %d blocks of %d do not cover them exactly", e, n, size)
		}
	}
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		v := newBoxes(1100) // 64 blocks of 18 planned, 62 needed
		storeAll(s, v, 7)
		for i, b := range v {
			if got := b.LoadLatest(); got != 7 {
				t.Fatalf("box %d = %d after a commit of %d writes, want 7", i, got, len(v))
			}
		}
	})
}

// TestHelperDoesNotMoveClockBack stops a committer after it has read the clock to advance it,
// lets another transaction commit after it, and resumes it: the clock must not go back.
func TestHelperDoesNotMoveClockBack(t *testing.T) {
	s := New(Options{Algorithm: LockFree, GCInterval: -1})
	defer s.Close()
	x, y := NewVar(0), NewVar(0)
	var slow atomic.Uint64
	paused, resume := make(chan struct{}), make(chan struct{})
	s.hook = onlyIn(&slow, hookClockLoaded, func() { close(paused); <-resume })
	done := make(chan struct{})
	go func() {
		slow.Store(goroutineID())
		_ = s.Atomic(func(tx Tx) error { x.Store(tx, 1); return nil })
		close(done)
	}()
	<-paused // version 1 is written back and published as the newest record, the clock is 0
	out, err := s.Run(false, func(tx Tx) error { y.Store(tx, 2); return nil })
	if err != nil || out.Version != 2 {
		t.Fatalf("second commit: version %d, %v; want 2", out.Version, err)
	}
	close(resume)
	<-done
	if c := s.Clock(); c != 2 {
		t.Fatalf("the clock is %d after commits 1 and 2: a slow helper moved it back", c)
	}
}

// TestStaleHelperKeepsInstallAt stops a committer inside the write-back of its box (at hook
// point p), then installs a body at a past version under it and lets another transaction help
// the record to the end; the stale committer resumes. The installed body must stay in the
// box's list: a stale helper that relinks below a head it no longer sees drops it.
func TestStaleHelperKeepsInstallAt(t *testing.T) {
	for _, p := range []hookPoint{hookHeadLoaded, hookRelink} {
		s := New(Options{Algorithm: LockFree, GCInterval: -1})
		pin := s.PinLatest() // at 0: commits cut nothing
		x, z := NewVar(0), NewVar(0)
		for i := range 5 {
			_ = s.Atomic(func(tx Tx) error { z.Store(tx, i); return nil }) // the clock at 5
		}
		var slow atomic.Uint64
		paused, resume := make(chan struct{}), make(chan struct{})
		s.hook = onlyIn(&slow, p, func() { close(paused); <-resume })
		done := make(chan struct{})
		go func() {
			slow.Store(goroutineID())
			_ = s.Atomic(func(tx Tx) error { x.Store(tx, 100); return nil }) // version 6
			close(done)
		}()
		<-paused
		if !x.InstallAt(s, 3, -3) {
			t.Fatal("InstallAt at 3 refused")
		}
		_ = s.Atomic(func(tx Tx) error { z.Store(tx, 9); return nil }) // helps version 6 first
		close(resume)
		<-done
		found := false
		for b := x.head.Load(); b != nil; b = b.next.Load() {
			found = found || b.version == 3 && valueOf[int](b) == -3
		}
		if !found || x.LoadAt(pin) != 0 || x.LoadLatest() != 100 {
			t.Fatalf("hook %d: the body installed at version 3 was lost from the box's list (or the list is wrong)", p)
		}
		pin.Release()
		s.Close()
	}
}

// TestDrainedRingForgetsBodies commits large values to one box, with no reader: the bodies a
// committer's ring has drained must not stay reachable from it.
func TestDrainedRingForgetsBodies(t *testing.T) {
	const size, commits = 64 << 10, 256
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, GCInterval: -1}) // a busy slot: no collector takes its ring
			defer s.Close()
			box := NewVar(make([]byte, size))
			busy := s.getTxn() // one slot commits everything
			defer s.putTxn(busy)
			base := liveHeap()
			for range commits {
				commitIn(t, s, busy, func(tx Tx) { box.Store(tx, make([]byte, size)) })
			}
			growth := int64(liveHeap()) - int64(base)
			// The floor moves every 16 commits: up to about 17 values wait for it (in the ring
			// and the retired records). A ring that keeps what it drained keeps about 128.
			if limit := int64(48 * size); growth > limit {
				t.Fatalf("live heap grew by %d values of %d bytes over %d commits with no reader; at most %d expected",
					growth/size, size, commits, limit/size)
			}
		})
	}
}

// TestParkedRevivedAtFloor: a box written once after a pin keeps its old version for the pin;
// once the pin is released, with no further commit, the collector must drop it (rule 5).
func TestParkedRevivedAtFloor(t *testing.T) {
	for _, a := range Algorithms() {
		s := New(Options{Algorithm: a, GCInterval: -1})
		x := NewVar(0)
		pin := s.PinLatest()
		_ = s.Atomic(func(tx Tx) error { x.Store(tx, 1); return nil })
		s.CollectGarbage() // the box's list waits (parked) for the floor to reach version 1
		if n := x.Bodies(); n != 2 {
			t.Fatalf("%v: %d bodies with the pin held, want 2", a, n)
		}
		pin.Release()
		s.CollectGarbage() // the floor is at 1, the clock
		if n := x.Bodies(); n != 1 {
			t.Fatalf("%v: the box keeps %d bodies after the pin was released, want 1", a, n)
		}
		s.Close()
	}
}

// TestExclusiveDoesNotWaitForPins: a pin is not a running transaction; Exclusive must not wait
// for it (a lazy migration's pin is held for a long time). The bubble's clock runs an hour of
// waiting in no time.
func TestExclusiveDoesNotWaitForPins(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		synctest.Test(t, func(t *testing.T) {
			x := NewVar(1)
			pin := s.PinLatest()
			defer pin.Release()
			ctx, cancel := context.WithTimeout(t.Context(), time.Hour)
			defer cancel()
			if _, err := s.Exclusive(ctx, func(tx Tx) error { x.Store(tx, 2); return nil }); err != nil {
				t.Fatalf("Exclusive with a pin held: %v", err)
			}
			if x.LoadAt(pin) != 1 || x.LoadLatest() != 2 {
				t.Fatal("the pin or the exclusive write reads wrong")
			}
		})
	})
}

// TestPublishFallbackSeenByScan drives a transaction's publish into its fallback (the clock
// moves at each of its tries) and, with the clock read there, commits and starts a collector
// pass. Published beside the scan, the snapshot would be missed, and the body it reads
// removed; the hand-over lock makes the scan wait for it.
func TestPublishFallbackSeenByScan(t *testing.T) {
	for _, a := range Algorithms() {
		s := New(Options{Algorithm: a, GCInterval: -1})
		x := NewVar(0)
		write := func(k int) { _ = s.Atomic(func(tx Tx) error { x.Store(tx, k); return nil }) }
		write(1)
		var pub atomic.Uint64
		moved, ack := make(chan struct{}), make(chan struct{})
		fallback, proceed := make(chan struct{}), make(chan struct{})
		tries := 0
		s.hook = func(p hookPoint) {
			if pub.Load() == 0 || goroutineID() != pub.Load() {
				return
			}
			switch {
			case p == hookPublishRetry && tries < 4:
				tries++
				moved <- struct{}{}
				<-ack
			case p == hookPublishFallback:
				close(fallback)
				<-proceed
			}
		}
		type result struct {
			snap int64
			got  int
		}
		res := make(chan result)
		go func() {
			pub.Store(goroutineID())
			var r result
			_ = s.ReadOnly(func(tx Tx) error { r.snap, r.got = tx.Snapshot(), x.Load(tx); return nil })
			res <- r
		}()
		for k := 2; k <= 5; k++ { // each try of the fast path sees the clock move
			<-moved
			write(k)
			ack <- struct{}{}
		}
		<-fallback // the publisher has read the clock (5), not yet published it
		write(6)
		collected := make(chan struct{})
		go func() { s.CollectGarbage(); close(collected) }()
		select {
		case <-collected: // the scan did not wait for the hand-over
		case <-time.After(100 * time.Millisecond): // it waits, as it must
		}
		close(proceed)
		r := <-res
		<-collected
		if r.got != int(r.snap) {
			t.Fatalf("%v: a transaction at snapshot %d read x = %d (its snapshot's value is %d)", a, r.snap, r.got, r.snap)
		}
		s.Close()
	}
}

// TestSnapshotHeldSeesHandOver stops SnapshotHeld after it has read the (empty) slot a pin
// will take, then pins a transaction's snapshot and ends the transaction: SnapshotHeld must
// see the snapshot in one of the two slots (a migration relies on it to release its pin).
func TestSnapshotHeldSeesHandOver(t *testing.T) {
	for _, a := range Algorithms() {
		s := New(Options{Algorithm: a, GCInterval: -1})
		first := s.PinLatest() // slot 0, for the pin to come
		inTx, paused, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
		var snap int64
		pinCh := make(chan *Pin)
		go func() {
			var p *Pin
			_ = s.ReadOnly(func(tx Tx) error {
				snap = tx.Snapshot()
				close(inTx)
				<-paused
				p = tx.Pin() // slot 0 again
				return nil
			})
			close(ended)
			pinCh <- p
		}()
		<-inTx
		first.Release()
		var once sync.Once
		s.slots.scanned = func(i int) {
			if i == 0 {
				once.Do(func() {
					close(paused)
					select {
					case <-ended: // the snapshot moved to slot 0 behind the scan's back
					case <-time.After(100 * time.Millisecond): // the hand-over waits for the scan
					}
				})
			}
		}
		held := s.SnapshotHeld(snap, snap)
		p := <-pinCh
		s.slots.scanned = nil
		if !held {
			t.Fatalf("%v: SnapshotHeld missed snapshot %d, handed over to a pin during its scan", a, snap)
		}
		p.Release()
		s.Close()
	}
}

// TestBeginWaitsForCollectorClaim stops a collector pass half-way through claiming the idle
// slot of a transaction, then begins the transaction there: it must not run while the
// collector may take the slot's rings (it waits for the claim to end).
func TestBeginWaitsForCollectorClaim(t *testing.T) {
	for _, a := range Algorithms() {
		s := New(Options{Algorithm: a, GCInterval: -1})
		tt := s.getTxn() // the only slot
		stepped, resume, waiting := make(chan struct{}), make(chan struct{}), make(chan struct{})
		var stepOnce, waitOnce sync.Once
		s.hook = func(p hookPoint) {
			switch p {
			case hookClaimStep:
				stepOnce.Do(func() { close(stepped); <-resume })
			case hookClaimWait:
				waitOnce.Do(func() { close(waiting) })
			}
		}
		collected, begun := make(chan struct{}), make(chan struct{})
		go func() { s.CollectGarbage(); close(collected) }()
		<-stepped
		go func() { _ = s.begin(tt, modeReadOnly, nil); close(begun) }()
		select {
		case <-begun:
			t.Errorf("%v: a transaction began in its slot while the collector was claiming it", a)
		case <-waiting:
		}
		close(resume)
		<-collected
		<-begun
		s.putTxn(tt)
		s.Close()
	}
}

// TestBeginSeesCollectorClaim stops a transaction in begin, between publishing its snapshot
// and checking the collector's claim, and runs a collector pass meanwhile: either the pass
// leaves the slot alone, or the transaction waits for it; it must never run beside a claim.
func TestBeginSeesCollectorClaim(t *testing.T) {
	for _, a := range Algorithms() {
		s := New(Options{Algorithm: a, GCInterval: -1})
		tt := s.getTxn() // the only slot
		atBegin, resumeT := make(chan struct{}), make(chan struct{})
		claimed, resumeC := make(chan struct{}), make(chan struct{})
		var beginOnce, claimOnce sync.Once
		s.hook = func(p hookPoint) {
			switch p {
			case hookBegun:
				beginOnce.Do(func() { close(atBegin); <-resumeT })
			case hookClaimed:
				claimOnce.Do(func() { close(claimed); <-resumeC })
			}
		}
		claimAtStart := make(chan bool)
		go func() { _ = s.begin(tt, modeReadOnly, nil); claimAtStart <- tt.slot.gcClaim.Load() }()
		<-atBegin
		collected := make(chan struct{})
		go func() { s.CollectGarbage(); close(collected) }()
		select {
		case <-claimed:
		case <-collected:
		}
		close(resumeT)
		if <-claimAtStart {
			t.Errorf("%v: a transaction began while the collector held its slot's claim", a)
		}
		close(resumeC)
		<-collected
		s.putTxn(tt)
		s.Close()
	}
}

// TestIdleRingTakenOnce: once a pass has taken an idle slot's ring, the next pass (no commit
// between) finds nothing new to do.
func TestIdleRingTakenOnce(t *testing.T) {
	for _, a := range Algorithms() {
		s := New(Options{Algorithm: a, GCInterval: -1})
		pin := s.PinLatest() // holds the floor: the bodies wait in the collector
		x := NewVar(0)
		for i := range 10 {
			_ = s.Atomic(func(tx Tx) error { x.Store(tx, i+1); return nil })
		}
		p1 := s.CollectGarbage().Pending
		p2 := s.CollectGarbage().Pending
		if p2 > p1 {
			t.Fatalf("%v: pending bodies grew from %d to %d over a pass with no commit: an idle ring was taken twice", a, p1, p2)
		}
		pin.Release()
		s.Close()
	}
}

// TestRetiredRecordsReused commits, lets the floor reach the commit, and commits again, many
// times: a record is reused only once out of everyone's reach (below the floor, not at it),
// and only scrubbed. Each commit must get the next version and write its value.
func TestRetiredRecordsReused(t *testing.T) {
	s := New(Options{Algorithm: LockFree, GCInterval: -1})
	defer s.Close()
	x := NewVar(0)
	for i := 1; i <= 2*retiredKeep+3; i++ {
		out, err := s.Run(false, func(tx Tx) error { x.Store(tx, i); return nil })
		if err != nil || out.Version != int64(i) || x.LoadLatest() != i || s.Clock() != int64(i) {
			t.Fatalf("commit %d: version %d (%v), x = %d, clock %d", i, out.Version, err, x.LoadLatest(), s.Clock())
		}
		if i%3 != 0 {
			s.CollectGarbage() // the floor reaches the newest commit; the collector reclaims
		}
	}
}

// TestNestedInExclusiveFailsFast: a transaction started inside Exclusive's function is refused
// at once; were it to wait for the stopped world, it would wait for itself (the bubble shows
// it blocked instead of hanging the suite).
func TestNestedInExclusiveFailsFast(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		synctest.Test(t, func(t *testing.T) {
			var inner error
			done := make(chan error, 1)
			go func() {
				_, err := s.Exclusive(context.Background(), func(Tx) error {
					inner = s.ReadOnly(func(Tx) error { return nil })
					return nil
				})
				done <- err
			}()
			synctest.Wait()
			select {
			case err := <-done:
				if err != nil || !errors.Is(inner, ErrNestedInExclusive) {
					t.Fatalf("Exclusive: %v; nested transaction: %v, want ErrNestedInExclusive", err, inner)
				}
			default:
				t.Fatal("a transaction started inside Exclusive's function is blocked: it waits for itself")
			}
		})
	})
}
