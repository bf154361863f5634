package bench

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"dustm/measure"
	"dustm/record"
	"dustm/stmbench7"
	"dustm/upgrade"
)

// An upgrade during a run (--upgrade): at --upgrade-at the runner optionally dry-runs the
// scenario, then requests its steps one after the other (chain's second step commits while the
// first still migrates), while the workers keep running. It records the instants and counters
// the result and the series report, and the serial point of every commit for the replay.

// UpgradeResult is the upgrade's measurements (package measure, shared with the kv server).
type UpgradeResult = measure.Upgrade

// appliedStep is a committed upgrade step and its place in the serial order.
type appliedStep struct {
	step *stmbench7.UpgradeStep
	at   stmbench7.Serial
}

type upgradeRun struct {
	cfg    *Config
	sc     *stmbench7.Scenario
	up     stmbench7.Upgrader
	start  time.Time
	stderr io.Writer

	mu        sync.Mutex
	migs      []*upgrade.Migration
	applied   []appliedStep
	dry       *measure.DryRun
	err       error
	requested time.Duration // -1 until requested
	committed time.Duration // of the last step; -1 until committed
	okAtReq   int64
	okAtCom   int64
	emitted   map[*upgrade.Migration]int // events already put on the series
}

// newUpgradeRun prepares the run's upgrade (nil without one): Validate has checked the
// scenario, and the run's check stage that the backend is an Upgrader.
func newUpgradeRun(cfg *Config, b stmbench7.Backend, start time.Time, stderr io.Writer) *upgradeRun {
	if cfg.Upgrade == "" {
		return nil
	}
	sc, _ := stmbench7.LookupScenario(cfg.Upgrade)
	return &upgradeRun{cfg: cfg, sc: sc, up: b.(stmbench7.Upgrader), start: start, stderr: stderr, requested: -1, committed: -1,
		emitted: map[*upgrade.Migration]int{}}
}

// run waits until the upgrade's time, then carries the scenario out. onCommit is called with
// the time of the last step's commit (for the latency window); totals reads the successful
// operations so far.
func (u *upgradeRun) run(ctx context.Context, at time.Duration, stop <-chan struct{}, onCommit func(time.Duration), totals func() int64) {
	t := time.NewTimer(time.Until(u.start.Add(at)))
	defer t.Stop()
	select {
	case <-t.C:
	case <-stop:
		return
	case <-ctx.Done():
		return
	}
	if u.cfg.UpgradeDryRun {
		u.dryRun(ctx)
	}
	opts := upgrade.Options{Strategy: u.cfg.Migration, Sweepers: u.cfg.Sweepers}
	u.mu.Lock()
	u.requested = time.Since(u.start)
	u.okAtReq = totals()
	u.mu.Unlock()
	fmt.Fprintf(u.stderr, "[%6.1f s] upgrade %s requested (%v)\n", u.requested.Seconds(), u.sc.Name, u.cfg.Migration)
	for _, step := range u.sc.Steps {
		m, err := u.up.Upgrade(ctx, step, opts)
		now := time.Since(u.start)
		u.mu.Lock()
		if m != nil {
			u.migs = append(u.migs, m)
		}
		if err != nil {
			u.err = fmt.Errorf("upgrade step %s: %w", step.Name, err)
			u.mu.Unlock()
			fmt.Fprintf(u.stderr, "[%6.1f s] upgrade %s failed: %v (the program stays at version %d)\n",
				now.Seconds(), step.Name, err, u.up.Program())
			return
		}
		u.applied = append(u.applied, appliedStep{step: step, at: stmbench7.WriterSerial(m.Stats().CommitVersion)})
		u.committed = now
		u.okAtCom = totals()
		u.mu.Unlock()
		fmt.Fprintf(u.stderr, "[%6.1f s] upgrade %s committed at version %d\n", now.Seconds(), step.Name, m.Stats().CommitVersion)
	}
	onCommit(u.committed)
}

