package stm

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// The tests in this file each name one edge of the STM that an adversarial review found
// broken or untested; each fails when the edge it names is broken.

// newBoxes returns n boxes holding 0.
func newBoxes(n int) []*Var[int] {
	v := make([]*Var[int], n)
	for i := range v {
		v[i] = NewVar(0)
	}
	return v
}

// storeAll commits x to every box in one transaction.
func storeAll(s *STM, v []*Var[int], x int) {
	_ = s.Atomic(func(tx Tx) error {
		for _, b := range v {
			b.Store(tx, x)
		}
		return nil
	})
}

// overwrite commits k = 0, 1, 2, … to every box until the returned function is called (which
// waits for it to stop); after each commit it calls then, if not nil.
func overwrite(s *STM, v []*Var[int], then func()) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for k := 0; ; k++ {
			select {
			case <-done:
				return
			default:
			}
			storeAll(s, v, k)
			if then != nil {
				then()
			}
			// Yield after each round: a goroutine that never blocks keeps a processor for a
			// whole time slice (10 ms), and on one processor the test's own goroutine would
			// wait that long at every step it takes.
			runtime.Gosched()
		}
	})
	return func() { close(done); wg.Wait() }
}

// TestWriteBackOverInstallAt commits blind writes to boxes while installs at past versions
// keep landing on top of them. Every committed write must stay in its box's version list at
// its version: a write-back that loses its head swap to an install, and reports the work done
// anyway, loses a committed write.
func TestWriteBackOverInstallAt(t *testing.T) {
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, GCInterval: -1}) // keep every version: the test reads them all
			defer s.Close()
			// A pin at 0 holds the floor there: commits cut nothing below the heads they replace.
			pin := s.PinLatest()
			defer pin.Release()
			const boxes = 4
			v := newBoxes(boxes)
			type write struct {
				version int64
				value   int
			}
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var installsMu sync.Mutex
			installs := make([][]write, boxes) // installs that reported success
			for g := range 3 {
				wg.Go(func() {
					for k := 1; ; k++ {
						for i, x := range v {
							select {
							case <-stop:
								return
							default:
							}
							val := -(2*k + g) // unique per install, negative
							if c := s.Clock(); x.InstallAt(s, c, val) {
								installsMu.Lock()
								installs[i] = append(installs[i], write{c, val})
								installsMu.Unlock()
							}
						}
					}
				})
			}
			n := scaled(200000)
			writes := make([][]write, boxes)
			for i := 1; i <= n; i++ {
				x := v[i%boxes]
				out, err := s.Run(false, func(tx Tx) error { x.Store(tx, i); return nil })
				if err != nil {
					t.Fatal(err)
				}
				writes[i%boxes] = append(writes[i%boxes], write{out.Version, i})
			}
			close(stop)
			wg.Wait()
			lost, lostInstalls := 0, 0
			for k, x := range v {
				found := make(map[int64]int)
				prev := int64(1 << 62)
				for b := x.head.Load(); b != nil; b = b.next.Load() {
					if b.version >= prev {
						t.Fatalf("box %d: version list not decreasing: %d after %d", k, b.version, prev)
					}
					prev = b.version
					found[b.version] = valueOf[int](b)
				}
				for _, w := range writes[k] {
					if found[w.version] != w.value {
						lost++
					}
				}
				for _, w := range installs[k] {
					if found[w.version] != w.value {
						lostInstalls++
					}
				}
			}
			if lost > 0 || lostInstalls > 0 {
				t.Fatalf("%d of %d committed writes and %d successful installs are missing from their boxes' versions",
					lost, n, lostInstalls)
			}
		})
	}
}

