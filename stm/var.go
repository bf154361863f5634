package stm

import (
	"fmt"
	"sync/atomic"
	"unsafe"
)

// body is the type-independent header of one version of a box. Every body in the list of a
// Var[T] is the header of a vbody[T]; keeping the list itself untyped lets validation, write-back
// and garbage collection run without knowing T.
type body struct {
	version int64 // commit version that wrote it; immutable once the body is reachable
	next    atomic.Pointer[body]
	// spliced is set by the version collector (and read only by it) when the body has been
	// unlinked from its box's list; readers already past it may still follow its next pointer.
	spliced bool
}

type vbody[T any] struct {
	body
	value T
}

func valueOf[T any](b *body) T { return (*vbody[T])(unsafe.Pointer(b)).value }

// setNextUnpublished sets the next pointer of a body that no other goroutine can see yet. A
// plain store (with its write barrier) is enough there; an atomic one would pay for a full
// fence on every write-back.
func setNextUnpublished(b, next *body) {
	*(**body)(unsafe.Pointer(&b.next)) = next
}

// Var is a versioned box holding a value of type T. The zero Var holds T's zero value, written
// at version 0, so a Var can be embedded in a struct. A Var must not be copied after first use.
type Var[T any] struct {
	_    noCopy
	head atomic.Pointer[body]
}

// noCopy lets `go vet` report copies of a Var.
type noCopy struct{}

func (*noCopy) Lock()   {}
func (*noCopy) Unlock() {}

// NewVar returns a box holding v at version 0, visible to every snapshot.
func NewVar[T any](v T) *Var[T] {
	x := new(Var[T])
	x.Init(v)
	return x
}

// Init sets the initial value of a box that no transaction has used yet (for boxes embedded in
// structs). It is not transactional: call it before the box is shared.
func (v *Var[T]) Init(x T) {
	b := &vbody[T]{value: x}
	v.head.Store(&b.body)
}

// Load reads the box in tx. In a read-write transaction it returns the transaction's own
// pending write if there is one; if the box was committed after tx's snapshot, tx aborts and
// reruns.
func (v *Var[T]) Load(tx Tx) T {
	// The fast path, small enough to inline: a read-only transaction whose snapshot sees the
	// box's newest body.
	if t := tx.t; t.roGen == tx.gen {
		if b := v.head.Load(); b != nil && b.version <= t.snapshot {
			return valueOf[T](b)
		}
	}
	return v.load(tx)
}

func (v *Var[T]) load(tx Tx) T {
	t := tx.t
	if t.gen != tx.gen {
		panicEnded()
	}
	if t.mode != modeReadOnly {
		if t.wfilter != 0 && t.wfilter&filterBit(&v.head) != 0 {
			if b := t.pending(&v.head); b != nil {
				return valueOf[T](b)
			}
		}
		b := t.readRW(&v.head)
		if b == nil {
			var zero T
			return zero
		}
		return valueOf[T](b)
	}
	b := v.head.Load()
	if b == nil {
		var zero T
		return zero
	}
	if b.version > t.snapshot {
		b = olderBody(b, t.snapshot)
	}
	return valueOf[T](b)
}

// Store buffers x as the box's new value in tx; it is installed when tx commits. A Store in a
// read-only transaction ends it with [ErrWriteInReadOnly].
func (v *Var[T]) Store(tx Tx, x T) {
	t := tx.t
	if t.gen != tx.gen {
		panicEnded()
	}
	if t.mode == modeReadOnly {
		panic(writeInReadOnly{})
	}
	if t.wfilter&filterBit(&v.head) != 0 {
		if b := t.pending(&v.head); b != nil {
			(*vbody[T])(unsafe.Pointer(b)).value = x
			return
		}
	}
	if v.head.Load() == nil {
		v.initZero()
	}
	// The new body's next pointer stays nil until write-back links it to the head it
	// replaces; no other goroutine sees the body before that.
	b := &vbody[T]{value: x}
	t.addWrite(&v.head, &b.body)
}

// initZero gives a zero box an explicit body at version 0, so that write-back always finds a
// body to link below the new one and older snapshots keep reading the zero value.
func (v *Var[T]) initZero() {
	z := &vbody[T]{}
	v.head.CompareAndSwap(nil, &z.body)
}

// LoadLatest returns the newest committed value outside of any transaction. It is atomic for
// the box alone; use it for single-threaded set-up, tests and monitoring.
func (v *Var[T]) LoadLatest() T {
	b := v.head.Load()
	if b == nil {
		var zero T
		return zero
	}
	return valueOf[T](b)
}

// LoadAt reads the box as of a pinned snapshot.
func (v *Var[T]) LoadAt(p *Pin) T {
	if p.released.Load() {
		panic(fmt.Errorf("stm: read at snapshot %d: %w", p.version, ErrPinReleased))
	}
	b := v.head.Load()
	if b == nil {
		var zero T
		return zero
	}
	if b.version > p.version {
		b = olderBody(b, p.version)
	}
	return valueOf[T](b)
}

// Bodies counts the versions the box keeps (its newest body and the older ones still linked
// below it): a diagnostic for tests and memory accounting.
func (v *Var[T]) Bodies() int {
	n := 0
	for b := v.head.Load(); b != nil; b = b.next.Load() {
		n++
	}
	return n
}

// Version returns the commit version of the box's newest body (0 for a box never written).
func (v *Var[T]) Version() int64 {
	b := v.head.Load()
	if b == nil {
		return 0
	}
	return b.version
}

// InstallAt installs x as the box's value at the past version `version`, provided the box's
// newest body is older than that version; it reports whether it did. Racing installs of the same
// version agree: exactly one succeeds and the others see the installed body. Snapshots at or
// after `version` then read x, older ones still read the body below it.
//
// The caller guarantees that no transaction has committed a write to the box at a version at or
// after `version` without first installing (the upgrade engine's lazy migration has that
// property: a post-upgrade transaction converts an object before it writes it).
func (v *Var[T]) InstallAt(s *STM, version int64, x T) bool {
	nb := &vbody[T]{value: x}
	nb.version = version
	for {
		h := v.head.Load()
		if h == nil {
			v.initZero()
			continue
		}
		if h.version >= version {
			return false
		}
		nb.next.Store(h)
		if v.head.CompareAndSwap(h, &nb.body) {
			s.gc.installedAt(&nb.body)
			return true
		}
	}
}

// olderBody walks from b to the newest body whose version is at most snapshot.
func olderBody(b *body, snapshot int64) *body {
	for b.version > snapshot {
		n := b.next.Load()
		if n == nil {
			panic(fmt.Sprintf("stm: no version of a box is visible at snapshot %d (oldest is %d): "+
				"the box was published outside a transaction or a snapshot was used unpinned",
				snapshot, b.version))
		}
		b = n
	}
	return b
}

// filterBit maps a box to one bit of a transaction's 64-bit write filter.
func filterBit(h *atomic.Pointer[body]) uint64 {
	a := uintptr(unsafe.Pointer(h))
	return 1 << ((a>>3 ^ a>>9) & 63)
}
