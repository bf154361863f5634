package stmbench7

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"dustm/stmbench7/jrand"
)

// This file builds the structure and holds the reference's builder classes
// (CompositePartBuilder, DocumentBuilder, AtomicPartBuilder, AssemblyBuilder, ModuleBuilder):
// creating and deleting objects while keeping the indexes and id pools consistent. The setup
// and the structural modifications (SM1, SM2, SM5–SM8) share this code, and everything goes
// through a Tx, so every backend builds and modifies the same structure.
//
// Random numbers are drawn exactly where the reference draws them (argument lists included:
// Java evaluates them left to right), so the same seed gives the same structure.

// Build builds the initial structure through tx, single-threaded, drawing every random choice
// from r (the reference's setup generator is seeded with 3), and returns its module. Every
// backend's Build calls it on a Tx over its own empty storage; p must be tx's parameters.
//
// The steps are SetupDataStructure's: the design library (NumCompPerModule composite parts),
// then the module with its manual and the assembly tree, then NumCompPerAssm random
// composite parts for every base assembly in ascending id order.
func Build(tx Tx, p Params, r *jrand.Rand) (*Module, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if tx.Params() != p {
		return nil, fmt.Errorf("stmbench7: Build: the Tx's parameters %+v differ from %+v", tx.Params(), p)
	}
	library := make([]*CompositePart, p.InitialTotalCompParts())
	for i := range library {
		c, err := createCompositePart(tx, r)
		if err != nil {
			return nil, fmt.Errorf("stmbench7: building composite part %d of %d: %w", i+1, len(library), err)
		}
		library[i] = c
	}

	// ModuleBuilder.createRegisterModule: the module and manual id pools hold the single id 1.
	const moduleID = 1
	man := tx.NewManual(1, ManualTitle(moduleID), manualText(moduleID, p.ManualSize))
	typ := drawType(r)
	date := drawDate(r, MinModuleDate, MaxModuleDate)
	m := tx.NewModule(moduleID, typ, date, man)
	man.Module = m
	root, err := createComplexAssembly(tx, r, m, nil)
	if err != nil {
		return nil, fmt.Errorf("stmbench7: building the assembly tree: %w", err)
	}
	m.DesignRoot = root

	// Wiring, in base-assembly index order. The library has its initial size here, so the
	// draw is over the composite parts built above, in build order.
	for id := 1; id <= p.MaxBaseAssemblies(); id++ {
		b := tx.BaseByID(id)
		if b == nil {
			continue
		}
		for range p.NumCompPerAssm {
			c := library[r.IntN(len(library))]
			addComponent(tx, b, c)
		}
	}
	return m, nil
}

// drawType is DesignObjBuilder.createType.
func drawType(r *jrand.Rand) string { return typeNames[r.IntN(NumTypes)] }

// drawDate is DesignObjBuilder.createBuildDate: uniform in [lo, hi].
func drawDate(r *jrand.Rand, lo, hi int) int { return lo + r.IntN(hi-lo+1) }

// createText is DesignObjBuilder.createText: as many whole copies of line as fit in size.
func createText(size int, line string) string { return strings.Repeat(line, size/len(line)) }

// ManualTitle is the title of the module's manual.
func ManualTitle(moduleID int) string { return "Manual for module #" + itoa(moduleID) }

func manualText(moduleID, size int) string {
	return createText(size, "I am the manual for module #"+itoa(moduleID)+"\n")
}

func documentText(compositeID, size int) string {
	return createText(size, "I am the documentation for composite part #"+itoa(compositeID)+"\n")
}

// DocumentTitle returns the title of composite part id's document, "Composite Part #id".
// Titles of small ids come from a table, so that ST4's hundred lookups allocate nothing.
func DocumentTitle(id int) string {
	if t := *titleTable.Load(); id >= 0 && id < len(t) {
		return t[id]
	}
	return growTitles(id)
}

var (
	titleTable atomic.Pointer[[]string]
	titleMu    sync.Mutex
)

