package stmbench7

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"dustm/stmbench7/jrand"
)

// Tests of every operation's result, effect and failures, on the tiny preset (1 + 3 complex
// assemblies, 9 base assemblies with 3 references each, 10 composite parts of 6 atomic parts,
// documents of 4 lines, a manual of 33 lines; every id pool is full). Random choices are
// forced by searching for a seed whose next draws pick the object under test; expected
// results come from oracles written independently of the operations.

type fixture struct {
	t  *testing.T
	b  Backend
	s  *Structure
	w  Worker
	tx Tx // direct access for inspection and set-up between operations (single-threaded)
}

func newFixture(t *testing.T, p Params) *fixture {
	t.Helper()
	b, s := build(t, "none", p)
	return &fixture{t: t, b: b, s: s, w: b.NewWorker(s, 0), tx: newPlainTx(storeOf(s))}
}

func (f *fixture) exec(op OpID, r *jrand.Rand) (int, error) {
	res, _, err := f.w.Execute(op, r)
	return res, err
}

// mustRun runs op with r and fails the test unless it succeeds with the result want.
func (f *fixture) mustRun(op OpID, r jrand.Rand, want int) {
	f.t.Helper()
	got, err := f.exec(op, &r)
	if err != nil || got != want {
		f.t.Fatalf("%s = %d, %v; want %d", op, got, err, want)
	}
}

// mustFail runs op with r and fails the test unless it fails, changing nothing.
func (f *fixture) mustFail(op OpID, r jrand.Rand) {
	f.t.Helper()
	before := Canonical(f.tx)
	got, err := f.exec(op, &r)
	if !errors.Is(err, ErrOperationFailed) {
		f.t.Fatalf("%s = %d, %v; want a failure", op, got, err)
	}
	f.same(before, "after the failed "+op.String())
}

func (f *fixture) same(before *Snapshot, when string) {
	f.t.Helper()
	if d := before.Diff(Canonical(f.tx)); len(d) > 0 {
		f.t.Fatalf("structure changed %s:\n%s", when, strings.Join(d, "\n"))
	}
}

func (f *fixture) check() {
	f.t.Helper()
	if err := CheckInvariants(f.tx, false); err != nil {
		f.t.Fatal(err)
	}
}

// seedFor returns a generator whose next draws satisfy want (tried on a copy).
func seedFor(t *testing.T, want func(r *jrand.Rand) bool) jrand.Rand {
	t.Helper()
	for seed := int64(1); seed < 10_000_000; seed++ {
		r := jrand.New(seed)
		c := r
		if want(&c) {
			return r
		}
	}
	t.Fatal("no seed draws what the test needs")
	return jrand.Rand{}
}

// drawing returns a generator whose next IntN(n)+1 is id.
func drawing(t *testing.T, n, id int) jrand.Rand {
	return seedFor(t, func(r *jrand.Rand) bool { return r.IntN(n)+1 == id })
}

// refCount maps every composite part to the number of references base assemblies hold to it.
func refCount(tx Tx) map[*CompositePart]int {
	n := map[*CompositePart]int{}
	var walk func(a *ComplexAssembly)
	walk = func(a *ComplexAssembly) {
		for _, s := range tx.SubAssemblies(a) {
			walk(s)
		}
		for _, b := range tx.BaseChildren(a) {
			for _, c := range tx.Components(b) {
				n[c]++
			}
		}
	}
	walk(tx.Module().DesignRoot)
	return n
}

// reachable counts the atomic parts reachable from c's root part (breadth-first).
func reachable(c *CompositePart) int {
	seen := map[*AtomicPart]bool{c.RootPart: true}
	queue := []*AtomicPart{c.RootPart}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, conn := range p.To {
			if !seen[conn.To] {
				seen[conn.To] = true
				queue = append(queue, conn.To)
			}
		}
	}
	return len(seen)
}

// swapped reports whether an atomic part's coordinates are the other way round from the
// build's (y = x + 1).
func swapped(tx Tx, p *AtomicPart) bool { x, y := tx.XY(p); return x == y+1 }

func parity(k int) bool { return k%2 == 1 }

