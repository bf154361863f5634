package stmbench7

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// CheckInvariants checks the structural invariants of the structure tx sees (the reference's
// CheckInvariantsOperation and its *Test classes), single-threaded, reading only. initial
// selects the exact date ranges of a freshly built structure; later checks widen every range
// to the nearest odd/even neighbour, which is as far as date updates can move a date.
//
// Beyond the reference it also checks that a fresh structure has the initial object counts,
// that every complex assembly has at least one child (the "only child" guards keep it so),
// that bags are consistent in multiplicity (a base assembly referencing a composite part k
// times appears k times in its usedIn), that each incoming connection mirrors an outgoing one
// of its source (the reference's test of this compares the part with itself), that the
// build-date index buckets are ordered, and that each id pool holds exactly the ids not in use.
//
// It returns nil or an error listing the first problems found; it never panics, whatever the
// state of the structure.
func CheckInvariants(tx Tx, initial bool) (err error) {
	c := &checker{
		tx: tx, p: tx.Params(), initial: initial,
		complexes:  map[*ComplexAssembly]bool{},
		bases:      map[*BaseAssembly]bool{},
		composites: map[*CompositePart]bool{},
		documents:  map[*Document]bool{},
		atomics:    map[*AtomicPart]bool{},
	}
	defer func() {
		if v := recover(); v != nil {
			c.problemf("the check stopped on a panic: %v", v)
			err = c.err()
		}
	}()
	c.checkModule()
	c.checkIndexes()
	c.checkPools()
	if initial {
		c.checkInitialCounts()
	}
	return c.err()
}

// Check runs CheckInvariants on s through b (which must be the backend that built s).
//
// On a structure that has been upgraded (the stm backend), the check runs in the current
// program version, through its code, and adds the invariants of every upgrade's new shapes.
func (s *Structure) Check(b Backend, initial bool) error {
	if err := b.View(s, func(tx Tx) error { return CheckInvariants(tx, initial) }); err != nil {
		return err
	}
	if x, ok := b.(interface{ extraChecks(*Structure) error }); ok {
		return x.extraChecks(s)
	}
	return nil
}

const maxReportedProblems = 25

type checker struct {
	tx      Tx
	p       Params
	initial bool

	problems []string
	nProblem int

	// What the walk from the module reached (and the composite parts found only in the index).
	complexes  map[*ComplexAssembly]bool
	bases      map[*BaseAssembly]bool
	composites map[*CompositePart]bool
	documents  map[*Document]bool
	atomics    map[*AtomicPart]bool
}

func (c *checker) problemf(format string, a ...any) {
	c.nProblem++
	if len(c.problems) < maxReportedProblems {
		c.problems = append(c.problems, fmt.Sprintf(format, a...))
	}
}

func (c *checker) err() error {
	if c.nProblem == 0 {
		return nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "stmbench7: %d invariant violation(s):", c.nProblem)
	for _, p := range c.problems {
		b.WriteString("\n  ")
		b.WriteString(p)
	}
	if c.nProblem > len(c.problems) {
		fmt.Fprintf(&b, "\n  … and %d more", c.nProblem-len(c.problems))
	}
	return errors.New(b.String())
}

// dateRange widens [lo, hi] on later checks: DesignObjTest moves an even lower bound down by
// one and an odd upper bound up by one.
func (c *checker) dateRange(lo, hi int) (int, int) {
	if !c.initial {
		if lo%2 == 0 {
			lo--
		}
		if hi%2 != 0 {
			hi++
		}
	}
	return lo, hi
}

// checkDesignObj is DesignObjTest: id in [1, maxID], a well-formed type, date in range.
func (c *checker) checkDesignObj(kind string, id int, typ string, date, maxID, minDate, maxDate int) {
	if id < 1 || id > maxID {
		c.problemf("%s %d: id outside [1, %d]", kind, id, maxID)
	}
	if !validType(typ) {
		c.problemf("%s %d: malformed type %q", kind, id, typ)
	}
	lo, hi := c.dateRange(minDate, maxDate)
	if date < lo || date > hi {
		c.problemf("%s %d: build date %d outside [%d, %d]", kind, id, date, lo, hi)
	}
}

