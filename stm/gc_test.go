package stm

import (
	"bytes"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"
)

// chainLen counts the bodies reachable from a box's head.
func chainLen[T any](v *Var[T]) int {
	n := 0
	for b := v.head.Load(); b != nil; b = b.next.Load() {
		n++
	}
	return n
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestGCBoundedWithLongReader commits millions of times while one read-only transaction keeps
// its old snapshot open: the heap must stay flat (only the bodies that snapshot reads survive,
// plus the heads), and the reader must still read its snapshot at the end.
func TestGCBoundedWithLongReader(t *testing.T) {
	const boxes = 1000
	commits := scaled(2_000_000)
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		v := make([]*Var[int], boxes)
		for i := range v {
			v[i] = NewVar(i)
		}
		inside, release, done := make(chan struct{}), make(chan struct{}), make(chan error)
		go func() {
			done <- s.ReadOnly(func(tx Tx) error {
				close(inside)
				<-release
				for i, b := range v {
					if got := b.Load(tx); got != i {
						t.Errorf("long reader: box %d = %d, want its snapshot value %d", i, got, i)
					}
				}
				return nil
			})
		}()
		<-inside
		var base uint64
		var peakGrowth int64
		r := rand.New(rand.NewPCG(1, 2))
		// Each checkpoint first runs a collector pass: what the background collector has not yet
		// reached is garbage to come, not growth (on a loaded machine it lags by many commits).
		for c := range commits {
			if c == commits/10 {
				s.CollectGarbage()
				base = heapInUse()
			}
			if c > commits/10 && c%(commits/10) == 0 {
				s.CollectGarbage()
				peakGrowth = max(peakGrowth, int64(heapInUse())-int64(base))
			}
			a, b := v[r.IntN(boxes)], v[r.IntN(boxes)]
			_ = s.Atomic(func(tx Tx) error {
				a.Store(tx, a.Load(tx)+1)
				b.Store(tx, b.Load(tx)+1)
				return nil
			})
		}
		// Without collection every commit would keep two 32-byte bodies: 64 bytes a commit.
		// The allowance is a twentieth of that plus a fixed megabyte: buffers of the collector
		// (every commit hands it its bodies) and the Go collector's own noise do not grow with
		// the commits, and under the race detector there are ten times fewer of them.
		unbounded := int64(commits) * 64 * 9 / 10
		if peakGrowth > unbounded/20+1<<20 {
			t.Fatalf("heap grew by %d bytes over %d commits (unbounded would be ~%d)", peakGrowth, commits, unbounded)
		}
		s.CollectGarbage()
		for _, b := range v {
			if n := chainLen(b); n > 2 {
				t.Fatalf("a box keeps %d bodies with one reader open", n)
			}
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		s.CollectGarbage()
		for i, b := range v {
			if n := chainLen(b); n != 1 {
				t.Fatalf("box %d keeps %d bodies after the reader ended", i, n)
			}
		}
		t.Logf("heap growth %d bytes over %d commits; %+v", peakGrowth, commits, s.Stats().GC)
	})
}

