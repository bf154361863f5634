package bench

import (
	"errors"
	"fmt"
	"io"
	"time"

	"dustm/stmbench7"
)

// Hooks are what a caller injects into a run's stages rather than a user setting it (after
// cockroach's workload.Hooks); each nil hook means the stage's own behaviour.
type Hooks struct {
	// FilesStdout (open outputs) is where a result file named "-" goes; nil: Run's stdout.
	// The command line sends the report to stderr then, so that stdout is the one document.
	FilesStdout io.Writer

	// NewBackend (build, replay) creates the synchronization methods, the run's and the
	// replay's; nil: stmbench7.NewBackend. Tests and experiments bring their own.
	NewBackend func(name string, opts stmbench7.Options) (stmbench7.Backend, error)

	// ProgressEvery (measure) is the period of the progress lines on stderr; 0: a second.
	ProgressEvery time.Duration

	// The tests' hooks: check (check) checks a structure's invariants (nil:
	// Structure.Check); diff (replay) compares the final structures (nil: canonicalDiff).
	check checkFunc
	diff  diffFunc
}

// diffFunc compares two quiescent structures, each with the method that built it, and lists
// at most max of their differences (none when they are equal).
type diffFunc func(a stmbench7.Backend, sa *stmbench7.Structure, b stmbench7.Backend, sb *stmbench7.Structure, max int) ([]string, error)

// checkFunc checks a structure's invariants (initial: the exact initial ranges).
type checkFunc func(s *stmbench7.Structure, b stmbench7.Backend, initial bool) error

// canonicalDiff compares two structures through their canonical snapshots.
func canonicalDiff(a stmbench7.Backend, sa *stmbench7.Structure, b stmbench7.Backend, sb *stmbench7.Structure, max int) ([]string, error) {
	var snapA, snapB *stmbench7.Snapshot
	if err := a.View(sa, func(tx stmbench7.Tx) error { snapA = stmbench7.Canonical(tx); return nil }); err != nil {
		return nil, fmt.Errorf("reading the run's structure: %w", err)
	}
	if err := b.View(sb, func(tx stmbench7.Tx) error { snapB = stmbench7.Canonical(tx); return nil }); err != nil {
		return nil, fmt.Errorf("reading the replay's structure: %w", err)
	}
	d := snapA.Diff(snapB)
	if len(d) > max {
		d = append(d[:max:max], fmt.Sprintf("… and more (%d lines of differences in all)", len(d)))
	}
	return d, nil
}

func (h *Hooks) checkInvariants(s *stmbench7.Structure, b stmbench7.Backend, initial bool) error {
	if h.check != nil {
		return h.check(s, b, initial)
	}
	if s == nil {
		return errors.New("no structure")
	}
	return s.Check(b, initial)
}
