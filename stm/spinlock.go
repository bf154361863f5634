package stm

import (
	"runtime"
	"sync/atomic"
)

// spinLock is the lock-based algorithm's commit lock. Commits hold it for a few dozen
// nanoseconds, so waiting by spinning beats parking the goroutine (sync.Mutex parks after a
// short spin, and waking costs microseconds); a waiter yields its processor now and then so a
// preempted holder can run.
type spinLock struct {
	held atomic.Bool
}

func (l *spinLock) Lock() {
	for spins := 0; ; spins++ {
		if !l.held.Load() && l.held.CompareAndSwap(false, true) {
			return
		}
		if spins%1024 == 1023 {
			runtime.Gosched()
		}
	}
}

func (l *spinLock) Unlock() { l.held.Store(false) }
