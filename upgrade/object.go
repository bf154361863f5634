package upgrade

import (
	"errors"
	"fmt"
	"sync"
	"weak"

	"dustm/internal/chunked"
	"dustm/stm"
)

// Class is an upgradable type. Its shape in each program version is the Go type of the states
// its objects hold in that version; the engine only tracks the class's version number.
type Class struct {
	name string
	id   uint32
	reg  registry
}

// Name returns the class's name.
func (c *Class) Name() string { return c.name }

// Objects returns the number of registered objects of the class that are still alive (in the
// Go sense: objects the program deleted may still be reachable from old versions).
func (c *Class) Objects() int { return len(c.reg.live()) }

// state is what an object's box holds: a value in the shape of one version of its class.
type state struct {
	ver uint32 // the class version whose shape v has; deleted for a deleted object
	v   any
}

// deleted is the class version of a deleted object's state: newer than any real version, so
// no migration ever counts the object as left to convert.
const deleted = ^uint32(0)

// ErrDeleted is the error a view returns for an object the program had deleted at the view's
// snapshot.
var ErrDeleted = errors.New("upgrade: the object was deleted")

// Object is an upgradable object: a handle with a stable identity (other objects keep pointing
// at it) whose state is versioned by the STM and tagged with its class version.
type Object struct {
	box   stm.Var[state]
	cid   uint32
	class *Class
	owner any
}

// Class returns the object's class.
func (o *Object) Class() *Class { return o.class }

// Owner returns the program value this object is the state of (given at creation), so a
// transformer can reach the program's own links.
func (o *Object) Owner() any { return o.owner }

// Load returns the object's state in the shape of tx's program version, converting the object
// first if it still has an older shape. A conversion that fails ends the transaction's function
// with a *ConversionError, which the engine returns from Atomic/ReadOnly/Run.
//
// Load cannot inline (a call alone costs most of the inlining budget); a hot loop of reads can
// put its fast path in line with Peek.
func (o *Object) Load(tx Tx) any {
	if v := o.Peek(tx); v != nil {
		return v
	}
	return o.load(tx)
}

// Peek is Load's fast path on its own, small enough to inline into the caller: when tx is
// read-only, its snapshot sees the object's newest state and that state has the shape of tx's
// program version (the steady state: one load of the box's newest body and one compare of the
// class version it carries), it returns the state. Otherwise, or when the state is nil, it
// returns nil and the caller reads with Load, which converts the object if it must:
//
//	v := o.Peek(tx)
//	if v == nil {
//		v = o.Load(tx)
//	}
//
// A read-only transaction at a snapshot older than the newest program version (begun before
// an upgrade) may take the fast path too: the state its snapshot sees, in its program's shape,
// is what Load returns.
func (o *Object) Peek(tx Tx) any {
	if st := o.box.Peek(tx.Tx); st != nil && st.ver == tx.p.versionOf(o.cid) {
		return st.v
	}
	return nil
}

// load is Load's slow path: a read-write transaction, a state newer than the snapshot, or an
// object to convert.
func (o *Object) load(tx Tx) any {
	st := o.box.Load(tx.Tx)
	if st.ver != tx.p.versionOf(o.cid) {
		return tx.p.engine.convertForTx(tx, o, st) // out of line: to convert, or deleted
	}
	return st.v
}

// Store replaces the object's state; v must have the shape of tx's program version.
//
// An object still in an older shape is converted first, even though its old state is not
// read: the conversion installs the new shape at the upgrade's version, and no transaction may
// write an object after an upgrade without that install (readers between the upgrade and this
// write must find the converted state, rule 4).
func (o *Object) Store(tx Tx, v any) {
	need := tx.p.versionOf(o.cid)
	if latest := o.box.LoadLatest(); latest.ver < need {
		tx.p.engine.convertForTx(tx, o, latest)
	}
	o.box.Store(tx.Tx, state{ver: need, v: v})
}

// Delete marks the object deleted in tx, for a program that unlinks it from everything that
// reaches it in the same transaction. A deleted object needs no conversion: a migration does
// not wait for it, and an eager upgrade, a sweeper and a dry run skip it. Loading it afterwards
// is a program error (it panics saying so); transactions at older snapshots still read the
// state it had.
func (o *Object) Delete(tx Tx) {
	o.box.Store(tx.Tx, state{ver: deleted})
}

// Deleted reports whether the object is deleted as of tx.
func (o *Object) Deleted(tx Tx) bool { return o.box.Load(tx.Tx).ver == deleted }

// Get is Load with the state's expected Go type; a state of another type is a program error
// (the code of one version reading an object in another version's shape) and panics saying so.
func Get[S any](tx Tx, o *Object) S {
	v := o.Load(tx)
	s, ok := v.(S)
	if !ok {
		panic(fmt.Sprintf("upgrade: object of class %s holds %T in program version %d, the code expects %T",
			o.class.name, v, tx.p.Number, *new(S)))
	}
	return s
}

// registry lists a class's objects through weak pointers: it never keeps an object alive, and
// dead entries are dropped as the list grows. The list is chunked and only ever appended to or
// replaced, so that a migration's scan of millions of objects reads a view of it without a
// copy and without holding the lock.
type registry struct {
	mu        sync.Mutex
	objs      chunked.List[weak.Pointer[Object]]
	compacted int // length after the last compaction
}

func (r *registry) add(o *Object) {
	wp := weak.Make(o)
	r.mu.Lock()
	r.objs.Append(wp)
	if r.objs.Len() >= 2*r.compacted+1024 {
		r.compactLocked()
	}
	r.mu.Unlock()
}

// compactLocked replaces the list by its live entries (not in place: views share its chunks).
func (r *registry) compactLocked() {
	var kept chunked.List[weak.Pointer[Object]]
	for i := range r.objs.Len() {
		if wp := r.objs.At(i); wp.Value() != nil {
			kept.Append(wp)
		}
	}
	r.objs = kept
	r.compacted = kept.Len()
}

// live returns the objects alive now.
func (r *registry) live() []*Object {
	wps := r.weakLive()
	out := make([]*Object, 0, wps.Len())
	for i := range wps.Len() {
		if o := wps.At(i).Value(); o != nil {
			out = append(out, o)
		}
	}
	return out
}

// weakLive returns a view of the registry's weak pointers, for long-lived lists that must not
// keep objects alive.
func (r *registry) weakLive() *chunked.List[weak.Pointer[Object]] {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.objs.View()
}
