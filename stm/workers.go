package stm

import (
	"errors"
	"fmt"
	"sync"
)

// ErrNotExclusive is returned by [Tx.Parallel] outside the function of [STM.Exclusive].
var ErrNotExclusive = errors.New("stm: Tx.Parallel is only for the function run by STM.Exclusive")

// Parallel runs fn(0), …, fn(n-1) on n goroutines and returns once all have returned. It is for
// the function of [STM.Exclusive]: work that needs no transaction of its own (reads at pinned
// snapshots, computing the values to store) can use every processor while the world is
// stopped. The goroutines count as the stopper: a transaction one of them begins fails with
// [ErrNestedInExclusive] instead of waiting for the world to resume. They must not use tx
// (a transaction is single-threaded): store what they compute through tx after Parallel
// returns. A panic in fn is raised again here once every goroutine has returned. Parallel
// returns an error, running nothing, when tx is not the exclusive transaction or n < 1.
func (tx Tx) Parallel(n int, fn func(worker int)) error {
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
			fn(k)
		})
	}
	wg.Wait()
	if panicked != nil {
		panic(panicked)
	}
	return nil
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
