package stmbench7

import (
	"fmt"
	"strings"

	"dustm/upgrade"
)

// The upgrade steps of the scenarios: for each, the new shapes, the transformers, the class
// code over the new shapes, and the invariants the new shapes add.

// withCode returns a copy of prev under a new name, for a step to replace some classes' code.
func withCode(prev *programCode, name string) *programCode {
	c := *prev
	c.Name = prev.Name + "+" + name
	return &c
}

// ---- atomic-point -----------------------------------------------------------------------

type point struct{ X, Y int32 }

// atomicPointState keeps an atomic part's coordinates as one point, and their sum as a derived
// field (the invariant sum = x + y must survive every swap).
type atomicPointState struct {
	Pos  point
	Sum  int32
	Date int32
}

func atomicPointStep() *UpgradeStep {
	return &UpgradeStep{
		Name: "atomic-point",
		code: func(prev *programCode) *programCode {
			c := withCode(prev, "atomic-point")
			c.Atomic = atomicPoint{}
			return c
		},
		transformers: func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
			return map[*upgrade.Class]upgrade.Transformer{
				cls.atomic: upgrade.Convert(func(s *atomicState) (*atomicPointState, error) {
					return &atomicPointState{Pos: point{s.X, s.Y}, Sum: s.X + s.Y, Date: s.Date}, nil
				}),
			}
		},
		check: func(t *upgTx) error {
			var pr problems
			t.EachAtomic(func(p *AtomicPart) bool {
				s, ok := p.st.obj.Load(t.utx).(*atomicPointState)
				switch {
				case !ok:
					pr.addf("atomic part %d is not in the point shape", p.ID)
				case s.Sum != s.Pos.X+s.Pos.Y:
					pr.addf("atomic part %d: sum %d, point %v", p.ID, s.Sum, s.Pos)
				}
				return true
			})
			return pr.err()
		},
	}
}

type atomicPoint struct{}

func (atomicPoint) New(date, x, y int) any {
	return &atomicPointState{Pos: point{int32(x), int32(y)}, Sum: int32(x + y), Date: int32(date)}
}
func (atomicPoint) Date(tx upgrade.Tx, p *AtomicPart) int {
	return int(stateOf[atomicPointState](tx, &p.st.obj).Date)
}
func (atomicPoint) UpdateDate(tx upgrade.Tx, p *AtomicPart) {
	modify(tx, &p.st.obj, func(s *atomicPointState) bool { return updateDate(&s.Date) })
}
func (atomicPoint) XY(tx upgrade.Tx, p *AtomicPart) (int, int) {
	s := stateOf[atomicPointState](tx, &p.st.obj)
	return int(s.Pos.X), int(s.Pos.Y)
}
func (atomicPoint) SwapXY(tx upgrade.Tx, p *AtomicPart) {
	modify(tx, &p.st.obj, func(s *atomicPointState) bool { s.Pos.X, s.Pos.Y = s.Pos.Y, s.Pos.X; return true })
}

// ---- composite-stats ---------------------------------------------------------------------

// compositeStatsState adds to a composite part a summary of its atomic parts and its document:
// the number of parts, the sum of their x+y (which swaps preserve), and the length of its
// document's text (which the version's document code keeps up to date).
type compositeStatsState struct {
	Date   int32
	UsedIn []*BaseAssembly
	Parts  int32
	SumXY  int64
	DocLen int32
}

func compositeStatsStep() *UpgradeStep {
	return &UpgradeStep{
		Name: "composite-stats",
		code: func(prev *programCode) *programCode {
			c := withCode(prev, "composite-stats")
			c.Composite = compositeStats{}
			c.Document = documentStats{inner: prev.Document}
			return c
		},
		transformers: func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
			return map[*upgrade.Class]upgrade.Transformer{cls.composite: convertCompositeStats}
		},
		check: func(t *upgTx) error {
			var pr problems
			t.EachComposite(func(c *CompositePart) bool {
				s, ok := c.st.obj.Load(t.utx).(*compositeStatsState)
				if !ok {
					pr.addf("composite part %d is not in the stats shape", c.ID)
					return true
				}
				var sum int64
				for _, p := range c.Parts {
					x, y := t.XY(p)
					sum += int64(x + y)
				}
				if int(s.Parts) != len(c.Parts) || s.SumXY != sum {
					pr.addf("composite part %d: %d parts summing to %d, summary says %d and %d", c.ID, len(c.Parts), sum, s.Parts, s.SumXY)
				}
				if n := len(t.DocText(c.Doc)); int(s.DocLen) != n {
					pr.addf("composite part %d: document of %d chars, summary says %d", c.ID, n, s.DocLen)
				}
				return true
			})
			return pr.err()
		},
	}
}

