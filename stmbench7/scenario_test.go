package stmbench7

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"dustm/stm"
	"dustm/stmbench7/jrand"
	"dustm/upgrade"
)

// rawStates dumps every object's state as the upgrade engine holds it, in the current program
// version's shape, derived fields included: links are written as ids, so that two structures
// built and run the same way compare equal.
func rawStates(t *testing.T, b *stmBackend, s *Structure) string {
	t.Helper()
	var sb strings.Builder
	base := newUpgTx(stmStoreOf(s), b.e, b.cls)
	_, err := b.run(base, true, func(tx Tx) error {
		dump := func(kind string, id int, o *upgrade.Object) {
			fmt.Fprintf(&sb, "%s %d: %s\n", kind, id, formatState(reflect.ValueOf(o.Load(base.utx))))
		}
		m := tx.Module()
		dump("module", m.ID, m.st.obj())
		dump("manual", m.Manual.ID, m.Manual.st.obj())
		tx.EachAtomic(func(p *AtomicPart) bool { dump("atomic", p.ID, p.st.obj()); return true })
		tx.EachComposite(func(c *CompositePart) bool { dump("composite", c.ID, c.st.obj()); return true })
		tx.EachDocument(func(d *Document) bool { dump("document", d.ID, d.st.obj()); return true })
		tx.EachBase(func(x *BaseAssembly) bool { dump("base", x.ID, x.st.obj()); return true })
		tx.EachComplex(func(a *ComplexAssembly) bool { dump("complex", a.ID, a.st.obj()); return true })
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// formatState prints a state value with pointers to design objects as their ids.
func formatState(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return "nil"
		}
		if id := v.Elem().FieldByName("ID"); id.IsValid() {
			return fmt.Sprint("#", id.Int())
		}
		return formatState(v.Elem())
	case reflect.Struct:
		var parts []string
		for i := range v.NumField() {
			parts = append(parts, v.Type().Field(i).Name+"="+formatState(v.Field(i)))
		}
		return "{" + strings.Join(parts, " ") + "}"
	case reflect.Slice:
		var parts []string
		for i := range v.Len() {
			parts = append(parts, formatState(v.Index(i)))
		}
		return "[" + strings.Join(parts, " ") + "]"
	case reflect.String:
		s := v.String()
		if len(s) > 40 {
			return fmt.Sprintf("%q…(%d)", s[:40], len(s))
		}
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprint(v.Interface())
}

// runOps runs n operations of the write-dominated mix, with long traversals and structural
// modifications, on one worker, continuing gen.
func runOps(t *testing.T, w Worker, gen *jrand.Rand, n int) {
	t.Helper()
	mix := NewMix(WriteDominated, true, true)
	for range n {
		op := mix.Pick(gen.Float64())
		if _, _, err := w.Execute(op, gen); err != nil && !errors.Is(err, ErrOperationFailed) {
			t.Fatalf("%v: %v", op, err)
		}
	}
}

// Every scenario ends in exactly the same state, after the same one-thread operation
// sequence with the upgrade at the same point, under lazy, lazy+sweep and eager migration, and
// keeps the benchmark's invariants restated for its new shapes.
func TestScenariosSameStateUnderEveryStrategy(t *testing.T) {
	for _, name := range ScenarioNames() {
		t.Run(name, func(t *testing.T) {
			sc, err := LookupScenario(name)
			if err != nil {
				t.Fatal(err)
			}
			final := map[upgrade.Strategy]string{}
			for _, strat := range upgrade.Strategies() {
				b := newSTMBackend(Options{STMCommit: stm.LockFree})
				setup := jrand.New(3)
				s, err := b.Build(sizes["tiny"], &setup)
				if err != nil {
					t.Fatal(err)
				}
				w := b.NewWorker(s, 0)
				gen := jrand.New(11)
				runOps(t, w, &gen, 300)
				var ms []*upgrade.Migration
				for _, step := range sc.Steps {
					m, err := b.Upgrade(context.Background(), step, upgrade.Options{Strategy: strat, Sweepers: 2, CheckInterval: time.Millisecond})
					if err != nil {
						t.Fatalf("%v: %v", strat, err)
					}
					ms = append(ms, m)
					runOps(t, w, &gen, 50)
				}
				runOps(t, w, &gen, 300)
				if b.Program() != 1+len(sc.Steps) {
					t.Fatalf("program at version %d", b.Program())
				}
				if strat == upgrade.LazySweep {
					for _, m := range ms {
						select {
						case <-m.Done():
						case <-time.After(20 * time.Second):
							t.Fatalf("%s never completed: %+v", m.Name(), m.Stats())
						}
					}
				}
				if err := s.Check(b, false); err != nil {
					t.Fatalf("%v: invariants: %v", strat, err)
				}
				final[strat] = rawStates(t, b, s)
				b.Close()
			}
			if final[upgrade.Lazy] != final[upgrade.Eager] || final[upgrade.Lazy] != final[upgrade.LazySweep] {
				for _, strat := range []upgrade.Strategy{upgrade.Eager, upgrade.LazySweep} {
					a, c := strings.Split(final[upgrade.Lazy], "\n"), strings.Split(final[strat], "\n")
					for i := range min(len(a), len(c)) {
						if a[i] != c[i] {
							t.Fatalf("lazy and %v differ first at line %d:\n%s\n%s", strat, i, a[i], c[i])
						}
					}
				}
				t.Fatal("final states differ in length")
			}
		})
	}
}

// A transformer that fails makes an eager upgrade fail whole; the benchmark goes on in
// version 1 and still checks out.
func TestScenarioEagerFailureLeavesVersion1(t *testing.T) {
	b := newSTMBackend(Options{})
	setup := jrand.New(3)
	s, err := b.Build(sizes["tiny"], &setup)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	bad := *atomicPointStep()
	bad.transformers = func(cls *classes) map[*upgrade.Class]upgrade.Transformer {
		return map[*upgrade.Class]upgrade.Transformer{cls.atomic: func(o *upgrade.Object, old any, v upgrade.View) (any, error) {
			if o.Owner().(*AtomicPart).ID == 5 {
				return nil, errors.New("cannot convert part 5")
			}
			return old, nil
		}}
	}
	if _, err := b.Upgrade(context.Background(), &bad, upgrade.Options{Strategy: upgrade.Eager}); err == nil || !strings.Contains(err.Error(), "part 5") {
		t.Fatalf("err = %v", err)
	}
	if b.Program() != 1 {
		t.Fatalf("program at version %d", b.Program())
	}
	gen := jrand.New(1)
	runOps(t, b.NewWorker(s, 0), &gen, 200)
	if err := s.Check(b, false); err != nil {
		t.Fatal(err)
	}
}

func TestLookupScenario(t *testing.T) {
	if _, err := LookupScenario("nope"); err == nil || !strings.Contains(err.Error(), "atomic-point") {
		t.Fatalf("err = %v", err)
	}
	if got := strings.Join(ScenarioNames(), ","); got != "atomic-point,chain,composite-stats,dates,document-lines" {
		t.Fatalf("names %s", got)
	}
	// Only stm is an Upgrader: stm-plain's objects are plain boxes (bench answers an upgrade
	// of any other method with ErrNotUpgradable).
	for _, name := range BackendNames() {
		b, _ := NewBackend(name, Options{})
		if _, ok := b.(Upgrader); ok != (name == "stm") {
			t.Errorf("%s: Upgrader %v", name, ok)
		}
	}
}

func TestSplitLinesAndDates(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"", 0}, {"a\n", 1}, {"a\nb\n", 2}, {"a\nb", 2}} {
		if got := splitLines(tc.in); len(got) != tc.want || strings.Join(got, "") != tc.in {
			t.Errorf("splitLines(%q) = %q", tc.in, got)
		}
	}
	for _, d := range []int32{-1, 0, 99, 100, 999, 1000, 1999, 2000, 2999, 3000} {
		b := toBuildDate(d)
		if b.value() != d || b.Year < 0 || b.Year > 99 {
			t.Errorf("date %d → %+v → %d", d, b, b.value())
		}
	}
}
