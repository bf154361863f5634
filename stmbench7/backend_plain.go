package stmbench7

import (
	"sync/atomic"

	"dustm/stmbench7/jrand"
)

// The lock backends none, coarse and medium (this file and backend_medium.go). They share
// the storage (plainStore), the Tx (plainTx, which medium extends with its lazily taken
// assembly-level locks) and the way a structure is built; they differ in how an operation is
// made atomic.
//
//   - none runs operations with no synchronization at all: one worker only.
//   - coarse runs every operation under one global reader-writer lock, in read mode for the
//     read-only operation types, in write mode for all others. The reference's lock is a fair
//     ReentrantReadWriteLock (FIFO hand-over between readers and writers). Go's sync.RWMutex
//     is not fair in that sense but is writer-preferring: once a writer waits, new readers
//     queue behind it, so writers do not starve, which is the property that matters most for
//     the comparison; readers that arrive while a writer holds the lock are all let in
//     together when it leaves, rather than in arrival order with later writers.
//   - medium: see backend_medium.go.
//
// With Options.Serials, every worker numbers its operations with the structure's atomic
// counter, incremented while the operation still holds its locks, which is a valid serial order
// for the replay check. Without it (every run without --seq-replay) they touch no shared
// counter: one cache line that every operation of every worker would write, a cost the STM
// methods, whose serial points come with their commits, do not pay.

type lockMode uint8

const (
	modeNone lockMode = iota
	modeCoarse
	modeMedium
	modeBroken
)

type plainBackend struct {
	name    string
	mode    lockMode
	serials bool // number operations (Options.Serials)
}

func init() {
	for name, mode := range map[string]lockMode{"none": modeNone, "coarse": modeCoarse, "medium": modeMedium} {
		backendFactories[name] = func(o Options) (Backend, error) {
			return &plainBackend{name: name, mode: mode, serials: o.Serials}, nil
		}
	}
}

// serialCounter numbers a lock worker's operations: the structure's shared counter, or nil
// when the backend was made without Options.Serials (then every operation is at 0).
type serialCounter struct{ c *atomic.Uint64 }

func (s serialCounter) next() Serial {
	if s.c == nil {
		return 0
	}
	return Serial(s.c.Add(1))
}

// NewBrokenBackend returns a deliberately WRONG coarse-lock backend, for testing that the
// replay check catches a synchronization bug. It runs the update operations that change only
// scalar state and texts (x/y swaps, build dates other than atomic parts', document and manual
// texts) under the global lock's READ mode, so concurrent writers race and lose updates. Only
// the structural modifications and the operations that restructure the build-date index
// (T3a/b/c, OP15) still take the write mode, so that a racing run corrupts values but never the
// slices and indexes (a normal run does not crash). Its data races are real: never run it
// with several workers under the race detector.
func NewBrokenBackend() Backend {
	return &plainBackend{name: "coarse-broken", mode: modeBroken, serials: true}
}

func (b *plainBackend) Name() string { return b.name }

func (b *plainBackend) MaxThreads() int {
	if b.mode == modeNone {
		return 1
	}
	return 0
}

func (b *plainBackend) Build(p Params, r *jrand.Rand) (*Structure, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := newPlainStore(p)
	m, err := Build(newPlainTx(s), p, r)
	if err != nil {
		return nil, err
	}
	s.module = m
	return &Structure{params: p, module: m, backend: b.name, data: s}, nil
}

func storeOf(s *Structure) *plainStore { return dataOf[*plainStore](s, "a lock backend's") }

func (b *plainBackend) NewWorker(s *Structure, thread int) Worker {
	st := storeOf(s)
	var sc serialCounter
	if b.serials {
		sc.c = &st.serial
	}
	switch b.mode {
	case modeNone:
		return &noneWorker{tx: *newPlainTx(st), serial: sc}
	case modeCoarse:
		return &coarseWorker{tx: *newPlainTx(st), serial: sc}
	case modeBroken:
		return &brokenWorker{coarseWorker{tx: *newPlainTx(st), serial: sc}}
	case modeMedium:
		return newMediumWorker(st, sc)
	}
	panic("stmbench7: unknown lock mode")
}

func (b *plainBackend) View(s *Structure, fn func(Tx) error) error {
	st := storeOf(s)
	tx := newPlainTx(st)
	switch b.mode {
	case modeCoarse, modeBroken:
		st.global.RLock()
		defer st.global.RUnlock()
	case modeMedium:
		// Exclusive: no operation runs, and the Tx takes no level locks.
		st.medium.structure().Lock()
		defer st.medium.structure().Unlock()
	}
	return fn(tx)
}

func (b *plainBackend) Stats() any { return nil }
func (b *plainBackend) Close()     {}

// noneWorker runs operations unsynchronized.
type noneWorker struct {
	tx     plainTx
	serial serialCounter
}

func (w *noneWorker) Execute(op OpID, r *jrand.Rand) (int, Serial, error) {
	res, err := opTable[op](&w.tx, r)
	return res, w.serial.next(), err
}

// coarseWorker runs each operation under the global lock.
type coarseWorker struct {
	tx     plainTx
	serial serialCounter
}

func (w *coarseWorker) Execute(op OpID, r *jrand.Rand) (int, Serial, error) {
	if op.ReadOnly() {
		return w.shared(op, r)
	}
	return w.exclusive(op, r)
}

func (w *coarseWorker) shared(op OpID, r *jrand.Rand) (res int, at Serial, err error) {
	l := &w.tx.s.global
	l.RLock()
	defer l.RUnlock()
	res, err = opTable[op](&w.tx, r)
	return res, w.serial.next(), err
}

func (w *coarseWorker) exclusive(op OpID, r *jrand.Rand) (res int, at Serial, err error) {
	l := &w.tx.s.global
	l.Lock()
	defer l.Unlock()
	res, err = opTable[op](&w.tx, r)
	return res, w.serial.next(), err
}

// brokenWorker is NewBrokenBackend's worker.
type brokenWorker struct{ coarseWorker }

func (w *brokenWorker) Execute(op OpID, r *jrand.Rand) (int, Serial, error) {
	switch {
	case op.Type() == StructuralModification, op == T3a, op == T3b, op == T3c, op == OP15:
		return w.exclusive(op, r)
	}
	return w.shared(op, r)
}