func TestLongGraphTraversals(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	refs := refCount(f.tx)
	visits, nrefs := 0, 0
	for c, k := range refs {
		visits += k * reachable(c)
		nrefs += k
	}
	if nrefs != 27 || visits != 27*6 {
		t.Fatalf("oracle: %d references, %d visits", nrefs, visits)
	}
	var r jrand.Rand // long traversals draw nothing
	f.mustRun(T1, r, visits)
	f.mustRun(T6, r, nrefs)
	f.mustRun(Q7, r, 60)

	// T2a swaps each root part once per reference to its composite part.
	f.mustRun(T2a, r, nrefs)
	for c, k := range refs {
		for _, p := range c.Parts {
			if want := p == c.RootPart && parity(k); swapped(f.tx, p) != want {
				t.Fatalf("T2a: part %d swapped %v, want %v", p.ID, !want, want)
			}
		}
	}
	f.mustRun(T2a, r, nrefs) // back to the build's state
	f.mustRun(T2b, r, visits)
	for c, k := range refs {
		for _, p := range c.Parts {
			if swapped(f.tx, p) != parity(k) {
				t.Fatalf("T2b: part %d of composite %d (%d references)", p.ID, c.ID, k)
			}
		}
	}
	f.mustRun(T2b, r, visits)
	before := Canonical(f.tx)
	f.mustRun(T2c, r, 4*visits) // four swaps: nothing changes
	f.same(before, "after T2c")

	dates := map[*AtomicPart]int{}
	f.tx.EachAtomic(func(p *AtomicPart) bool { dates[p] = f.tx.AtomicDate(p); return true })
	f.mustRun(T3a, r, nrefs)
	for c, k := range refs {
		for _, p := range c.Parts {
			want := dates[p]
			if p == c.RootPart && parity(k) {
				want = int(nextDate(int32(want)))
			}
			if got := f.tx.AtomicDate(p); got != want {
				t.Fatalf("T3a: part %d date %d, want %d", p.ID, got, want)
			}
		}
	}
	f.check() // includes the date index
	f.mustRun(T3a, r, nrefs)
	f.same(before, "after T3a twice")
	f.mustRun(T3b, r, visits)
	f.check()
	f.mustRun(T3b, r, visits)
	f.same(before, "after T3b twice")
	f.mustRun(T3c, r, 4*visits)
	f.same(before, "after T3c")
}

func TestLongDocumentTraversals(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	refs := refCount(f.tx)
	wantI, nrefs := 0, 0
	for c, k := range refs {
		wantI += k * strings.Count(f.tx.DocText(c.Doc), "I")
		nrefs += k
	}
	if wantI != 27*4 {
		t.Fatalf("oracle: %d", wantI)
	}
	var r jrand.Rand
	f.mustRun(T4, r, wantI)
	before := Canonical(f.tx)
	f.mustRun(T5, r, nrefs)
	for c, k := range refs {
		text := f.tx.DocText(c.Doc)
		want := "I am the documentation for composite part #" + itoa(c.ID)
		if parity(k) {
			want = "This is" + strings.TrimPrefix(want, "I am")
		}
		if !strings.HasPrefix(text, want) || strings.Count(text, "This is") > 1 {
			t.Fatalf("T5: document %d starts %q (%d references)", c.Doc.ID, prefixOf(text, 50), k)
		}
	}
	f.check()
	f.mustRun(T5, r, nrefs)
	f.same(before, "after T5 twice")

	// A document with another prefix is a broken structure: T5 panics.
	d := f.tx.CompositeByID(1).Doc
	d.st.plain().Text = "Garbage"
	defer func() {
		if recover() == nil {
			t.Error("T5 accepted a document starting with neither prefix")
		}
	}()
	f.exec(T5, &r)
}

func TestQ6AndST5(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	younger := func(b *BaseAssembly) bool {
		for _, c := range f.tx.Components(b) {
			if f.tx.CompositeDate(c) > f.tx.BaseDate(b) {
				return true
			}
		}
		return false
	}
	var score func(a *ComplexAssembly) int
	score = func(a *ComplexAssembly) int {
		n := 0
		for _, s := range f.tx.SubAssemblies(a) {
			n += score(s)
		}
		for _, b := range f.tx.BaseChildren(a) {
			if younger(b) {
				n++
			}
		}
		if n > 0 {
			n++
		}
		return n
	}
	count := 0
	f.tx.EachBase(func(b *BaseAssembly) bool {
		if younger(b) {
			count++
		}
		return true
	})
	var r jrand.Rand
	f.mustRun(Q6, r, score(f.tx.Module().DesignRoot))
	f.mustRun(ST5, r, count)
	// Make every composite part young: every base assembly counts, every complex one too.
	f.tx.EachComposite(func(c *CompositePart) bool { c.st.plain().Date = 2500; return true })
	f.mustRun(ST5, r, 9)
	f.mustRun(Q6, r, 3*(3+1)+1) // three level-2 assemblies scoring 3 + 1, then the root
}

