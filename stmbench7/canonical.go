package stmbench7

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
)

// Snapshot is a backend-independent, deterministic description of a whole structure: every
// object by id with its state, its links as ids, the contents of the six indexes and of the
// id pools (in queue order). Two structures are equal, in the sense of the reference's
// StructureComparisonOperation (and a bit more: it also compares the id pools and the
// objects that only an index still holds), iff their snapshots are.
//
// Texts are kept as they are (strings are shared, not copied); Format prints their length
// and Java hash.
type Snapshot struct {
	Module    ModuleRec
	Manual    ManualRec
	Complex   []ComplexRec   // by id
	Base      []BaseRec      // by id
	Composite []CompositeRec // by id
	Document  []DocumentRec  // by id
	Atomic    []AtomicRec    // by id
	Index     IndexRec
	Pools     [NumPools][]int // free ids, front of the queue first
}

// ModuleRec describes the module (links are ids; 0 is none).
type ModuleRec struct {
	ID         int
	Type       string
	Date       int
	Manual     int
	DesignRoot int
}

// ManualRec describes the manual.
type ManualRec struct {
	ID     int
	Title  string
	Text   string
	Module int
}

// ComplexRec describes a complex assembly; Children are its sub-assemblies in order (complex
// ones above level 2, base ones at level 2).
type ComplexRec struct {
	ID       int
	Type     string
	Date     int
	Level    int
	Super    int
	Module   int
	Children []int
}

// BaseRec describes a base assembly; Components is its bag in order.
type BaseRec struct {
	ID         int
	Type       string
	Date       int
	Super      int
	Module     int
	Components []int
}

// CompositeRec describes a composite part; Parts is its part set (by id), UsedIn its bag.
type CompositeRec struct {
	ID       int
	Type     string
	Date     int
	Document int
	RootPart int
	Parts    []int
	UsedIn   []int
}

// DocumentRec describes a document.
type DocumentRec struct {
	ID    int
	Title string
	Text  string
	Part  int
}

// AtomicRec describes an atomic part and its outgoing and incoming connections, in order.
type AtomicRec struct {
	ID     int
	Type   string
	Date   int
	X, Y   int
	PartOf int
	To     []ConnRec
	From   []ConnRec
}

// ConnRec describes a connection by the ids of its ends.
type ConnRec struct {
	Type     string
	Length   int
	From, To int
}

// IndexRec lists what each index holds, in its iteration order: ids of the objects in the
// id indexes, (title, document id) pairs, and the build-date sets by date.
type IndexRec struct {
	Atomic    []int
	Composite []int
	Base      []int
	Complex   []int
	Titles    []TitleRec
	Dates     []DateRec
}

// TitleRec is an entry of the document-title index.
type TitleRec struct {
	Title    string
	Document int
}

// DateRec is a non-empty set of the build-date index. A set with Date = math.MinInt lists
// parts the index returns for no date it was asked about (a broken index).
type DateRec struct {
	Date  int
	Parts []int
}

