package stmbench7

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"dustm/stmbench7/jrand"
)

// build builds a structure of the given size with the reference's setup seed.
func build(t testing.TB, backend string, p Params) (Backend, *Structure) {
	t.Helper()
	return buildWith(t, backend, Options{}, p)
}

// buildWith is build with the backend's options.
func buildWith(t testing.TB, backend string, o Options, p Params) (Backend, *Structure) {
	t.Helper()
	b, err := NewBackend(backend, o)
	if err != nil {
		t.Fatal(err)
	}
	r := jrand.New(3)
	s, err := b.Build(p, &r)
	if err != nil {
		t.Fatal(err)
	}
	return b, s
}

// view runs fn in a read-only atomic unit of b on s.
func view(t testing.TB, b Backend, s *Structure, fn func(Tx)) {
	t.Helper()
	if err := b.View(s, func(tx Tx) error { fn(tx); return nil }); err != nil {
		t.Fatal(err)
	}
}

// presets returns the size presets a test can afford.
func presets(t *testing.T) []string {
	if testing.Short() || raceEnabled {
		return []string{"tiny", "small", "medium"}
	}
	return []string{"tiny", "small", "medium", "big"}
}

// TestBuildCounts: a fresh structure of every preset has the reference's object counts (the
// initial totals, 200 atomic parts and 6 connections each…), full texts, and the right ids
// left in the pools; the invariant check passes.
func TestBuildCounts(t *testing.T) {
	for _, size := range presets(t) {
		t.Run(size, func(t *testing.T) {
			p := sizes[size]
			b, s := build(t, "none", p)
			if err := s.Check(b, true); err != nil {
				t.Fatal(err)
			}
			view(t, b, s, func(tx Tx) {
				snap := Canonical(tx)
				want := map[string][2]int{
					"complex assemblies": {len(snap.Complex), p.InitialTotalComplexAssemblies()},
					"base assemblies":    {len(snap.Base), p.InitialTotalBaseAssemblies()},
					"composite parts":    {len(snap.Composite), p.InitialTotalCompParts()},
					"documents":          {len(snap.Document), p.InitialTotalCompParts()},
					"atomic parts":       {len(snap.Atomic), p.InitialTotalCompParts() * p.NumAtomicPerComp},
					"atomic-part pool":   {len(snap.Pools[PoolAtomic]), p.MaxAtomicParts() - p.InitialTotalCompParts()*p.NumAtomicPerComp},
					"composite pool":     {len(snap.Pools[PoolComposite]), p.MaxCompParts() - p.InitialTotalCompParts()},
					"document pool":      {len(snap.Pools[PoolDocument]), p.MaxCompParts() - p.InitialTotalCompParts()},
					"base pool":          {len(snap.Pools[PoolBase]), p.MaxBaseAssemblies() - p.InitialTotalBaseAssemblies()},
					"complex pool":       {len(snap.Pools[PoolComplex]), p.MaxComplexAssemblies() - p.InitialTotalComplexAssemblies()},
				}
				refs, conns, inConns := 0, 0, 0
				for _, r := range snap.Base {
					refs += len(r.Components)
				}
				for _, r := range snap.Atomic {
					conns += len(r.To)
					inConns += len(r.From)
				}
				want["component references"] = [2]int{refs, p.InitialTotalBaseAssemblies() * p.NumCompPerAssm}
				want["connections"] = [2]int{conns, len(snap.Atomic) * p.NumConnPerAtomic}
				want["incoming connections"] = [2]int{inConns, len(snap.Atomic) * p.NumConnPerAtomic}
				for what, gw := range want {
					if gw[0] != gw[1] {
						t.Errorf("%s: %d, want %d", what, gw[0], gw[1])
					}
				}
				// The pools hand out ids in order, so what is left is the top of each range.
				if ids := snap.Pools[PoolAtomic]; len(ids) > 0 && ids[0] != p.InitialTotalCompParts()*p.NumAtomicPerComp+1 {
					t.Errorf("atomic pool starts with %d", ids[0])
				}
				line := "I am the manual for module #1\n"
				if got, want := snap.Manual.Text, strings.Repeat(line, p.ManualSize/len(line)); got != want {
					t.Errorf("manual text: %d chars, want %d", len(got), len(want))
				}
				for _, d := range snap.Document {
					line := "I am the documentation for composite part #" + itoa(d.Part) + "\n"
					if d.Text != strings.Repeat(line, p.DocumentSize/len(line)) || d.Title != "Composite Part #"+itoa(d.Part) {
						t.Fatalf("document %d: title %q, text of %d chars", d.ID, d.Title, len(d.Text))
					}
				}
				young := 0
				for _, c := range snap.Composite {
					if c.Date >= MinYoungCompDate {
						young++
					}
				}
				if size == "big" && (young < 30 || young > 70) {
					t.Errorf("%d young composite parts of 500, want about 50", young)
				}
			})
		})
	}
}