// descent is the oracle of the random descent: it returns the path's composite part, or nil
// when the base assembly reached has no components.
func descent(tx Tx, r *jrand.Rand) *CompositePart {
	a := tx.Module().DesignRoot
	for a.Level > 2 {
		a = tx.SubAssemblies(a)[r.IntN(len(tx.SubAssemblies(a)))]
	}
	b := tx.BaseChildren(a)[r.IntN(len(tx.BaseChildren(a)))]
	if len(tx.Components(b)) == 0 {
		return nil
	}
	return tx.Components(b)[r.IntN(len(tx.Components(b)))]
}

func TestShortRandomDescents(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	target := f.tx.Components(f.tx.BaseByID(1))[0]
	// ST1/ST6: a generator whose descent reaches composite part 7, then its part 3.
	r := seedFor(t, func(r *jrand.Rand) bool { return descent(f.tx, r) == target && r.IntN(6) == 3 })
	p := target.Parts[3]
	x, y := f.tx.XY(p)
	f.mustRun(ST1, r, x+y)
	f.mustRun(ST6, r, x+y)
	if !swapped(f.tx, p) {
		t.Fatal("ST6 did not swap the part")
	}
	// The descent draws exactly four numbers: the operation leaves r where the oracle does.
	rr, oracle := r, r
	descent(f.tx, &oracle)
	oracle.IntN(6)
	f.exec(ST1, &rr)
	if rr != oracle {
		t.Fatal("ST1 drew a different number of random numbers than the descent")
	}

	r = seedFor(t, func(r *jrand.Rand) bool { return descent(f.tx, r) == target })
	f.mustRun(ST2, r, 4)
	f.mustRun(ST9, r, 6)
	f.mustRun(ST10, r, 6)
	for _, q := range target.Parts {
		if swapped(f.tx, q) != (q != p) { // p had been swapped once already
			t.Fatalf("ST10: part %d", q.ID)
		}
	}
	f.mustRun(ST7, r, 1)
	if !f.tx.DocStartsWith(target.Doc, "This is the documentation for composite part #"+itoa(target.ID)) {
		t.Fatal("ST7 did not flip the document")
	}
	f.mustRun(ST7, r, 1)
	f.check()

	// A base assembly without components makes every descent through it fail.
	b := f.tx.BaseByID(5)
	for _, c := range slices.Clone(f.tx.Components(b)) {
		removeComponent(f.tx, b, c)
	}
	r = seedFor(t, func(r *jrand.Rand) bool {
		root := f.tx.Module().DesignRoot
		a := f.tx.SubAssemblies(root)[r.IntN(3)]
		return f.tx.BaseChildren(a)[r.IntN(len(f.tx.BaseChildren(a)))] == b
	})
	for _, op := range []OpID{ST1, ST2, ST6, ST7, ST9, ST10} {
		f.mustFail(op, r)
	}
}

func TestST3AndST8(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	maxAtomic := f.tx.Params().MaxAtomicParts()
	// Composite part 2 owns atomic parts 7..12.
	c := f.tx.CompositeByID(2)
	bases := map[*BaseAssembly]bool{}
	complexes := map[*ComplexAssembly]bool{}
	for _, b := range f.tx.UsedIn(c) {
		bases[b] = true
		for a := b.Super; a != nil; a = a.Super {
			complexes[a] = true
		}
	}
	want := len(bases) + len(complexes)
	if len(bases) == 0 {
		t.Fatal("composite part 2 is used by no base assembly; pick another")
	}
	r := drawing(t, maxAtomic, 9)
	f.mustRun(ST3, r, want)
	dates := map[any]int{}
	for b := range bases {
		dates[b] = f.tx.BaseDate(b)
	}
	for a := range complexes {
		dates[a] = f.tx.ComplexDate(a)
	}
	f.mustRun(ST8, r, want)
	for b := range bases {
		if f.tx.BaseDate(b) != int(nextDate(int32(dates[b]))) {
			t.Errorf("ST8: base assembly %d not updated once", b.ID)
		}
	}
	for a := range complexes {
		if f.tx.ComplexDate(a) != int(nextDate(int32(dates[a]))) {
			t.Errorf("ST8: complex assembly %d not updated once", a.ID)
		}
	}
	// An unused composite part: nothing to climb from.
	f.tx.EachBase(func(b *BaseAssembly) bool {
		for removeComponent(f.tx, b, c) {
		}
		return true
	})
	f.mustRun(ST3, r, 0)
	// An absent atomic part fails.
	unregisterCompositePart(f.tx, c)
	f.mustFail(ST3, r)
	f.mustFail(ST8, r)
	f.check()
}

