package stmbench7

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestNextDate(t *testing.T) {
	for d, want := range map[int32]int32{1000: 999, 999: 1000, 1999: 2000, 2000: 1999, 0: -1, -1: 0, 7: 8} {
		if got := nextDate(d); got != want {
			t.Errorf("nextDate(%d) = %d, want %d", d, got, want)
		}
		if nextDate(nextDate(d)) != d {
			t.Errorf("two updates of %d do not restore it", d)
		}
	}
}

func TestTextFunctions(t *testing.T) {
	text, n := replacePrefix("I am here, I am", "I am", "This is")
	if text != "This is here, I am" || n != 1 {
		t.Errorf("replacePrefix: %q, %d", text, n)
	}
	if text, n := replacePrefix("You are; I am", "I am", "This is"); text != "You are; I am" || n != 0 {
		t.Errorf("replacePrefix without the prefix: %q, %d", text, n)
	}
	if text, n := replaceByte("IiIx", 'I', 'i'); text != "iiix" || n != 3 {
		t.Errorf("replaceByte: %q, %d", text, n)
	}
	// Against strings.ReplaceAll and strings.Count, on texts with the letter at either end,
	// repeated, absent, and with from == to.
	for _, tc := range []struct {
		text     string
		from, to byte
	}{{"I am the manual\nI am", 'I', 'i'}, {"iII", 'i', 'I'}, {"", 'I', 'i'}, {"no capitals", 'I', 'i'},
		{"IIII", 'I', 'i'}, {"aIa", 'I', 'I'}, {strings.Repeat("I am the manual for module #1\n", 40), 'I', 'i'}} {
		orig := strings.Clone(tc.text)
		want := strings.ReplaceAll(tc.text, string(tc.from), string(tc.to))
		got, n := replaceByte(tc.text, tc.from, tc.to)
		if got != want || n != strings.Count(want, string(tc.to)) || tc.text != orig {
			t.Errorf("replaceByte(%q, %q, %q) = %q, %d; want %q, %d (input left %q)", tc.text, tc.from, tc.to,
				got, n, want, strings.Count(want, string(tc.to)), tc.text)
		}
	}
	if countByte("I am I", 'I') != 2 || countByte("", 'I') != 0 || countByte("\xff\xff", 0xff) != 2 {
		t.Error("countByte")
	}
	if firstLastSame("xyx") != 1 || firstLastSame("xy") != 0 || firstLastSame("") != 0 {
		t.Error("firstLastSame")
	}
	if !startsWithByte("Ia", 'I') || startsWithByte("", 'I') || startsWithByte("i", 'I') {
		t.Error("startsWithByte")
	}
	if s := swapXY(atomicState{X: 1, Y: 2, Date: 5}); s != (atomicState{X: 2, Y: 1, Date: 5}) {
		t.Errorf("swapXY: %+v", s)
	}
}

// replaceWords flips exactly the bytes equal to from, for every byte value, amid the bytes a
// word-at-a-time zero test gets wrong if it is the inexact kind (from^1 just above a match,
// where the borrow of the match would mark it too; bytes above 0x7f), at every alignment and
// length of the tail.
func TestReplaceWordsEveryByte(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for from := range 256 {
		near := []byte{byte(from), byte(from) ^ 1, byte(from) ^ 0x80, byte(from) + 1, byte(r.IntN(256))}
		src := make([]byte, 64+17)
		for i := range src {
			src[i] = near[r.IntN(len(near))]
		}
		for _, to := range []byte{0, byte(from) ^ 0x80, byte(from) ^ 1, 0xff} {
			for _, off := range []int{0, 3, 9} {
				b := slices.Clone(src[off:])
				want := slices.Clone(b)
				for i := range want {
					if want[i] == byte(from) {
						want[i] = to
					}
				}
				if replaceWords(b, byte(from), to); !bytes.Equal(b, want) {
					t.Fatalf("replaceWords(from %#x, to %#x) at offset %d: %x, want %x", from, to, off, b, want)
				}
			}
		}
	}
}

func TestBagAndSetFunctions(t *testing.T) {
	bag := []int{1, 2, 1, 3}
	keep := slices.Clone(bag)
	if got := bagAdd(bag, 2); !slices.Equal(got, []int{1, 2, 1, 3, 2}) {
		t.Errorf("bagAdd: %v", got)
	}
	if got, ok := bagRemove(bag, 1); !ok || !slices.Equal(got, []int{2, 1, 3}) {
		t.Errorf("bagRemove removes the first occurrence: %v", got)
	}
	if got, ok := bagRemove(bag, 9); ok || !slices.Equal(got, bag) {
		t.Errorf("bagRemove of an absent value: %v, %v", got, ok)
	}
	if got, ok := setAdd(bag, 3); ok || !slices.Equal(got, bag) {
		t.Errorf("setAdd of a present value: %v", got)
	}
	if got, ok := setAdd(bag, 4); !ok || !slices.Equal(got, []int{1, 2, 1, 3, 4}) {
		t.Errorf("setAdd: %v", got)
	}
	if !slices.Equal(bag, keep) {
		t.Errorf("an argument was modified: %v", bag)
	}
}

