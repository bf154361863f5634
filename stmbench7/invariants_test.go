package stmbench7

import (
	"bytes"
	"strings"
	"testing"
)

// TestInvariantsCatchCorruption: each kind of damage to a tiny structure is reported, with a
// message naming it, and the check never panics.
func TestInvariantsCatchCorruption(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(tx Tx)
		want    string
	}{
		{"x and y", func(tx Tx) { tx.AtomicByID(3).st.plain().X += 5 }, "atomic part 3: |x - y| != 1"},
		{"atomic date", func(tx Tx) { setAtomicDate(tx, tx.AtomicByID(3), 5000) }, "atomic part 3: build date 5000"},
		{"composite date", func(tx Tx) { tx.CompositeByID(2).st.plain().Date = 1500 }, "composite part 2: build date 1500"},
		{"assembly type", func(tx Tx) { tx.BaseByID(4).Type = "type #10" }, `base assembly 4: malformed type "type #10"`},
		{"date index", func(tx Tx) { p := tx.AtomicByID(3); tx.DateIndexRemove(tx.AtomicDate(p), p) }, "date index"},
		{"date index extra", func(tx Tx) { p := tx.AtomicByID(3); tx.DateIndexAdd(tx.AtomicDate(p)+1, p) }, "date index"},
		{"atomic index", func(tx Tx) { tx.RemoveAtomicByID(7) }, "atomic-part index: id 7 is in the structure but not in the index"},
		{"stray in index", func(tx Tx) { tx.PutBaseByID(tx.NewBaseAssembly(4, "type #1", 0, nil, tx.Module())) }, "base-assembly index: id 4 maps to a different object"},
		{"lost id", func(tx Tx) { tx.ReturnID(PoolComplex, 2) }, "pool complex: id 2 both free and in use"},
		{"leaked id", func(tx Tx) {
			b := tx.BaseByID(9)
			tx.RemoveBaseByID(9)
			tx.RemoveBaseChild(b.Super, b)
			for _, c := range tx.Components(b) {
				removeComponent(tx, b, c)
			}
		}, "pool base: 0 free + 8 in use ids, want 9 in all"},
		{"usedIn", func(tx Tx) { tx.AddUsedIn(tx.CompositeByID(2), tx.BaseByID(9)) }, "usedIn"},
		{"components", func(tx Tx) { tx.AddComponent(tx.BaseByID(9), tx.CompositeByID(2)) }, "base assembly 9 references composite part 2"},
		{"document text", func(tx Tx) { tx.CompositeByID(2).Doc.st.plain().Text = "I am the documentation for composite part #3" }, "document 2: text"},
		{"document title", func(tx Tx) { tx.CompositeByID(2).Doc.Title = "Composite Part #9" }, "title"},
		{"manual", func(tx Tx) { tx.Module().Manual.st.plain().Text = "I am i" }, "manual 1: text starts with 'I' but contains 1 'i'"},
		{"root part", func(tx Tx) { tx.CompositeByID(2).RootPart = tx.AtomicByID(1) }, "composite part 2: root part not in the part set"},
		{"nil root part", func(tx Tx) { tx.CompositeByID(2).RootPart = nil }, "root part"},
		{"connection", func(tx Tx) { tx.AtomicByID(8).To[2].To = tx.AtomicByID(1) }, "atomic part 8: connected to atomic part 1 of another composite part"},
		{"incoming", func(tx Tx) { tx.AtomicByID(8).From[0].Length++ }, "no matching outgoing one"},
		{"connection count", func(tx Tx) { p := tx.AtomicByID(8); p.To = p.To[:2] }, "atomic part 8: 2 outgoing connections"},
		{"no children", func(tx Tx) {
			a := tx.SubAssemblies(tx.Module().DesignRoot)[1]
			for _, b := range tx.BaseChildren(a) {
				tx.RemoveBaseChild(a, b)
			}
		}, "complex assembly 3: no children"},
		{"level", func(tx Tx) { tx.SubAssemblies(tx.Module().DesignRoot)[0].Level = 3 }, "level"},
		{"parent", func(tx Tx) { tx.BaseByID(4).Super = tx.Module().DesignRoot }, "base assembly 4: wrong parent reference"},
		{"nil design root", func(tx Tx) { tx.Module().DesignRoot = nil }, "no design root"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, sizes["tiny"])
			c.corrupt(f.tx)
			err := CheckInvariants(f.tx, false)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want a report containing %q", err, c.want)
			}
		})
	}
}

// panickyTx is a Tx whose components lookups panic.
type panickyTx struct{ Tx }