// Canonical describes the structure tx sees. It reads only, and walks everything reachable
// from the module and from the indexes, so objects that only an index still holds are
// described too.
func Canonical(tx Tx) *Snapshot {
	s := &Snapshot{}
	m := tx.Module()

	complexes := map[*ComplexAssembly]bool{}
	bases := map[*BaseAssembly]bool{}
	composites := map[*CompositePart]bool{}
	documents := map[*Document]bool{}
	atomics := map[*AtomicPart]bool{}

	var walk func(a *ComplexAssembly)
	walk = func(a *ComplexAssembly) {
		if a == nil || complexes[a] {
			return
		}
		complexes[a] = true
		for _, sub := range tx.SubAssemblies(a) {
			walk(sub)
		}
		for _, b := range tx.BaseChildren(a) {
			if b != nil {
				bases[b] = true
			}
		}
	}
	if m != nil {
		s.Module = ModuleRec{ID: m.ID, Type: m.Type, Date: tx.ModuleDate(m), DesignRoot: idOf(m.DesignRoot)}
		if man := m.Manual; man != nil {
			s.Module.Manual = man.ID
			s.Manual = ManualRec{ID: man.ID, Title: man.Title, Text: tx.ManualText(man), Module: idOf(man.Module)}
		}
		walk(m.DesignRoot)
	}
	tx.EachComplex(func(a *ComplexAssembly) bool {
		s.Index.Complex = append(s.Index.Complex, a.ID)
		walk(a)
		return true
	})
	tx.EachBase(func(b *BaseAssembly) bool {
		s.Index.Base = append(s.Index.Base, b.ID)
		bases[b] = true
		return true
	})
	for b := range bases {
		for _, c := range tx.Components(b) {
			if c != nil {
				composites[c] = true
			}
		}
	}
	tx.EachComposite(func(c *CompositePart) bool {
		s.Index.Composite = append(s.Index.Composite, c.ID)
		composites[c] = true
		return true
	})
	tx.EachDocument(func(d *Document) bool {
		s.Index.Titles = append(s.Index.Titles, TitleRec{Title: d.Title, Document: d.ID})
		documents[d] = true
		return true
	})
	for c := range composites {
		if c.Doc != nil {
			documents[c.Doc] = true
		}
		for _, ap := range c.Parts {
			atomics[ap] = true
		}
	}
	tx.EachAtomic(func(ap *AtomicPart) bool {
		s.Index.Atomic = append(s.Index.Atomic, ap.ID)
		atomics[ap] = true
		return true
	})

	for a := range complexes {
		r := ComplexRec{ID: a.ID, Type: a.Type, Date: tx.ComplexDate(a), Level: a.Level,
			Super: idOf(a.Super), Module: idOf(a.Module)}
		for _, sub := range tx.SubAssemblies(a) {
			r.Children = append(r.Children, idOf(sub))
		}
		for _, b := range tx.BaseChildren(a) {
			r.Children = append(r.Children, idOf(b))
		}
		s.Complex = append(s.Complex, r)
	}
	for b := range bases {
		r := BaseRec{ID: b.ID, Type: b.Type, Date: tx.BaseDate(b), Super: idOf(b.Super), Module: idOf(b.Module)}
		for _, c := range tx.Components(b) {
			r.Components = append(r.Components, idOf(c))
		}
		s.Base = append(s.Base, r)
	}
	for c := range composites {
		r := CompositeRec{ID: c.ID, Type: c.Type, Date: tx.CompositeDate(c), Document: idOf(c.Doc), RootPart: idOf(c.RootPart)}
		for _, ap := range c.Parts {
			r.Parts = append(r.Parts, idOf(ap))
		}
		for _, b := range tx.UsedIn(c) {
			r.UsedIn = append(r.UsedIn, idOf(b))
		}
		s.Composite = append(s.Composite, r)
	}
	for d := range documents {
		s.Document = append(s.Document, DocumentRec{ID: d.ID, Title: d.Title, Text: tx.DocText(d), Part: idOf(d.Part)})
	}
	dates := map[int]bool{}
	for d := MinAtomicDate - 1; d <= MaxAtomicDate+1; d++ {
		dates[d] = true
	}
	for ap := range atomics {
		x, y := tx.XY(ap)
		r := AtomicRec{ID: ap.ID, Type: ap.Type, Date: tx.AtomicDate(ap), X: x, Y: y, PartOf: idOf(ap.PartOf),
			To: connRecs(ap.To), From: connRecs(ap.From)}
		dates[r.Date] = true
		s.Atomic = append(s.Atomic, r)
	}
	byID := func(a, b int) int { return a - b }
	slices.SortFunc(s.Complex, func(a, b ComplexRec) int { return byID(a.ID, b.ID) })
	slices.SortFunc(s.Base, func(a, b BaseRec) int { return byID(a.ID, b.ID) })
	slices.SortFunc(s.Composite, func(a, b CompositeRec) int { return byID(a.ID, b.ID) })
	slices.SortFunc(s.Document, func(a, b DocumentRec) int { return byID(a.ID, b.ID) })
	slices.SortFunc(s.Atomic, func(a, b AtomicRec) int { return byID(a.ID, b.ID) })

	// The build-date index, set by set (for every date an atomic part has or can reach), and
	// whatever a query over all dates returns beyond those sets.
	inSets := map[*AtomicPart]int{}
	for _, d := range slices.Sorted(maps.Keys(dates)) {
		var ids []int
		tx.DateIndexRange(d, d+1, func(ap *AtomicPart) bool {
			ids = append(ids, ap.ID)
			inSets[ap]++
			return true
		})
		if len(ids) > 0 {
			s.Index.Dates = append(s.Index.Dates, DateRec{Date: d, Parts: ids})
		}
	}
	stray := DateRec{Date: math.MinInt}
	tx.DateIndexRange(math.MinInt, math.MaxInt, func(ap *AtomicPart) bool {
		if inSets[ap] > 0 {
			inSets[ap]--
		} else {
			stray.Parts = append(stray.Parts, ap.ID)
		}
		return true
	})
	if len(stray.Parts) > 0 {
		s.Index.Dates = append(s.Index.Dates, stray)
	}

	for pool := range Pool(NumPools) {
		s.Pools[pool] = tx.FreeIDs(pool)
	}
	return s
}