// convertCompositeStats computes a composite part's summary from its atomic parts and document
// as they were before the upgrade (read through the view, in their pre-upgrade shapes).
func convertCompositeStats(o *upgrade.Object, old any, v upgrade.View) (any, error) {
	s, ok := old.(*compositeState)
	if !ok {
		return nil, fmt.Errorf("composite part state is %T", old)
	}
	c := o.Owner().(*CompositePart)
	n := &compositeStatsState{Date: s.Date, UsedIn: s.UsedIn, Parts: int32(len(c.Parts))}
	for _, p := range c.Parts {
		x, y, err := viewXY(v, p)
		if err != nil {
			return nil, err
		}
		n.SumXY += int64(x + y)
	}
	docLen, err := viewDocLen(v, c.Doc)
	if err != nil {
		return nil, err
	}
	n.DocLen = int32(docLen)
	return n, nil
}

// viewXY reads an atomic part's coordinates through a view, in whichever shape the view's
// program version gives it.
func viewXY(v upgrade.View, p *AtomicPart) (int, int, error) {
	st, err := v.Load(&p.st.obj)
	if err != nil {
		return 0, 0, err
	}
	switch s := st.(type) {
	case *atomicState:
		return int(s.X), int(s.Y), nil
	case *atomicPointState:
		return int(s.Pos.X), int(s.Pos.Y), nil
	case *atomicDatedState:
		return int(s.X), int(s.Y), nil
	}
	return 0, 0, fmt.Errorf("atomic part %d has an unknown shape %T", p.ID, st)
}

// viewDocLen reads the length of a document's text through a view, in whichever shape it has
// there. (Only the length: a conversion that joined a document's lines to measure them would
// allocate its 20 000 characters, on every composite part the migration converts.)
func viewDocLen(v upgrade.View, d *Document) (int, error) {
	st, err := v.Load(&d.st.obj)
	if err != nil {
		return 0, err
	}
	switch s := st.(type) {
	case *documentState:
		return len(s.Text), nil
	case *documentLinesState:
		n := 0
		for _, l := range s.Lines {
			n += len(l)
		}
		return n, nil
	}
	return 0, fmt.Errorf("document %d has an unknown shape %T", d.ID, st)
}

type compositeStats struct{}

// New computes the summary of a part being created, from the parts and document the same
// transaction just made (read through this version's code).
func (compositeStats) New(tx upgrade.Tx, date int, c *CompositePart) any {
	code := tx.Code().(*programCode)
	s := &compositeStatsState{Date: int32(date), Parts: int32(len(c.Parts))}
	for _, p := range c.Parts {
		x, y := code.Atomic.XY(tx, p)
		s.SumXY += int64(x + y)
	}
	s.DocLen = int32(len(code.Document.Text(tx, c.Doc)))
	return s
}
func (compositeStats) Date(tx upgrade.Tx, c *CompositePart) int {
	return int(stateOf[compositeStatsState](tx, &c.st.obj).Date)
}
func (compositeStats) UpdateDate(tx upgrade.Tx, c *CompositePart) {
	modify(tx, &c.st.obj, func(s *compositeStatsState) bool { return updateDate(&s.Date) })
}
func (compositeStats) UsedIn(tx upgrade.Tx, c *CompositePart) []*BaseAssembly {
	return stateOf[compositeStatsState](tx, &c.st.obj).UsedIn
}
func (compositeStats) AddUsedIn(tx upgrade.Tx, c *CompositePart, b *BaseAssembly) {
	modify(tx, &c.st.obj, func(s *compositeStatsState) bool { return addTo(b)(&s.UsedIn) })
}
func (compositeStats) RemoveUsedIn(tx upgrade.Tx, c *CompositePart, b *BaseAssembly) bool {
	return modify(tx, &c.st.obj, func(s *compositeStatsState) bool { return removeFrom(b)(&s.UsedIn) })
}

// documentStats is the document code of composite-stats: the previous version's, plus keeping
// the composite part's document length up to date when the text changes.
type documentStats struct{ inner documentCode }