func TestST4(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	unregisterCompositePart(f.tx, f.tx.CompositeByID(4)) // some lookups miss
	maxComp := f.tx.Params().MaxCompParts()
	r := jrand.New(11)
	oracle := r
	want := 0
	for range 100 {
		if c := f.tx.CompositeByID(oracle.IntN(maxComp) + 1); c != nil {
			want += len(f.tx.UsedIn(c))
		}
	}
	rr := r
	f.mustRun(ST4, r, want)
	f.exec(ST4, &rr)
	if rr != oracle {
		t.Fatal("ST4 did not draw exactly 100 numbers")
	}
}

func TestOP1OP9OP15(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	maxAtomic := f.tx.Params().MaxAtomicParts()
	unregisterCompositePart(f.tx, f.tx.CompositeByID(1)) // atomic ids 1..6 are gone
	r := jrand.New(5)
	oracle := r
	hits := map[*AtomicPart]int{}
	found := 0
	for range 10 {
		if p := f.tx.AtomicByID(oracle.IntN(maxAtomic) + 1); p != nil {
			hits[p]++
			found++
		}
	}
	if found == 10 {
		t.Fatal("the seed hits no missing part; pick another")
	}
	f.mustRun(OP1, r, found)
	f.mustRun(OP9, r, found)
	for p, k := range hits {
		if swapped(f.tx, p) != parity(k) {
			t.Fatalf("OP9: part %d drawn %d times", p.ID, k)
		}
	}
	dates := map[*AtomicPart]int{}
	for p := range hits {
		dates[p] = f.tx.AtomicDate(p)
	}
	f.mustRun(OP15, r, found)
	for p, k := range hits {
		want := dates[p]
		if parity(k) {
			want = int(nextDate(int32(want)))
		}
		if f.tx.AtomicDate(p) != want {
			t.Fatalf("OP15: part %d drawn %d times: date %d, want %d", p.ID, k, f.tx.AtomicDate(p), want)
		}
	}
	f.check()
}

// setAtomicDate moves a part to a date, keeping the index (test set-up only).
func setAtomicDate(tx Tx, p *AtomicPart, date int) {
	tx.DateIndexRemove(tx.AtomicDate(p), p)
	p.st.plain().Date = int32(date)
	tx.DateIndexAdd(date, p)
}

func TestDateRangeOperations(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	// The ranges are [1990, 1999) and [1900, 1999): the upper bound is exclusive.
	if dateRangeLow(1) != 1990 || dateRangeLow(10) != 1900 {
		t.Fatalf("range bounds %d, %d", dateRangeLow(1), dateRangeLow(10))
	}
	for id, date := range map[int]int{1: 1990, 2: 1998, 3: 1999, 4: 2000, 5: 1989, 6: 1900, 7: 1899, 8: 1995} {
		setAtomicDate(f.tx, f.tx.AtomicByID(id), date)
	}
	count := func(lo, hi int) (n int, parts []*AtomicPart) {
		f.tx.EachAtomic(func(p *AtomicPart) bool {
			if d := f.tx.AtomicDate(p); d >= lo && d < hi {
				n++
				parts = append(parts, p)
			}
			return true
		})
		return
	}
	n1, parts := count(1990, 1999)
	n10, _ := count(1900, 1999)
	if n1 < 3 {
		t.Fatalf("oracle: %d parts in the 1 %% range", n1)
	}
	var r jrand.Rand
	f.mustRun(OP2, r, n1)
	f.mustRun(OP3, r, n10)
	f.mustRun(OP10, r, n1)
	for _, p := range parts {
		if !swapped(f.tx, p) {
			t.Fatalf("OP10 did not swap part %d", p.ID)
		}
	}
	if swapped(f.tx, f.tx.AtomicByID(3)) {
		t.Fatal("OP10 swapped a part of date 1999")
	}
	f.check()
}