// TestBuildBigTimeAndHeap reports the time to build the reference's structure and the heap it
// takes (targets: under 1.5 s and about 500 MB at most).
func TestBuildBigTimeAndHeap(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the big structure is too slow with -short or -race")
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	_, s := build(t, "coarse", sizes["big"])
	elapsed := time.Since(start)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("big structure: built in %v, heap %.1f MB", elapsed, float64(heap)/(1<<20))
	if elapsed > 3*time.Second {
		t.Errorf("building took %v (target 1.5 s)", elapsed)
	}
	if heap > 500<<20 {
		t.Errorf("heap %d MB (target 500 MB)", heap>>20)
	}
	runtime.KeepAlive(s)
}

// TestBuildDeterministic: the same seed builds the same structure on every lock backend; a
// different seed a different one.
func TestBuildDeterministic(t *testing.T) {
	p := sizes["small"]
	var first *Snapshot
	for _, name := range []string{"none", "coarse", "medium", "none"} {
		b, s := build(t, name, p)
		var snap *Snapshot
		view(t, b, s, func(tx Tx) { snap = Canonical(tx) })
		if first == nil {
			first = snap
			continue
		}
		if d := first.Diff(snap); len(d) > 0 {
			t.Fatalf("%s built a different structure:\n%s", name, strings.Join(d, "\n"))
		}
	}
	b, _ := NewBackend("none", Options{})
	r := jrand.New(4)
	s, err := b.Build(p, &r)
	if err != nil {
		t.Fatal(err)
	}
	var other *Snapshot
	view(t, b, s, func(tx Tx) { other = Canonical(tx) })
	if len(first.Diff(other)) == 0 {
		t.Fatal("seeds 3 and 4 built the same structure")
	}
}

// TestBuildTinyByHand checks the tiny preset's shape in detail: 1 + 3 complex assemblies, 9
// base assemblies with 3 references each, 10 composite parts of 6 atomic parts with a ring.
func TestBuildTinyByHand(t *testing.T) {
	p := sizes["tiny"]
	b, s := build(t, "none", p)
	view(t, b, s, func(tx Tx) {
		m := tx.Module()
		root := m.DesignRoot
		if m.ID != 1 || m.Manual.Module != m || root.Level != 3 || root.Super != nil || root.ID != 1 {
			t.Fatalf("module %d, root %d at level %d", m.ID, root.ID, root.Level)
		}
		// Ids are handed out depth-first: the root takes complex id 1, its first child 2,
		// whose base assemblies take 1, 2, 3; and so on.
		subs := tx.SubAssemblies(root)
		if len(subs) != 3 || len(tx.BaseChildren(root)) != 0 {
			t.Fatalf("root children: %d complex, %d base", len(subs), len(tx.BaseChildren(root)))
		}
		for i, a := range subs {
			if a.ID != i+2 || a.Level != 2 || a.Super != root || a.Module != m {
				t.Errorf("child %d: id %d level %d", i, a.ID, a.Level)
			}
			for j, ba := range tx.BaseChildren(a) {
				if ba.ID != 3*i+j+1 || ba.Super != a || len(tx.Components(ba)) != 3 {
					t.Errorf("base %d of %d: id %d, %d components", j, a.ID, ba.ID, len(tx.Components(ba)))
				}
			}
		}
		for id := 1; id <= 10; id++ {
			c := tx.CompositeByID(id)
			if c == nil || c.Doc.ID != id || c.Doc.Part != c || len(c.Parts) != 6 {
				t.Fatalf("composite part %d: %+v", id, c)
			}
			// The composite parts take atomic ids 6(id-1)+1 … 6id in order, the first
			// being the root, and the ring connects them in that order.
			for k, ap := range c.Parts {
				if ap.ID != 6*(id-1)+k+1 || ap.PartOf != c {
					t.Fatalf("composite part %d: part %d has id %d", id, k, ap.ID)
				}
				if next := c.Parts[(k+1)%6]; ap.To[0].To != next || ap.To[0].From != ap {
					t.Fatalf("atomic part %d: first connection to %d, want the ring's %d", ap.ID, ap.To[0].To.ID, next.ID)
				}
				if x, y := tx.XY(ap); y != x+1 {
					t.Fatalf("atomic part %d: x=%d y=%d", ap.ID, x, y)
				}
			}
			if c.RootPart != c.Parts[0] {
				t.Fatalf("composite part %d: root %d", id, c.RootPart.ID)
			}
		}
	})
}
