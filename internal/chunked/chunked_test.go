package chunked

import (
	"slices"
	"sync"
	"testing"
)

// apply runs the operations coded in ops on a List and on a plain slice, and fails at the
// first difference between them.
func apply(t *testing.T, ops []byte) {
	var l List[*int]
	var model []*int
	next := 0
	newVal := func() *int { next++; v := next; return &v }
	for i := 0; i+1 < len(ops); i += 2 {
		op, arg := ops[i]%6, int(ops[i+1])
		switch op {
		case 0: // append up to about 2.5 chunks
			for range arg * 40 {
				v := newVal()
				l.Append(v)
				model = append(model, v)
			}
		case 1: // set
			if len(model) > 0 {
				j := arg * 97 % len(model)
				v := newVal()
				l.Set(j, v)
				model[j] = v
			}
		case 2: // truncate
			n := len(model) * arg / 255
			l.Truncate(n)
			clear(model[n:])
			model = model[:n]
		case 3: // keep every entry whose value is not divisible by arg+2
			keep := func(p *int) bool { return *p%(arg+2) != 0 }
			l.Keep(keep)
			model = slices.DeleteFunc(model, func(p *int) bool { return !keep(p) })
		case 4: // drop a front
			k := len(model) * arg / 255
			l.DropFront(k)
			model = slices.Delete(model, 0, k)
		case 5: // append itself, or a clone of itself
			if len(model) < 3*Size {
				if arg%2 == 0 {
					l.AppendList(&l)
				} else {
					l.AppendList(l.Clone())
				}
				model = append(model, model...)
			}
		}
		check(t, &l, model, ops[:i+2])
	}
}

func check(t *testing.T, l *List[*int], model []*int, ops []byte) {
	t.Helper()
	if l.Len() != len(model) {
		t.Fatalf("after ops %v: Len %d, want %d", ops, l.Len(), len(model))
	}
	for i, want := range model {
		if got := l.At(i); got != want {
			t.Fatalf("after ops %v: At(%d) = %d, want %d", ops, i, *got, *want)
		}
	}
	// The invariant At relies on, and nothing dropped kept alive behind the last entry.
	for c, chunk := range l.chunks {
		if cap(chunk) != Size || c < len(l.chunks)-1 && len(chunk) != Size || len(chunk) == 0 {
			t.Fatalf("after ops %v: chunk %d has len %d cap %d of %d chunks", ops, c, len(chunk), cap(chunk), len(l.chunks))
		}
	}
	if n := len(l.chunks); n > 0 {
		last := l.chunks[n-1]
		for _, p := range last[len(last):cap(last)] {
			if p != nil {
				t.Fatalf("after ops %v: the last chunk keeps a dropped entry alive beyond its length", ops)
			}
		}
	}
}

func TestListMatchesSlice(t *testing.T) {
	for _, ops := range [][]byte{
		{0, 255, 0, 255, 3, 1, 4, 100, 2, 200, 5, 0},
		{0, 103, 2, 0, 0, 1, 4, 255, 0, 205, 1, 7, 5, 1, 3, 0},
		{0, 255, 5, 0, 4, 1, 2, 254, 0, 3, 3, 5},
	} {
		apply(t, ops)
	}
}

func FuzzListMatchesSlice(f *testing.F) {
	f.Add([]byte{0, 255, 0, 255, 3, 1, 4, 100, 2, 200, 5, 0})
	f.Add([]byte{0, 103, 2, 0, 0, 1, 4, 255, 0, 205, 1, 7, 5, 1, 3, 0})
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 64 {
			ops = ops[:64]
		}
		apply(t, ops)
	})
}

// TestCloneSharesNothing: a change to the clone or to the original does not show in the other.
func TestCloneSharesNothing(t *testing.T) {
	var l List[int]
	for i := range 2*Size + 5 {
		l.Append(i)
	}
	c := l.Clone()
	c.Set(Size+1, -1)
	l.Set(2, -2)
	c.Append(99)
	if l.At(Size+1) != Size+1 || c.At(2) != 2 || l.Len() != 2*Size+5 || c.Len() != 2*Size+6 {
		t.Fatalf("clone and original share entries")
	}
}

// TestViewWhileAppending reads a view while another goroutine appends to the list; run with
// -race, it catches an append that writes where a view reads.
func TestViewWhileAppending(t *testing.T) {
	var l List[int]
	for i := range Size - 3 { // the view ends inside a chunk that the appends keep filling
		l.Append(i)
	}
	v := l.View()
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := range 3 * Size {
			l.Append(Size - 3 + i)
		}
	})
	for range 10 {
		for i := range v.Len() {
			if v.At(i) != i {
				t.Fatalf("view At(%d) = %d", i, v.At(i))
			}
		}
	}
	wg.Wait()
	if v.Len() != Size-3 || l.Len() != 4*Size-3 {
		t.Fatalf("view Len %d, list Len %d", v.Len(), l.Len())
	}
}