func init() {
	t := makeTitles(nil, 1024)
	titleTable.Store(&t)
}

func makeTitles(old []string, n int) []string {
	t := make([]string, n)
	copy(t, old)
	for i := len(old); i < n; i++ {
		t[i] = "Composite Part #" + itoa(i)
	}
	return t
}

// growTitles extends the table to cover id (ids are bounded by the composite-part pool, so
// this happens at most a few times per size), or formats the title if id is out of any
// sensible range.
func growTitles(id int) string {
	if id < 0 || id > 1<<22 {
		return "Composite Part #" + itoa(id)
	}
	titleMu.Lock()
	defer titleMu.Unlock()
	t := *titleTable.Load()
	if id >= len(t) {
		t = makeTitles(t, max(2*len(t), id+1))
		titleTable.Store(&t)
	}
	return t[id]
}

// Failures of the builders (preallocated: they are part of the normal workload).
var (
	errCompositePoolEmpty = opFailure("composite-part id pool is empty")
	errDocumentPoolEmpty  = opFailure("document id pool is empty")
	errAtomicPoolEmpty    = opFailure("atomic-part id pool is empty")
	errBasePoolEmpty      = opFailure("base-assembly id pool is empty")
	errComplexPoolEmpty   = opFailure("complex-assembly id pool is empty")
)

// opFailure returns an error wrapping ErrOperationFailed, for the preallocated failures.
func opFailure(reason string) error { return fmt.Errorf("%w: %s", ErrOperationFailed, reason) }

// createCompositePart is CompositePartBuilder.createAndRegisterCompositePart: a composite part
// with its document and a graph of NumAtomicPerComp atomic parts, registered in the indexes.
// If an id pool runs out, everything taken so far is given back (ids go to the back of their
// queues, as in the reference) and the error wraps ErrOperationFailed.
func createCompositePart(tx Tx, r *jrand.Rand) (*CompositePart, error) {
	p := tx.Params()
	id, ok := tx.TakeID(PoolComposite)
	if !ok {
		return nil, errCompositePoolEmpty
	}
	typ := drawType(r)
	var date int
	if r.IntN(100) < YoungCompFrac {
		date = drawDate(r, MinYoungCompDate, MaxYoungCompDate)
	} else {
		date = drawDate(r, MinOldCompDate, MaxOldCompDate)
	}

	// DocumentBuilder.createAndRegisterDocument.
	docID, ok := tx.TakeID(PoolDocument)
	if !ok {
		tx.ReturnID(PoolComposite, id)
		return nil, errDocumentPoolEmpty
	}
	doc := tx.NewDocument(docID, DocumentTitle(id), documentText(id, p.DocumentSize))
	tx.PutDocumentByTitle(doc)

	parts := make([]*AtomicPart, p.NumAtomicPerComp)
	for i := range parts {
		// AtomicPartBuilder.createAndRegisterAtomicPart.
		pid, ok := tx.TakeID(PoolAtomic)
		if !ok {
			unregisterDocument(tx, doc)
			for _, q := range parts[:i] {
				unregisterAtomicPart(tx, q)
			}
			tx.ReturnID(PoolComposite, id)
			return nil, errAtomicPoolEmpty
		}
		ptype := drawType(r)
		pdate := drawDate(r, MinAtomicDate, MaxAtomicDate)
		x := r.IntN(XYRange)
		part := tx.NewAtomicPart(pid, ptype, pdate, x, x+1)
		tx.PutAtomicByID(part)
		tx.DateIndexAdd(pdate, part)
		parts[i] = part
	}
	connectParts(parts, p.NumConnPerAtomic, r)

	c := tx.NewCompositePart(id, typ, date, doc, parts)
	doc.Part = c
	for _, part := range parts {
		part.PartOf = c
	}
	tx.PutCompositeByID(c)
	return c, nil
}