// TestPinFromOlderSnapshot pins the snapshot of a transaction (read-only and read-write) while
// writers overwrite every box and a collector runs without pause, and checks that the pin reads
// exactly what the transaction read. Handing a snapshot from the transaction's slot to the pin's
// must not let a collector pass miss it in both.
func TestPinFromOlderSnapshot(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		const boxes = 8
		v := newBoxes(boxes)
		// Lay the slots out so that a collector pass reads the pin's slot long before the
		// transaction's: the pin gets the first slot, the transaction the last, with idle
		// slots between (slots are reused last-released first).
		spread := make([]*Pin, 1000)
		for i := range spread {
			spread[i] = s.PinLatest()
		}
		for _, p := range spread[1 : len(spread)-1] {
			p.Release()
		}
		spread[0].Release()
		spread[len(spread)-1].Release()
		_ = s.ReadOnly(func(Tx) error { return nil }) // this goroutine's transaction takes the last slot
		defer overwrite(s, v, nil)()
		defer overwrite(s, nil, func() { s.CollectGarbage() })() // a collector without pause
		for i := range scaled(5000) {
			var seen [boxes]int
			var p *Pin
			fn := func(tx Tx) error {
				for k, b := range v {
					seen[k] = b.Load(tx)
				}
				p = tx.Pin()
				return nil
			}
			var err error
			if i%2 == 0 {
				err = s.ReadOnly(fn)
			} else {
				// A read-write transaction that wrote nothing commits with the snapshot it read.
				err = s.Atomic(fn)
			}
			if err != nil {
				t.Fatal(err)
			}
			runtime.Gosched() // let the writer and the collector move past the snapshot
			for k, b := range v {
				if got := b.LoadAt(p); got != seen[k] {
					t.Fatalf("iteration %d: pin at %d reads box %d = %d, the transaction read %d", i, p.Version(), k, got, seen[k])
				}
			}
			p.Release()
		}
	})
}

// TestPinHandOverSeenByScan stops a collector pass after it has read the pin's (still empty)
// slot and before it reads the transaction's, then pins the transaction's snapshot and ends the
// transaction. Without a hand-over that the scan excludes, the pass sees neither slot, removes
// the versions the pin needs, and the pin reads the wrong state.
func TestPinHandOverSeenByScan(t *testing.T) {
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, GCInterval: -1})
			defer s.Close()
			const boxes = 4
			v := newBoxes(boxes)
			first := s.PinLatest() // slot 0, for the pin to come
			storeAll(s, v, 1)      // transactions take later slots
			inTx, paused, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
			pinCh := make(chan *Pin)
			go func() {
				var p *Pin
				_ = s.ReadOnly(func(tx Tx) error { // reads 1 at its snapshot
					for _, b := range v {
						b.Load(tx)
					}
					close(inTx)
					<-paused
					p = tx.Pin() // slot 0 again
					return nil
				})
				close(ended)
				pinCh <- p
			}()
			<-inTx
			storeAll(s, v, 2) // the boxes move past the reader's snapshot
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
			s.CollectGarbage()
			p := <-pinCh
			s.slots.scanned = nil
			s.CollectGarbage()
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("reading the pin at %d: %v", p.Version(), r)
					}
				}()
				for k, b := range v {
					if got := b.LoadAt(p); got != 1 {
						t.Fatalf("pin at %d reads box %d = %d, want 1 (its snapshot)", p.Version(), k, got)
					}
				}
			}()
			p.Release()
		})
	}
}

// TestReadOnlyAtHandOverSeenByScan stops a collector pass after it has read the (still empty)
// slot of a transaction about to start at a pin, then starts it and releases the pin. Without a
// hand-over that the scan excludes, the pass sees neither slot and removes what the
// transaction reads.
func TestReadOnlyAtHandOverSeenByScan(t *testing.T) {
	for _, a := range Algorithms() {
		t.Run(a.String(), func(t *testing.T) {
			s := New(Options{Algorithm: a, GCInterval: -1})
			defer s.Close()
			const boxes = 4
			v := newBoxes(boxes)
			// Pooled transactions take the first slots, the pin the last one.
			txns := []*txn{s.getTxn(), s.getTxn(), s.getTxn()}
			for _, t := range txns {
				s.putTxn(t)
			}
			storeAll(s, v, 1)
			p := s.PinLatest()
			storeAll(s, v, 2)
			txSlot, pinSlot := -1, -1
			for k, sl := range s.slots.slots() {
				if sl == p.slot {
					pinSlot = k
				}
			}
			start, inTx, released := make(chan struct{}), make(chan struct{}), make(chan struct{})
			got := make(chan [boxes]int, 1)
			var once sync.Once
			s.slots.scanned = func(i int) {
				if i == pinSlot-1 { // every transaction's slot read, the pin's not yet
					once.Do(func() {
						close(start)
						select {
						case <-released: // the transaction took the snapshot and the pin let go of it
						case <-time.After(100 * time.Millisecond): // the hand-over waits for the scan
						}
					})
				}
			}
			go func() {
				<-start
				var seen [boxes]int
				err := s.ReadOnlyAt(p, func(tx Tx) error {
					for k, sl := range s.slots.slots() {
						if sl == tx.t.slot {
							txSlot = k
						}
					}
					close(inTx)
					<-released
					defer func() {
						if r := recover(); r != nil {
							t.Errorf("reading at the pin's snapshot: %v", r)
						}
					}()
					for k, b := range v {
						seen[k] = b.Load(tx)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
				}
				got <- seen
			}()
			go func() { <-inTx; p.Release(); close(released) }()
			s.CollectGarbage()
			s.slots.scanned = nil
			seen := <-got
			if txSlot > pinSlot {
				t.Skipf("the transaction took slot %d, after the pin's (%d): the scan order this test needs did not happen", txSlot, pinSlot)
			}
			for k, x := range seen {
				if x != 1 {
					t.Fatalf("transaction at the pin's snapshot read box %d = %d, want 1", k, x)
				}
			}
		})
	}
}

// TestReadOnlyAtRacesRelease starts read-only transactions at a pin while another goroutine
// releases it: each must either fail with ErrPinReleased or read exactly the pinned values.
func TestReadOnlyAtRacesRelease(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		const boxes = 8
		v := newBoxes(boxes)
		defer overwrite(s, v, func() { s.CollectGarbage() })()
		released := 0
		for range scaled(2000) {
			p := s.PinLatest()
			var want [boxes]int
			for k, b := range v {
				want[k] = b.LoadAt(p)
			}
			done := make(chan struct{})
			go func() { runtime.Gosched(); p.Release(); close(done) }()
			err := s.ReadOnlyAt(p, func(tx Tx) error {
				runtime.Gosched()
				for k, b := range v {
					if got := b.Load(tx); got != want[k] {
						t.Errorf("read at pin %d: box %d = %d, want %d", p.Version(), k, got, want[k])
					}
				}
				return nil
			})
			<-done
			switch {
			case errors.Is(err, ErrPinReleased):
				released++
			case err != nil:
				t.Fatal(err)
			}
			if t.Failed() {
				return
			}
		}
		t.Logf("%d transactions refused a released pin", released)
	})
}