// TestPinKeepsSnapshot pins a snapshot, overwrites every box with large values, and checks the
// pinned values stay readable; releasing the pin lets the collector drop them.
func TestPinKeepsSnapshot(t *testing.T) {
	const boxes, size = 200, 16 << 10
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		v := make([]*Var[[]byte], boxes)
		for i := range v {
			v[i] = NewVar(bytes.Repeat([]byte{byte(i)}, size))
		}
		var pin *Pin
		_ = s.ReadOnly(func(tx Tx) error { pin = tx.Pin(); return nil })
		for round := range 5 {
			for i := range v {
				_ = s.Atomic(func(tx Tx) error {
					v[i].Store(tx, bytes.Repeat([]byte{byte(round + 1)}, size))
					return nil
				})
			}
		}
		s.CollectGarbage()
		before := heapInUse()
		for i, b := range v {
			if got := b.LoadAt(pin); len(got) != size || got[0] != byte(i) {
				t.Fatalf("pinned box %d reads %d bytes of %d", i, len(got), got[0])
			}
			if n := chainLen(b); n != 2 {
				t.Fatalf("box %d keeps %d bodies, want 2 (head and pinned)", i, n)
			}
		}
		if err := s.ReadOnlyAt(pin, func(tx Tx) error {
			if tx.Snapshot() != pin.Version() || v[3].Load(tx)[0] != 3 {
				t.Error("ReadOnlyAt does not read the pinned snapshot")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		pin.Release()
		pin.Release()
		s.CollectGarbage()
		for i, b := range v {
			if n := chainLen(b); n != 1 {
				t.Fatalf("box %d keeps %d bodies after release", i, n)
			}
		}
		if freed := int64(before) - int64(heapInUse()); freed < boxes*size*3/4 {
			t.Fatalf("release freed %d bytes, want about %d", freed, boxes*size)
		}
		defer func() {
			if r := recover(); r == nil {
				t.Fatal("reading a released pin did not panic")
			}
		}()
		v[0].LoadAt(pin)
	})
}

func TestInstallAt(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		x, other := NewVar("v0"), NewVar(0)
		_ = s.Atomic(func(tx Tx) error { x.Store(tx, "v1"); return nil }) // version 1
		var pin *Pin
		_ = s.ReadOnly(func(tx Tx) error { pin = tx.Pin(); return nil }) // pins 1
		defer pin.Release()
		for range 3 {
			_ = s.Atomic(func(tx Tx) error { other.Store(tx, other.Load(tx)+1); return nil })
		}
		if s.Clock() != 4 {
			t.Fatalf("clock %d", s.Clock())
		}
		// Racing installs at version 3: exactly one wins, everyone agrees.
		var wg sync.WaitGroup
		wins := make(chan bool, 8)
		for range 8 {
			wg.Go(func() { wins <- x.InstallAt(s, 3, "converted") })
		}
		wg.Wait()
		close(wins)
		n := 0
		for w := range wins {
			if w {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%d installs won", n)
		}
		if x.InstallAt(s, 2, "late") {
			t.Fatal("installed below a newer head")
		}
		_ = s.ReadOnly(func(tx Tx) error {
			if got := x.Load(tx); got != "converted" {
				t.Errorf("snapshot %d reads %q", tx.Snapshot(), got)
			}
			return nil
		})
		if got := x.LoadAt(pin); got != "v1" {
			t.Fatalf("pinned snapshot reads %q, want the pre-install value", got)
		}
		// A read-write transaction that read before the install must not commit over it.
		if x.Version() != 3 {
			t.Fatalf("head version %d", x.Version())
		}
		_ = s.Atomic(func(tx Tx) error { x.Store(tx, x.Load(tx)+"!"); return nil })
		if got := x.LoadLatest(); got != "converted!" {
			t.Fatalf("after a write: %q", got)
		}
		pin.Release()
		s.CollectGarbage()
		if n := chainLen(x); n != 1 {
			t.Fatalf("%d bodies left after the pin went", n)
		}
	})
}