func (panickyTx) Components(*BaseAssembly) []*CompositePart { panic("boom") }

func TestInvariantsNeverPanic(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	err := CheckInvariants(panickyTx{f.tx}, false)
	if err == nil || !strings.Contains(err.Error(), "stopped on a panic: boom") {
		t.Fatalf("got %v", err)
	}
}

func TestInvariantsReportIsBounded(t *testing.T) {
	f := newFixture(t, sizes["small"])
	f.tx.EachAtomic(func(p *AtomicPart) bool { p.st.plain().Y += 7; return true })
	err := CheckInvariants(f.tx, false)
	if err == nil || !strings.Contains(err.Error(), "1000 invariant violation(s)") ||
		!strings.Contains(err.Error(), "… and 975 more") || strings.Count(err.Error(), "\n") != 26 {
		t.Fatalf("got %v", err)
	}
}

// TestInitialDateRanges: after date updates, the exact ranges of the initial check no longer
// hold in general, the widened ones do.
func TestInitialDateRanges(t *testing.T) {
	f := newFixture(t, sizes["small"])
	p := f.tx.AtomicByID(5)
	setAtomicDate(f.tx, p, MinAtomicDate)
	if err := CheckInvariants(f.tx, true); err != nil {
		t.Fatal(err)
	}
	updateAtomicDate(f.tx, p)
	if err := CheckInvariants(f.tx, true); err == nil || !strings.Contains(err.Error(), "atomic part 5: build date 999 outside [1000, 1999]") {
		t.Fatalf("initial check after date updates: %v", err)
	}
	if err := CheckInvariants(f.tx, false); err != nil {
		t.Fatal(err)
	}
	// The initial counts: a deleted composite part is noticed by the initial check only.
	f = newFixture(t, sizes["small"])
	unregisterCompositePart(f.tx, f.tx.CompositeByID(1))
	if err := CheckInvariants(f.tx, true); err == nil || !strings.Contains(err.Error(), "49 composite parts, want 50") {
		t.Fatalf("initial check after SM2: %v", err)
	}
	f.check()
}

func TestCanonicalDiff(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	a := Canonical(f.tx)
	if d := a.Diff(Canonical(f.tx)); len(d) != 0 {
		t.Fatalf("a structure differs from itself: %v", d)
	}
	var out1, out2 bytes.Buffer
	a.Format(&out1)
	Canonical(f.tx).Format(&out2)
	if !bytes.Equal(out1.Bytes(), out2.Bytes()) || out1.Len() == 0 {
		t.Fatal("Format is not deterministic")
	}
	if !strings.Contains(out1.String(), "\natomic 7 type=") || !strings.Contains(out1.String(), "\npool base []\n") {
		t.Fatalf("unexpected format:\n%s", prefixOf(out1.String(), 500))
	}

	f.tx.SwapXY(f.tx.AtomicByID(7))
	f.tx.UpdateBaseDate(f.tx.BaseByID(2))
	unregisterCompositePart(f.tx, f.tx.CompositeByID(10))
	d := strings.Join(a.Diff(Canonical(f.tx)), "\n")
	for _, want := range []string{"atomic part 7 differs", "base assembly 2 differs", "composite part only in a: composite 10",
		"document only in a: document 10", "id pool composite differs", `document-title index entry only in a: "Composite Part #10"`} {
		if !strings.Contains(d, want) {
			t.Errorf("the diff does not mention %q:\n%s", want, d)
		}
	}

	// The number of reported differences is bounded.
	f = newFixture(t, sizes["small"])
	a = Canonical(f.tx)
	f.tx.EachAtomic(func(p *AtomicPart) bool { f.tx.SwapXY(p); return true })
	d2 := a.Diff(Canonical(f.tx))
	if len(d2) != maxReportedDiffs+1 || !strings.HasPrefix(d2[len(d2)-1], "… and") {
		t.Errorf("%d lines, last %q", len(d2), d2[len(d2)-1])
	}
}

// TestCanonicalDateIndex: a part filed under a date no part has still shows in the snapshot.
func TestCanonicalDateIndex(t *testing.T) {
	f := newFixture(t, sizes["tiny"])
	a := Canonical(f.tx)
	f.tx.DateIndexAdd(-77, f.tx.AtomicByID(3))
	b := Canonical(f.tx)
	if d := strings.Join(a.Diff(b), "\n"); !strings.Contains(d, "build-date index set only in b: -9223372036854775808 [3]") {
		t.Fatalf("diff:\n%s", d)
	}
}
