package stmbench7

import (
	"sync"

	"golang.org/x/sys/cpu"

	"dustm/stmbench7/jrand"
)

// The medium backend: the reference's medium-grained locking (MGLockingOperationExecutor and
// MGLockingComplexAssemblyImpl). A set of reader-writer locks, always taken in this order:
//
//  1. the structure lock,
//  2. the manual lock,
//  3. the base-assembly (level 1) lock,
//  4. the composite-part lock,
//  5. the document lock,
//  6. the atomic-part lock (which also protects the build-date index),
//  7. one lock per complex-assembly level, from the root level down to level 2.
//
// Structural modifications take only the structure lock, in write mode. Every other operation
// takes the structure lock in read mode plus its own set (mediumPlan). OP6 and OP12 take
// nothing more up front: the complex assemblies they touch lock their level lazily (read for
// NullComplex and ComplexDate, write for UpdateComplexDate); all of them are siblings, so one
// level, and the lock is released at the end of the operation.
//
// The reference's locks are non-fair ReentrantReadWriteLocks. Go's sync.RWMutex is close to
// that: a non-fair Java lock also makes new readers wait when a writer heads its queue. It is
// not reentrant, though, so the Tx remembers which level locks the operation holds (taken up
// front by Q6, ST3 and ST8, or lazily) and never takes one twice; the reference relies on
// reentrancy for the same calls.

type mediumLocks struct {
	levels int          // NumAssmLevels
	locks  []paddedLock // in the global order above
}

// paddedLock is a reader-writer lock with a cache line of padding after it, so that no two
// locks of a slice share a line. Every RLock and RUnlock writes the lock's reader count, so
// locks side by side would make the readers of one (all operations take the structure lock)
// invalidate the line of the next (the atomic-part lock, taken by the most frequent updates):
// false sharing that the reference's separate lock objects do not suffer from.
type paddedLock struct {
	sync.RWMutex
	_ cpu.CacheLinePad
}

const (
	lockStructure = iota
	lockManual
	lockBase
	lockComposite
	lockDocument
	lockAtomic
	lockFirstLevel // the root level's lock; level l's is lockFirstLevel + levels - l
)

func newMediumLocks(levels int) *mediumLocks {
	return &mediumLocks{levels: levels, locks: make([]paddedLock, lockFirstLevel+levels-1)}
}

func (m *mediumLocks) structure() *sync.RWMutex { return &m.locks[lockStructure].RWMutex }

// levelLock returns the index of complex level l's lock (2 <= l <= levels).
func (m *mediumLocks) levelLock(l int) int { return lockFirstLevel + m.levels - l }

// lockReq is one lock an operation takes up front.
type lockReq struct {
	lock  int
	write bool
}

// mediumPlan returns the locks op takes up front, in the global order.
func (m *mediumLocks) plan(op OpID) []lockReq {
	if op.Type() == StructuralModification {
		return []lockReq{{lockStructure, true}}
	}
	reqs := []lockReq{{lockStructure, false}}
	add := func(lock int, write bool) { reqs = append(reqs, lockReq{lock, write}) }
	allLevels := func(write bool) {
		for l := m.levels; l >= 2; l-- {
			add(m.levelLock(l), write)
		}
	}
	switch op {
	case T1, T6, Q7, ST1, ST9, OP1, OP2, OP3:
		add(lockAtomic, false)
	case T2a, T2b, T2c, T3a, T3b, T3c, ST6, ST10, OP9, OP10, OP15:
		add(lockAtomic, true)
	case T4, ST2:
		add(lockDocument, false)
	case T5, ST7:
		add(lockDocument, true)
	case Q6:
		add(lockBase, false)
		add(lockComposite, false)
		allLevels(false)
	case ST3:
		add(lockBase, false)
		allLevels(false)
	case ST4:
		add(lockBase, false)
		add(lockDocument, false)
	case ST5:
		add(lockBase, false)
		add(lockComposite, false)
	case ST8:
		add(lockBase, true)
		allLevels(true)
	case OP4, OP5:
		add(lockManual, false)
	case OP6, OP12:
		// Level locks are taken lazily by the Tx.
	case OP7:
		add(lockBase, false)
	case OP8:
		add(lockComposite, false)
	case OP11:
		add(lockManual, true)
	case OP13:
		add(lockBase, true)
	case OP14:
		add(lockComposite, true)
	default:
		panic("stmbench7: medium: no lock plan for " + op.String())
	}
	return reqs
}