// Snapshot describes s through b (which must be the backend that built s), on a quiescent
// structure.
func (s *Structure) Snapshot(b Backend) (*Snapshot, error) {
	var snap *Snapshot
	err := b.View(s, func(tx Tx) error { snap = Canonical(tx); return nil })
	return snap, err
}

// idOf returns an object's id, 0 for nil.
func idOf[T any](v *T) int {
	switch o := any(v).(type) {
	case *AtomicPart:
		if o != nil {
			return o.ID
		}
	case *CompositePart:
		if o != nil {
			return o.ID
		}
	case *Document:
		if o != nil {
			return o.ID
		}
	case *Manual:
		if o != nil {
			return o.ID
		}
	case *BaseAssembly:
		if o != nil {
			return o.ID
		}
	case *ComplexAssembly:
		if o != nil {
			return o.ID
		}
	case *Module:
		if o != nil {
			return o.ID
		}
	}
	return 0
}

func connRecs(conns []Connection) []ConnRec {
	out := make([]ConnRec, len(conns))
	for i := range conns {
		c := &conns[i]
		out[i] = ConnRec{Type: c.Type.String(), Length: int(c.Length), From: idOf(c.From), To: idOf(c.To)}
	}
	return out
}

// Format writes the snapshot as text, one line per object and per index or pool, in a fixed
// order (the format the reference's structure is dumped in for comparison). Texts appear as
// their length and Java String.hashCode.
func (s *Snapshot) Format(w io.Writer) error {
	bw := bufio.NewWriter(w)
	for _, line := range s.lines() {
		bw.WriteString(line)
		bw.WriteByte('\n')
	}
	return bw.Flush()
}

func (s *Snapshot) lines() []string {
	var out []string
	out = append(out, s.Module.line(), s.Manual.line())
	for _, r := range s.Complex {
		out = append(out, r.line())
	}
	for _, r := range s.Base {
		out = append(out, r.line())
	}
	for _, r := range s.Composite {
		out = append(out, r.line())
	}
	for _, r := range s.Document {
		out = append(out, r.line())
	}
	for _, r := range s.Atomic {
		out = append(out, r.line())
	}
	out = append(out,
		"index atomic "+ints(s.Index.Atomic),
		"index composite "+ints(s.Index.Composite),
		"index base "+ints(s.Index.Base),
		"index complex "+ints(s.Index.Complex))
	for _, t := range s.Index.Titles {
		out = append(out, fmt.Sprintf("index title %q %d", t.Title, t.Document))
	}
	for _, d := range s.Index.Dates {
		out = append(out, fmt.Sprintf("index date %d %s", d.Date, ints(d.Parts)))
	}
	for pool, ids := range s.Pools {
		out = append(out, fmt.Sprintf("pool %s %s", Pool(pool), ints(ids)))
	}
	return out
}

func ints(s []int) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, v := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(itoa(v))
	}
	b.WriteByte(']')
	return b.String()
}

// JavaHash is java.lang.String.hashCode for an ASCII string.
func JavaHash(s string) int32 {
	var h int32
	for i := 0; i < len(s); i++ {
		h = 31*h + int32(s[i])
	}
	return h
}

func (r ModuleRec) line() string {
	return fmt.Sprintf("module %d type=%q date=%d manual=%d root=%d", r.ID, r.Type, r.Date, r.Manual, r.DesignRoot)
}

func (r ManualRec) line() string {
	return fmt.Sprintf("manual %d title=%q module=%d text=%d/%d", r.ID, r.Title, r.Module, len(r.Text), JavaHash(r.Text))
}

func (r ComplexRec) line() string {
	return fmt.Sprintf("complex %d type=%q date=%d level=%d super=%d module=%d children=%s",
		r.ID, r.Type, r.Date, r.Level, r.Super, r.Module, ints(r.Children))
}

func (r BaseRec) line() string {
	return fmt.Sprintf("base %d type=%q date=%d super=%d module=%d components=%s",
		r.ID, r.Type, r.Date, r.Super, r.Module, ints(r.Components))
}

func (r CompositeRec) line() string {
	return fmt.Sprintf("composite %d type=%q date=%d doc=%d root=%d parts=%s usedin=%s",
		r.ID, r.Type, r.Date, r.Document, r.RootPart, ints(r.Parts), ints(r.UsedIn))
}

func (r DocumentRec) line() string {
	return fmt.Sprintf("document %d title=%q part=%d text=%d/%d", r.ID, r.Title, r.Part, len(r.Text), JavaHash(r.Text))
}

