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
//     the operations are the code of program version 1 (classes.go), so the benchmark can be
//     upgraded while it runs. The difference between the two is the cost of being upgradable.
//
// A worker's serial point is its transaction's: 2·v for a read-write transaction that committed
// writes at version v, 2·s+1 for any other at snapshot s.

// stmCore is what the two STM backends share: the memory, and running an operation as a
// transaction.
type stmCore struct {
	name string
	opts Options
	s    *stm.STM
}

// stmPlainBackend is stm-plain.
type stmPlainBackend struct{ stmCore }

// stmBackend is stm: stm-plain's storage of indexes and pools, design objects that are
// upgradable objects of the engine, and the upgrades requested so far.
type stmBackend struct {
	stmCore
	e   *upgrade.Engine
	cls *classes

	mu      sync.Mutex
	applied []*UpgradeStep // the upgrade steps requested so far, in order
}

func init() {
	backendFactories["stm-plain"] = func(o Options) (Backend, error) {
		return &stmPlainBackend{stmCore{name: "stm-plain", opts: o}}, nil
	}
	backendFactories["stm"] = func(o Options) (Backend, error) {
		if o.Layout != LayoutObject {
			// An upgradable object's state is one box, which the engine tags with its class
			// version and converts as a whole: per-field boxes would need transformers that
			// read fields at the migration's snapshot, which the engine's View does not offer.
			return nil, fmt.Errorf("the stm method keeps each upgradable object in one box: layout %q is for stm-plain only (accepted for stm: %s)", o.Layout, LayoutObject)
		}
		return newSTMBackend(o), nil
	}
}

func newSTMBackend(o Options) *stmBackend { return &stmBackend{stmCore: stmCore{name: "stm", opts: o}} }

func (b *stmCore) Name() string    { return b.name }
func (b *stmCore) MaxThreads() int { return 0 }

// STM returns the memory the backend runs on (nil before Build).
func (b *stmCore) STM() *stm.STM { return b.s }

// Engine returns the upgrade engine (nil before Build).
func (b *stmBackend) Engine() *upgrade.Engine { return b.e }

// start checks p and makes the memory and the storage of a new structure.
func (b *stmCore) start(p Params) (*stmStore, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if b.s != nil {
		return nil, fmt.Errorf("stmbench7: the %s backend has built a structure already (one per backend)", b.name)
	}
	b.s = stm.New(stm.Options{Algorithm: b.opts.STMCommit})
	return newSTMStore(p), nil
}

func (b *stmCore) structure(store *stmStore, m *Module) *Structure {
	store.module = m
	return &Structure{params: store.params, module: m, backend: b.name, data: store}
}

// Build builds the structure in one transaction, rewinding r if it reruns.
func (b *stmPlainBackend) Build(p Params, r *jrand.Rand) (*Structure, error) {
	store, err := b.start(p)
	if err != nil {
		return nil, err
	}
	saved, tx := *r, newSTMTx(store, b.opts.Layout)
	m, err := stm.Atomically(b.s, func(stx stm.Tx) (*Module, error) {
		*r, tx.stx = saved, stx
		return Build(tx, p, r)
	})
	if err != nil {
		return nil, err
	}
	return b.structure(store, m), nil
}

// Build builds the structure in one transaction of program version 1.
func (b *stmBackend) Build(p Params, r *jrand.Rand) (*Structure, error) {
	store, err := b.start(p)
	if err != nil {
		return nil, err
	}
	b.e = upgrade.New(b.s, codeV1)
	b.cls = newClasses(b.e)
	saved, tx := *r, newUpgTx(store, b.e, b.cls)
	m, err := upgrade.Atomically(b.e, func(utx upgrade.Tx) (*Module, error) {
		*r = saved
		tx.bind(utx)
		return Build(tx.view, p, r)
	})
	if err != nil {
		return nil, err
	}
	return b.structure(store, m), nil
}

func stmStoreOf(s *Structure) *stmStore { return dataOf[*stmStore](s, "an STM backend's") }

// run runs fn on tx in one transaction.
func (b *stmPlainBackend) run(tx *stmTx, readOnly bool, fn func(Tx) error) (stm.Outcome, error) {
	return b.s.Run(readOnly, func(stx stm.Tx) error {
		tx.stx = stx
		return fn(tx)
	})
}

