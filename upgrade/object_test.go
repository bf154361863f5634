package upgrade

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"dustm/stm"
)

// TestLoadPaths reads objects down each path of Object.Load: the read-only fast path, a
// read-only snapshot older than the box's newest body, a read-write transaction, a state in
// an older shape (converted), an object of a class created after the program version, and a
// deleted object. Each path must give what the slow path alone would.
func TestLoadPaths(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		w := newWorld(t, a, 3)
		ro := func(f func(tx Tx)) {
			t.Helper()
			if err := w.e.ReadOnly(func(tx Tx) error { f(tx); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		ro(func(tx Tx) {
			if got := codeV1.read(tx, w.items[1]); got != 1 {
				t.Errorf("fast path: item 1 = %d, want 1", got)
			}
		})

		// A snapshot older than the newest body.
		started, wrote, done := make(chan struct{}), make(chan struct{}), make(chan int, 1)
		go func() {
			_ = w.e.ReadOnly(func(tx Tx) error {
				close(started)
				<-wrote
				done <- codeV1.read(tx, w.items[1])
				return nil
			})
		}()
		<-started
		if err := w.e.Atomic(func(tx Tx) error {
			codeV1.write(tx, w.items[1], 10)
			if got := codeV1.read(tx, w.items[1]); got != 10 {
				t.Errorf("read-write: own write of item 1 = %d, want 10", got)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		close(wrote)
		if got := <-done; got != 1 {
			t.Errorf("older snapshot: item 1 = %d, want 1", got)
		}

		// A class created after program version 1 (beyond its class table) is at version 1.
		late := w.e.NewClass("Late")
		lo := w.e.NewObjectLatest(late, nil, &ItemV1{N: 5})
		ro(func(tx Tx) {
			if got := Get[*ItemV1](tx, lo).N; got != 5 {
				t.Errorf("late class: %d, want 5", got)
			}
		})

		// Older shape: a read-only transaction of the new version converts on first read.
		m := w.upgrade(t, "v2", codeV2, map[*Class]Transformer{w.item: toV2()}, Lazy)
		ro(func(tx Tx) {
			if got := codeV2.read(tx, w.items[2]); got != 2 {
				t.Errorf("converted: item 2 = %d, want 2", got)
			}
			if got := codeV2.read(tx, w.items[2]); got != 2 { // now on the fast path
				t.Errorf("converted, read again: item 2 = %d, want 2", got)
			}
		})
		if st := m.Stats(); st.ConvertedForeground != 1 {
			t.Errorf("%d foreground conversions, want 1 (item 2 only)", st.ConvertedForeground)
		}

		// Deleted: reading it is a program error that says so, on the read-only path too.
		if err := w.e.Atomic(func(tx Tx) error { w.items[0].Delete(tx); return nil }); err != nil {
			t.Fatal(err)
		}
		msg := func() (msg string) {
			defer func() { msg = fmt.Sprint(recover()) }()
			ro(func(tx Tx) { w.items[0].Load(tx) })
			return "no panic"
		}()
		if !strings.Contains(msg, "read after it was deleted") {
			t.Errorf("loading a deleted object: %q, want a panic saying it was deleted", msg)
		}
	})
}

// Atomically and AtomicallyReadOnly return what the transaction's function returns, read in
// the program version the transaction runs, and roll a failing function back.
func TestAtomicallyReturnsResult(t *testing.T) {
	s := stm.New(stm.Options{})
	defer s.Close()
	e := New(s, codeV1)
	defer e.Close()
	item := e.NewClass("Item")
	o := e.NewObjectLatest(item, nil, &ItemV1{N: 41})
	n, err := Atomically(e, func(tx Tx) (int, error) {
		v := Get[*ItemV1](tx, o).N + 1
		o.Store(tx, &ItemV1{N: v})
		return v, nil
	})
	if err != nil || n != 42 {
		t.Fatalf("Atomically = %d, %v; want 42", n, err)
	}
	boom := errors.New("boom")
	if _, err := Atomically(e, func(tx Tx) (int, error) {
		o.Store(tx, &ItemV1{N: 0})
		return 0, boom
	}); !errors.Is(err, boom) {
		t.Fatalf("a failing function: %v", err)
	}
	got, err := AtomicallyReadOnly(e, func(tx Tx) (int, error) {
		if tx.Program().Number != 1 {
			t.Errorf("program %d", tx.Program().Number)
		}
		return Get[*ItemV1](tx, o).N, nil
	})
	if err != nil || got != 42 {
		t.Fatalf("AtomicallyReadOnly = %d, %v; want 42 (the failed write rolled back)", got, err)
	}
}
