package kv

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"dustm/measure"
	"dustm/record"
	"dustm/upgrade"
)

// upgrades records the upgrades requested of a running server (scheduled or by DUSTM.UPGRADE).
type upgrades struct {
	serial sync.Mutex // one request at a time
	mu     sync.Mutex
	runs   []*upgradeRun
}

type upgradeRun struct {
	scenario  string
	strategy  upgrade.Strategy
	sweepers  int
	requested time.Time
	m         *upgrade.Migration
	err       error
	dry       *measure.DryRun
	reported  int // events already on the series
}

// ErrNoUpgrades is the error of an upgrade requested of a backend without the engine.
var ErrNoUpgrades = errors.New("this backend has no upgrade support (only --backend stm has)")

// Upgrade upgrades the running server to the named scenario's version with the given
// strategy; it returns once the upgrade has committed. dryRun converts every object on a
// snapshot first and gives up if one fails. An error leaves the server at its version.
func (s *Server) Upgrade(ctx context.Context, name string, strategy upgrade.Strategy, sweepers int, dryRun bool) (*upgrade.Migration, error) {
	if s.stm == nil {
		return nil, fmt.Errorf("%s: %w", s.cfg.Backend, ErrNoUpgrades)
	}
	sc := s.cfg.Scenarios[name]
	if sc == nil {
		return nil, fmt.Errorf("unknown upgrade %q (accepted: %s)", name, ScenarioNames())
	}
	s.upg.serial.Lock()
	defer s.upg.serial.Unlock()
	run := &upgradeRun{scenario: name, strategy: strategy, sweepers: sweepers, requested: time.Now()}
	s.upg.mu.Lock()
	s.upg.runs = append(s.upg.runs, run)
	s.upg.mu.Unlock()
	m, err := s.upgrade(ctx, run, sc, dryRun)
	s.upg.mu.Lock()
	run.m, run.err = m, err
	s.upg.mu.Unlock()
	return m, err
}

func (s *Server) upgrade(ctx context.Context, run *upgradeRun, sc Scenario, dryRun bool) (*upgrade.Migration, error) {
	u, err := sc(s.stm, s.current())
	if err != nil {
		return nil, err
	}
	if dryRun {
		rep, err := s.stm.e.DryRun(ctx, u)
		if err == nil {
			err = rep.Err()
		}
		d := &measure.DryRun{Step: u.Name}
		if rep != nil {
			d.Objects, d.Failures, d.DurationS = rep.Objects, rep.FailureCount, rep.Duration.Seconds()
		}
		if err != nil {
			d.Error = err.Error()
		}
		s.upg.mu.Lock()
		run.dry = d
		s.upg.mu.Unlock()
		if err != nil {
			return nil, fmt.Errorf("dry run: %w", err)
		}
	}
	return s.stm.e.Upgrade(ctx, u, upgrade.Options{Strategy: run.strategy, Sweepers: run.sweepers})
}

// scheduledUpgrade applies --upgrade at --upgrade-at after the server became ready.
func (s *Server) scheduledUpgrade(ctx context.Context) {
	t := time.NewTimer(time.Until(s.meter.start.Add(s.cfg.UpgradeAt)))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	_, _ = s.Upgrade(ctx, s.cfg.Upgrade, s.cfg.Migration, s.cfg.Sweepers, s.cfg.UpgradeDryRun)
}

// progress returns the conversions so far (by commands, by sweepers, in all) and the events
// not yet reported, for the series.
func (u *upgrades) progress(start time.Time) (fg, sw, total int64, events []record.Event) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, r := range u.runs {
		if r.m == nil {
			continue
		}
		st := r.m.Stats()
		fg, sw, total = fg+st.ConvertedForeground, sw+st.ConvertedSweeper, total+st.Converted()
		evs := r.m.Events()
		for _, e := range evs[min(r.reported, len(evs)):] {
			events = append(events, record.Event{Name: string(e.Kind), T: e.At.Sub(start).Seconds()})
		}
		r.reported = len(evs)
	}
	return fg, sw, total, events
}

func secs(t, start time.Time) *float64 {
	if t.IsZero() {
		return nil
	}
	v := t.Sub(start).Seconds()
	return &v
}

// result is the first upgrade's result (the one --upgrade or the first DUSTM.UPGRADE asked
// for), with every upgrade's migration; nil without one.
func (u *upgrades) result(start time.Time) *measure.Upgrade {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.runs) == 0 {
		return nil
	}
	first := u.runs[0]
	r := &measure.Upgrade{Scenario: first.scenario, Strategy: first.strategy.String(),
		RequestedS: first.requested.Sub(start).Seconds(), DryRun: first.dry}
	if first.err != nil {
		r.Error = first.err.Error()
	}
	for i, run := range u.runs {
		if run.m == nil {
			continue
		}
		st := run.m.Stats()
		r.Migrations = append(r.Migrations, measure.Migration{WorldStopMs: float64(st.Pause) / 1e6, PinnedS: st.PinnedFor.Seconds()})
		if i == 0 && run.err == nil {
			r.CommittedS, r.MigratedS, r.Complete = secs(st.Committed, start), secs(st.Migrated, start), st.Complete
			r.Objects, r.ObjectsConverted = int64(st.Objects), st.Converted()
			r.ConversionsForeground, r.ConversionsSweeper, r.ConversionsStopped = st.ConvertedForeground, st.ConvertedSweeper, st.ConvertedStopped
			r.ConversionFailures = st.Failures
			// The pause: the world stop of an eager upgrade; from the request to the commit
			// of a lazy one (what a command arriving at the request could have waited).
			r.PauseMs = float64(st.Committed.Sub(st.Requested)) / 1e6
			if st.Pause > 0 {
				r.PauseMs = max(r.PauseMs, float64(st.Pause)/1e6)
			}
		}
	}
	return r
}
