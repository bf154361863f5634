package stm

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/cpu"
)

// Options configure an STM. The zero value is a lock-free STM with the default retry policy and
// background version collection.
type Options struct {
	// Algorithm is the commit algorithm.
	Algorithm Algorithm
	// MaxAttempts is how many times a read-write transaction runs optimistically before it
	// reruns inevitably (and so surely commits). 0 means DefaultMaxAttempts; a negative value
	// never falls back.
	MaxAttempts int
	// GCInterval is the period of background version collection. 0 means DefaultGCInterval; a
	// negative value disables the background collector ([STM.CollectGarbage] still works).
	GCInterval time.Duration
}

const (
	DefaultMaxAttempts = 64
	DefaultGCInterval  = 5 * time.Millisecond
)

// STM is one transactional memory: a clock, a commit algorithm and a version collector. Boxes
// may be used with one STM only.
type STM struct {
	// Read by every transaction, written almost never: cache lines of their own.
	_           cpu.CacheLinePad
	algo        Algorithm
	maxAttempts int
	world       atomic.Pointer[stoppedWorld] // non-nil while the world is (being) stopped
	pool        *sync.Pool                   // of *txn
	hook        func(hookPoint)              // tests only (hooks.go): set before the STM is used
	_           cpu.CacheLinePad
	// Written by every commit. The commit lock, the clock and the newest record sit together:
	// a committer that takes the lock has the clock at hand.
	commitMu spinLock               // lock-based commits and lock-based inevitable transactions
	clock    atomic.Int64           // version of the newest committed read-write transaction
	last     atomic.Pointer[record] // lock-free: newest committed record
	_        cpu.CacheLinePad
	floor    atomic.Int64 // no snapshot in use now or later is older than this
	// recFloor (lock-free) is at most the floor: no committer holds a commit record older
	// than this, now or later (see slot.guard).
	recFloor atomic.Int64
	_        cpu.CacheLinePad
	// Used rarely, by the collector and by whoever stops the world.
	slots     slotTable
	gc        collector
	worldMu   sync.Mutex // one stop at a time
	closeOnce sync.Once
}

// Outcome describes how a transaction ended.
type Outcome struct {
	// Snapshot is the version the (last) attempt read.
	Snapshot int64
	// Version is the commit version of a read-write transaction that wrote something; for any
	// other transaction it equals Snapshot. Together they give the transaction's place in the
	// serial order: read-write commits at Version, everything else just after Snapshot.
	Version int64
	// Wrote reports whether the transaction committed writes.
	Wrote bool
	// Attempts counts executions of the function (1 when it never aborted).
	Attempts int
	// Inevitable reports whether the transaction committed as an inevitable one.
	Inevitable bool
}

// New creates an STM. Call Close when done with it to stop its collector.
func New(opts Options) *STM {
	s := &STM{algo: opts.Algorithm, maxAttempts: opts.MaxAttempts}
	if s.maxAttempts == 0 {
		s.maxAttempts = DefaultMaxAttempts
	}
	sentinel := &record{}
	sentinel.ready.Store(true)
	sentinel.committed.Store(true)
	s.last.Store(sentinel)
	s.pool = &sync.Pool{New: func() any { return s.newTxn() }}
	s.gc.init(s)
	interval := opts.GCInterval
	if interval == 0 {
		interval = DefaultGCInterval
	}
	if interval > 0 {
		s.gc.start(interval)
	}
	return s
}

// Algorithm returns the commit algorithm.
func (s *STM) Algorithm() Algorithm { return s.algo }

// Clock returns the version of the newest committed read-write transaction.
func (s *STM) Clock() int64 { return s.clock.Load() }

// Close stops the background collector. Transactions must not run after Close.
func (s *STM) Close() {
	s.closeOnce.Do(s.gc.stop)
}

func (s *STM) newTxn() *txn {
	t := &txn{s: s, slot: s.slots.get(), roGen: noGen}
	// A pooled transaction dropped by the runtime gives its slot back.
	runtime.AddCleanup(t, func(sl *slot) { s.slots.put(sl) }, t.slot)
	return t
}

// Atomically runs fn as a read-write transaction, rerunning it until it commits, and returns
// the result of the run that committed. If fn returns an error the transaction is rolled back
// (nothing is written) and the error is returned with R's zero value. A panic in fn rolls back
// and propagates. It is the generic form of [STM.Atomic], which is built on it.
func Atomically[R any](s *STM, fn func(Tx) (R, error)) (R, error) {
	r, _, err := run(s, modeReadWrite, nil, fn)
	return r, err
}

// AtomicallyReadOnly runs fn as a read-only transaction and returns its result: fn reads one
// consistent snapshot, never aborts and may not write ([ErrWriteInReadOnly]). It is the
// generic form of [STM.ReadOnly].
func AtomicallyReadOnly[R any](s *STM, fn func(Tx) (R, error)) (R, error) {
	r, _, err := run(s, modeReadOnly, nil, fn)
	return r, err
}

