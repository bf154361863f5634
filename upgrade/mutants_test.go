package upgrade

import (
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"dustm/stm"
)

// The tests in this file each kill a mutant of the engine's edges that the rest of the suite
// let live (issue 20).

// TestBlindStoreConvertsFirst: a store that does not read the object still converts it first,
// so that a conversion that would fail makes the store fail, and a conversion is counted.
func TestBlindStoreConvertsFirst(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 2)
		bad := errors.New("item 0 cannot be converted")
		tr := func(o *Object, old any, v View) (any, error) {
			if o == w.items[0] {
				return nil, bad
			}
			return toV2()(o, old, v)
		}
		m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: tr}, Lazy)
		err := w.e.Atomic(func(tx Tx) error { codeV2.write(tx, w.items[0], 5); return nil })
		var ce *ConversionError
		if !errors.As(err, &ce) || !errors.Is(err, bad) {
			t.Fatalf("a blind store to an object whose conversion fails returned %v, want its *ConversionError", err)
		}
		if st := w.items[0].box.LoadLatest(); st.ver != 1 {
			t.Fatalf("the failed store wrote the object (class version %d)", st.ver)
		}
		if err := w.e.Atomic(func(tx Tx) error { codeV2.write(tx, w.items[1], 6); return nil }); err != nil {
			t.Fatal(err)
		}
		if got := m.Stats().ConvertedForeground; got != 1 {
			t.Fatalf("%d conversions counted after a blind store to an unconverted object, want 1", got)
		}
	})
}

// TestCloseWaitsForSweepers closes the engine while a sweeper is inside a transformer: the
// migration may end only once the sweeper is out, since its transformer still reads at the
// pinned snapshot.
func TestCloseWaitsForSweepers(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, a, 4)
			blocked, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			tr := func(o *Object, old any, v View) (any, error) {
				once.Do(func() { close(blocked); <-release })
				if _, err := v.Load(w.items[3]); err != nil {
					return nil, err
				}
				return toV2()(o, old, v)
			}
			m, err := w.e.Upgrade(t.Context(), Upgrade{Name: "v2", Code: codeV2,
				Transformers: map[*Class]Transformer{w.item: tr}},
				Options{Strategy: LazySweep, Sweepers: 1, CheckInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			<-blocked
			w.e.Close()
			synctest.Wait()
			select {
			case <-m.Done():
				t.Error("Close ended the migration while a sweeper was inside a transformer")
			default:
			}
			if !w.s.SnapshotHeld(m.version-1, m.version-1) {
				t.Error("Close released the pin while a sweeper was inside a transformer")
			}
			close(release) // (after an error too: the bubble must end)
			<-m.Done()
			if st := m.Stats(); st.Failures != 0 || !st.Stopped {
				t.Fatalf("after Close: %+v (want stopped, no failure)", st)
			}
		})
	})
}

// TestCloseEndsWaitForOlderSnapshots: a migration whose objects are all converted waits for a
// transaction that may still convert from the pinned snapshot; Close must end that wait too.
func TestCloseEndsWaitForOlderSnapshots(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, a, 2)
			m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
			inside, release := make(chan struct{}), make(chan struct{})
			readerDone := make(chan error)
			go func() {
				readerDone <- w.e.ReadOnly(func(tx Tx) error {
					for _, it := range w.items {
						codeV2.read(tx, it) // converts every object
					}
					close(inside)
					<-release
					return nil
				})
			}()
			<-inside
			time.Sleep(10 * time.Millisecond) // the watcher sees every object converted
			synctest.Wait()
			select {
			case <-m.Done():
				t.Error("the migration ended while a transaction at the upgrade's snapshot runs")
			default:
			}
			w.e.Close()
			synctest.Wait()
			select {
			case <-m.Done():
			default:
				t.Error("Close did not end a migration waiting for an older snapshot")
			}
			close(release)
			if err := <-readerDone; err != nil {
				t.Fatal(err)
			}
			<-m.Done()
		})
	})
}

// TestPinHeldForReaderAtUpgradeSnapshot: a transaction at the upgrade's own snapshot is still
// converting an object (inside its transformer) when another transaction converts the rest,
// with no commit since the upgrade. The pin must stay until it ends: its transformer reads
// at the pinned snapshot.
func TestPinHeldForReaderAtUpgradeSnapshot(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, a, 2)
			inTr, release := make(chan struct{}), make(chan struct{})
			first := make(chan struct{}, 1) // a token for the first conversion only
			first <- struct{}{}
			tr := func(o *Object, old any, v View) (any, error) {
				if o == w.items[0] {
					select {
					case <-first:
						close(inTr)
						<-release
					default:
					}
					if _, err := v.Load(w.items[1]); err != nil {
						return nil, err
					}
				}
				return toV2()(o, old, v)
			}
			m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: tr}, Lazy)
			slow := make(chan error)
			go func() {
				slow <- w.e.ReadOnly(func(tx Tx) error { codeV2.read(tx, w.items[0]); return nil })
			}()
			<-inTr
			if err := w.e.ReadOnly(func(tx Tx) error {
				for _, it := range w.items {
					codeV2.read(tx, it)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond) // the watcher sees every object converted
			synctest.Wait()
			select {
			case <-m.Done():
				t.Error("the migration ended while a transaction at the upgrade's snapshot was converting")
			default:
			}
			if !w.s.SnapshotHeld(m.version-1, m.version-1) {
				t.Error("the pin was released while a transaction at the upgrade's snapshot was converting")
			}
			close(release)
			if err := <-slow; err != nil {
				t.Fatalf("the converting transaction failed: %v", err)
			}
			<-m.Done()
		})
	})
}