func TestManualOperations(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	var r jrand.Rand
	original := f.tx.ManualText(f.tx.Module().Manual)
	f.mustRun(OP4, r, 33)
	f.mustRun(OP5, r, 0)
	f.mustRun(OP11, r, 33)
	if text := f.tx.ManualText(f.tx.Module().Manual); text != strings.ReplaceAll(original, "I", "i") {
		t.Fatalf("OP11: manual starts %q", prefixOf(text, 40))
	}
	f.mustRun(OP4, r, 0)
	f.check()
	f.mustRun(OP11, r, 33)
	if f.tx.ManualText(f.tx.Module().Manual) != original {
		t.Fatal("OP11 twice did not restore the manual")
	}
	f.tx.Module().Manual.st.plain().Text = "xyzx"
	f.mustRun(OP5, r, 1)
}

func TestComplexSiblingOperations(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	maxComplex := f.tx.Params().MaxComplexAssemblies()
	root := f.tx.Module().DesignRoot
	f.mustRun(OP6, drawing(t, maxComplex, root.ID), 1)
	date := f.tx.ComplexDate(root)
	f.mustRun(OP12, drawing(t, maxComplex, root.ID), 1)
	if f.tx.ComplexDate(root) != int(nextDate(int32(date))) {
		t.Fatal("OP12 did not update the root")
	}
	subs := f.tx.SubAssemblies(root)
	f.mustRun(OP6, drawing(t, maxComplex, subs[1].ID), 3)
	var dates []int
	for _, a := range subs {
		dates = append(dates, f.tx.ComplexDate(a))
	}
	f.mustRun(OP12, drawing(t, maxComplex, subs[1].ID), 3)
	for i, a := range subs {
		if f.tx.ComplexDate(a) != int(nextDate(int32(dates[i]))) {
			t.Fatalf("OP12 did not update sibling %d", a.ID)
		}
	}
	unregisterComplexAssembly(f.tx, subs[2])
	f.mustRun(OP6, drawing(t, maxComplex, subs[0].ID), 2)
	f.mustFail(OP6, drawing(t, maxComplex, subs[2].ID))
	f.mustFail(OP12, drawing(t, maxComplex, subs[2].ID))
	f.check()
}

func TestBaseOperations(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	maxBase := f.tx.Params().MaxBaseAssemblies()
	b := f.tx.BaseByID(5)
	siblings := f.tx.BaseChildren(b.Super)
	f.mustRun(OP7, drawing(t, maxBase, 5), len(siblings))
	var dates []int
	for _, s := range siblings {
		dates = append(dates, f.tx.BaseDate(s))
	}
	f.mustRun(OP13, drawing(t, maxBase, 5), len(siblings))
	for i, s := range siblings {
		if f.tx.BaseDate(s) != int(nextDate(int32(dates[i]))) {
			t.Fatalf("OP13 did not update base assembly %d", s.ID)
		}
	}
	// OP14 updates each composite part once per reference: give b a duplicate reference.
	first := f.tx.Components(b)[0]
	addComponent(f.tx, b, first)
	comps := slices.Clone(f.tx.Components(b))
	compDates := map[*CompositePart]int{}
	for _, c := range comps {
		compDates[c] = f.tx.CompositeDate(c)
	}
	f.mustRun(OP8, drawing(t, maxBase, 5), len(comps))
	f.mustRun(OP14, drawing(t, maxBase, 5), len(comps))
	for c, d := range compDates {
		want := d
		if parity(count(comps, c)) {
			want = int(nextDate(int32(d)))
		}
		if f.tx.CompositeDate(c) != want {
			t.Fatalf("OP14: composite part %d referenced %d times: date %d, want %d", c.ID, count(comps, c), f.tx.CompositeDate(c), want)
		}
	}
	f.check()
	unregisterBaseAssembly(f.tx, b)
	for _, op := range []OpID{OP7, OP8, OP13, OP14} {
		f.mustFail(op, drawing(t, maxBase, 5))
	}
}