// noResult adapts a function without a result to the generic runner. It is inlined, so the
// closure lives on the caller's stack: the entry points below allocate nothing for it.
func noResult(fn func(Tx) error) func(Tx) (struct{}, error) {
	return func(tx Tx) (struct{}, error) { return struct{}{}, fn(tx) }
}

// Atomic runs fn as a read-write transaction, rerunning it until it commits. If fn returns an
// error the transaction is rolled back (nothing is written) and the error is returned. A panic
// in fn rolls back and propagates.
func (s *STM) Atomic(fn func(Tx) error) error {
	_, _, err := run(s, modeReadWrite, nil, noResult(fn))
	return err
}

// ReadOnly runs fn as a read-only transaction: it reads one consistent snapshot, never aborts
// and may not write ([ErrWriteInReadOnly]).
func (s *STM) ReadOnly(fn func(Tx) error) error {
	_, _, err := run(s, modeReadOnly, nil, noResult(fn))
	return err
}

// Inevitable runs fn holding the commit order: it reads the newest state, cannot abort and
// commits right after the newest commit (Version = Snapshot+1 when it writes). Other
// read-write transactions wait to commit until it ends; read-only ones are not disturbed. fn
// must not start another read-write transaction.
func (s *STM) Inevitable(fn func(Tx) error) (Outcome, error) {
	_, out, err := run(s, modeInevitable, nil, noResult(fn))
	return out, err
}

// Run is Atomic or ReadOnly with the outcome reported.
func (s *STM) Run(readOnly bool, fn func(Tx) error) (Outcome, error) {
	m := modeReadWrite
	if readOnly {
		m = modeReadOnly
	}
	_, out, err := run(s, m, nil, noResult(fn))
	return out, err
}

// ReadOnlyAt runs fn as a read-only transaction at a pinned snapshot. It fails with
// [ErrPinReleased] if the pin is released before the transaction has taken its snapshot over.
func (s *STM) ReadOnlyAt(p *Pin, fn func(Tx) error) error {
	_, _, err := run(s, modeReadOnly, p, noResult(fn))
	return err
}

func (s *STM) getTxn() *txn { return s.pool.Get().(*txn) }

func (s *STM) putTxn(t *txn) {
	t.gen++
	t.roGen = noGen
	t.slot.active.Store(0)
	t.reset()
	t.exclusive = false
	s.pool.Put(t)
}

// run is every entry point: it runs fn in mode m (at pin at, for a read-only transaction),
// retrying conflicts, and returns the result of the run that committed.
func run[R any](s *STM, m mode, at *Pin, fn func(Tx) (R, error)) (R, Outcome, error) {
	var zero R
	t := s.getTxn()
	for attempt := 1; ; attempt++ {
		md := m
		if m == modeReadWrite && s.maxAttempts > 0 && attempt > s.maxAttempts {
			md = modeInevitable
			t.slot.counters[cFallback].Add(1)
		}
		if err := s.begin(t, md, at); err != nil {
			s.putTxn(t)
			return zero, Outcome{}, err
		}
		r, cause, err := exec(t, fn)
		out := Outcome{Snapshot: t.snapshot, Version: t.snapshot, Attempts: attempt,
			Inevitable: md == modeInevitable}
		switch {
		case cause != 0:
			t.slot.counters[counterFor(cause)].Add(1)
			t.slot.counters[cRetry].Add(1)
			t.endAttempt()
			backoff(attempt)
			continue
		case err != nil:
			if md == modeReadOnly && errors.Is(err, ErrWriteInReadOnly) {
				t.slot.counters[cAbortReadOnlyWrite].Add(1)
			} else {
				t.slot.counters[cAbortUser].Add(1)
			}
			s.rollback(t)
			s.putTxn(t)
			return zero, out, err
		}
		switch md {
		case modeReadOnly:
			t.slot.counters[cReadOnly].Add(1)
		case modeInevitable:
			out.Version, out.Wrote = s.commitInevitable(t)
			t.slot.counters[cInevitable].Add(1)
		default:
			if len(t.writes) > 0 {
				v, ok := s.commit(t)
				if !ok {
					t.slot.counters[cAbortValidation].Add(1)
					t.slot.counters[cRetry].Add(1)
					t.endAttempt()
					backoff(attempt)
					continue
				}
				out.Version, out.Wrote = v, true
			}
			t.slot.counters[cReadWrite].Add(1)
		}
		s.putTxn(t)
		return r, out, nil
	}
}

func counterFor(c abortCause) counter {
	if c == causeValidation {
		return cAbortValidation
	}
	return cAbortRead
}