func (d documentStats) New(text string) any                      { return d.inner.New(text) }
func (d documentStats) Text(tx upgrade.Tx, doc *Document) string { return d.inner.Text(tx, doc) }
func (d documentStats) Search(tx upgrade.Tx, doc *Document, ch byte) int {
	return d.inner.Search(tx, doc, ch)
}
func (d documentStats) StartsWith(tx upgrade.Tx, doc *Document, prefix string) bool {
	return d.inner.StartsWith(tx, doc, prefix)
}
func (d documentStats) Replace(tx upgrade.Tx, doc *Document, from, to string) int {
	n := d.inner.Replace(tx, doc, from, to)
	if n != 0 && doc.Part != nil {
		modify(tx, &doc.Part.st.obj, func(s *compositeStatsState) bool {
			s.DocLen += int32(n * (len(to) - len(from)))
			return true
		})
	}
	return n
}

// ---- document-lines ----------------------------------------------------------------------

// documentLinesState keeps a document's text as its lines, each with its newline.
type documentLinesState struct{ Lines []string }

// splitLines cuts a text after every newline (a last line without one is kept as it is).
func splitLines(text string) []string {
	lines := strings.SplitAfter(text, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func documentLinesStep() *UpgradeStep {
	return &UpgradeStep{
		Name: "document-lines",
		code: func(prev *programCode) *programCode {
			c := withCode(prev, "document-lines")
			c.Document = documentLines{}
			return c
		},
		transformers: func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
			return map[*upgrade.Class]upgrade.Transformer{
				cls.document: upgrade.Convert(func(s *documentState) (*documentLinesState, error) {
					return &documentLinesState{Lines: splitLines(s.Text)}, nil
				}),
			}
		},
		check: func(t *upgTx) error {
			var pr problems
			t.EachDocument(func(d *Document) bool {
				s, ok := d.st.obj.Load(t.utx).(*documentLinesState)
				if !ok {
					pr.addf("document %d is not in the lines shape", d.ID)
					return true
				}
				for i, l := range s.Lines {
					if l == "" || (i < len(s.Lines)-1 && !strings.HasSuffix(l, "\n")) || strings.Count(l, "\n") > 1 {
						pr.addf("document %d: line %d is %q", d.ID, i, l)
						break
					}
				}
				return true
			})
			return pr.err()
		},
	}
}

type documentLines struct{}

func documentLinesOf(tx upgrade.Tx, d *Document) []string {
	return stateOf[documentLinesState](tx, &d.st.obj).Lines
}

func (documentLines) New(text string) any { return &documentLinesState{Lines: splitLines(text)} }
func (documentLines) Text(tx upgrade.Tx, d *Document) string {
	return strings.Join(documentLinesOf(tx, d), "")
}
func (documentLines) Search(tx upgrade.Tx, d *Document, ch byte) int {
	n := 0
	for _, l := range documentLinesOf(tx, d) {
		n += countByte(l, ch)
	}
	return n
}

// Replace changes the prefix, which lies in the first line: only that line is rewritten.
func (documentLines) Replace(tx upgrade.Tx, d *Document, from, to string) int {
	lines := documentLinesOf(tx, d)
	if len(lines) == 0 || !strings.HasPrefix(lines[0], from) || strings.Contains(from, "\n") {
		return 0
	}
	nl := make([]string, len(lines))
	copy(nl, lines)
	nl[0] = to + lines[0][len(from):]
	d.st.obj.Store(tx, &documentLinesState{Lines: nl})
	return 1
}
func (documentLines) StartsWith(tx upgrade.Tx, d *Document, prefix string) bool {
	for _, l := range documentLinesOf(tx, d) {
		if len(prefix) <= len(l) {
			return strings.HasPrefix(l, prefix)
		}
		if !strings.HasPrefix(prefix, l) {
			return false
		}
		prefix = prefix[len(l):]
	}
	return prefix == ""
}

// ---- dates -------------------------------------------------------------------------------

// buildDate is a structured build date: century and year within it (0–99), for the integer
// date century·100 + year (floored, so negative dates work too).
type buildDate struct{ Century, Year int16 }

func toBuildDate(d int32) buildDate {
	c := d / 100
	if d%100 < 0 {
		c--
	}
	return buildDate{Century: int16(c), Year: int16(d - c*100)}
}

func (b buildDate) value() int32 { return int32(b.Century)*100 + int32(b.Year) }

type atomicDatedState struct {
	X, Y  int32
	Built buildDate
}
type compositeDatedState struct {
	Built  buildDate
	UsedIn []*BaseAssembly
}
type baseDatedState struct {
	Built      buildDate
	Components []*CompositePart
}
type complexDatedState struct {
	Built buildDate
	Subs  []*ComplexAssembly
	Bases []*BaseAssembly
}
type moduleDatedState struct{ Built buildDate }

func datesStep() *UpgradeStep {
	return &UpgradeStep{
		Name: "dates",
		code: func(prev *programCode) *programCode {
			c := withCode(prev, "dates")
			c.Atomic, c.Composite, c.Base, c.Complex, c.Module = atomicDated{}, compositeDated{}, baseDated{}, complexDated{}, moduleDated{}
			return c
		},
		transformers: func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
			return map[*upgrade.Class]upgrade.Transformer{
				cls.atomic: upgrade.Convert(func(s *atomicState) (*atomicDatedState, error) {
					return &atomicDatedState{X: s.X, Y: s.Y, Built: toBuildDate(s.Date)}, nil
				}),
				cls.composite: upgrade.Convert(func(s *compositeState) (*compositeDatedState, error) {
					return &compositeDatedState{Built: toBuildDate(s.Date), UsedIn: s.UsedIn}, nil
				}),
				cls.base: upgrade.Convert(func(s *baseState) (*baseDatedState, error) {
					return &baseDatedState{Built: toBuildDate(s.Date), Components: s.Components}, nil
				}),
				cls.complex: upgrade.Convert(func(s *complexState) (*complexDatedState, error) {
					return &complexDatedState{Built: toBuildDate(s.Date), Subs: s.Subs, Bases: s.Bases}, nil
				}),
				cls.module: upgrade.Convert(func(s *moduleState) (*moduleDatedState, error) {
					return &moduleDatedState{Built: toBuildDate(s.Date)}, nil
				}),
			}
		},
		check: func(t *upgTx) error {
			var pr problems
			ok := func(kind string, id int, v any) {
				var b buildDate
				switch s := v.(type) {
				case *atomicDatedState:
					b = s.Built
				case *compositeDatedState:
					b = s.Built
				case *baseDatedState:
					b = s.Built
				case *complexDatedState:
					b = s.Built
				case *moduleDatedState:
					b = s.Built
				default:
					pr.addf("%s %d is not in the dated shape (%T)", kind, id, v)
					return
				}
				if b.Year < 0 || b.Year > 99 {
					pr.addf("%s %d: year %d out of 0..99", kind, id, b.Year)
				}
			}
			t.EachAtomic(func(p *AtomicPart) bool { ok("atomic part", p.ID, p.st.obj.Load(t.utx)); return true })
			t.EachComposite(func(c *CompositePart) bool { ok("composite part", c.ID, c.st.obj.Load(t.utx)); return true })
			t.EachBase(func(b *BaseAssembly) bool { ok("base assembly", b.ID, b.st.obj.Load(t.utx)); return true })
			t.EachComplex(func(a *ComplexAssembly) bool { ok("complex assembly", a.ID, a.st.obj.Load(t.utx)); return true })
			ok("module", t.Module().ID, t.Module().st.obj.Load(t.utx))
			return pr.err()
		},
	}
}

