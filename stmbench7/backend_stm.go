package stmbench7

import (
	"errors"
	"fmt"
	"sync"

	"dustm/stm"
	"dustm/stmbench7/jrand"
	"dustm/upgrade"
)

// The STM backends.
//
//   - stm-plain: every object's mutable state is a value in a versioned box of the project's
//     STM; the indexes and id pools are transactional structures (stmstore.go). Read-only
//     operation types run as read-only transactions (they never abort), the others as
//     read-write transactions, rerun until they commit, with the operation's random choices
//     rewound before every rerun.
//   - stm: the same, but every design object is an upgradable object of the upgrade engine and
//     the operations are the code of program version 1 (code.go), so the benchmark can be
//     upgraded while it runs. The difference between the two is the cost of being upgradable.
//
// A worker's serial point is its transaction's: 2·v for a read-write transaction that committed
// writes at version v, 2·s+1 for any other at snapshot s.

type stmBackend struct {
	name       string
	upgradable bool
	opts       Options

	s   *stm.STM
	e   *upgrade.Engine
	cls *classes

	mu      sync.Mutex
	applied []*UpgradeStep // the upgrade steps requested so far, in order
}

func init() {
	backendFactories["stm-plain"] = func(o Options) (Backend, error) {
		return &stmBackend{name: "stm-plain", opts: o}, nil
	}
	backendFactories["stm"] = func(o Options) (Backend, error) {
		return &stmBackend{name: "stm", upgradable: true, opts: o}, nil
	}
}

func (b *stmBackend) Name() string    { return b.name }
func (b *stmBackend) MaxThreads() int { return 0 }

// STM returns the memory the backend runs on (nil before Build).
func (b *stmBackend) STM() *stm.STM { return b.s }

// Engine returns the upgrade engine of the stm backend (nil for stm-plain, and before Build).
func (b *stmBackend) Engine() *upgrade.Engine { return b.e }

func (b *stmBackend) Build(p Params, r *jrand.Rand) (*Structure, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if b.s != nil {
		return nil, fmt.Errorf("stmbench7: the %s backend has built a structure already (one per backend)", b.name)
	}
	b.s = stm.New(stm.Options{Algorithm: b.opts.STMCommit})
	store := newSTMStore(p)
	saved := *r
	var m *Module
	var err error
	if b.upgradable {
		b.e = upgrade.New(b.s, codeV1)
		b.cls = newClasses(b.e)
		tx := &upgTx{stmIndexes: stmIndexes{s: store}, e: b.e, cls: b.cls}
		err = b.e.Atomic(func(utx upgrade.Tx) error {
			*r = saved
			tx.bind(utx)
			m, err = Build(tx, p, r)
			return err
		})
	} else {
		tx := &plainSTMTx{stmIndexes{s: store}}
		err = b.s.Atomic(func(stx stm.Tx) error {
			*r = saved
			tx.stx = stx
			m, err = Build(tx, p, r)
			return err
		})
	}
	if err != nil {
		return nil, err
	}
	store.module = m
	return &Structure{params: p, module: m, backend: b.name, data: store}, nil
}

func stmStoreOf(s *Structure) *stmStore { return dataOf[*stmStore](s, "an STM backend's") }

func (b *stmBackend) newTx(s *Structure) Tx {
	store := stmStoreOf(s)
	if b.upgradable {
		return &upgTx{stmIndexes: stmIndexes{s: store}, e: b.e, cls: b.cls}
	}
	return &plainSTMTx{stmIndexes{s: store}}
}

// run runs fn in one transaction of the right kind, pointing tx at it.
func (b *stmBackend) run(tx Tx, readOnly bool, fn func() error) (stm.Outcome, error) {
	if b.upgradable {
		t := tx.(*upgTx)
		return b.e.Run(readOnly, func(utx upgrade.Tx) error {
			t.bind(utx)
			return fn()
		})
	}
	t := tx.(*plainSTMTx)
	return b.s.Run(readOnly, func(stx stm.Tx) error {
		t.stx = stx
		return fn()
	})
}

func (b *stmBackend) NewWorker(s *Structure, thread int) Worker {
	return &stmWorker{b: b, tx: b.newTx(s)}
}

type stmWorker struct {
	b  *stmBackend
	tx Tx
}

// Execute runs op in one transaction. An operation's failure (ErrOperationFailed) is one of
// its results, not a reason to roll back: the transaction commits whatever the operation did
// before it failed, as the reference does (its JVSTM executor commits in a finally block, and
// the lock methods undo nothing either). It matters for SM1 and SM7, which give back the ids
// they took when a pool runs out, at the end of the pool's queue: rolling that back would
// reorder the pools and every later run of the structure. Any other error (a conversion that
// failed during a lazy upgrade, an STM failure) rolls the transaction back.
func (w *stmWorker) Execute(op OpID, r *jrand.Rand) (int, Serial, error) {
	saved := *r
	var res int
	var failure error // the operation's own failure, carried out of the committed transaction
	out, err := w.b.run(w.tx, op.ReadOnly(), func() error {
		*r = saved // a rerun makes the same random choices
		var err error
		res, err = Run(op, w.tx, r)
		failure = nil
		if errors.Is(err, ErrOperationFailed) {
			failure, err = err, nil
		}
		return err
	})
	at := ReaderSerial(out.Snapshot)
	if out.Wrote {
		at = WriterSerial(out.Version)
	}
	if err == nil {
		err = failure
	}
	if err != nil {
		return 0, at, err
	}
	return res, at, nil
}

func (b *stmBackend) View(s *Structure, fn func(Tx) error) error {
	tx := b.newTx(s)
	_, err := b.run(tx, true, func() error { return fn(tx) })
	return err
}

func (b *stmBackend) Stats() any {
	if b.s == nil {
		return nil
	}
	return b.s.Stats()
}

func (b *stmBackend) Close() {
	if b.e != nil {
		b.e.Close()
	}
	if b.s != nil {
		b.s.Close()
	}
}