// run runs fn in one transaction, on the Tx of the transaction's program version.
func (b *stmBackend) run(tx *upgTx, readOnly bool, fn func(Tx) error) (stm.Outcome, error) {
	return b.e.Run(readOnly, func(utx upgrade.Tx) error {
		tx.bind(utx)
		return fn(tx.view)
	})
}

func (b *stmPlainBackend) NewWorker(s *Structure, thread int) Worker {
	w := &stmPlainWorker{s: b.s, tx: newSTMTx(stmStoreOf(s), b.opts.Layout)}
	w.body = func(stx stm.Tx) error {
		w.tx.stx = stx
		return w.op.run(w.tx)
	}
	return w
}

func (b *stmBackend) NewWorker(s *Structure, thread int) Worker {
	w := &stmWorker{e: b.e, tx: newUpgTx(stmStoreOf(s), b.e, b.cls)}
	w.body = func(utx upgrade.Tx) error {
		w.tx.bind(utx)
		return w.op.run(w.tx.view)
	}
	return w
}

// The workers bind their transaction's body once, so that an operation allocates no closure;
// the body leaves the operation's result in the worker's stmOp rather than returning it
// through stm.Atomically, whose function would have to capture the operation anew each time.

type stmPlainWorker struct {
	s    *stm.STM
	tx   *stmTx
	op   stmOp
	body func(stm.Tx) error
}

type stmWorker struct {
	e    *upgrade.Engine
	tx   *upgTx
	op   stmOp
	body func(upgrade.Tx) error
}

func (w *stmPlainWorker) Execute(op OpID, r *jrand.Rand) (int, Serial, error) {
	w.op.start(op, r)
	return w.op.result(w.s.Run(op.ReadOnly(), w.body))
}

func (w *stmWorker) Execute(op OpID, r *jrand.Rand) (int, Serial, error) {
	w.op.start(op, r)
	return w.op.result(w.e.Run(op.ReadOnly(), w.body))
}

// stmOp is one operation run as a transaction. An operation's failure (ErrOperationFailed)
// is one of its results, not a reason to roll back: the transaction commits whatever the
// operation did before it failed, as the reference does (its JVSTM executor commits in a
// finally block, and the lock methods undo nothing either). It matters for SM1 and SM7, which
// give back the ids they took when a pool runs out, at the end of the pool's queue: rolling
// that back would reorder the pools and every later run of the structure. Any other error (a
// conversion that failed during a lazy upgrade, an STM failure) rolls the transaction back.
type stmOp struct {
	op      OpID
	r       *jrand.Rand
	saved   jrand.Rand
	res     int
	failure error // the operation's own failure, carried out of the committed transaction
}

func (o *stmOp) start(op OpID, r *jrand.Rand) { *o = stmOp{op: op, r: r, saved: *r} }

// run is the transaction's body: a rerun makes the same random choices.
func (o *stmOp) run(tx Tx) error {
	*o.r = o.saved
	var err error
	o.res, err = Run(o.op, tx, o.r)
	o.failure = nil
	if errors.Is(err, ErrOperationFailed) {
		o.failure, err = err, nil
	}
	return err
}

// result returns the operation's result and serial point from the transaction's outcome.
func (o *stmOp) result(out stm.Outcome, err error) (int, Serial, error) {
	o.r = nil
	at := ReaderSerial(out.Snapshot)
	if out.Wrote {
		at = WriterSerial(out.Version)
	}
	if err == nil {
		err = o.failure
	}
	if err != nil {
		return 0, at, err
	}
	return o.res, at, nil
}

func (b *stmPlainBackend) View(s *Structure, fn func(Tx) error) error {
	_, err := b.run(newSTMTx(stmStoreOf(s), b.opts.Layout), true, fn)
	return err
}

func (b *stmBackend) View(s *Structure, fn func(Tx) error) error {
	_, err := b.run(newUpgTx(stmStoreOf(s), b.e, b.cls), true, fn)
	return err
}

func (b *stmCore) Stats() any {
	if b.s == nil {
		return nil
	}
	return b.s.Stats()
}

func (b *stmCore) Close() {
	if b.s != nil {
		b.s.Close()
	}
}

func (b *stmBackend) Close() {
	if b.e != nil {
		b.e.Close()
	}
	b.stmCore.Close()
}