// connectParts is CompositePartBuilder.createConnections: first a ring (part i → part i+1), so
// the graph is strongly connected, then random connections from each part in turn until it
// has perPart outgoing ones. Every connection has a random type and a length in [1, XYRange].
//
// Each edge exists twice, as in the reference: the forward connection in the source's To and a
// reversed copy (source and destination exchanged) in the destination's From, each list in
// creation order. All connections of one composite part are values in two backing arrays,
// every part's To and From a contiguous, capped slice of them (no per-edge allocation, no
// slice can grow into a neighbour's).
func connectParts(parts []*AtomicPart, perPart int, r *jrand.Rand) {
	n := len(parts)
	total := n * perPart
	// The edges in creation order first (the order of the reference's random draws), then
	// every part's lists in place.
	type edge struct {
		from, to int32
		length   int32
		typ      ConnType
	}
	edges := make([]edge, 0, total)
	outDeg := make([]int32, n)
	inDeg := make([]int32, n)
	connect := func(from, to int) {
		typ := ConnType(r.IntN(NumTypes)) // drawType's draw
		length := r.IntN(XYRange) + 1
		edges = append(edges, edge{from: int32(from), to: int32(to), length: int32(length), typ: typ})
		outDeg[from]++
		inDeg[to]++
	}
	for i := range parts {
		connect(i, (i+1)%n)
	}
	for i := range parts {
		for int(outDeg[i]) < perPart {
			connect(i, r.IntN(n))
		}
	}
	to := make([]Connection, total)
	from := make([]Connection, total)
	outOff, inOff := 0, 0
	for i, part := range parts {
		part.To = to[outOff:outOff:(outOff + int(outDeg[i]))]
		part.From = from[inOff:inOff:(inOff + int(inDeg[i]))]
		outOff += int(outDeg[i])
		inOff += int(inDeg[i])
	}
	for _, e := range edges {
		src, dst := parts[e.from], parts[e.to]
		src.To = append(src.To, Connection{From: src, To: dst, Length: e.length, Type: e.typ})
		dst.From = append(dst.From, Connection{From: dst, To: src, Length: e.length, Type: e.typ})
	}
}

// unregisterDocument is DocumentBuilder.unregisterAndRecycleDocument.
func unregisterDocument(tx Tx, d *Document) {
	tx.RemoveDocumentByTitle(d.Title)
	tx.ReturnID(PoolDocument, d.ID)
}

// unregisterAtomicPart is AtomicPartBuilder.unregisterAndRecycleAtomicPart.
func unregisterAtomicPart(tx Tx, p *AtomicPart) {
	tx.DateIndexRemove(tx.AtomicDate(p), p)
	tx.RemoveAtomicByID(p.ID)
	tx.ReturnID(PoolAtomic, p.ID)
}

// unregisterCompositePart is CompositePartBuilder.unregisterAndRecycleCompositePart (SM2): the
// part leaves the composite index, its document and atomic parts leave theirs, every base
// assembly drops all its references to it, and the ids are recycled (document, atomic parts
// in id order, then the composite part's own).
func unregisterCompositePart(tx Tx, c *CompositePart) {
	tx.RemoveCompositeByID(c.ID)
	unregisterDocument(tx, c.Doc)
	for _, p := range c.Parts {
		unregisterAtomicPart(tx, p)
	}
	for _, b := range slices.Clone(tx.UsedIn(c)) {
		for removeComponent(tx, b, c) {
		}
	}
	tx.ReturnID(PoolComposite, c.ID)
}

// addComponent is BaseAssembly.addComponent: the reference goes into the base assembly's bag
// and the base assembly into the composite part's usedIn bag.
func addComponent(tx Tx, b *BaseAssembly, c *CompositePart) {
	tx.AddComponent(b, c)
	tx.AddUsedIn(c, b)
}

// removeComponent is BaseAssembly.removeComponent: it removes the first reference to c from
// b's bag and, if there was one, the first occurrence of b from c's usedIn bag.
func removeComponent(tx Tx, b *BaseAssembly, c *CompositePart) bool {
	if !tx.RemoveComponent(b, c) {
		return false
	}
	tx.RemoveUsedIn(c, b)
	return true
}

