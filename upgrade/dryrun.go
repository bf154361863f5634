package upgrade

import (
	"context"
	"errors"
	"time"
)

// DryRunReport is what a dry run of an upgrade found.
type DryRunReport struct {
	Upgrade  string `json:"upgrade"`
	Snapshot int64  `json:"snapshot"` // the pinned snapshot the objects were read at
	Objects  int    `json:"objects"`  // objects of changed classes converted (and discarded)
	// Failures lists the first failures in full (MaxDryRunFailures); FailureCount counts all.
	Failures     []*ConversionError `json:"-"`
	FailureCount int                `json:"failures"`
	Duration     time.Duration      `json:"duration_ns"`
}

// MaxDryRunFailures bounds the failures a dry-run report lists one by one.
const MaxDryRunFailures = 100

// Err returns nil when every object converted, else an error describing the first failures.
func (r *DryRunReport) Err() error {
	if r.FailureCount == 0 {
		return nil
	}
	errs := make([]error, 0, len(r.Failures))
	for _, f := range r.Failures {
		errs = append(errs, f)
	}
	return errors.Join(errs...)
}

// DryRun converts every object of the upgrade's changed classes on a pinned snapshot of the
// current program, concurrently with the program, installing nothing, and reports what fails
// (rule 7). Objects still migrating from an earlier upgrade are brought up to date on the way,
// as any reader would. It stops early, with ctx's error and a partial report, if ctx ends.
func (e *Engine) DryRun(ctx context.Context, u Upgrade) (*DryRunReport, error) {
	e.mu.Lock()
	m, err := e.prepare(u, Options{})
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	start := time.Now()
	pin := e.s.PinLatest()
	defer pin.Release()
	cur := e.pv.LoadAt(pin)
	r := &DryRunReport{Upgrade: u.Name, Snapshot: pin.Version()}
	view := View{e: e, prog: cur, pin: pin, by: bySweeper}
	fail := func(ce *ConversionError) {
		r.FailureCount++
		if len(r.Failures) < MaxDryRunFailures {
			r.Failures = append(r.Failures, ce)
		}
	}
	for _, c := range m.changed {
		for _, o := range c.reg.live() {
			if err := ctx.Err(); err != nil {
				r.Duration = time.Since(start)
				return r, err
			}
			base, err := e.stateAt(o, cur, pin, bySweeper)
			if errors.Is(err, ErrDeleted) {
				continue // deleted by the program: no upgrade will ever convert it
			}
			r.Objects++
			if err != nil {
				var ce *ConversionError
				if !errors.As(err, &ce) {
					ce = &ConversionError{Upgrade: u.Name, Class: c.name, Object: o, Err: err}
				}
				fail(ce)
				continue
			}
			if _, err := m.transform(o, base, view); err != nil {
				fail(&ConversionError{Upgrade: u.Name, Class: c.name, Object: o, Err: err})
			}
		}
	}
	r.Duration = time.Since(start)
	return r, nil
}