// exec runs fn once. An abort unwinds fn with a panic carrying its cause, recovered here; any
// other panic rolls the transaction back and continues on its way.
func exec[R any](t *txn, fn func(Tx) (R, error)) (r R, cause abortCause, err error) {
	defer func() {
		if r := recover(); r != nil {
			switch r := r.(type) {
			case abortCause:
				cause = r
				return
			case writeInReadOnly:
				err = ErrWriteInReadOnly
				return
			case failure:
				err = r.err
				return
			}
			t.slot.counters[cAbortPanic].Add(1)
			t.s.rollback(t)
			t.s.putTxn(t)
			panic(r)
		}
	}()
	r, err = fn(Tx{t, t.gen})
	return r, 0, err
}

func (s *STM) commit(t *txn) (int64, bool) {
	if s.algo == LockBased {
		return s.commitLocked(t)
	}
	return s.commitLockFree(t)
}

// begin starts an attempt: it publishes the snapshot and, for an inevitable transaction, takes
// the commit order. It fails for a released pin, and for a transaction that the goroutine
// stopping the world starts from inside its exclusive function (it would wait for itself).
func (s *STM) begin(t *txn, m mode, at *Pin) error {
	t.mode = m
	// Before the snapshot is published; stored only when it changes (a store is a fence).
	if opt := m == modeReadWrite; t.slot.optimistic.Load() != opt {
		t.slot.optimistic.Store(opt)
	}
	t.roGen = noGen
	if m == modeReadOnly {
		t.roGen = t.gen
	}
	for {
		if at != nil {
			if !s.adoptPin(t.slot, at) {
				return fmt.Errorf("stm: read-only transaction at snapshot %d: %w", at.version, ErrPinReleased)
			}
			t.snapshot = at.version
		} else {
			// Every snapshot is published exactly, read-write ones too: a read-write
			// transaction may pin its snapshot, and the collector must have seen it.
			t.snapshot = s.publish(t.slot)
		}
		// The slot is active now: the collector no longer takes its ring, but may be doing so.
		s.at(hookBegun)
		s.waitUnclaimed(t.slot)
		w := s.world.Load()
		if w == nil || t.exclusive {
			break
		}
		// The world is being stopped: step aside until it resumes.
		t.slot.active.Store(0)
		if w.stoppedBy(goroutineID()) {
			return ErrNestedInExclusive
		}
		<-w.resumed
	}
	if m == modeInevitable {
		s.acquireOrder(t)
	}
	return nil
}

// acquireOrder makes t the only committer until it ends, and moves its snapshot to the newest
// commit.
func (s *STM) acquireOrder(t *txn) {
	if s.algo == LockBased {
		s.commitMu.Lock()
		t.snapshot = s.clock.Load()
		return
	}
	// Protects the records this transaction will hold (see newRecord) until it ends.
	s.publishGuard(t.slot)
	rec := t.newRecord(nil)
	for {
		last := s.helpCommitted(t.slot)
		rec.version = last.version + 1
		if last.next.CompareAndSwap(nil, rec) {
			t.snapshot = last.version
			t.irec = rec
			return
		}
	}
}

// commitInevitable installs an inevitable transaction's writes and gives up the commit order.
func (s *STM) commitInevitable(t *txn) (int64, bool) {
	if s.algo == LockBased {
		defer s.commitMu.Unlock()
		if len(t.writes) == 0 {
			return t.snapshot, false
		}
		v := t.snapshot + 1
		s.install(t.writes, v)
		s.clock.Store(v)
		s.afterInstall(t.slot, t.writes)
		return v, true
	}
	rec := t.irec
	for _, w := range t.writes {
		w.b.version = rec.version
	}
	// The transaction keeps reusing its write-set array; the record needs its own.
	rec.entries = slices.Clone(t.writes)
	rec.ready.Store(true)
	s.helpRecord(t.slot, rec)
	t.slot.guard.Store(0)
	t.retire(rec)
	// A lock-free inevitable transaction always uses its version, written or not.
	return rec.version, len(rec.entries) > 0
}

// rollback ends an attempt that will not commit, giving up the commit order if it held it.
func (s *STM) rollback(t *txn) {
	if t.mode != modeInevitable {
		return
	}
	if s.algo == LockBased {
		s.commitMu.Unlock()
		return
	}
	// The placeholder record commits empty: the version is used up, nothing is written.
	t.irec.entries = nil
	t.irec.ready.Store(true)
	s.helpRecord(t.slot, t.irec)
	t.slot.guard.Store(0)
	t.retire(t.irec)
}

// endAttempt forgets an aborted attempt before the next one.
func (t *txn) endAttempt() {
	t.s.rollback(t)
	t.gen++
	t.roGen = noGen
	t.slot.active.Store(0)
	t.reset()
}

