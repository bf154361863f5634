package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"dustm/stmbench7"
	"dustm/stmbench7/jrand"
	"dustm/upgrade"
)

// maxDifferences is how many differences between the final structures a replay reports.
const maxDifferences = 10

// replayOp is a log entry with its place in the run.
type replayOp struct {
	logEntry
	thread int
	seq    int // the entry's index in its thread's log
}

// serialOrder merges the workers' logs into the run's serial order: by serialization point,
// ties (operations that commute) by thread and then by order within the thread.
func serialOrder(workers []*worker) []replayOp {
	n := 0
	for _, w := range workers {
		n += len(w.log)
	}
	all := make([]replayOp, 0, n)
	for _, w := range workers {
		for i, e := range w.log {
			all = append(all, replayOp{logEntry: e, thread: w.id, seq: i})
		}
	}
	slices.SortFunc(all, func(a, b replayOp) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.thread, b.thread), cmp.Compare(a.seq, b.seq))
	})
	return all
}

// replay is the opacity check of spec §8: it replays the logged run one operation at a time,
// in serial order, on a fresh structure built from the setup seed by the method's sequential
// twin (stmbench7.SequentialTwin: none, on which every method's operations, failed ones
// included, leave the same trace). Every thread's generator is
// recreated with the thread's seed, so each replayed operation makes the same random choices
// as in the run if, and only if, the run was equivalent to that serial order: the operation
// choice, the result and the failure must match the log, and the final structures must be
// equal.
//
// A run that was upgraded replays on the stm backend itself, and the upgrade's steps are
// committed in the replay at their own serial points (their commit versions), so that every
// operation replays in the program version it ran in.
func replay(cfg *Config, mix *stmbench7.Mix, params stmbench7.Params, workers []*worker,
	b stmbench7.Backend, s *stmbench7.Structure, steps []appliedStep, stderr io.Writer) *ReplayResult {
	t0 := time.Now()
	res := &ReplayResult{}
	defer func() { res.DurationS = time.Since(t0).Seconds() }()
	fmt.Fprintln(stderr, "Replaying the execution in a single thread...")
	twin := stmbench7.SequentialTwin(cfg.Backend)
	if len(steps) > 0 {
		twin = cfg.Backend
	}
	nb, err := cfg.newBackend(twin)
	if err != nil {
		res.Error = fmt.Sprintf("creating the replay's backend: %v", err)
		return res
	}
	defer nb.Close()
	setup := jrand.New(SetupSeed)
	clone, err := nb.Build(params, &setup)
	if err != nil {
		res.Error = fmt.Sprintf("building the replay's structure: %v", err)
		return res
	}
	p := &replayer{mix: mix, nb: nb, steps: steps, res: res}
	for i := range workers {
		p.rngs = append(p.rngs, jrand.New(cfg.ThreadSeed(i)))
		p.execs = append(p.execs, nb.NewWorker(clone, i))
	}
	log := serialOrder(workers)
	lastProgress := time.Now()
	for k, e := range log {
		if time.Since(lastProgress) >= time.Second {
			fmt.Fprintf(stderr, "Replayed %d of %d operations\n", k, len(log))
			lastProgress = time.Now()
		}
		if !p.upgradeBefore(e.at, false) || !p.replayOp(k, len(log), e) {
			return res
		}
	}
	if !p.upgradeBefore(0, true) { // upgrades that committed after the last operation
		return res
	}
	diff := cfg.diff
	if diff == nil {
		diff = canonicalDiff
	}
	if res.Differences, err = diff(b, s, nb, clone, maxDifferences); err != nil {
		res.Error = fmt.Sprintf("comparing the final structures: %v", err)
		return res
	}
	res.Compared, res.Passed = true, len(res.Differences) == 0
	if res.Passed {
		fmt.Fprintln(stderr, "Opacity ensured: the replay matches the run.")
	}
	return res
}

// replayer replays a run's log, with the threads' generators recreated from their seeds.
type replayer struct {
	mix   *stmbench7.Mix
	nb    stmbench7.Backend
	rngs  []jrand.Rand
	execs []stmbench7.Worker
	steps []appliedStep // the upgrade steps not yet replayed
	res   *ReplayResult
}

// upgradeBefore commits the upgrade steps whose serial point is before at (all: every one
// left); false when one fails.
func (p *replayer) upgradeBefore(at stmbench7.Serial, all bool) bool {
	for ; len(p.steps) > 0 && (all || p.steps[0].at < at); p.steps = p.steps[1:] {
		up, ok := p.nb.(stmbench7.Upgrader)
		if !ok {
			p.res.Error = fmt.Sprintf("the replay's method %s cannot be upgraded", p.nb.Name())
			return false
		}
		if _, err := up.Upgrade(context.Background(), p.steps[0].step, upgrade.Options{Strategy: upgrade.Lazy}); err != nil {
			p.res.Error = fmt.Sprintf("replaying upgrade %s: %v", p.steps[0].step.Name, err)
			return false
		}
		p.res.Upgrades++
	}
	return true
}

// replayOp replays the k-th of n logged operations; false when it differs from the run.
func (p *replayer) replayOp(k, n int, e replayOp) bool {
	where := fmt.Sprintf("operation %d of %d in serial order (thread %d's operation %d, serial point %d)",
		k+1, n, e.thread, e.seq+1, e.at)
	g := &p.rngs[e.thread]
	op := p.mix.Pick(g.Float64())
	if op != e.op {
		p.res.Mismatch = fmt.Sprintf("%s: the thread's generator chose %v, the run executed %v", where, op, e.op)
		return false
	}
	result, _, err := p.execs[e.thread].Execute(op, g)
	failed := false
	if err != nil {
		var ce *upgrade.ConversionError
		if !errors.Is(err, stmbench7.ErrOperationFailed) && !errors.As(err, &ce) {
			p.res.Error = fmt.Sprintf("%s: %v: %v", where, op, err)
			return false
		}
		failed, result = true, 0
	}
	p.res.Operations++
	if result != e.result || failed != e.failed {
		p.res.Mismatch = fmt.Sprintf("%s: %v replayed with result = %d, failed = %v; the run had result = %d, failed = %v",
			where, op, result, failed, e.result, e.failed)
		return false
	}
	return true
}

// summary is a one-line account of a failed replay.
func (r *ReplayResult) summary() string {
	switch {
	case r.Error != "":
		return r.Error
	case r.Mismatch != "":
		return r.Mismatch
	case len(r.Differences) > 0:
		return fmt.Sprintf("the final structures differ: %s", r.Differences[0])
	}
	return "replay did not complete"
}
