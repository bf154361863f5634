package stm

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
)

// ErrNotExclusive is returned by [Tx.Parallel] outside the function of [STM.Exclusive].
var ErrNotExclusive = errors.New("stm: Tx.Parallel is only for the function run by STM.Exclusive")

// Parallel runs fn(0, w0), …, fn(n-1, wn-1) on n goroutines and returns once all have
// returned. It is for the function of [STM.Exclusive]: work that needs no transaction of its
// own (reads at pinned snapshots, computing the values to store) can use every processor while
// the world is stopped. The goroutines count as the stopper: a transaction one of them begins
// fails with [ErrNestedInExclusive] instead of waiting for the world to resume. They must not
// use tx (a transaction is single-threaded); each stores through its [Writer] instead
// ([Var.StoreBy]), and once all have returned their writes join tx's, in worker order, as if
// stored through tx. A box may be written by one writer only, and not through tx before: a box
// written twice is reported as an error, with the writers' writes dropped. A panic in fn is
// raised again here once every goroutine has returned. Parallel returns an error, running
// nothing, when tx is not the exclusive transaction or n < 1.
func (tx Tx) Parallel(n int, fn func(worker int, w *Writer)) error {
	tx.check()
	w := tx.t.s.world.Load()
	if !tx.t.exclusive || w == nil {
		return ErrNotExclusive
	}
	if n < 1 {
		return fmt.Errorf("stm: Tx.Parallel with %d workers (accepted: 1 or more)", n)
	}
	var wg sync.WaitGroup
	var once sync.Once
	var panicked any
	writers := make([]Writer, n)
	for k := range n {
		wg.Go(func() {
			id := goroutineID()
			w.addHelper(id)
			defer w.removeHelper(id)
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { panicked = r })
				}
			}()
			fn(k, &writers[k])
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	return tx.t.merge(writers)
}

// Writer buffers the writes of one goroutine of [Tx.Parallel].
type Writer struct {
	writes []wsEntry
}

// Grow makes room for n more writes without reallocating.
func (w *Writer) Grow(n int) { w.writes = slices.Grow(w.writes, n) }

// StoreBy buffers x as the box's new value through w, a writer of [Tx.Parallel]: once the
// workers have returned, it is the exclusive transaction's write, as if by [Var.Store].
func (v *Var[T]) StoreBy(w *Writer, x T) {
	if v.head.Load() == nil {
		v.initZero()
	}
	b := &vbody[T]{value: x}
	w.writes = append(w.writes, wsEntry{&v.head, &b.body})
}

// merge appends the writers' writes to t's write set. A box written twice (by two writers, or
// by a writer and t itself) is an error: two bodies at one version would break the box's list.
func (t *txn) merge(writers []Writer) error {
	n0 := len(t.writes)
	for _, w := range writers {
		for _, e := range w.writes {
			t.wfilter |= filterBit(e.box)
		}
		t.writes = append(t.writes, w.writes...)
	}
	if len(t.writes) <= indexThreshold {
		for i := n0; i < len(t.writes); i++ {
			for j := range i {
				if t.writes[j].box == t.writes[i].box {
					t.dropWrites(n0)
					return errWrittenTwice
				}
			}
		}
		return nil
	}
	if t.windex == nil {
		t.windex = make(map[*atomic.Pointer[body]]int32, len(t.writes))
	}
	if !t.indexed {
		for i, w := range t.writes[:n0] {
			t.windex[w.box] = int32(i)
		}
		t.indexed = true
	}
	for i := n0; i < len(t.writes); i++ {
		if _, dup := t.windex[t.writes[i].box]; dup {
			t.dropWrites(n0)
			return errWrittenTwice
		}
		t.windex[t.writes[i].box] = int32(i)
	}
	return nil
}

var errWrittenTwice = errors.New("stm: Tx.Parallel: a box was written twice (by two writers, or by a writer and the transaction)")

// dropWrites forgets the writes from index n0 on, index included.
func (t *txn) dropWrites(n0 int) {
	if t.indexed {
		for _, w := range t.writes[n0:] {
			if i, ok := t.windex[w.box]; ok && int(i) >= n0 {
				delete(t.windex, w.box)
			}
		}
	}
	clear(t.writes[n0:])
	t.writes = t.writes[:n0]
}

func (w *stoppedWorld) addHelper(id uint64) {
	w.mu.Lock()
	if w.helpers == nil {
		w.helpers = make(map[uint64]struct{})
	}
	w.helpers[id] = struct{}{}
	w.mu.Unlock()
}

func (w *stoppedWorld) removeHelper(id uint64) {
	w.mu.Lock()
	delete(w.helpers, id)
	w.mu.Unlock()
}

// stoppedBy reports whether goroutine id stopped the world or works for the goroutine that did.
func (w *stoppedWorld) stoppedBy(id uint64) bool {
	if id == w.stopper {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.helpers[id]
	return ok
}