func (u *upgradeRun) dryRun(ctx context.Context) {
	step := u.sc.Steps[0]
	fmt.Fprintf(u.stderr, "[%6.1f s] dry run of %s...\n", time.Since(u.start).Seconds(), step.Name)
	rep, err := u.up.DryRun(ctx, step)
	d := &measure.DryRun{Step: step.Name}
	if rep != nil {
		d.Objects, d.Failures, d.DurationS = rep.Objects, rep.FailureCount, rep.Duration.Seconds()
	}
	if err != nil {
		d.Error = err.Error()
	}
	fmt.Fprintf(u.stderr, "[%6.1f s] dry run of %s: %d objects, %d failures\n", time.Since(u.start).Seconds(), step.Name, d.Objects, d.Failures)
	u.mu.Lock()
	u.dry = d
	u.mu.Unlock()
}

// conversions sums the conversions of every step so far.
func (u *upgradeRun) conversions() (fg, sw, total int64) {
	u.mu.Lock()
	migs := slices.Clone(u.migs)
	u.mu.Unlock()
	for _, m := range migs {
		st := m.Stats()
		fg += st.ConvertedForeground
		sw += st.ConvertedSweeper
		total += st.Converted()
	}
	return fg, sw, total
}

// newEvents returns the events not yet put on the series (named by their kind), as times
// since the start.
func (u *upgradeRun) newEvents() []record.Event {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []record.Event
	for _, m := range u.migs {
		evs := m.Events()
		for _, ev := range evs[u.emitted[m]:] {
			out = append(out, record.Event{Name: string(ev.Kind), T: ev.At.Sub(u.start).Seconds()})
		}
		u.emitted[m] = len(evs)
	}
	return out
}

// steps returns the committed steps, in order, for the replay.
func (u *upgradeRun) steps() []appliedStep {
	if u == nil {
		return nil
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	return slices.Clone(u.applied)
}

// result builds the result's upgrade object once the run is over.
func (u *upgradeRun) result(elapsed time.Duration, totalOK int64, gaps []gap) *UpgradeResult {
	u.mu.Lock()
	defer u.mu.Unlock()
	r := &UpgradeResult{Scenario: u.sc.Name, Strategy: u.cfg.Migration.String(),
		Complete: len(u.migs) == len(u.sc.Steps), DryRun: u.dry}
	if u.err != nil {
		r.Error = u.err.Error()
	}
	if u.requested < 0 {
		r.Error = "the run ended before the upgrade's time"
		r.Complete = false
		return r
	}
	r.RequestedS = u.requested.Seconds()
	if u.requested > 0 {
		r.ThroughputBefore = float64(u.okAtReq) / u.requested.Seconds()
	}
	end := elapsed
	if u.committed >= 0 {
		r.CommittedS = new(u.committed.Seconds())
		if d := (elapsed - u.committed).Seconds(); d > 0 {
			r.ThroughputAfter = float64(totalOK-u.okAtCom) / d
		}
		end = u.committed
	}
	for _, g := range gaps {
		if g.from <= end && g.to >= u.requested {
			r.PauseMs = max(r.PauseMs, float64(g.to-g.from)/1e6)
		}
	}
	var lastMigrated time.Duration
	for _, m := range u.migs {
		st := m.Stats()
		if st.Complete {
			lastMigrated = max(lastMigrated, st.Migrated.Sub(u.start))
		} else {
			r.Complete = false
		}
		r.Objects += int64(st.Objects)
		r.ConversionsForeground += st.ConvertedForeground
		r.ConversionsSweeper += st.ConvertedSweeper
		r.ConversionsStopped += st.ConvertedStopped
		r.ConversionFailures += st.Failures
		r.Migrations = append(r.Migrations, measure.Migration{WorldStopMs: float64(st.Pause) / 1e6, PinnedS: st.PinnedFor.Seconds()})
	}
	r.ObjectsConverted = r.ConversionsForeground + r.ConversionsSweeper + r.ConversionsStopped
	if r.Complete && len(u.migs) > 0 {
		r.MigratedS = new(lastMigrated.Seconds())
	}
	return r
}

// gap is a span with no operation completing, in time since the start.
type gap struct{ from, to time.Duration }