// createAssembly is AssemblyBuilder.createAndRegisterAssembly: a new child of super (a complex
// assembly with its whole subtree if super is above level 2, else a base assembly with no
// components). super is nil only for the design root.
func createAssembly(tx Tx, r *jrand.Rand, m *Module, super *ComplexAssembly) error {
	if super == nil || super.Level > 2 {
		_, err := createComplexAssembly(tx, r, m, super)
		return err
	}
	_, err := createBaseAssembly(tx, r, m, super)
	return err
}

// createBaseAssembly is AssemblyBuilder.createAndRegisterBaseAssembly. Note that the date is
// drawn before the id is taken, so a failure still consumes one random number.
func createBaseAssembly(tx Tx, r *jrand.Rand, m *Module, super *ComplexAssembly) (*BaseAssembly, error) {
	date := drawDate(r, MinAssmDate, MaxAssmDate)
	id, ok := tx.TakeID(PoolBase)
	if !ok {
		return nil, errBasePoolEmpty
	}
	b := tx.NewBaseAssembly(id, drawType(r), date, super, m)
	tx.PutBaseByID(b)
	tx.AddBaseChild(super, b)
	return b, nil
}

// createComplexAssembly is AssemblyBuilder.createAndRegisterComplexAssembly: the assembly and
// NumAssmPerAssm children, recursively. If an id pool runs out, the children built so far are
// unregistered (their ids recycled), the assembly's own id goes back to its pool, and the error
// is returned; the assembly is registered and attached to super only once complete.
func createComplexAssembly(tx Tx, r *jrand.Rand, m *Module, super *ComplexAssembly) (*ComplexAssembly, error) {
	p := tx.Params()
	id, ok := tx.TakeID(PoolComplex)
	if !ok {
		return nil, errComplexPoolEmpty
	}
	date := drawDate(r, MinAssmDate, MaxAssmDate)
	level := p.NumAssmLevels
	if super != nil {
		level = super.Level - 1
	}
	a := tx.NewComplexAssembly(id, drawType(r), date, level, super, m)
	for range p.NumAssmPerAssm {
		if err := createAssembly(tx, r, m, a); err != nil {
			if level > 2 {
				for _, child := range slices.Clone(tx.SubAssemblies(a)) {
					unregisterComplexAssembly(tx, child)
				}
			} else {
				for _, child := range slices.Clone(tx.BaseChildren(a)) {
					unregisterBaseAssembly(tx, child)
				}
			}
			tx.ReturnID(PoolComplex, id)
			return nil, err
		}
	}
	tx.PutComplexByID(a)
	if super != nil {
		tx.AddSubAssembly(super, a)
	}
	return a, nil
}

// unregisterBaseAssembly is AssemblyBuilder.unregisterAndRecycleBaseAssembly (SM6).
func unregisterBaseAssembly(tx Tx, b *BaseAssembly) {
	tx.RemoveBaseByID(b.ID)
	tx.RemoveBaseChild(b.Super, b)
	for _, c := range slices.Clone(tx.Components(b)) {
		removeComponent(tx, b, c)
	}
	tx.ReturnID(PoolBase, b.ID)
}

// unregisterComplexAssembly is AssemblyBuilder.unregisterAndRecycleComplexAssembly (SM8): the
// assembly is detached from its parent, its subtree unregistered depth-first, then the
// assembly itself (so its id is recycled after its descendants').
func unregisterComplexAssembly(tx Tx, a *ComplexAssembly) {
	if a.Super == nil {
		panic("stmbench7: the root complex assembly cannot be removed")
	}
	tx.RemoveSubAssembly(a.Super, a)
	if a.Level > 2 {
		for _, child := range slices.Clone(tx.SubAssemblies(a)) {
			unregisterComplexAssembly(tx, child)
		}
	} else {
		for _, child := range slices.Clone(tx.BaseChildren(a)) {
			unregisterBaseAssembly(tx, child)
		}
	}
	tx.RemoveComplexByID(a.ID)
	tx.ReturnID(PoolComplex, a.ID)
}
