package bench

import (
	"errors"
	"fmt"

	"dustm/stmbench7"
)

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

func (c *Config) checkInvariants(s *stmbench7.Structure, b stmbench7.Backend, initial bool) error {
	if c.check != nil {
		return c.check(s, b, initial)
	}
	if s == nil {
		return errors.New("no structure")
	}
	return s.Check(b, initial)
}