// Level-lock states in mediumTx.held.
const (
	levelFree uint8 = iota
	levelPreRead
	levelPreWrite
	levelLazyRead
	levelLazyWrite
)

// mediumTx is plainTx plus the lazily taken complex-level locks.
type mediumTx struct {
	plainTx
	locks     *mediumLocks
	held      []uint8 // by level (index 0 and 1 unused)
	exclusive bool    // the structure lock is held in write mode: no level locks needed
}

func (t *mediumTx) NullComplex(a *ComplexAssembly) { t.readLevel(a.Level) }

func (t *mediumTx) ComplexDate(a *ComplexAssembly) int {
	t.readLevel(a.Level)
	return t.plainTx.ComplexDate(a)
}

func (t *mediumTx) UpdateComplexDate(a *ComplexAssembly) {
	t.writeLevel(a.Level)
	t.plainTx.UpdateComplexDate(a)
}

func (t *mediumTx) readLevel(l int) {
	if t.exclusive || t.held[l] != levelFree {
		return
	}
	t.locks.locks[t.locks.levelLock(l)].RLock()
	t.held[l] = levelLazyRead
}

func (t *mediumTx) writeLevel(l int) {
	if t.exclusive {
		return
	}
	switch t.held[l] {
	case levelPreWrite, levelLazyWrite:
		return
	case levelPreRead, levelLazyRead:
		// The reference would deadlock here too (a ReentrantReadWriteLock cannot upgrade);
		// no operation does it.
		panic("stmbench7: medium: upgrading a read-locked assembly level to write")
	}
	t.locks.locks[t.locks.levelLock(l)].Lock()
	t.held[l] = levelLazyWrite
}

type mediumWorker struct {
	tx     mediumTx
	plan   [NumOps][]lockReq
	serial serialCounter
}

func newMediumWorker(s *plainStore, serial serialCounter) *mediumWorker {
	w := &mediumWorker{serial: serial, tx: mediumTx{
		plainTx: *newPlainTx(s),
		locks:   s.medium,
		held:    make([]uint8, s.params.NumAssmLevels+1),
	}}
	for op := range OpID(NumOps) {
		w.plan[op] = s.medium.plan(op)
	}
	return w
}

func (w *mediumWorker) Execute(op OpID, r *jrand.Rand) (res int, at Serial, err error) {
	t := &w.tx
	locks := t.locks
	plan := w.plan[op]
	for _, q := range plan {
		if q.write {
			locks.locks[q.lock].Lock()
		} else {
			locks.locks[q.lock].RLock()
		}
		if q.lock >= lockFirstLevel {
			l := locks.levels - (q.lock - lockFirstLevel)
			t.held[l] = levelPreRead
			if q.write {
				t.held[l] = levelPreWrite
			}
		}
	}
	t.exclusive = op.Type() == StructuralModification
	defer w.release(plan)
	res, err = opTable[op](t, r)
	return res, w.serial.next(), err
}

// release unlocks the lazily taken level locks, then the plan's.
func (w *mediumWorker) release(plan []lockReq) {
	t := &w.tx
	locks := t.locks
	for l, h := range t.held {
		switch h {
		case levelLazyRead:
			locks.locks[locks.levelLock(l)].RUnlock()
		case levelLazyWrite:
			locks.locks[locks.levelLock(l)].Unlock()
		}
		t.held[l] = levelFree
	}
	for _, q := range plan {
		if q.write {
			locks.locks[q.lock].Unlock()
		} else {
			locks.locks[q.lock].RUnlock()
		}
	}
	t.exclusive = false
}
