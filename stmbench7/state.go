package stmbench7

import (
	"encoding/binary"
	"strings"
	"unsafe"
)

// The state logic every backend shares. These are pure functions over the mutable parts of
// the states in objects.go: a backend's Tx method loads the state (or the one field it needs),
// applies the function and stores the result. None of them modifies its argument in place, and
// the collection functions always return a fresh slice when they change something: the STM
// backends keep older versions of a state alive for concurrent readers, so a slice that was
// once part of a state must never change again.

// nextDate is the reference's updateBuildDate: an even date is decremented, an odd one
// incremented, so repeated updates oscillate between two adjacent values.
func nextDate(d int32) int32 {
	if d%2 == 0 {
		return d - 1
	}
	return d + 1
}

// swapXY exchanges an atomic part's coordinates.
func swapXY(s atomicState) atomicState {
	s.X, s.Y = s.Y, s.X
	return s
}

// bagAdd appends x to a bag (duplicates allowed) and returns the new bag.
func bagAdd[T comparable](bag []T, x T) []T {
	out := make([]T, len(bag)+1)
	copy(out, bag)
	out[len(bag)] = x
	return out
}

// bagRemove removes the first occurrence of x, as java.util.ArrayList.remove(Object) does
// (the reference's bags and small sets are ArrayLists). It reports whether x was there; if not,
// it returns bag itself.
func bagRemove[T comparable](bag []T, x T) ([]T, bool) {
	i := indexOf(bag, x)
	if i < 0 {
		return bag, false
	}
	out := make([]T, len(bag)-1)
	copy(out, bag[:i])
	copy(out[i:], bag[i+1:])
	return out, true
}

// setAdd appends x unless it is already there (the reference's SmallSet: an ArrayList with a
// duplicate check, so insertion order is kept). It reports whether x was added.
func setAdd[T comparable](set []T, x T) ([]T, bool) {
	if indexOf(set, x) >= 0 {
		return set, false
	}
	return bagAdd(set, x), true
}

// setRemove removes x from a small set; it reports whether x was there.
func setRemove[T comparable](set []T, x T) ([]T, bool) { return bagRemove(set, x) }

func indexOf[T comparable](s []T, x T) int {
	for i, y := range s {
		if y == x {
			return i
		}
	}
	return -1
}

// byteStrings holds the one-byte string of every byte value, so that searching for a byte
// with the strings package's vectorized routines needs no conversion (and no allocation).
var byteStrings = func() (t [256]string) {
	for i := range t {
		t[i] = string([]byte{byte(i)})
	}
	return t
}()

// countByte counts the occurrences of ch in text (Document.searchText and
// Manual.countOccurences; the latter's indexOf loop counts the same thing).
func countByte(text string, ch byte) int { return strings.Count(text, byteStrings[ch]) }

// replacePrefix is the reference's Document.replaceText: if text starts with from, its first
// occurrence of from (that prefix) is replaced by to and the result is 1; otherwise text is
// unchanged and the result 0. (The reference uses String.replaceFirst, a regular expression;
// the patterns the operations use, "I am" and "This is", contain no metacharacters.)
func replacePrefix(text, from, to string) (string, int) {
	if !strings.HasPrefix(text, from) {
		return text, 0
	}
	return to + text[len(from):], 1
}

// replaceByte is the reference's Manual.replaceChar: every from becomes to. It returns the new
// text and the number of occurrences of to in it. Like Java's String.replace it returns the
// text itself when there is nothing to replace, and otherwise one new string.
//
// OP11 runs it on the 1 MB manual, where the letter it flips occurs once a line (33 000
// times): it was a fifth of the stm backend's CPU profile in the -w r mix when it overwrote
// the occurrences one IndexByte at a time. It copies the text once and flips 16 bytes per step
// instead (replaceWords): BenchmarkReplaceByte about a fifth faster, and 5-7 % less CPU per
// operation in the -w r --no-traversals --no-sms mix on every backend. What is left is the
// copy and the new string's allocation, which the reference makes too.
func replaceByte(text string, from, to byte) (string, int) {
	n := countByte(text, to)
	if from == to {
		return text, n
	}
	k := countByte(text, from)
	if k == 0 {
		return text, n
	}
	b := []byte(text)
	replaceWords(b, from, to)
	// b is this function's own copy and is never written again: it can become the string
	// without a second copy.
	return unsafe.String(unsafe.SliceData(b), len(b)), n + k
}

// replaceWords replaces every from in b by to, a word of 8 bytes at a time: a byte of
// x^pattern(from) is zero exactly where x holds from, and the usual exact test for zero bytes
// (no false positives, unlike the subtract-and-mask shortcut) marks those bytes' high bits;
// shifted down to ones and multiplied by from^to, they flip exactly those bytes to to.
func replaceWords(b []byte, from, to byte) {
	const lo7, ones = 0x7f7f7f7f7f7f7f7f, 0x0101010101010101
	pat, flip := ones*uint64(from), uint64(from^to)
	i := 0
	for ; i+16 <= len(b); i += 16 {
		w := b[i : i+16 : i+16]
		x, y := binary.NativeEndian.Uint64(w), binary.NativeEndian.Uint64(w[8:])
		tx, ty := x^pat, y^pat
		zx := ^((tx&lo7 + lo7) | tx | lo7) // the high bit of every zero byte of tx
		zy := ^((ty&lo7 + lo7) | ty | lo7)
		binary.NativeEndian.PutUint64(w, x^(zx>>7)*flip)
		binary.NativeEndian.PutUint64(w[8:], y^(zy>>7)*flip)
	}
	for ; i < len(b); i++ {
		if b[i] == from {
			b[i] = to
		}
	}
}

// firstLastSame is Manual.checkFirstLastCharTheSame: 1 if the first and last characters are
// equal, else 0.
func firstLastSame(text string) int {
	if len(text) > 0 && text[0] == text[len(text)-1] {
		return 1
	}
	return 0
}

// startsWithByte is Manual.startsWith(char).
func startsWithByte(text string, ch byte) bool { return len(text) > 0 && text[0] == ch }