func TestSM1SM2(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	p := f.tx.Params()
	// The tiny composite pool is full (10 of 10): SM1 fails without drawing anything.
	r := jrand.New(1)
	rr := r
	f.mustFail(SM1, r)
	f.exec(SM1, &rr)
	if rr != r {
		t.Fatal("SM1 drew numbers before finding the pool empty")
	}

	// SM2 deletes composite part 4 (atomic parts 19..24) and recycles its ids.
	c := f.tx.CompositeByID(4)
	users := slices.Clone(f.tx.UsedIn(c))
	f.mustRun(SM2, drawing(t, p.MaxCompParts(), 4), 0)
	if f.tx.CompositeByID(4) != nil || f.tx.DocumentByTitle("Composite Part #4") != nil || f.tx.AtomicByID(20) != nil {
		t.Fatal("SM2 left the part in an index")
	}
	for _, b := range users {
		if slices.Contains(f.tx.Components(b), c) {
			t.Fatalf("base assembly %d still references the deleted part", b.ID)
		}
	}
	if got := f.tx.FreeIDs(PoolAtomic); !slices.Equal(got, []int{19, 20, 21, 22, 23, 24}) {
		t.Fatalf("atomic pool %v", got)
	}
	if !slices.Equal(f.tx.FreeIDs(PoolComposite), []int{4}) || !slices.Equal(f.tx.FreeIDs(PoolDocument), []int{4}) {
		t.Fatal("composite or document id not recycled")
	}
	f.check()
	f.mustFail(SM2, drawing(t, p.MaxCompParts(), 4))

	// SM1 now rebuilds a composite part 4 attached to nothing, from the recycled ids.
	f.mustRun(SM1, jrand.New(8), 0)
	n := f.tx.CompositeByID(4)
	if n == nil || n == c || len(f.tx.UsedIn(n)) != 0 || n.Parts[0].ID != 19 || n.RootPart.ID != 19 {
		t.Fatalf("SM1 built %+v", n)
	}
	f.check()
}

// TestSM1Rollback: when the atomic-part pool runs out halfway, SM1 gives back everything it
// took (ids to the back of their queues, in the reference's order) and changes nothing else.
func TestSM1Rollback(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	unregisterCompositePart(f.tx, f.tx.CompositeByID(4))
	for range 4 { // keep only atomic ids 23 and 24 free
		f.tx.TakeID(PoolAtomic)
	}
	before := Canonical(f.tx)
	r := jrand.New(2)
	got, err := f.exec(SM1, &r)
	if !errors.Is(err, ErrOperationFailed) {
		t.Fatalf("SM1 = %d, %v", got, err)
	}
	f.same(before, "after the rolled-back SM1")
	// Draws: type, young?, date, then type, date and x for each of the two parts built.
	oracle := jrand.New(2)
	oracle.IntN(NumTypes)
	oracle.IntN(100)
	oracle.IntN(1000) // old and young ranges are both 1000 dates wide
	for range 2 {
		oracle.IntN(NumTypes)
		oracle.IntN(MaxAtomicDate - MinAtomicDate + 1)
		oracle.IntN(XYRange)
	}
	if r != oracle {
		t.Fatal("SM1 did not draw the reference's 9 numbers before failing")
	}
}

func TestSM3SM4(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	p := f.tx.Params()
	pick := func(bid, cid int) jrand.Rand {
		return seedFor(t, func(r *jrand.Rand) bool {
			return r.IntN(p.MaxBaseAssemblies())+1 == bid && r.IntN(p.MaxCompParts())+1 == cid
		})
	}
	b, c := f.tx.BaseByID(2), f.tx.CompositeByID(9)
	comps := slices.Clone(f.tx.Components(b))
	used := slices.Clone(f.tx.UsedIn(c))
	f.mustRun(SM3, pick(2, 9), 0)
	f.mustRun(SM3, pick(2, 9), 0)
	if !slices.Equal(f.tx.Components(b), append(comps, c, c)) || !slices.Equal(f.tx.UsedIn(c), append(used, b, b)) {
		t.Fatal("SM3 did not append the references")
	}
	f.check()

	// SM4 removes the first reference to the composite part at the drawn position.
	maxBase := p.MaxBaseAssemblies()
	all := slices.Clone(f.tx.Components(b))
	last := len(all) - 1
	r := seedFor(t, func(r *jrand.Rand) bool { return r.IntN(maxBase)+1 == 2 && r.IntN(last+1) == last })
	f.mustRun(SM4, r, 0)
	first := slices.Index(all, c) // the drawn position holds c, but its first occurrence goes
	if want := slices.Delete(all, first, first+1); !slices.Equal(f.tx.Components(b), want) {
		t.Fatalf("SM4 left %v, want %v", ids(f.tx.Components(b)), ids(want))
	}
	f.check()

	// Failures: absent ids, and a base assembly with no components.
	unregisterCompositePart(f.tx, f.tx.CompositeByID(9))
	f.mustFail(SM3, pick(2, 9))
	for len(f.tx.Components(b)) > 0 {
		removeComponent(f.tx, b, f.tx.Components(b)[0])
	}
	f.mustFail(SM4, drawing(t, maxBase, 2))
	unregisterBaseAssembly(f.tx, b)
	f.mustFail(SM3, pick(2, 1))
	f.mustFail(SM4, drawing(t, maxBase, 2))
	f.check()
}

