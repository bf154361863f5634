package stmbench7

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"dustm/upgrade"
)

// A Scenario is an upgrade of STMBench7 while it runs under the stm backend: one version 2 of
// the program (for chain, a version 2 and a version 3 committed while the first still
// migrates). Each step changes some classes' shapes, supplies their transformers and the class
// code for the new shapes, and restates the benchmark's invariants for them.
type Scenario struct {
	Name        string
	Description string
	Steps       []*UpgradeStep
}

// UpgradeStep is one upgrade of a scenario.
type UpgradeStep struct {
	Name string
	// reshape gives the classes whose shape the step changes their states adapter (see
	// reshaped); wrap makes the new version's Tx over the previous version's, for classes
	// whose methods the step rewrites (see version). Either may be nil.
	reshape func(base *upgTx, o *objects)
	wrap    func(base *upgTx, prev Tx) Tx
	// transformers gives the transformer of every class the step changes.
	transformers func(c *classes) map[*upgrade.Class]upgrade.Transformer
	// check verifies the invariants the new shapes add; it runs in a read-only transaction of
	// a program version that includes the step, on that version's Tx (base is its worker's
	// version-1 Tx).
	check func(tx Tx, base *upgTx) error
}

// scenarios is the fixed table of scenarios, by name.
var scenarios = func() map[string]*Scenario {
	point, stats := atomicPointStep(), compositeStatsStep()
	all := []*Scenario{
		{Name: "atomic-point", Description: "atomic parts keep their coordinates as one point with a derived sum; " +
			"every atomic part changes, each transformer reads only its own object", Steps: []*UpgradeStep{point}},
		{Name: "composite-stats", Description: "composite parts gain summary fields computed from their atomic parts " +
			"and document; the transformer reads other objects, as they were before the upgrade", Steps: []*UpgradeStep{stats}},
		{Name: "document-lines", Description: "documents keep their text as lines instead of one string; few objects, " +
			"each costly to convert; the operations on document text are rewritten", Steps: []*UpgradeStep{documentLinesStep()}},
		{Name: "dates", Description: "every design object's build date becomes a structured date (century, year); " +
			"every object in the graph changes", Steps: []*UpgradeStep{datesStep()}},
		{Name: "chain", Description: "atomic-point, then composite-stats committed while atomic-point still migrates",
			Steps: []*UpgradeStep{point, stats}},
	}
	m := make(map[string]*Scenario, len(all))
	for _, s := range all {
		m[s.Name] = s
	}
	return m
}()

// ScenarioNames lists the scenarios, sorted.
func ScenarioNames() []string {
	names := make([]string, 0, len(scenarios))
	for n := range scenarios {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// LookupScenario returns the named scenario.
func LookupScenario(name string) (*Scenario, error) {
	if s, ok := scenarios[name]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("unknown upgrade scenario %q (accepted: %s)", name, strings.Join(ScenarioNames(), ", "))
}

// Upgrader is implemented by the backends whose structure can be upgraded while operations run
// (the stm backend).
type Upgrader interface {
	// Upgrade requests one step of a scenario on the structure with the given options and
	// returns the upgrade's migration (for Lazy it has committed, for Eager it is complete).
	Upgrade(ctx context.Context, step *UpgradeStep, opts upgrade.Options) (*upgrade.Migration, error)
	// DryRun converts every object the step changes on a pinned snapshot, concurrently with
	// the operations, installing nothing.
	DryRun(ctx context.Context, step *UpgradeStep) (*upgrade.DryRunReport, error)
	// Program returns the number of the running program version (1 before any upgrade).
	Program() int
}

var _ Upgrader = (*stmBackend)(nil)

// ErrNotUpgradable is returned when an upgrade is asked of a backend that cannot run one
// (one that is not an Upgrader).
var ErrNotUpgradable = errors.New("only the stm backend can be upgraded")

func (b *stmBackend) Upgrade(ctx context.Context, step *UpgradeStep, opts upgrade.Options) (*upgrade.Migration, error) {
	if b.e == nil {
		return nil, errors.New("stmbench7: upgrade before the structure is built")
	}
	m, err := b.e.Upgrade(ctx, b.upgradeOf(step), opts)
	if err == nil {
		b.mu.Lock()
		b.applied = append(b.applied, step)
		b.mu.Unlock()
	}
	return m, err
}

func (b *stmBackend) DryRun(ctx context.Context, step *UpgradeStep) (*upgrade.DryRunReport, error) {
	if b.e == nil {
		return nil, errors.New("stmbench7: dry run before the structure is built")
	}
	return b.e.DryRun(ctx, b.upgradeOf(step))
}

// upgradeOf returns the engine's upgrade for step from the running program version.
func (b *stmBackend) upgradeOf(step *UpgradeStep) upgrade.Upgrade {
	cur := b.e.Current().Code.(*programCode)
	code := &programCode{name: cur.name + "+" + step.Name, prev: cur, reshape: step.reshape, wrap: step.wrap}
	return upgrade.Upgrade{Name: step.Name, Code: code, Transformers: step.transformers(b.cls)}
}

func (b *stmBackend) Program() int {
	if b.e == nil {
		return 1
	}
	return b.e.Current().Number
}

// extraChecks verifies the invariants of every upgrade step applied so far, in the running
// program version.
func (b *stmBackend) extraChecks(s *Structure) error {
	b.mu.Lock()
	steps := slices.Clone(b.applied)
	b.mu.Unlock()
	if len(steps) == 0 {
		return nil
	}
	base := newUpgTx(stmStoreOf(s), b.e, b.cls)
	_, err := b.run(base, true, func(tx Tx) error {
		var errs []error
		for _, st := range steps {
			if err := st.check(tx, base); err != nil {
				errs = append(errs, fmt.Errorf("after upgrade %s: %w", st.Name, err))
			}
		}
		return errors.Join(errs...)
	})
	return err
}

// problems collects invariant violations, keeping the first few.
type problems struct {
	n     int
	first []string
}

func (p *problems) addf(format string, a ...any) {
	p.n++
	if len(p.first) < 10 {
		p.first = append(p.first, fmt.Sprintf(format, a...))
	}
}

func (p *problems) err() error {
	if p.n == 0 {
		return nil
	}
	return fmt.Errorf("%d problems: %s", p.n, strings.Join(p.first, "; "))
}
