package upgrade

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"dustm/stm"
)

// The tests in this file each name one edge of the engine that an adversarial review found
// broken or untested; each fails when the edge it names is broken.

func waitDone(t *testing.T, m *Migration) {
	t.Helper()
	select {
	case <-m.Done():
	case <-time.After(20 * time.Second):
		t.Fatalf("migration %s never finished: %+v", m.name, m.Stats())
	}
}

// TestBlindStoreRacesConversion writes every object once, blindly (no read first), right
// after a lazy upgrade, while readers convert the same objects. Every store must survive: a
// conversion installed under a store that skipped it, or a write-back that loses its head
// swap to the conversion's install, loses the store.
func TestBlindStoreRacesConversion(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		const n = 500
		for round := range scaled(200) {
			w := newWorld(t, a, n)
			w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
			order := rand.New(rand.NewPCG(uint64(round), 1)).Perm(n)
			var wg sync.WaitGroup
			wg.Go(func() {
				for _, i := range order {
					_ = w.e.Atomic(func(tx Tx) error { codeV2.write(tx, w.items[i], 10_000+i); return nil })
				}
			})
			wg.Go(func() {
				for k := n - 1; k >= 0; k-- {
					i := order[k]
					_ = w.e.ReadOnly(func(tx Tx) error { codeV2.read(tx, w.items[i]); return nil })
				}
			})
			wg.Wait()
			_ = w.e.ReadOnly(func(tx Tx) error {
				for i, it := range w.items {
					if got := codeV2.read(tx, it); got != 10_000+i {
						t.Errorf("round %d: item %d = %d, its committed store wrote %d", round, i, got, 10_000+i)
					}
				}
				return nil
			})
			if t.Failed() {
				return
			}
		}
	})
}

// TestLazyMigrationFinishesAfterDeletion deletes unconverted objects after a lazy upgrade: the
// migration must not wait for them, and views, eager upgrades and dry runs skip them.
func TestLazyMigrationFinishesAfterDeletion(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 10)
		_ = w.e.Atomic(func(tx Tx) error { w.items[9].Delete(tx); return nil }) // before the upgrade
		m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
		_ = w.e.Atomic(func(tx Tx) error {
			for _, it := range w.items[:3] {
				it.Delete(tx) // never converted
			}
			return nil
		})
		_ = w.e.ReadOnly(func(tx Tx) error {
			for _, it := range w.items[3:9] {
				codeV2.read(tx, it)
			}
			if !w.items[0].Deleted(tx) || w.items[3].Deleted(tx) {
				t.Error("Deleted reports the wrong objects")
			}
			return nil
		})
		waitDone(t, m)
		if st := m.Stats(); !st.Complete || st.Objects != 9 {
			t.Fatalf("stats after the migration: %+v (want complete, 9 objects to convert)", st)
		}
		// A view at a snapshot where the object is deleted says so; eager and dry runs skip it.
		var viewErr error
		tr := Convert(func(s *ItemV2) (*ItemV3, error) { return &ItemV3{Label: "x", N: s.N}, nil })
		rep, err := w.e.DryRun(context.Background(), Upgrade{Name: "dry", Code: codeV3,
			Transformers: map[*Class]Transformer{w.item: func(o *Object, old any, v View) (any, error) {
				_, viewErr = v.Load(w.items[0])
				return tr(o, old, v)
			}}})
		if err != nil || rep.Err() != nil || rep.Objects != 6 {
			t.Fatalf("dry run: %v, %+v", err, rep)
		}
		if !errors.Is(viewErr, ErrDeleted) {
			t.Fatalf("view of a deleted object: %v, want ErrDeleted", viewErr)
		}
		m3 := w.upgrade(t, "v3", codeV3, map[*Class]Transformer{w.item: tr}, Eager)
		if got := m3.Stats().ConvertedStopped; got != 6 {
			t.Fatalf("eager converted %d objects, want the 6 not deleted", got)
		}
	})
}

// TestCloseEndsMigration: Engine.Close ends a lazy migration that cannot finish; Done is
// closed, the pin released, and the stats say it stopped.
func TestCloseEndsMigration(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 10)
		m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
		w.e.Close()
		waitDone(t, m)
		st := m.Stats()
		if st.Complete || !st.Stopped {
			t.Fatalf("stats after Close: %+v (want stopped, not complete)", st)
		}
		if w.s.SnapshotHeld(m.version-1, m.version-1) {
			t.Fatal("the pinned snapshot is still held after Close")
		}
	})
}