func ids[T any](s []*T) []int {
	out := make([]int, len(s))
	for i, v := range s {
		out[i] = idOf(v)
	}
	return out
}

func TestSM5SM6(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	maxBase := f.tx.Params().MaxBaseAssemblies()
	// The tiny base pool is full: SM5 fails, after drawing the new assembly's date.
	r := drawing(t, maxBase, 4)
	f.mustFail(SM5, r)
	rr, oracle := r, r
	f.exec(SM5, &rr)
	oracle.IntN(maxBase)
	oracle.IntN(MaxAssmDate - MinAssmDate + 1)
	if rr != oracle {
		t.Fatal("SM5 did not draw the id and the date before failing")
	}

	// SM6 deletes base assembly 4 (a child of complex assembly 3, with 5 and 6).
	b := f.tx.BaseByID(4)
	parent := b.Super
	f.mustRun(SM6, drawing(t, maxBase, 4), 1)
	if f.tx.BaseByID(4) != nil || slices.Contains(f.tx.BaseChildren(parent), b) || !slices.Equal(f.tx.FreeIDs(PoolBase), []int{4}) {
		t.Fatal("SM6 did not unregister the assembly")
	}
	f.check()
	f.mustFail(SM6, drawing(t, maxBase, 4))
	f.mustFail(SM5, drawing(t, maxBase, 4)) // no sibling to copy the parent from

	// SM5 adds a sibling of 5, taking the recycled id 4, with no components.
	f.mustRun(SM5, drawing(t, maxBase, 5), 0)
	n := f.tx.BaseByID(4)
	if n == nil || n == b || n.Super != parent || len(f.tx.Components(n)) != 0 || f.tx.BaseChildren(parent)[2] != n {
		t.Fatalf("SM5 built %+v", n)
	}
	f.check()

	// The only-child guard.
	f.mustRun(SM6, drawing(t, maxBase, 5), 1)
	f.mustRun(SM6, drawing(t, maxBase, 6), 1)
	f.mustFail(SM6, drawing(t, maxBase, 4))
	f.check()
}