// The dated classes: the version 1 code with the date kept as a buildDate.

func updateBuilt(b *buildDate) bool { *b = toBuildDate(nextDate(b.value())); return true }

type atomicDated struct{}

func (atomicDated) New(date, x, y int) any {
	return &atomicDatedState{X: int32(x), Y: int32(y), Built: toBuildDate(int32(date))}
}
func (atomicDated) Date(tx upgrade.Tx, p *AtomicPart) int {
	return int(stateOf[atomicDatedState](tx, &p.st.obj).Built.value())
}
func (atomicDated) UpdateDate(tx upgrade.Tx, p *AtomicPart) {
	modify(tx, &p.st.obj, func(s *atomicDatedState) bool { return updateBuilt(&s.Built) })
}
func (atomicDated) XY(tx upgrade.Tx, p *AtomicPart) (int, int) {
	s := stateOf[atomicDatedState](tx, &p.st.obj)
	return int(s.X), int(s.Y)
}
func (atomicDated) SwapXY(tx upgrade.Tx, p *AtomicPart) {
	modify(tx, &p.st.obj, func(s *atomicDatedState) bool { s.X, s.Y = s.Y, s.X; return true })
}

type compositeDated struct{}

func (compositeDated) New(_ upgrade.Tx, date int, _ *CompositePart) any {
	return &compositeDatedState{Built: toBuildDate(int32(date))}
}
func (compositeDated) Date(tx upgrade.Tx, c *CompositePart) int {
	return int(stateOf[compositeDatedState](tx, &c.st.obj).Built.value())
}
func (compositeDated) UpdateDate(tx upgrade.Tx, c *CompositePart) {
	modify(tx, &c.st.obj, func(s *compositeDatedState) bool { return updateBuilt(&s.Built) })
}
func (compositeDated) UsedIn(tx upgrade.Tx, c *CompositePart) []*BaseAssembly {
	return stateOf[compositeDatedState](tx, &c.st.obj).UsedIn
}
func (compositeDated) AddUsedIn(tx upgrade.Tx, c *CompositePart, b *BaseAssembly) {
	modify(tx, &c.st.obj, func(s *compositeDatedState) bool { return addTo(b)(&s.UsedIn) })
}
func (compositeDated) RemoveUsedIn(tx upgrade.Tx, c *CompositePart, b *BaseAssembly) bool {
	return modify(tx, &c.st.obj, func(s *compositeDatedState) bool { return removeFrom(b)(&s.UsedIn) })
}