func validType(typ string) bool {
	return slices.Contains(typeNames[:], typ)
}

func (c *checker) checkModule() {
	m := c.tx.Module()
	if m == nil {
		c.problemf("no module")
		return
	}
	c.checkDesignObj("module", m.ID, m.Type, c.tx.ModuleDate(m), 1, MinModuleDate, MaxModuleDate)
	c.checkManual(m)
	if m.DesignRoot == nil {
		c.problemf("module %d: no design root", m.ID)
		return
	}
	if m.DesignRoot.Level != c.p.NumAssmLevels {
		c.problemf("design root %d: level %d, want %d", m.DesignRoot.ID, m.DesignRoot.Level, c.p.NumAssmLevels)
	}
	c.checkComplex(m.DesignRoot, nil, m)
}

// checkManual is ManualTest.
func (c *checker) checkManual(m *Module) {
	man := m.Manual
	if man == nil {
		c.problemf("module %d: no manual", m.ID)
		return
	}
	if man.ID != 1 {
		c.problemf("manual %d: id, want 1", man.ID)
	}
	if want := ManualTitle(1); man.Title != want {
		c.problemf("manual %d: title %q, want %q", man.ID, man.Title, want)
	}
	text := c.tx.ManualText(man)
	switch {
	case startsWithByte(text, 'I'):
		if n := countByte(text, 'i'); n > 0 {
			c.problemf("manual %d: text starts with 'I' but contains %d 'i'", man.ID, n)
		}
	case startsWithByte(text, 'i'):
		if n := countByte(text, 'I'); n > 0 {
			c.problemf("manual %d: text starts with 'i' but contains %d 'I'", man.ID, n)
		}
	default:
		c.problemf("manual %d: text starts with neither 'I' nor 'i': %q", man.ID, prefixOf(text, 10))
	}
	if man.Module != m {
		c.problemf("manual %d: wrong module back-reference", man.ID)
	}
}

// checkComplex is ComplexAssemblyTest (and AssemblyTest) for a and, recursively, its subtree.
func (c *checker) checkComplex(a, parent *ComplexAssembly, m *Module) {
	if c.complexes[a] {
		c.problemf("complex assembly %d: reached twice in the tree", a.ID)
		return
	}
	c.complexes[a] = true
	c.checkDesignObj("complex assembly", a.ID, a.Type, c.tx.ComplexDate(a), c.p.MaxComplexAssemblies(), MinAssmDate, MaxAssmDate)
	if a.Super != parent {
		c.problemf("complex assembly %d: wrong parent reference", a.ID)
	}
	if a.Module != m {
		c.problemf("complex assembly %d: wrong module reference", a.ID)
	}
	if a.Level <= 1 || a.Level > c.p.NumAssmLevels {
		c.problemf("complex assembly %d: level %d outside [2, %d]", a.ID, a.Level, c.p.NumAssmLevels)
		return
	}
	if parent != nil && a.Level != parent.Level-1 {
		c.problemf("complex assembly %d: level %d under a level-%d parent", a.ID, a.Level, parent.Level)
	}
	subs, bases := c.tx.SubAssemblies(a), c.tx.BaseChildren(a)
	if a.Level > 2 {
		if len(bases) > 0 {
			c.problemf("complex assembly %d: base assemblies as children at level %d", a.ID, a.Level)
		}
		if len(subs) == 0 {
			c.problemf("complex assembly %d: no children", a.ID)
		}
		checkNoDuplicates(c, "complex assembly", a.ID, "sub-assemblies", subs, func(x *ComplexAssembly) int { return x.ID })
		for _, s := range subs {
			if s == nil {
				c.problemf("complex assembly %d: nil child", a.ID)
				continue
			}
			c.checkComplex(s, a, m)
		}
		return
	}
	if len(subs) > 0 {
		c.problemf("complex assembly %d: complex assemblies as children at level 2", a.ID)
	}
	if len(bases) == 0 {
		c.problemf("complex assembly %d: no children", a.ID)
	}
	checkNoDuplicates(c, "complex assembly", a.ID, "base children", bases, func(x *BaseAssembly) int { return x.ID })
	for _, b := range bases {
		if b == nil {
			c.problemf("complex assembly %d: nil child", a.ID)
			continue
		}
		c.checkBase(b, a, m)
	}
}

