package stmbench7

import (
	"fmt"
	"strings"

	"dustm/upgrade"
)

// The upgrade steps of the scenarios: for each, the new shapes, the transformers, the class
// code over the new shapes, and the invariants the new shapes add.

// stateOf returns an upgradable object's state, of type *S in the running version.
func stateOf[S any](t *upgTx, o *upgrade.Object) *S { return o.Load(t.utx).(*S) }

// reshape returns the states adapter that runs version 1's class code for S on objects of
// class cls in shape N.
func reshape[S, N any](t *upgTx, cls *upgrade.Class, from func(*N) S, to func(s S, old *N, owner any) *N) *reshaped[S, N] {
	return &reshaped[S, N]{t: t, cls: cls, from: from, to: to}
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
		reshape: func(t *upgTx, o *objects) {
			o.atomics = reshape(t, t.cls.atomic,
				func(s *atomicPointState) atomicState { return atomicState{X: s.Pos.X, Y: s.Pos.Y, Date: s.Date} },
				func(s atomicState, _ *atomicPointState, _ any) *atomicPointState { return toAtomicPoint(&s) })
		},
		transformers: func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
			return map[*upgrade.Class]upgrade.Transformer{
				cls.atomic: upgrade.Convert(func(s *atomicState) (*atomicPointState, error) { return toAtomicPoint(s), nil }),
			}
		},
		check: func(tx Tx, t *upgTx) error {
			var pr problems
			tx.EachAtomic(func(p *AtomicPart) bool {
				s, ok := p.st.obj().Load(t.utx).(*atomicPointState)
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

// toAtomicPoint derives the sum, so that it survives every swap.
func toAtomicPoint(s *atomicState) *atomicPointState {
	return &atomicPointState{Pos: point{s.X, s.Y}, Sum: s.X + s.Y, Date: s.Date}
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
		reshape: func(t *upgTx, o *objects) {
			o.composites = reshape(t, t.cls.composite,
				func(s *compositeStatsState) compositeState { return compositeState{Date: s.Date, UsedIn: s.UsedIn} },
				func(s compositeState, old *compositeStatsState, owner any) *compositeStatsState {
					if old == nil {
						return newCompositeStats(t.view, s, owner.(*CompositePart))
					}
					n := *old
					n.Date, n.UsedIn = s.Date, s.UsedIn
					return &n
				})
		},
		wrap: func(t *upgTx, prev Tx) Tx { return documentStats{version{prev, t}} },
		transformers: func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
			return map[*upgrade.Class]upgrade.Transformer{cls.composite: convertCompositeStats}
		},
		check: func(tx Tx, t *upgTx) error {
			var pr problems
			tx.EachComposite(func(c *CompositePart) bool {
				s, ok := c.st.obj().Load(t.utx).(*compositeStatsState)
				if !ok {
					pr.addf("composite part %d is not in the stats shape", c.ID)
					return true
				}
				var sum int64
				for _, p := range c.Parts {
					x, y := tx.XY(p)
					sum += int64(x + y)
				}
				if int(s.Parts) != len(c.Parts) || s.SumXY != sum {
					pr.addf("composite part %d: %d parts summing to %d, summary says %d and %d", c.ID, len(c.Parts), sum, s.Parts, s.SumXY)
				}
				if n := len(tx.DocText(c.Doc)); int(s.DocLen) != n {
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
	st, err := v.Load(p.st.obj())
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
	st, err := v.Load(d.st.obj())
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

// newCompositeStats computes the summary of a part being created, from the parts and document
// the same transaction just made (read through the running version's Tx).
func newCompositeStats(tx Tx, st compositeState, c *CompositePart) *compositeStatsState {
	s := &compositeStatsState{Date: st.Date, UsedIn: st.UsedIn, Parts: int32(len(c.Parts))}
	for _, p := range c.Parts {
		x, y := tx.XY(p)
		s.SumXY += int64(x + y)
	}
	s.DocLen = int32(len(tx.DocText(c.Doc)))
	return s
}

// documentStats is the document code of composite-stats: the previous version's, plus keeping
// the composite part's document length up to date when the text changes.
type documentStats struct{ version }

func (d documentStats) DocReplace(doc *Document, from, to string) int {
	n := d.Tx.DocReplace(doc, from, to)
	if n != 0 && doc.Part != nil {
		o := doc.Part.st.obj()
		s := *stateOf[compositeStatsState](d.base, o)
		s.DocLen += int32(n * (len(to) - len(from)))
		o.Store(d.base.utx, &s)
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
		wrap: func(t *upgTx, prev Tx) Tx { return documentLines{version{prev, t}} },
		transformers: func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
			return map[*upgrade.Class]upgrade.Transformer{
				cls.document: upgrade.Convert(func(s *documentState) (*documentLinesState, error) {
					return &documentLinesState{Lines: splitLines(s.Text)}, nil
				}),
			}
		},
		check: func(tx Tx, t *upgTx) error {
			var pr problems
			tx.EachDocument(func(d *Document) bool {
				s, ok := d.st.obj().Load(t.utx).(*documentLinesState)
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

// documentLines is the document class of document-lines, rewritten for the lines.
type documentLines struct{ version }

func (t documentLines) lines(d *Document) []string {
	return stateOf[documentLinesState](t.base, d.st.obj()).Lines
}

func (t documentLines) NewDocument(id int, title, text string) *Document {
	d := allocate[Document, documentState](repObject)
	d.ID, d.Title = id, title
	t.base.e.InitObject(d.st.obj(), t.base.utx, t.base.cls.document, d, &documentLinesState{Lines: splitLines(text)})
	return d
}
func (t documentLines) DocText(d *Document) string { return strings.Join(t.lines(d), "") }
func (t documentLines) DocSearch(d *Document, ch byte) int {
	n := 0
	for _, l := range t.lines(d) {
		n += countByte(l, ch)
	}
	return n
}

// DocReplace changes the prefix, which lies in the first line: only that line is rewritten.
func (t documentLines) DocReplace(d *Document, from, to string) int {
	lines := t.lines(d)
	if len(lines) == 0 || !strings.HasPrefix(lines[0], from) || strings.Contains(from, "\n") {
		return 0
	}
	nl := make([]string, len(lines))
	copy(nl, lines)
	nl[0] = to + lines[0][len(from):]
	d.st.obj().Store(t.base.utx, &documentLinesState{Lines: nl})
	return 1
}
func (t documentLines) DocStartsWith(d *Document, prefix string) bool {
	for _, l := range t.lines(d) {
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
		// The dated classes are version 1's class code with the date kept as a buildDate.
		reshape: func(t *upgTx, o *objects) {
			o.atomics = reshape(t, t.cls.atomic,
				func(s *atomicDatedState) atomicState { return atomicState{X: s.X, Y: s.Y, Date: s.Built.value()} },
				func(s atomicState, _ *atomicDatedState, _ any) *atomicDatedState { return toAtomicDated(&s) })
			o.composites = reshape(t, t.cls.composite,
				func(s *compositeDatedState) compositeState {
					return compositeState{Date: s.Built.value(), UsedIn: s.UsedIn}
				},
				func(s compositeState, _ *compositeDatedState, _ any) *compositeDatedState {
					return toCompositeDated(&s)
				})
			o.bases = reshape(t, t.cls.base,
				func(s *baseDatedState) baseState { return baseState{Date: s.Built.value(), Components: s.Components} },
				func(s baseState, _ *baseDatedState, _ any) *baseDatedState { return toBaseDated(&s) })
			o.complexes = reshape(t, t.cls.complex,
				func(s *complexDatedState) complexState {
					return complexState{Date: s.Built.value(), Subs: s.Subs, Bases: s.Bases}
				},
				func(s complexState, _ *complexDatedState, _ any) *complexDatedState { return toComplexDated(&s) })
			o.modules = reshape(t, t.cls.module,
				func(s *moduleDatedState) moduleState { return moduleState{Date: s.Built.value()} },
				func(s moduleState, _ *moduleDatedState, _ any) *moduleDatedState { return toModuleDated(&s) })
		},
		transformers: func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
			return map[*upgrade.Class]upgrade.Transformer{
				cls.atomic:    convertNoFail(toAtomicDated),
				cls.composite: convertNoFail(toCompositeDated),
				cls.base:      convertNoFail(toBaseDated),
				cls.complex:   convertNoFail(toComplexDated),
				cls.module:    convertNoFail(toModuleDated),
			}
		},
		check: func(tx Tx, t *upgTx) error {
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
			tx.EachAtomic(func(p *AtomicPart) bool { ok("atomic part", p.ID, p.st.obj().Load(t.utx)); return true })
			tx.EachComposite(func(c *CompositePart) bool { ok("composite part", c.ID, c.st.obj().Load(t.utx)); return true })
			tx.EachBase(func(b *BaseAssembly) bool { ok("base assembly", b.ID, b.st.obj().Load(t.utx)); return true })
			tx.EachComplex(func(a *ComplexAssembly) bool { ok("complex assembly", a.ID, a.st.obj().Load(t.utx)); return true })
			ok("module", tx.Module().ID, tx.Module().st.obj().Load(t.utx))
			return pr.err()
		},
	}
}

func toAtomicDated(s *atomicState) *atomicDatedState {
	return &atomicDatedState{X: s.X, Y: s.Y, Built: toBuildDate(s.Date)}
}
func toCompositeDated(s *compositeState) *compositeDatedState {
	return &compositeDatedState{Built: toBuildDate(s.Date), UsedIn: s.UsedIn}
}
func toBaseDated(s *baseState) *baseDatedState {
	return &baseDatedState{Built: toBuildDate(s.Date), Components: s.Components}
}
func toComplexDated(s *complexState) *complexDatedState {
	return &complexDatedState{Built: toBuildDate(s.Date), Subs: s.Subs, Bases: s.Bases}
}
func toModuleDated(s *moduleState) *moduleDatedState {
	return &moduleDatedState{Built: toBuildDate(s.Date)}
}

// convertNoFail is the transformer of a conversion that cannot fail.
func convertNoFail[Old, New any](f func(Old) New) upgrade.Transformer {
	return upgrade.Convert(func(s Old) (New, error) { return f(s), nil })
}