// backoff waits a little before rerunning an aborted transaction, longer the more it lost.
func backoff(attempt int) {
	switch {
	case attempt < 4:
	case attempt < 12:
		runtime.Gosched()
	default:
		time.Sleep(time.Duration(1<<min(attempt-12, 10)) * time.Microsecond)
	}
}

// stoppedWorld is closed when a stopped world resumes. stopper is the goroutine that stopped it;
// helpers are the goroutines working for it ([Tx.Parallel]).
type stoppedWorld struct {
	resumed chan struct{}
	stopper uint64
	mu      sync.Mutex
	helpers map[uint64]struct{}
}

// Exclusive stops the world and runs fn as the only transaction: it lets running transactions
// finish, holds new ones at their start, runs fn inevitably, then resumes them. Pinned snapshots
// stay readable throughout. It returns ctx's error, with nothing run, if ctx ends while running
// transactions are still finishing. Exclusive must not be called from inside a transaction.
func (s *STM) Exclusive(ctx context.Context, fn func(Tx) error) (Outcome, error) {
	s.worldMu.Lock()
	defer s.worldMu.Unlock()
	w := &stoppedWorld{resumed: make(chan struct{}), stopper: goroutineID()}
	s.world.Store(w)
	defer func() {
		s.world.Store(nil)
		close(w.resumed)
	}()
	for wait := time.Microsecond; s.slots.activeTransactions(nil) > 0; wait = min(2*wait, time.Millisecond) {
		if err := ctx.Err(); err != nil {
			return Outcome{}, fmt.Errorf("stm: stopping the world: %w", err)
		}
		time.Sleep(wait)
	}
	t := s.getTxn()
	t.exclusive = true
	s.begin(t, modeInevitable, nil)
	_, cause, err := exec(t, noResult(fn))
	if cause != 0 {
		// Cannot happen: nothing else runs. Treat it as the internal error it would be.
		s.rollback(t)
		s.putTxn(t)
		return Outcome{}, fmt.Errorf("stm: exclusive transaction aborted (%v)", cause)
	}
	out := Outcome{Snapshot: t.snapshot, Version: t.snapshot, Attempts: 1, Inevitable: true}
	if err != nil {
		t.slot.counters[cAbortUser].Add(1)
		s.rollback(t)
		s.putTxn(t)
		return out, err
	}
	out.Version, out.Wrote = s.commitInevitable(t)
	t.slot.counters[cInevitable].Add(1)
	s.putTxn(t)
	return out, nil
}

// Stats is a snapshot of the transaction counters, summed over all threads.
type Stats struct {
	ReadOnlyCommits   uint64 `json:"read_only_commits"`  // read-only transactions completed
	ReadWriteCommits  uint64 `json:"read_write_commits"` // read-write transactions committed (with or without writes)
	InevitableCommits uint64 `json:"inevitable_commits"` // inevitable transactions committed (explicit or fallback)
	// Aborts by cause. Conflicts (read and validation) are retried; the others end the call.
	AbortsReadConflict uint64  `json:"aborts_read_conflict"` // a read met a body newer than the snapshot
	AbortsValidation   uint64  `json:"aborts_validation"`    // the read set changed before commit
	AbortsUserError    uint64  `json:"aborts_user_error"`    // the function returned an error
	AbortsPanic        uint64  `json:"aborts_panic"`         // the function panicked
	AbortsWriteInRO    uint64  `json:"aborts_write_in_read_only"`
	Retries            uint64  `json:"retries"`              // reruns after a conflict
	InevitableFallback uint64  `json:"inevitable_fallbacks"` // transactions that ran out of attempts
	GC                 GCStats `json:"gc"`
}

// Commits is the number of committed transactions of every kind.
func (s Stats) Commits() uint64 { return s.ReadOnlyCommits + s.ReadWriteCommits + s.InevitableCommits }

// Aborts is the number of aborted attempts of every cause.
func (s Stats) Aborts() uint64 {
	return s.AbortsReadConflict + s.AbortsValidation + s.AbortsUserError + s.AbortsPanic + s.AbortsWriteInRO
}

// Stats sums the counters of every transaction so far. It does not stop anyone: counters keep
// moving while they are summed.
func (s *STM) Stats() Stats {
	c := s.slots.sum()
	return Stats{
		ReadOnlyCommits:    c[cReadOnly],
		ReadWriteCommits:   c[cReadWrite],
		InevitableCommits:  c[cInevitable],
		AbortsReadConflict: c[cAbortRead],
		AbortsValidation:   c[cAbortValidation],
		AbortsUserError:    c[cAbortUser],
		AbortsPanic:        c[cAbortPanic],
		AbortsWriteInRO:    c[cAbortReadOnlyWrite],
		Retries:            c[cRetry],
		InevitableFallback: c[cFallback],
		GC:                 s.gc.stats(),
	}
}