func checkNoDuplicates[T comparable](c *checker, kind string, id int, what string, s []T, idOf func(T) int) {
	for i, x := range s {
		if slices.Contains(s[:i], x) {
			c.problemf("%s %d: %s hold %d twice", kind, id, what, idOf(x))
		}
	}
}

// checkBase is BaseAssemblyTest: the assembly and every composite part it references.
func (c *checker) checkBase(b *BaseAssembly, parent *ComplexAssembly, m *Module) {
	if c.bases[b] {
		c.problemf("base assembly %d: reached twice in the tree", b.ID)
		return
	}
	c.bases[b] = true
	c.checkDesignObj("base assembly", b.ID, b.Type, c.tx.BaseDate(b), c.p.MaxBaseAssemblies(), MinAssmDate, MaxAssmDate)
	if b.Super != parent {
		c.problemf("base assembly %d: wrong parent reference", b.ID)
	}
	if b.Module != m {
		c.problemf("base assembly %d: wrong module reference", b.ID)
	}
	comps := c.tx.Components(b)
	for i, comp := range comps {
		if comp == nil {
			c.problemf("base assembly %d: nil component", b.ID)
			continue
		}
		if slices.Contains(comps[:i], comp) {
			continue // multiplicity checked once
		}
		if want, got := count(comps, comp), count(c.tx.UsedIn(comp), b); want != got {
			c.problemf("base assembly %d references composite part %d %d time(s), but is in its usedIn %d time(s)",
				b.ID, comp.ID, want, got)
		}
		c.checkComposite(comp)
	}
}

func count[T comparable](s []T, x T) int {
	n := 0
	for _, y := range s {
		if y == x {
			n++
		}
	}
	return n
}

// checkComposite is CompositePartTest (done once per composite part, however many times it is
// referenced): its date, usedIn, document and graph.
func (c *checker) checkComposite(cp *CompositePart) {
	if c.composites[cp] {
		return
	}
	c.composites[cp] = true
	id := cp.ID
	date := c.tx.CompositeDate(cp)
	if id < 1 || id > c.p.MaxCompParts() {
		c.problemf("composite part %d: id outside [1, %d]", id, c.p.MaxCompParts())
	}
	if !validType(cp.Type) {
		c.problemf("composite part %d: malformed type %q", id, cp.Type)
	}
	oldLo, oldHi := c.dateRange(MinOldCompDate, MaxOldCompDate)
	youngLo, youngHi := c.dateRange(MinYoungCompDate, MaxYoungCompDate)
	if (date < oldLo || date > oldHi) && (date < youngLo || date > youngHi) {
		c.problemf("composite part %d: build date %d outside [%d, %d] and [%d, %d]", id, date, oldLo, oldHi, youngLo, youngHi)
	}
	usedIn := c.tx.UsedIn(cp)
	for i, b := range usedIn {
		if b == nil {
			c.problemf("composite part %d: nil in usedIn", id)
			continue
		}
		if slices.Contains(usedIn[:i], b) {
			continue
		}
		if want, got := count(usedIn, b), count(c.tx.Components(b), cp); want != got {
			c.problemf("composite part %d lists base assembly %d %d time(s) in usedIn, which references it %d time(s)",
				id, b.ID, want, got)
		}
	}
	c.checkDocument(cp)

	parts := cp.Parts
	if len(parts) != c.p.NumAtomicPerComp {
		c.problemf("composite part %d: %d atomic parts, want %d", id, len(parts), c.p.NumAtomicPerComp)
	}
	for i := 1; i < len(parts); i++ {
		if parts[i-1] == nil || parts[i] == nil || parts[i-1].ID >= parts[i].ID {
			c.problemf("composite part %d: part set not strictly ordered by id at position %d", id, i)
			break
		}
	}
	if cp.RootPart == nil || !slices.Contains(parts, cp.RootPart) {
		c.problemf("composite part %d: root part not in the part set", id)
	}
	for _, p := range parts {
		if p != nil {
			c.checkAtomic(p, cp)
		}
	}
}

