package upgrade

import (
	"fmt"
	"sync"

	"dustm/stm"
)

// Program is one version of the program: its code and the version of every class's shape.
// Programs are immutable; each one but the first was produced by an upgrade.
type Program struct {
	// Number counts versions from 1.
	Number int
	// Code is the code of this version, as given to New or in the Upgrade.
	Code     any
	classVer []uint32 // by class id; a class created later than the program is at version 1
	prev     *Program
	up       *Migration // the upgrade that produced this version (nil for version 1)
	engine   *Engine
}

func (p *Program) versionOf(cid uint32) uint32 {
	// classVer ends with a 1 that stands for every class created after the program: one
	// bounds check, no branch, so that Object.Peek stays small enough to inline.
	return p.classVer[min(int(cid), len(p.classVer)-1)]
}

// ClassVersion returns the version of c's shape in this program.
func (p *Program) ClassVersion(c *Class) int { return int(p.versionOf(c.id)) }

// Previous returns the version this one was upgraded from (nil for version 1).
func (p *Program) Previous() *Program { return p.prev }

// lastChange returns the newest program at or before p whose upgrade changed class cid (nil if
// none did: the class is still in its first shape).
func (p *Program) lastChange(cid uint32) *Program {
	for q := p; q != nil && q.up != nil; q = q.prev {
		if q.up.changes(cid) {
			return q
		}
	}
	return nil
}

// Engine runs transactions of an upgradable program and upgrades it.
type Engine struct {
	s  *stm.STM
	pv stm.Var[*Program] // the program version every transaction reads first
	// tick is a box no program transaction reads: committing to it advances the clock without
	// conflicting with anyone (a migration does, before it waits out older snapshots).
	tick stm.Var[uint64]

	mu         sync.Mutex // serializes upgrades and class creation
	classes    []*Class
	migrations []*Migration
}

// New creates an engine on s whose program starts at version 1 with the given code.
func New(s *stm.STM, code any) *Engine {
	e := &Engine{s: s}
	e.pv.Init(&Program{Number: 1, Code: code, engine: e, classVer: []uint32{1}})
	return e
}

// STM returns the memory the engine runs on.
func (e *Engine) STM() *stm.STM { return e.s }

// NewClass declares an upgradable class. Its first shape is version 1 in every program that
// does not change it.
func (e *Engine) NewClass(name string) *Class {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := &Class{name: name, id: uint32(len(e.classes))}
	e.classes = append(e.classes, c)
	return c
}

// Current returns the newest committed program version.
func (e *Engine) Current() *Program { return e.pv.LoadLatest() }

// Migrations returns every upgrade requested so far, oldest first.
func (e *Engine) Migrations() []*Migration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]*Migration(nil), e.migrations...)
}

// Tx is a transaction of the program: an STM transaction that knows which program version it
// runs. It is a small value, valid only inside the function it was passed to.
type Tx struct {
	stm.Tx
	p *Program
}

// Program returns the program version the transaction runs.
func (tx Tx) Program() *Program { return tx.p }

// Code returns the code of the transaction's program version.
func (tx Tx) Code() any { return tx.p.Code }

// Atomic runs fn as a read-write transaction of the current program version, rerunning it
// until it commits. A transaction that began before an upgrade and commits after it is rerun
// in the new version (it read the program version, which the upgrade wrote).
func (e *Engine) Atomic(fn func(Tx) error) error {
	return e.s.Atomic(e.bind(fn))
}

// ReadOnly runs fn as a read-only transaction: it runs entirely in the program version of its
// snapshot, even if an upgrade commits meanwhile.
func (e *Engine) ReadOnly(fn func(Tx) error) error {
	return e.s.ReadOnly(e.bind(fn))
}

// Run is Atomic or ReadOnly with the STM's outcome reported.
func (e *Engine) Run(readOnly bool, fn func(Tx) error) (stm.Outcome, error) {
	return e.s.Run(readOnly, e.bind(fn))
}

// bind turns fn into the STM transaction that runs it: it reads the program version first, on
// the read-only fast path inline (every read-only transaction pays for that read).
func (e *Engine) bind(fn func(Tx) error) func(stm.Tx) error {
	return func(stx stm.Tx) error { return fn(e.txOf(stx)) }
}

// txOf returns the program's transaction for stx.
func (e *Engine) txOf(stx stm.Tx) Tx {
	if p := e.pv.Peek(stx); p != nil { // read-only: Peek answers only there
		return Tx{Tx: stx, p: *p}
	}
	// Read-write, or read-only at a snapshot older than the newest program version (begun
	// before the last upgrade, rare): Object.Load reads through Var.Load.
	return Tx{Tx: stx, p: e.pv.Load(stx)}
}

// Atomically runs fn as Atomic does and returns its result: the generic form of Atomic, as
// stm.Atomically is of stm.STM.Atomic.
func Atomically[R any](e *Engine, fn func(Tx) (R, error)) (R, error) {
	return stm.Atomically(e.s, func(stx stm.Tx) (R, error) { return fn(e.txOf(stx)) })
}

// AtomicallyReadOnly runs fn as ReadOnly does and returns its result.
func AtomicallyReadOnly[R any](e *Engine, fn func(Tx) (R, error)) (R, error) {
	return stm.AtomicallyReadOnly(e.s, func(stx stm.Tx) (R, error) { return fn(e.txOf(stx)) })
}

// NewObject creates an object of class c in tx, with state v in the shape of tx's program
// version. owner is the program value the object belongs to (see Object.Owner).
func (e *Engine) NewObject(tx Tx, c *Class, owner any, v any) *Object {
	o := new(Object)
	e.InitObject(o, tx, c, owner, v)
	return o
}

// InitObject makes *o, a zero Object the program embeds in its own value (saving an allocation
// and a pointer hop on every access), an object of class c in tx, as NewObject does. The
// Object must not be copied afterwards.
func (e *Engine) InitObject(o *Object, tx Tx, c *Class, owner any, v any) {
	e.initObject(o, c, owner, state{ver: tx.p.versionOf(c.id), v: v})
}

// NewObjectLatest creates an object outside any transaction, in the shape of the newest
// program version: for building a program's initial state before it is shared.
func (e *Engine) NewObjectLatest(c *Class, owner any, v any) *Object {
	o := new(Object)
	e.initObject(o, c, owner, state{ver: e.Current().versionOf(c.id), v: v})
	return o
}

func (e *Engine) initObject(o *Object, c *Class, owner any, st state) {
	o.cid, o.class, o.owner = c.id, c, owner
	o.box.Init(st)
	c.reg.add(o)
}

// ConversionError reports a transformer that failed (returned an error or panicked) while
// converting an object. In lazy migration it fails the operation that touched the object; the
// object stays unconverted and a later access tries again.
type ConversionError struct {
	Upgrade string // the upgrade's name
	Class   string
	Object  *Object
	Err     error
}

func (e *ConversionError) Error() string {
	return fmt.Sprintf("upgrade %q: converting an object of class %s: %v", e.Upgrade, e.Class, e.Err)
}

func (e *ConversionError) Unwrap() error { return e.Err }