type baseDated struct{}

func (baseDated) New(date int) any { return &baseDatedState{Built: toBuildDate(int32(date))} }
func (baseDated) Date(tx upgrade.Tx, b *BaseAssembly) int {
	return int(stateOf[baseDatedState](tx, &b.st.obj).Built.value())
}
func (baseDated) UpdateDate(tx upgrade.Tx, b *BaseAssembly) {
	modify(tx, &b.st.obj, func(s *baseDatedState) bool { return updateBuilt(&s.Built) })
}
func (baseDated) Components(tx upgrade.Tx, b *BaseAssembly) []*CompositePart {
	return stateOf[baseDatedState](tx, &b.st.obj).Components
}
func (baseDated) AddComponent(tx upgrade.Tx, b *BaseAssembly, c *CompositePart) {
	modify(tx, &b.st.obj, func(s *baseDatedState) bool { return addTo(c)(&s.Components) })
}
func (baseDated) RemoveComponent(tx upgrade.Tx, b *BaseAssembly, c *CompositePart) bool {
	return modify(tx, &b.st.obj, func(s *baseDatedState) bool { return removeFrom(c)(&s.Components) })
}

type complexDated struct{}

func (complexDated) New(date int) any { return &complexDatedState{Built: toBuildDate(int32(date))} }
func (complexDated) Date(tx upgrade.Tx, a *ComplexAssembly) int {
	return int(stateOf[complexDatedState](tx, &a.st.obj).Built.value())
}
func (complexDated) UpdateDate(tx upgrade.Tx, a *ComplexAssembly) {
	modify(tx, &a.st.obj, func(s *complexDatedState) bool { return updateBuilt(&s.Built) })
}
func (complexDated) Subs(tx upgrade.Tx, a *ComplexAssembly) []*ComplexAssembly {
	return stateOf[complexDatedState](tx, &a.st.obj).Subs
}
func (complexDated) Bases(tx upgrade.Tx, a *ComplexAssembly) []*BaseAssembly {
	return stateOf[complexDatedState](tx, &a.st.obj).Bases
}
func (complexDated) AddSub(tx upgrade.Tx, a, child *ComplexAssembly) bool {
	checkComplexChild(a)
	return modify(tx, &a.st.obj, func(s *complexDatedState) bool { return addToSet(child)(&s.Subs) })
}
func (complexDated) RemoveSub(tx upgrade.Tx, a, child *ComplexAssembly) bool {
	return modify(tx, &a.st.obj, func(s *complexDatedState) bool { return removeFrom(child)(&s.Subs) })
}
func (complexDated) AddBase(tx upgrade.Tx, a *ComplexAssembly, child *BaseAssembly) bool {
	checkBaseChild(a)
	return modify(tx, &a.st.obj, func(s *complexDatedState) bool { return addToSet(child)(&s.Bases) })
}
func (complexDated) RemoveBase(tx upgrade.Tx, a *ComplexAssembly, child *BaseAssembly) bool {
	return modify(tx, &a.st.obj, func(s *complexDatedState) bool { return removeFrom(child)(&s.Bases) })
}

type moduleDated struct{}

func (moduleDated) New(date int) any { return &moduleDatedState{Built: toBuildDate(int32(date))} }
func (moduleDated) Date(tx upgrade.Tx, m *Module) int {
	return int(stateOf[moduleDatedState](tx, &m.st.obj).Built.value())
}