// FuzzVersionList drives a handful of boxes through commits, installs at past versions, pins,
// releases and collector passes, and checks after every step that each live pin still reads
// what the box held at its version, and that the latest state is right.
func FuzzVersionList(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 0, 4, 5, 1, 2, 3, 6, 0, 0, 4})
	f.Add([]byte{2, 0, 0, 0, 2, 3, 3, 1, 1, 4, 4, 5, 5, 0, 2, 3})
	f.Fuzz(func(t *testing.T, ops []byte) {
		for _, a := range Algorithms() {
			s := New(Options{Algorithm: a, GCInterval: -1})
			const boxes = 3
			v := make([]*Var[int], boxes)
			// history[b] lists (version, value) in commit order.
			type entry struct{ version, value int64 }
			history := make([][]entry, boxes)
			for i := range v {
				v[i] = NewVar(-i)
				history[i] = []entry{{0, int64(-i)}}
			}
			valueAt := func(b int, version int64) int {
				h := history[b]
				for i := len(h) - 1; i >= 0; i-- {
					if h[i].version <= version {
						return int(h[i].value)
					}
				}
				t.Fatalf("no history for box %d at %d", b, version)
				return 0
			}
			var pins []*Pin
			next := 1
			for i, op := range ops {
				b := int(op>>4) % boxes
				switch op % 6 {
				case 0, 1: // commit to one or two boxes
					bs := []int{b}
					if op%6 == 1 {
						bs = append(bs, (b+1)%boxes)
					}
					out, _ := s.Run(false, func(tx Tx) error {
						for _, k := range bs {
							v[k].Store(tx, next)
						}
						return nil
					})
					for _, k := range bs {
						history[k] = append(history[k], entry{out.Version, int64(next)})
					}
					next++
				case 2:
					pins = append(pins, s.PinLatest())
				case 3:
					if len(pins) > 0 {
						k := int(op>>3) % len(pins)
						pins[k].Release()
						pins = append(pins[:k], pins[k+1:]...)
					}
				case 4: // install at the current clock if the head is older
					c := s.Clock()
					h := history[b][len(history[b])-1]
					won := v[b].InstallAt(s, c, next)
					if won != (h.version < c) {
						t.Fatalf("step %d: InstallAt(%d) = %v with head at %d", i, c, won, h.version)
					}
					if won {
						history[b] = append(history[b], entry{c, int64(next)})
						next++
					}
				case 5:
					s.CollectGarbage()
				}
				for _, p := range pins {
					for k := range v {
						if got, want := v[k].LoadAt(p), valueAt(k, p.Version()); got != want {
							t.Fatalf("%v step %d: pin at %d reads box %d = %d, want %d", a, i, p.Version(), k, got, want)
						}
					}
				}
				for k := range v {
					if got, want := v[k].LoadLatest(), valueAt(k, s.Clock()); got != want {
						t.Fatalf("%v step %d: box %d latest = %d, want %d", a, i, k, got, want)
					}
				}
			}
			for _, p := range pins {
				p.Release()
			}
			s.CollectGarbage()
			s.CollectGarbage()
			// Rule 5: with nothing pinned and nothing running, every old version is gone after a
			// collector pass, even from boxes that are never written again.
			for k := range v {
				if n := chainLen(v[k]); n > 1 {
					t.Fatalf("%v: box %d keeps %d bodies with nothing pinned", a, k, n)
				}
			}
			s.Close()
		}
	})
}

// TestGCConcurrentReaders is the collector under fire: readers at many snapshots, writers and a
// collector running every millisecond. Every reader checks the sum invariant.
func TestGCConcurrentReaders(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		const boxes = 16
		v := make([]*Var[int], boxes)
		for i := range v {
			v[i] = NewVar(0)
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 2 {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 3))
				for {
					select {
					case <-stop:
						return
					default:
					}
					a, b := r.IntN(boxes), r.IntN(boxes)
					_ = s.Atomic(func(tx Tx) error {
						v[a].Store(tx, v[a].Load(tx)+1)
						v[b].Store(tx, v[b].Load(tx)-1)
						return nil
					})
				}
			})
		}
		for range 3 {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					_ = s.ReadOnly(func(tx Tx) error {
						sum := 0
						for i, b := range v {
							sum += b.Load(tx)
							if i == boxes/2 {
								time.Sleep(50 * time.Microsecond) // let versions pile up
							}
						}
						if sum != 0 {
							t.Errorf("sum %d at snapshot %d", sum, tx.Snapshot())
						}
						return nil
					})
				}
			})
		}
		time.Sleep(time.Duration(scaled(1000)) * time.Millisecond)
		close(stop)
		wg.Wait()
		t.Logf("%+v", s.Stats().GC)
	})
}

// TestSnapshotHeld checks the query the upgrade engine uses to wait out older snapshots: pins
// and running read-only transactions hold theirs, released or ended ones do not.
func TestSnapshotHeld(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		var x Var[int]
		for i := range 3 {
			_ = s.Atomic(func(tx Tx) error { x.Store(tx, i); return nil })
		}
		pin := s.PinLatest()
		v := pin.Version()
		if !s.SnapshotHeld(v, v) || !s.SnapshotHeld(0, v+10) || s.SnapshotHeld(v+1, v+10) {
			t.Fatalf("pin at %d not reported exactly", v)
		}
		pin.Release()
		if s.SnapshotHeld(0, v+10) {
			t.Fatal("a released pin still holds its snapshot")
		}
		_ = s.ReadOnly(func(tx Tx) error {
			if !s.SnapshotHeld(tx.Snapshot(), tx.Snapshot()) {
				t.Error("a running read-only transaction's snapshot is not reported")
			}
			return nil
		})
		if s.SnapshotHeld(0, v+10) {
			t.Fatal("an ended transaction still holds its snapshot")
		}
	})
}