func TestSM7SM8(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	maxComplex := f.tx.Params().MaxComplexAssemblies()
	root := f.tx.Module().DesignRoot
	// SM8: never the root; delete complex assembly 3 with its base assemblies 4, 5, 6.
	f.mustFail(SM8, drawing(t, maxComplex, root.ID))
	f.mustRun(SM8, drawing(t, maxComplex, 3), 1)
	if f.tx.ComplexByID(3) != nil || f.tx.BaseByID(5) != nil || len(f.tx.SubAssemblies(root)) != 2 {
		t.Fatal("SM8 left the subtree")
	}
	// Children's ids are recycled before their parent's.
	if !slices.Equal(f.tx.FreeIDs(PoolBase), []int{4, 5, 6}) || !slices.Equal(f.tx.FreeIDs(PoolComplex), []int{3}) {
		t.Fatalf("pools: base %v, complex %v", f.tx.FreeIDs(PoolBase), f.tx.FreeIDs(PoolComplex))
	}
	f.check()
	f.mustFail(SM8, drawing(t, maxComplex, 3))
	f.mustFail(SM7, drawing(t, maxComplex, 3)) // no such parent

	// SM7 on the root builds a whole level-2 subtree from the recycled ids.
	f.mustRun(SM7, drawing(t, maxComplex, root.ID), 1)
	sub := f.tx.SubAssemblies(root)[2]
	if sub.ID != 3 || sub.Level != 2 || !slices.Equal(ids(f.tx.BaseChildren(sub)), []int{4, 5, 6}) {
		t.Fatalf("SM7 built complex assembly %d with %v", sub.ID, ids(f.tx.BaseChildren(sub)))
	}
	f.check()
	// Both pools are empty now.
	f.mustFail(SM7, drawing(t, maxComplex, root.ID))
	f.mustFail(SM7, drawing(t, maxComplex, 2))
	// On a level-2 assembly SM7 adds one base assembly.
	f.mustRun(SM6, drawing(t, f.tx.Params().MaxBaseAssemblies(), 5), 1)
	f.mustRun(SM7, drawing(t, maxComplex, 2), 1)
	if got := f.tx.BaseChildren(f.tx.ComplexByID(2)); len(got) != 4 || got[3].ID != 5 || len(f.tx.Components(got[3])) != 0 {
		t.Fatal("SM7 did not add base assembly 5 to complex assembly 2")
	}
	f.check()
	// The only-child guard.
	f.mustRun(SM8, drawing(t, maxComplex, 3), 1)
	f.mustRun(SM8, drawing(t, maxComplex, 4), 1)
	f.mustFail(SM8, drawing(t, maxComplex, 2))
	f.check()
}

// TestSM7Rollback: when an id pool runs out inside a new subtree, SM7 unregisters what it
// built, returning ids to the back of their pools in the reference's order (a failed complex
// assembly returns its children's ids, then its own; completed children are removed in
// order, each subtree children first).
func TestSM7Rollback(t *testing.T) {
	// Four levels of three: 1 + 3 + 9 = 13 complex (pool 13), 27 base (pool 28).
	p := Params{NumAtomicPerComp: 2, NumConnPerAtomic: 2, DocumentSize: 100, ManualSize: 100,
		NumCompPerModule: 20, NumAssmPerAssm: 3, NumAssmLevels: 4, NumCompPerAssm: 1}
	f := newFixture(t, p)
	maxComplex := p.MaxComplexAssemblies()
	root := f.tx.Module().DesignRoot
	// Free complex ids 2 (a level-3 subtree: 2, then 3, 4, 5 at level 2) and base ids 1..9.
	f.mustRun(SM8, drawing(t, maxComplex, 2), 1)
	if got := f.tx.FreeIDs(PoolComplex); !slices.Equal(got, []int{3, 4, 5, 2}) {
		t.Fatalf("complex pool after SM8: %v", got)
	}
	if got := f.tx.FreeIDs(PoolBase); !slices.Equal(got, []int{28, 1, 2, 3, 4, 5, 6, 7, 8, 9}) {
		t.Fatalf("base pool after SM8: %v", got)
	}
	// Keep only 7 base ids: a level-3 subtree needs 9.
	var held []int
	for range 3 {
		id, _ := f.tx.TakeID(PoolBase)
		held = append(held, id)
	}
	before := Canonical(f.tx)
	r := drawing(t, maxComplex, root.ID)
	if _, err := f.exec(SM7, &r); !errors.Is(err, ErrOperationFailed) {
		t.Fatalf("SM7: %v", err)
	}
	// The new level-3 assembly took 3; its children 4 (bases 3, 4, 5) and 5 (bases 6, 7, 8)
	// were completed; child 2 took base 9 and failed on the next. Rollback: 2 returns 9,
	// then its own id; then 3 unregisters 4 (3, 4, 5, then 4) and 5 (6, 7, 8, then 5); then 3.
	if got := f.tx.FreeIDs(PoolBase); !slices.Equal(got, []int{9, 3, 4, 5, 6, 7, 8}) {
		t.Errorf("base pool after the rollback: %v", got)
	}
	if got := f.tx.FreeIDs(PoolComplex); !slices.Equal(got, []int{2, 4, 5, 3}) {
		t.Errorf("complex pool after the rollback: %v", got)
	}
	before.Pools[PoolBase] = f.tx.FreeIDs(PoolBase)
	before.Pools[PoolComplex] = f.tx.FreeIDs(PoolComplex)
	f.same(before, "after the rolled-back SM7 (pools aside)")
	for _, id := range held {
		f.tx.ReturnID(PoolBase, id)
	}
	f.check()
}