// checkDocument is DocumentationTest.
func (c *checker) checkDocument(cp *CompositePart) {
	d := cp.Doc
	if d == nil {
		c.problemf("composite part %d: no document", cp.ID)
		return
	}
	if c.documents[d] {
		c.problemf("document %d: belongs to two composite parts", d.ID)
	}
	c.documents[d] = true
	if d.ID < 1 || d.ID > c.p.MaxCompParts() {
		c.problemf("document %d: id outside [1, %d]", d.ID, c.p.MaxCompParts())
	}
	if d.Part != cp {
		c.problemf("document %d: wrong composite-part back-reference", d.ID)
	}
	if want := DocumentTitle(cp.ID); d.Title != want {
		c.problemf("document %d: title %q, want %q", d.ID, d.Title, want)
	}
	text := c.tx.DocText(d)
	suffix := "the documentation for composite part #" + itoa(cp.ID)
	if !strings.HasPrefix(text, "I am "+suffix) && !strings.HasPrefix(text, "This is "+suffix) {
		c.problemf("document %d: text starts with %q", d.ID, prefixOf(text, 60))
	}
}

// checkAtomic is AtomicPartTest (with ConnectionTest) for a part of composite part cp.
func (c *checker) checkAtomic(p *AtomicPart, cp *CompositePart) {
	if c.atomics[p] {
		c.problemf("atomic part %d: in two part sets", p.ID)
		return
	}
	c.atomics[p] = true
	c.checkDesignObj("atomic part", p.ID, p.Type, c.tx.AtomicDate(p), c.p.MaxAtomicParts(), MinAtomicDate, MaxAtomicDate)
	if x, y := c.tx.XY(p); x-y != 1 && y-x != 1 {
		c.problemf("atomic part %d: |x - y| != 1 (x = %d, y = %d)", p.ID, x, y)
	}
	if p.PartOf != cp {
		c.problemf("atomic part %d: wrong composite-part back-reference", p.ID)
	}
	if len(p.To) != c.p.NumConnPerAtomic {
		c.problemf("atomic part %d: %d outgoing connections, want %d", p.ID, len(p.To), c.p.NumConnPerAtomic)
	}
	for i := range p.To {
		conn := &p.To[i]
		if !c.checkConnection(conn, p) {
			continue
		}
		if conn.To.PartOf != cp {
			c.problemf("atomic part %d: connected to atomic part %d of another composite part", p.ID, conn.To.ID)
		}
	}
	for i := range p.From {
		conn := &p.From[i]
		// An incoming connection is a reversed copy: its source is p itself and its
		// destination the real source, which must have the matching outgoing connection.
		if !c.checkConnection(conn, p) {
			continue
		}
		found := false
		for _, out := range conn.To.To {
			if out.To == p && out.Type == conn.Type && out.Length == conn.Length {
				found = true
				break
			}
		}
		if !found {
			c.problemf("atomic part %d: incoming connection from %d has no matching outgoing one", p.ID, conn.To.ID)
		}
	}
}

