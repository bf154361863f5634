package bench

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"dustm/stmbench7"
	"dustm/stmbench7/jrand"
)

// fakeBackend is a tiny synchronization method for testing the runner without the real
// structure: its "structure" is a few integer cells, and every operation draws from the
// thread's generator, fails one time in ten, and otherwise updates one cell under a lock.
// How much it draws depends on the state, so a replay in the wrong order goes astray, as with
// the real operations.
type fakeBackend struct {
	name string
	// split takes the serial number and applies the update in two separate critical
	// sections: a synchronization bug the replay must catch.
	split bool
	// delay is how long every operation takes (0: as fast as it goes).
	delay time.Duration
	// fatalAfter > 0 makes operation number fatalAfter (over all threads) return an error
	// that is not an operation failure.
	fatalAfter int64
	// panicAfter > 0 makes operation number panicAfter panic.
	panicAfter int64
	executed   atomic.Int64

	mu     sync.Mutex
	serial stmbench7.Serial
	cells  [8]int64
	built  bool
	closed bool
}

func newFake(name string) *fakeBackend { return &fakeBackend{name: name} }

// fakes returns a Config.NewBackend that hands out b for its name and fresh fakes for
// others (the replay's "none").
func fakes(b *fakeBackend) func(string, stmbench7.Options) (stmbench7.Backend, error) {
	return func(name string, _ stmbench7.Options) (stmbench7.Backend, error) {
		if name == b.name {
			return b, nil
		}
		return newFake(name), nil
	}
}

func (b *fakeBackend) Name() string { return b.name }

func (b *fakeBackend) MaxThreads() int {
	if b.name == "none" {
		return 1
	}
	return 0
}

func (b *fakeBackend) Build(p stmbench7.Params, r *jrand.Rand) (*stmbench7.Structure, error) {
	if b.built {
		return nil, errors.New("fake: built twice")
	}
	b.built = true
	for i := range b.cells {
		b.cells[i] = int64(r.IntN(1000))
	}
	return &stmbench7.Structure{}, nil
}

func (b *fakeBackend) NewWorker(s *stmbench7.Structure, thread int) stmbench7.Worker {
	return &fakeWorker{b: b}
}

func (b *fakeBackend) View(s *stmbench7.Structure, fn func(stmbench7.Tx) error) error {
	return errors.New("fake: no Tx")
}

func (b *fakeBackend) Stats() any {
	if b.name == "stm" {
		return map[string]int{"commits": 1}
	}
	return nil
}

func (b *fakeBackend) Close() { b.closed = true }

func (b *fakeBackend) snapshot() [8]int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cells
}

type fakeWorker struct{ b *fakeBackend }

var errFake = errors.New("fake: broken invariant")

func (w *fakeWorker) Execute(op stmbench7.OpID, r *jrand.Rand) (int, stmbench7.Serial, error) {
	b := w.b
	if n := b.executed.Add(1); b.fatalAfter > 0 && n == b.fatalAfter {
		return 0, 0, errFake
	} else if b.panicAfter > 0 && n == b.panicAfter {
		panic("fake: corrupted state")
	}
	if b.delay > 0 {
		time.Sleep(b.delay)
	}
	x := r.IntN(100)
	cell := int(op) % len(b.cells)
	b.mu.Lock()
	at := b.serial
	b.serial++
	if x < 10 {
		b.mu.Unlock()
		return 0, at, fmt.Errorf("%w: fake failure", stmbench7.ErrOperationFailed)
	}
	if b.split {
		b.mu.Unlock()
		b.mu.Lock()
	}
	v := b.cells[cell]
	if v%2 == 0 { // a state-dependent extra draw
		v += int64(r.IntN(7))
	}
	v = (v*31 + int64(x) + int64(op)) % 1_000_003
	b.cells[cell] = v
	b.mu.Unlock()
	return int(v & 0xffff), at, nil
}

// fakeDiff compares two fakes' cells.
func fakeDiff(a stmbench7.Backend, _ *stmbench7.Structure, b stmbench7.Backend, _ *stmbench7.Structure, max int) ([]string, error) {
	ca, cb := a.(*fakeBackend).snapshot(), b.(*fakeBackend).snapshot()
	var d []string
	for i := range ca {
		if ca[i] != cb[i] && len(d) < max {
			d = append(d, fmt.Sprintf("cell %d: %d vs %d", i, ca[i], cb[i]))
		}
	}
	if slices.Equal(ca[:], cb[:]) {
		return nil, nil
	}
	return d, nil
}

// fakeConfig is a short run over a fake backend.
func fakeConfig(b *fakeBackend) Config {
	cfg := DefaultConfig()
	cfg.Backend = b.name
	cfg.Size = "tiny"
	cfg.Length = 300 * time.Millisecond
	cfg.Interval = 20 * time.Millisecond
	cfg.ProgressEvery = 50 * time.Millisecond
	cfg.NewBackend = fakes(b)
	cfg.diff = fakeDiff
	cfg.check = func(*stmbench7.Structure, stmbench7.Backend, bool) error { return nil }
	return cfg
}
