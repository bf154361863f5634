package stmbench7

import (
	"testing"

	"dustm/stmbench7/jrand"
)

// The read-only short traversals and operations allocate nothing under any synchronized
// method, the responsiveness probe neither: every allocation of an operation is garbage the
// collector must chase through the big graph, and the read-only ones are the bulk of the
// read-dominated mix. (The update operations allocate what their semantics ask for: a new
// version of every state they change under the STMs, OP11's new manual text, ….)
func TestReadOnlyOperationsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	p, err := ParseSize("small")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		layout Layout
	}{{"coarse", 0}, {"medium", 0}, {"stm", LayoutObject}, {"stm-plain", LayoutObject}, {"stm-plain", LayoutField}} {
		name := c.name + "/" + c.layout.String()
		b, err := NewBackend(c.name, Options{Layout: c.layout})
		if err != nil {
			t.Fatal(err)
		}
		r := jrand.New(3)
		s, err := b.Build(p, &r)
		if err != nil {
			t.Fatal(err)
		}
		w := b.NewWorker(s, 0)
		for op := range OpID(NumOps) {
			if !op.ReadOnly() || op.Type() == TraversalRO {
				continue // the long traversals are out of the latency runs (and slow to repeat)
			}
			rr := jrand.New(5)
			if n := testing.AllocsPerRun(50, func() { _, _, _ = w.Execute(op, &rr) }); n != 0 {
				t.Errorf("%s %v: %.1f allocations per operation, want 0", name, op, n)
			}
		}
		probe := b.(Prober).NewProbe(s)
		k := uint64(0)
		if n := testing.AllocsPerRun(50, func() { _ = probe(k); k++ }); n > 0 {
			t.Errorf("%s probe: %.1f allocations, want 0", name, n)
		}
		b.Close()
	}
}