// TestPlainTxReturnsNewSlices: every collection-changing method of the lock backends' Tx
// installs a new slice and leaves the old one as it was (the contract the STM backends need
// for their old versions, and that operations iterating a slice while changing the collection
// rely on).
func TestPlainTxReturnsNewSlices(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	tx := f.tx
	b, c := tx.BaseByID(1), tx.CompositeByID(5)
	root := tx.Module().DesignRoot
	a := tx.SubAssemblies(root)[0]

	type probe struct {
		name   string
		get    func() []any
		change func()
	}
	anys := func(s any) []any {
		switch v := s.(type) {
		case []*BaseAssembly:
			return []any{v, slices.Clone(v)}
		case []*CompositePart:
			return []any{v, slices.Clone(v)}
		case []*ComplexAssembly:
			return []any{v, slices.Clone(v)}
		}
		panic("type")
	}
	probes := []probe{
		{"AddUsedIn", func() []any { return anys(tx.UsedIn(c)) }, func() { tx.AddUsedIn(c, b) }},
		{"RemoveUsedIn", func() []any { return anys(tx.UsedIn(c)) }, func() { tx.RemoveUsedIn(c, b) }},
		{"AddComponent", func() []any { return anys(tx.Components(b)) }, func() { tx.AddComponent(b, c) }},
		{"RemoveComponent", func() []any { return anys(tx.Components(b)) }, func() { tx.RemoveComponent(b, c) }},
		{"RemoveSubAssembly", func() []any { return anys(tx.SubAssemblies(root)) }, func() { tx.RemoveSubAssembly(root, a) }},
		{"AddSubAssembly", func() []any { return anys(tx.SubAssemblies(root)) }, func() { tx.AddSubAssembly(root, a) }},
		{"RemoveBaseChild", func() []any { return anys(tx.BaseChildren(a)) }, func() { tx.RemoveBaseChild(a, b) }},
		{"AddBaseChild", func() []any { return anys(tx.BaseChildren(a)) }, func() { tx.AddBaseChild(a, b) }},
	}
	for _, p := range probes {
		before := p.get()
		old, saved := before[0], before[1]
		p.change()
		after := p.get()[0]
		switch o := old.(type) {
		case []*BaseAssembly:
			if !slices.Equal(o, saved.([]*BaseAssembly)) || slices.Equal(o, after.([]*BaseAssembly)) {
				t.Errorf("%s: old slice changed or nothing changed", p.name)
			}
		case []*CompositePart:
			if !slices.Equal(o, saved.([]*CompositePart)) || slices.Equal(o, after.([]*CompositePart)) {
				t.Errorf("%s: old slice changed or nothing changed", p.name)
			}
		case []*ComplexAssembly:
			if !slices.Equal(o, saved.([]*ComplexAssembly)) || slices.Equal(o, after.([]*ComplexAssembly)) {
				t.Errorf("%s: old slice changed or nothing changed", p.name)
			}
		}
	}
	f.check() // every change above was undone
	// Adding a present child or removing an absent one reports false and changes nothing.
	if tx.AddSubAssembly(root, a) || tx.RemoveBaseChild(a, tx.BaseByID(9)) {
		t.Error("set methods accepted a duplicate or removed an absent child")
	}
}

// TestLevelChecks: a base assembly only goes under a level-2 complex assembly, a complex one
// only above level 2 (the reference's RuntimeError, a broken structure).
func TestLevelChecks(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	root := f.tx.Module().DesignRoot
	level2 := f.tx.SubAssemblies(root)[0]
	for name, fn := range map[string]func(){
		"base under level 3":    func() { f.tx.AddBaseChild(root, f.tx.BaseByID(1)) },
		"complex under level 2": func() { f.tx.AddSubAssembly(level2, f.tx.SubAssemblies(root)[1]) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s accepted", name)
				}
			}()
			fn()
		}()
	}
}

func TestIDPool(t *testing.T) {
	q := newIDPool(3)
	for want := 1; want <= 3; want++ {
		if id, ok := q.take(); !ok || id != want {
			t.Fatalf("take: %d, %v", id, ok)
		}
	}
	if _, ok := q.take(); ok {
		t.Fatal("took from an empty pool")
	}
	q.put(2)
	q.put(3)
	if id, _ := q.take(); id != 2 {
		t.Fatal("not FIFO")
	}
	q.put(1)
	q.put(2)
	if got := q.contents(); !slices.Equal(got, []int{3, 1, 2}) {
		t.Fatalf("contents %v", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("a full pool accepted an id")
		}
	}()
	q.put(3)
}

func TestDateIndex(t *testing.T) {
	ix := newDateIndex(10, 12)
	parts := make([]*AtomicPart, 8)
	for i := range parts {
		parts[i] = &AtomicPart{ID: i + 1}
	}
	add := map[int][]int{11: {5, 2, 8}, 10: {1}, 12: {3}, 9: {4}, 40: {6, 7}}
	for d, ids := range add {
		for _, id := range ids {
			ix.add(d, parts[id-1])
		}
	}
	ix.add(11, parts[1]) // a set: no duplicate
	collect := func(lo, hi int) []int {
		var out []int
		ix.rangeVisit(lo, hi, func(p *AtomicPart) bool { out = append(out, p.ID); return true })
		return out
	}
	if got := collect(-1000, 1000); !slices.Equal(got, []int{4, 1, 2, 5, 8, 3, 6, 7}) {
		t.Fatalf("whole range: %v", got)
	}
	if got := collect(10, 12); !slices.Equal(got, []int{1, 2, 5, 8}) {
		t.Fatalf("[10, 12): %v", got)
	}
	if !ix.remove(40, parts[5]) || ix.remove(40, parts[5]) || ix.remove(99, parts[0]) || !ix.remove(11, parts[4]) {
		t.Fatal("remove")
	}
	if got := collect(0, 100); !slices.Equal(got, []int{4, 1, 2, 8, 3, 7}) {
		t.Fatalf("after removals: %v", got)
	}
	var n int
	ix.rangeVisit(0, 100, func(*AtomicPart) bool { n++; return n < 2 })
	if n != 2 {
		t.Fatal("the visit did not stop")
	}
}