// TestOverwrittenValuesReleased keeps the floor back with a long reader while large values are
// overwritten many times, then ends the reader and checks that the heap returns to what the
// boxes hold: nothing the transaction machinery retired (records, write sets) may keep old
// values alive once no snapshot needs them.
func TestOverwrittenValuesReleased(t *testing.T) {
	const size = 64 << 10
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		const boxes = 4
		v := make([]*Var[[]byte], boxes)
		for i := range v {
			v[i] = NewVar(make([]byte, size))
		}
		write := func() {
			_ = s.Atomic(func(tx Tx) error {
				for _, b := range v {
					b.Store(tx, make([]byte, size))
				}
				return nil
			})
		}
		for range 50 {
			write()
		}
		s.CollectGarbage()
		var base uint64
		_ = s.Atomic(func(Tx) error { base = heapInUse(); return nil })
		inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
		go func() {
			done <- s.ReadOnly(func(tx Tx) error {
				close(inside)
				<-release
				return nil
			})
		}()
		<-inside
		for range 600 {
			write()
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for range 50 { // the program goes on after the reader ended
			write()
		}
		s.CollectGarbage() // the floor is now past every commit
		write()            // a commit recycles what it retired below the floor
		s.CollectGarbage()
		s.CollectGarbage()
		// Measured from inside a transaction, as in a program whose threads are busy: the
		// transaction holds its pooled state, which a collection would otherwise drop.
		var after uint64
		_ = s.Atomic(func(Tx) error { after = heapInUse(); return nil })
		growth := int64(after) - int64(base)
		// The boxes hold 4 values; allow as much again for what is in flight.
		if limit := int64(2 * boxes * size); growth > limit {
			t.Fatalf("heap grew by %d bytes (%d values of %d bytes) after the long reader ended; at most %d expected",
				growth, growth/size, size, limit)
		}
		t.Logf("heap growth after the reader ended: %d bytes", growth)
	})
}

// TestExclusiveWaitsForRunning checks that Exclusive lets the transactions already running
// finish before its function runs, and that the function then runs alone.
//
// It runs in a synctest bubble: the window below is fake time, which passes only once every
// goroutine of the test is blocked, so an Exclusive that did not wait would surely run in it.
func TestExclusiveWaitsForRunning(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		for _, readOnly := range []bool{false, true} {
			synctest.Test(t, func(t *testing.T) { exclusiveWaitsForRunning(t, s, readOnly) })
		}
	})
}