func (r AtomicRec) line() string {
	var b strings.Builder
	fmt.Fprintf(&b, "atomic %d type=%q date=%d x=%d y=%d partof=%d to=[", r.ID, r.Type, r.Date, r.X, r.Y, r.PartOf)
	writeConns(&b, r.To)
	b.WriteString("] from=[")
	writeConns(&b, r.From)
	b.WriteByte(']')
	return b.String()
}

// writeConns writes connections as type-number:length:source>destination (an incoming
// connection is a reversed copy: its source is the part itself).
func writeConns(b *strings.Builder, conns []ConnRec) {
	for i, c := range conns {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "%s:%d:%d>%d", strings.TrimPrefix(c.Type, "type #"), c.Length, c.From, c.To)
	}
}

// Diff lists the differences between two snapshots, in human-readable lines (at most a
// hundred, then a count of the rest); it returns nil if they are equal.
func (a *Snapshot) Diff(b *Snapshot) []string {
	d := &differ{}
	if !reflect.DeepEqual(a.Module, b.Module) {
		d.addf("module differs:\n    a: %s\n    b: %s", a.Module.line(), b.Module.line())
	}
	if !reflect.DeepEqual(a.Manual, b.Manual) {
		d.addf("manual differs:\n    a: %s\n    b: %s", a.Manual.line(), b.Manual.line())
	}
	diffRecs(d, "complex assembly", a.Complex, b.Complex, func(r ComplexRec) int { return r.ID }, ComplexRec.line)
	diffRecs(d, "base assembly", a.Base, b.Base, func(r BaseRec) int { return r.ID }, BaseRec.line)
	diffRecs(d, "composite part", a.Composite, b.Composite, func(r CompositeRec) int { return r.ID }, CompositeRec.line)
	diffRecs(d, "document", a.Document, b.Document, func(r DocumentRec) int { return r.ID }, DocumentRec.line)
	diffRecs(d, "atomic part", a.Atomic, b.Atomic, func(r AtomicRec) int { return r.ID }, AtomicRec.line)
	diffInts(d, "atomic-part index", a.Index.Atomic, b.Index.Atomic)
	diffInts(d, "composite-part index", a.Index.Composite, b.Index.Composite)
	diffInts(d, "base-assembly index", a.Index.Base, b.Index.Base)
	diffInts(d, "complex-assembly index", a.Index.Complex, b.Index.Complex)
	diffRecs(d, "document-title index entry", a.Index.Titles, b.Index.Titles,
		func(t TitleRec) string { return t.Title }, func(t TitleRec) string { return fmt.Sprintf("%q → %d", t.Title, t.Document) })
	diffRecs(d, "build-date index set", a.Index.Dates, b.Index.Dates,
		func(r DateRec) int { return r.Date }, func(r DateRec) string { return fmt.Sprintf("%d %s", r.Date, ints(r.Parts)) })
	for pool := range Pool(NumPools) {
		diffInts(d, "id pool "+pool.String(), a.Pools[pool], b.Pools[pool])
	}
	return d.result()
}

const maxReportedDiffs = 100

type differ struct {
	lines []string
	n     int
}

func (d *differ) addf(format string, a ...any) {
	d.n++
	if len(d.lines) < maxReportedDiffs {
		d.lines = append(d.lines, fmt.Sprintf(format, a...))
	}
}

func (d *differ) result() []string {
	if d.n > len(d.lines) {
		d.lines = append(d.lines, fmt.Sprintf("… and %d more differences", d.n-len(d.lines)))
	}
	return d.lines
}

// diffRecs compares two lists of records ordered by key.
func diffRecs[R any, K cmp.Ordered](d *differ, kind string, a, b []R, key func(R) K, line func(R) string) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var c int
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = cmp.Compare(key(a[i]), key(b[j]))
		}
		switch {
		case c < 0:
			d.addf("%s only in a: %s", kind, line(a[i]))
			i++
		case c > 0:
			d.addf("%s only in b: %s", kind, line(b[j]))
			j++
		default:
			if !reflect.DeepEqual(a[i], b[j]) {
				d.addf("%s %v differs:\n    a: %s\n    b: %s", kind, key(a[i]), line(a[i]), line(b[j]))
			}
			i++
			j++
		}
	}
}

func diffInts(d *differ, what string, a, b []int) {
	if slices.Equal(a, b) {
		return
	}
	k := 0
	for k < len(a) && k < len(b) && a[k] == b[k] {
		k++
	}
	show := func(s []int) string {
		end := min(len(s), k+8)
		tail := ""
		if end < len(s) {
			tail = " …"
		}
		return ints(s[k:end]) + tail
	}
	d.addf("%s differs from position %d (lengths %d and %d): a %s, b %s", what, k, len(a), len(b), show(a), show(b))
}
