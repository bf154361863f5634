// Package chunked keeps lists of millions of pointers in fixed-size chunks, so that no
// operation on them holds a processor for long.
//
// Go cannot preempt a goroutine inside the runtime's copy or clear of memory that holds
// pointers (nor in the bulk write barrier before them while the collector marks), and an
// asynchronous preemption signal almost never lands between two such calls. Over a slice of
// ten million pointers, one copy, clear or growing append runs for a tenth of a second or more
// (on a VM whose fresh memory faults in slowly, much of it page faults), and meanwhile:
//   - the goroutines and timers queued on that processor wait, since a busy processor does not
//     steal them (a 1 ms sleeper was 215-235 ms late behind such copies, with no collection);
//   - a stop-the-world the collector asks for waits for it, and so does every goroutine
//     (130-190 ms pauses).
//
// A List never copies or clears more than one chunk at a time, grows by adding a chunk, and
// yields its processor (runtime.Gosched, which also honours a pending stop-the-world) between
// chunks whenever an operation covers more than one (the same sleeper: 15-26 ms late).
package chunked

import "runtime"

// Size is the number of entries of a chunk: 32 KiB of pointers, copied or cleared in
// microseconds.
const Size = 4096

// List is a list of T kept in chunks of Size. The zero value is an empty list. A List is not
// safe for concurrent use, but see View.
type List[T any] struct {
	chunks [][]T // every chunk has capacity Size; all but the last are full, the last is not empty
	n      int
}

// Len returns the number of entries.
func (l *List[T]) Len() int { return l.n }

// At returns entry i (0 <= i < Len; Go's bounds checks catch any other i, since every chunk
// but the last is full and the last one's length is exact).
func (l *List[T]) At(i int) T { return l.chunks[i/Size][i%Size] }

// Set replaces entry i (0 <= i < Len).
func (l *List[T]) Set(i int, v T) { l.chunks[i/Size][i%Size] = v }

// Append adds v at the end.
func (l *List[T]) Append(v T) {
	if l.n == len(l.chunks)*Size {
		l.chunks = append(l.chunks, make([]T, 0, Size))
	}
	last := &l.chunks[len(l.chunks)-1]
	*last = append(*last, v)
	l.n++
}

// AppendList adds o's entries at the end, in order.
func (l *List[T]) AppendList(o *List[T]) {
	n := o.n // o may be l
	for i := 0; i < n; i++ {
		if i%Size == Size-1 {
			runtime.Gosched()
		}
		l.Append(o.chunks[i/Size][i%Size])
	}
}

// Truncate drops the entries from n on (0 <= n <= Len): the chunks left empty go, and the
// rest of the last one kept is cleared, so that the list keeps nothing dropped alive.
func (l *List[T]) Truncate(n int) {
	if n < 0 || n > l.n {
		panic("chunked: Truncate outside [0, Len]")
	}
	keep := (n + Size - 1) / Size
	clear(l.chunks[keep:]) // a few thousand chunk headers at most
	l.chunks = l.chunks[:keep]
	if keep > 0 {
		last := &l.chunks[keep-1]
		tail := n - (keep-1)*Size
		clear((*last)[tail:])
		*last = (*last)[:tail]
	}
	l.n = n
}

// Keep keeps, in order, the entries for which keep returns true, and drops the others.
func (l *List[T]) Keep(keep func(T) bool) {
	k := 0
	for i := 0; i < l.n; i++ {
		if i%Size == Size-1 {
			runtime.Gosched()
		}
		if v := l.chunks[i/Size][i%Size]; keep(v) {
			l.chunks[k/Size][k%Size] = v
			k++
		}
	}
	l.Truncate(k)
}

// DropFront drops the first k entries (0 <= k <= Len), moving the others down.
func (l *List[T]) DropFront(k int) {
	if k < 0 || k > l.n {
		panic("chunked: DropFront outside [0, Len]")
	}
	if k == 0 {
		return
	}
	for i := k; i < l.n; i++ {
		if i%Size == Size-1 {
			runtime.Gosched()
		}
		j := i - k
		l.chunks[j/Size][j%Size] = l.chunks[i/Size][i%Size]
	}
	l.Truncate(l.n - k)
}

// Clone returns a copy of the list that shares nothing with it.
func (l *List[T]) Clone() *List[T] {
	out := &List[T]{chunks: make([][]T, len(l.chunks)), n: l.n}
	for c, chunk := range l.chunks {
		out.chunks[c] = append(make([]T, 0, Size), chunk...)
		runtime.Gosched()
	}
	return out
}

// View returns a read-only list of the entries now, sharing their memory with l, in time
// proportional to the number of chunks. Appends to l do not show in the view, and the view
// may be read while l is appended to, from another goroutine, without a lock. Any other
// change to l (Set, Truncate, Keep, DropFront) would show in the view and race with its
// readers: a list that is viewed must only be appended to, and replaced rather than changed
// in place.
func (l *List[T]) View() *List[T] {
	return &List[T]{chunks: append([][]T(nil), l.chunks...), n: l.n}
}