// TestEagerTransformerStartingTransaction: a transformer that starts a transaction while the
// world is stopped gets stm.ErrNestedInExclusive (it used to wait for itself for ever), and
// the upgrade fails atomically.
func TestEagerTransformerStartingTransaction(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 3)
		tr := func(o *Object, old any, v View) (any, error) {
			if err := w.e.ReadOnly(func(Tx) error { return nil }); err != nil {
				return nil, err
			}
			return toV2()(o, old, v)
		}
		done := make(chan error, 1)
		go func() {
			_, err := w.e.Upgrade(context.Background(), Upgrade{Name: "nested", Code: codeV2,
				Transformers: map[*Class]Transformer{w.item: tr}}, Options{Strategy: Eager})
			done <- err
		}()
		select {
		case err := <-done:
			if !errors.Is(err, stm.ErrNestedInExclusive) {
				t.Fatalf("upgrade returned %v, want an error wrapping stm.ErrNestedInExclusive", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("eager upgrade with a transformer that starts a transaction deadlocked")
		}
		if w.e.Current().Number != 1 {
			t.Fatal("the failed upgrade changed the program version")
		}
	})
}

// TestAtomicRerunsInNewVersion (rule 2, through Atomic and ReadOnly): a read-write
// transaction that began before an upgrade and would commit after it reruns in the new
// version; a read-only one runs entirely in the version of its snapshot.
func TestAtomicRerunsInNewVersion(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 3)
		upgraded := make(chan struct{})
		var once sync.Once
		startUpgrade := func() {
			once.Do(func() {
				go func() {
					w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
					close(upgraded)
				}()
				<-upgraded
			})
		}
		var programs []int
		err := w.e.Atomic(func(tx Tx) error {
			programs = append(programs, tx.Program().Number)
			c := tx.Code().(*code)
			n := c.read(tx, w.items[0])
			startUpgrade()
			c.write(tx, w.items[1], n+100)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if last := programs[len(programs)-1]; last != 2 || len(programs) < 2 {
			t.Fatalf("attempts ran in program versions %v; the committed one must be 2", programs)
		}
		_ = w.e.ReadOnly(func(tx Tx) error {
			if got := codeV2.read(tx, w.items[1]); got != 100 {
				t.Errorf("item 1 = %d, want 100", got)
			}
			return nil
		})

		// Read-only: starts in version 2, stays there while version 3 commits.
		upgraded = make(chan struct{})
		once = sync.Once{}
		var seen []int
		_ = w.e.ReadOnly(func(tx Tx) error {
			seen = append(seen, tx.Program().Number)
			go func() {
				w.upgrade(t, "v3", codeV3, map[*Class]Transformer{w.item: toV3()}, Lazy)
				close(upgraded)
			}()
			<-upgraded
			codeV2.read(tx, w.items[2]) // still the version-2 shape
			seen = append(seen, tx.Program().Number)
			return nil
		})
		if fmt.Sprint(seen) != "[2 2]" {
			t.Fatalf("read-only transaction saw program versions %v, want [2 2]", seen)
		}
	})
}

// TestSuccessiveUpgradesChainTransformers (rule 6, without views): an object untouched by two
// successive lazy upgrades goes through both transformers, in order, when first read.
func TestSuccessiveUpgradesChainTransformers(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 4)
		w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
		labelTwice := Convert(func(s *ItemV2) (*ItemV3, error) {
			return &ItemV3{Label: fmt.Sprint(s.Twice), N: s.N}, nil
		})
		w.upgrade(t, "v3", codeV3, map[*Class]Transformer{w.item: labelTwice}, Lazy)
		err := w.e.ReadOnly(func(tx Tx) error {
			for i, it := range w.items {
				if got := Get[*ItemV3](tx, it); got.N != i || got.Label != fmt.Sprint(2*i) {
					t.Errorf("item %d = %+v, want N=%d Label=%d (both transformers)", i, *got, i, 2*i)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestDryRunInstallsNothing dry-runs an upgrade on a store whose clock has moved (so an
// install at the dry run's snapshot would succeed) and checks that no object changed.
func TestDryRunInstallsNothing(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 8)
		other := w.e.NewObjectLatest(w.sum, nil, &SumV1{})
		for k := range 5 {
			_ = w.e.Atomic(func(tx Tx) error { other.Store(tx, &SumV1{Total: k}); return nil })
		}
		type look struct {
			version int64
			bodies  int
			ver     uint32
		}
		snap := func() []look {
			var out []look
			for _, it := range w.items {
				out = append(out, look{it.box.Version(), it.box.Bodies(), it.box.LoadLatest().ver})
			}
			return out
		}
		before := snap()
		rep, err := w.e.DryRun(context.Background(), Upgrade{Name: "dry", Code: codeV2,
			Transformers: map[*Class]Transformer{w.item: toV2()}})
		if err != nil || rep.Err() != nil || rep.Objects != 8 || rep.Snapshot != w.s.Clock() {
			t.Fatalf("dry run: %v %+v (clock %d)", err, rep, w.s.Clock())
		}
		if after := snap(); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatalf("the dry run changed objects: before %v, after %v", before, after)
		}
		if w.e.Current().Number != 1 {
			t.Fatal("the dry run changed the program version")
		}
	})
}

// TestEagerReleasesPin: once an eager upgrade returns, it holds no snapshot.
func TestEagerReleasesPin(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 8)
		m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Eager)
		if w.s.SnapshotHeld(0, w.s.Clock()) {
			t.Fatalf("a snapshot is still held after the eager upgrade %+v", m.Stats())
		}
		waitDone(t, m)
	})
}