// checkConnection is ConnectionTest; it reports whether the connection is usable.
func (c *checker) checkConnection(conn *Connection, p *AtomicPart) bool {
	if conn.To == nil {
		c.problemf("atomic part %d: connection to nothing", p.ID)
		return false
	}
	if !validType(conn.Type.String()) {
		c.problemf("atomic part %d: connection with malformed type %q", p.ID, conn.Type)
	}
	if conn.Length < 1 || conn.Length > XYRange {
		c.problemf("atomic part %d: connection length %d outside [1, %d]", p.ID, conn.Length, XYRange)
	}
	if conn.From != p {
		c.problemf("atomic part %d: connection with the wrong source", p.ID)
	}
	return true
}

// checkIndexes is IndexTest: every index holds exactly the objects reached from the module
// (composite parts in no base assembly are found through their index and checked first).
func (c *checker) checkIndexes() {
	tx := c.tx
	checkIDIndex(c, "complex-assembly", c.complexes, tx.EachComplex, tx.ComplexByID,
		func(a *ComplexAssembly) int { return a.ID })
	checkIDIndex(c, "base-assembly", c.bases, tx.EachBase, tx.BaseByID,
		func(b *BaseAssembly) int { return b.ID })

	tx.EachComposite(func(cp *CompositePart) bool {
		if !c.composites[cp] {
			c.checkComposite(cp) // unreachable from the tree, so no parent to test
		}
		return true
	})
	checkIDIndex(c, "composite-part", c.composites, tx.EachComposite, tx.CompositeByID,
		func(cp *CompositePart) int { return cp.ID })
	for cp := range c.composites {
		for _, b := range tx.UsedIn(cp) {
			if b != nil && !c.bases[b] {
				c.problemf("composite part %d: usedIn holds base assembly %d, not in the structure", cp.ID, b.ID)
			}
		}
	}

	for d := range c.documents {
		if got := tx.DocumentByTitle(d.Title); got != d {
			c.problemf("document index: %q maps to %s, not to document %d", d.Title, describe(got), d.ID)
		}
	}
	tx.EachDocument(func(d *Document) bool {
		if !c.documents[d] {
			c.problemf("document index: holds document %s not in the structure", describe(d))
		}
		return true
	})

	checkIDIndex(c, "atomic-part", c.atomics, tx.EachAtomic, tx.AtomicByID,
		func(p *AtomicPart) int { return p.ID })
	c.checkDateIndex()
}

func describe(d *Document) string {
	if d == nil {
		return "nothing"
	}
	return fmt.Sprintf("%d (%q)", d.ID, d.Title)
}

func checkIDIndex[T any](c *checker, name string, reached map[*T]bool, each func(func(*T) bool),
	byID func(int) *T, idOf func(*T) int) {
	for v := range reached {
		if got := byID(idOf(v)); got != v {
			if got == nil {
				c.problemf("%s index: id %d is in the structure but not in the index", name, idOf(v))
			} else {
				c.problemf("%s index: id %d maps to a different object than the structure's", name, idOf(v))
			}
		}
	}
	prev := math.MinInt
	each(func(v *T) bool {
		if v == nil {
			c.problemf("%s index: nil value", name)
			return true
		}
		id := idOf(v)
		if !reached[v] {
			c.problemf("%s index: holds id %d, not in the structure", name, id)
		}
		if id <= prev {
			c.problemf("%s index: enumeration not in ascending id order (%d after %d)", name, id, prev)
		}
		prev = id
		return true
	})
}