func exclusiveWaitsForRunning(t *testing.T, s *STM, readOnly bool) {
	x := NewVar(0)
	inside, release := make(chan struct{}), make(chan struct{})
	var finished atomic.Bool
	txDone := make(chan error)
	go func() {
		_, err := s.Run(readOnly, func(tx Tx) error {
			if !finished.Load() {
				select {
				case <-inside:
				default:
					close(inside)
				}
				<-release
			}
			if !readOnly {
				x.Store(tx, 1)
			}
			finished.Store(true)
			return nil
		})
		txDone <- err
	}()
	<-inside
	var ranEarly, ran atomic.Bool
	exDone := make(chan error)
	go func() {
		_, err := s.Exclusive(t.Context(), func(tx Tx) error {
			ran.Store(true)
			if !finished.Load() {
				ranEarly.Store(true)
			}
			if n := s.slots.activeTransactions(tx.t.slot); n != 0 {
				t.Errorf("exclusive function runs beside %d other transactions", n)
			}
			return nil
		})
		exDone <- err
	}()
	for s.world.Load() == nil && !ran.Load() { // Exclusive has begun stopping the world
		runtime.Gosched()
	}
	time.Sleep(5 * time.Millisecond) // a window in which a non-waiting Exclusive would run
	close(release)
	if err := <-txDone; err != nil {
		t.Fatal(err)
	}
	if err := <-exDone; err != nil {
		t.Fatal(err)
	}
	if ranEarly.Load() {
		t.Fatalf("readOnly=%v: the exclusive function ran while a transaction was still running", readOnly)
	}
}

// TestNestedInExclusiveRefused: a transaction started from inside the exclusive function would
// wait for the stopped world, that is for itself; it is refused with ErrNestedInExclusive.
func TestNestedInExclusiveRefused(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(0)
		var inner error
		_, err := s.Exclusive(t.Context(), func(tx Tx) error {
			inner = s.ReadOnly(func(Tx) error { return nil })
			x.Store(tx, 1)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(inner, ErrNestedInExclusive) {
			t.Fatalf("nested transaction returned %v, want ErrNestedInExclusive", inner)
		}
		if x.LoadLatest() != 1 {
			t.Fatal("exclusive transaction did not commit")
		}
		// Other goroutines' transactions still wait and then run.
		if err := s.Atomic(func(tx Tx) error { x.Store(tx, 2); return nil }); err != nil {
			t.Fatal(err)
		}
	})
}

// TestInevitableHoldsCommitOrder runs a writer that reaches its commit while an inevitable
// transaction is still running: the writer must commit after it, at a later version.
func TestInevitableHoldsCommitOrder(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x := NewVar(0)
		for range 5 {
			writerReady := make(chan struct{})
			writerOut := make(chan Outcome, 1)
			inev, err := s.Inevitable(func(tx Tx) error {
				go func() {
					out, _ := s.Run(false, func(tx Tx) error {
						x.Store(tx, 2)
						select {
						case <-writerReady:
						default:
							close(writerReady)
						}
						return nil
					})
					writerOut <- out
				}()
				<-writerReady
				time.Sleep(2 * time.Millisecond) // a window for a writer that does not wait
				x.Store(tx, 1)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			w := <-writerOut
			if w.Version <= inev.Version {
				t.Fatalf("writer committed at %d, not after the inevitable transaction (%d)", w.Version, inev.Version)
			}
			if got := x.LoadLatest(); got != 2 {
				t.Fatalf("x = %d after the writer that committed last, want 2", got)
			}
		}
	})
}

// TestRetriesCountValidationAborts forces exactly one validation abort and checks the counters.
func TestRetriesCountValidationAborts(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x, y := NewVar(0), NewVar(0)
		before := s.Stats()
		attempts := 0
		err := s.Atomic(func(tx Tx) error {
			attempts++
			x.Load(tx)
			if attempts == 1 {
				done := make(chan struct{})
				go func() {
					_ = s.Atomic(func(tx Tx) error { x.Store(tx, 5); return nil })
					close(done)
				}()
				<-done
			}
			y.Store(tx, 1) // a blind write: the conflict shows only at validation
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		after := s.Stats()
		if attempts != 2 {
			t.Fatalf("%d attempts, want 2", attempts)
		}
		if d := after.AbortsValidation - before.AbortsValidation; d != 1 {
			t.Fatalf("validation aborts: %d, want 1", d)
		}
		if d := after.Retries - before.Retries; d != 1 {
			t.Fatalf("retries: %d, want 1 (the validation abort)", d)
		}
		if d := after.ReadWriteCommits - before.ReadWriteCommits; d != 2 {
			t.Fatalf("read-write commits: %d, want 2", d)
		}
	})
}