// TestPinHeldUntilSweepersFinish blocks a sweeper inside a transformer while the program
// converts every object itself: the pin must stay until the sweeper is done (its transformer
// still reads through the view), and nothing may fail.
func TestPinHeldUntilSweepersFinish(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, a, 4)
			blocked, release := make(chan struct{}), make(chan struct{})
			var once sync.Once
			tr := func(o *Object, old any, v View) (any, error) {
				if v.by == bySweeper {
					once.Do(func() { close(blocked); <-release })
					if _, err := v.Load(w.items[3]); err != nil {
						return nil, err
					}
				}
				return toV2()(o, old, v)
			}
			m, err := w.e.Upgrade(context.Background(), Upgrade{Name: "v2", Code: codeV2,
				Transformers: map[*Class]Transformer{w.item: tr}},
				Options{Strategy: LazySweep, Sweepers: 1, CheckInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			<-blocked
			_ = w.e.ReadOnly(func(tx Tx) error {
				for _, it := range w.items {
					codeV2.read(tx, it)
				}
				return nil
			})
			time.Sleep(20 * time.Millisecond) // many check intervals: a watcher that does not wait would release now
			synctest.Wait()
			select {
			case <-m.Done():
				t.Fatal("the migration finished while a sweeper was still converting")
			default:
			}
			if !w.s.SnapshotHeld(m.version-1, m.version-1) {
				t.Fatal("the pinned snapshot was released while a sweeper was still converting")
			}
			close(release)
			waitDone(t, m)
			if st := m.Stats(); st.Failures != 0 {
				t.Fatalf("conversion failures: %+v", st)
			}
		})
	})
}

// TestEagerWaitsForRunningTransactions: an eager upgrade converts only once the program's
// transactions already running have finished, and none runs beside its conversions.
func TestEagerWaitsForRunningTransactions(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		synctest.Test(t, func(t *testing.T) {
			w := newWorld(t, a, 4)
			inside, release := make(chan struct{}), make(chan struct{})
			var running sync.WaitGroup
			var active sync.Mutex // held while a program transaction's function runs
			running.Go(func() {
				first := true
				_ = w.e.Atomic(func(tx Tx) error {
					active.Lock()
					defer active.Unlock()
					c := tx.Code().(*code)
					n := c.read(tx, w.items[0])
					if first {
						first = false
						close(inside)
						<-release
					}
					c.write(tx, w.items[0], n+1)
					return nil
				})
			})
			<-inside
			overlapped := false
			tr := func(o *Object, old any, v View) (any, error) {
				if !active.TryLock() {
					overlapped = true // a program transaction is inside its function
				} else {
					active.Unlock()
				}
				return toV2()(o, old, v)
			}
			done := make(chan error, 1)
			go func() {
				_, err := w.e.Upgrade(context.Background(), Upgrade{Name: "v2", Code: codeV2,
					Transformers: map[*Class]Transformer{w.item: tr}}, Options{Strategy: Eager})
				done <- err
			}()
			time.Sleep(5 * time.Millisecond) // a window for an upgrade that does not wait
			synctest.Wait()
			close(release)
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			running.Wait()
			if overlapped {
				t.Fatal("the eager upgrade converted objects while a program transaction was running")
			}
			_ = w.e.ReadOnly(func(tx Tx) error {
				if got := codeV2.read(tx, w.items[0]); got != 1 {
					t.Errorf("item 0 = %d, want 1 (the transaction that ran across the upgrade)", got)
				}
				return nil
			})
		})
	})
}