// checkDateIndex: every atomic part is in the set of its current build date, and the sets hold
// nothing else; each set is ordered by id.
func (c *checker) checkDateIndex() {
	byDate := map[int][]*AtomicPart{}
	for p := range c.atomics {
		d := c.tx.AtomicDate(p)
		byDate[d] = append(byDate[d], p)
	}
	for d, want := range byDate {
		slices.SortFunc(want, func(a, b *AtomicPart) int { return a.ID - b.ID })
		var got []*AtomicPart
		c.tx.DateIndexRange(d, d+1, func(p *AtomicPart) bool { got = append(got, p); return true })
		if !slices.Equal(got, want) {
			c.problemf("date index: the set of date %d holds %s, want %s", d, partIDs(got), partIDs(want))
		}
	}
	total := 0
	var last *AtomicPart
	lastDate := math.MinInt
	c.tx.DateIndexRange(math.MinInt, math.MaxInt, func(p *AtomicPart) bool {
		total++
		if !c.atomics[p] {
			c.problemf("date index: holds atomic part %d, not in the structure", p.ID)
			return true
		}
		d := c.tx.AtomicDate(p)
		if last != nil && (d < lastDate || d == lastDate && p.ID <= last.ID) {
			c.problemf("date index: not ordered by date, then id (%d after %d)", p.ID, last.ID)
		}
		last, lastDate = p, d
		return true
	})
	if total != len(c.atomics) {
		c.problemf("date index: holds %d entries, the structure %d atomic parts", total, len(c.atomics))
	}
}

func partIDs(ps []*AtomicPart) string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = itoa(p.ID)
	}
	if len(ids) > 12 {
		ids = append(ids[:12], "…")
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// checkPools: each id pool holds, once each, exactly the ids in [1, size] not in use.
func (c *checker) checkPools() {
	used := [NumPools]map[int]bool{}
	for i := range used {
		used[i] = map[int]bool{}
	}
	mark := func(pool Pool, id int) {
		if used[pool][id] {
			c.problemf("pool %s: id %d used by two objects", poolNames[pool], id)
		}
		used[pool][id] = true
	}
	for p := range c.atomics {
		mark(PoolAtomic, p.ID)
	}
	for cp := range c.composites {
		mark(PoolComposite, cp.ID)
	}
	for d := range c.documents {
		mark(PoolDocument, d.ID)
	}
	for b := range c.bases {
		mark(PoolBase, b.ID)
	}
	for a := range c.complexes {
		mark(PoolComplex, a.ID)
	}
	for pool := range Pool(NumPools) {
		size := pool.Size(c.p)
		free := c.tx.FreeIDs(pool)
		seen := map[int]bool{}
		for _, id := range free {
			switch {
			case id < 1 || id > size:
				c.problemf("pool %s: free id %d outside [1, %d]", poolNames[pool], id, size)
			case seen[id]:
				c.problemf("pool %s: free id %d twice", poolNames[pool], id)
			case used[pool][id]:
				c.problemf("pool %s: id %d both free and in use", poolNames[pool], id)
			}
			seen[id] = true
		}
		if n := len(seen) + len(used[pool]); n != size {
			c.problemf("pool %s: %d free + %d in use ids, want %d in all", poolNames[pool], len(seen), len(used[pool]), size)
		}
	}
}

// checkInitialCounts: a fresh structure has exactly the initial number of every object.
func (c *checker) checkInitialCounts() {
	want := func(what string, got, want int) {
		if got != want {
			c.problemf("initial structure: %d %s, want %d", got, what, want)
		}
	}
	want("complex assemblies", len(c.complexes), c.p.InitialTotalComplexAssemblies())
	want("base assemblies", len(c.bases), c.p.InitialTotalBaseAssemblies())
	want("composite parts", len(c.composites), c.p.InitialTotalCompParts())
	want("documents", len(c.documents), c.p.InitialTotalCompParts())
	want("atomic parts", len(c.atomics), c.p.InitialTotalCompParts()*c.p.NumAtomicPerComp)
	refs := 0
	for b := range c.bases {
		refs += len(c.tx.Components(b))
	}
	want("component references", refs, c.p.InitialTotalBaseAssemblies()*c.p.NumCompPerAssm)
}
