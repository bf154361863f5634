package measure

import (
	"fmt"
	"io"
)

// Upgrade is an upgrade's measurements during a run. Times are seconds since the timed phase
// began; MigratedS is absent while objects are left to convert.
type Upgrade struct {
	Scenario, Strategy    string
	RequestedS            float64
	CommittedS, MigratedS *float64
	Complete              bool

	Objects, ObjectsConverted                                                         int64
	ConversionsForeground, ConversionsSweeper, ConversionsStopped, ConversionFailures int64

	// PauseMs is the longest time during which no operation completed, among the gaps that
	// overlap the upgrade's request-to-commit span: measured, not assumed.
	PauseMs float64
	// Throughput (successful op/s) before the request and after the (last) commit.
	ThroughputBefore, ThroughputAfter float64

	Migrations []Migration
	DryRun     *DryRun
	// Error is why the upgrade did not happen (an eager upgrade whose transformer failed
	// leaves the program at version 1); the run goes on.
	Error string
}

// Migration is what the values take of one upgrade step: how long it stopped the world
// (eager) and kept the pre-upgrade snapshot.
type Migration struct{ WorldStopMs, PinnedS float64 }

// DryRun is the outcome of an upgrade's dry run.
type DryRun struct {
	Step              string
	Objects, Failures int
	DurationS         float64
	Error             string
}

// Values sets the upgrade's values (upgrade.NAME) in v, all but the share of objects it
// changes (which the application counts).
func (u *Upgrade) Values(v map[string]float64) {
	v["upgrade.pause_ms"], v["upgrade.requested_s"] = u.PauseMs, u.RequestedS
	v["upgrade.failed"] = B2F(u.Error != "")
	if u.CommittedS != nil {
		v["upgrade.committed_s"] = *u.CommittedS
		v["upgrade.commit_delay_ms"] = (*u.CommittedS - u.RequestedS) * 1e3
		if u.MigratedS != nil {
			v["upgrade.migrated_s"] = *u.MigratedS
			v["upgrade.migration_s"] = max(0, *u.MigratedS-*u.CommittedS) // eager converts before the commit: 0
		}
	}
	stop, pinned := 0.0, 0.0
	for _, s := range u.Migrations {
		stop += s.WorldStopMs
		pinned = max(pinned, s.PinnedS)
	}
	if len(u.Migrations) > 0 {
		v["upgrade.world_stop_ms"], v["upgrade.pinned_s"] = stop, pinned
	}
	v["upgrade.objects"] = float64(u.Objects)
	if u.ConversionsStopped > 0 {
		v["upgrade.us_per_object"] = stop * 1e3 / float64(u.ConversionsStopped)
	}
	v["upgrade.objects_converted"] = float64(u.ObjectsConverted)
	v["upgrade.conversions_foreground"], v["upgrade.conversions_sweeper"] = float64(u.ConversionsForeground), float64(u.ConversionsSweeper)
	v["upgrade.conversions_stopped"], v["upgrade.conversion_failures"] = float64(u.ConversionsStopped), float64(u.ConversionFailures)
	v["upgrade.throughput_before"], v["upgrade.throughput_after"] = u.ThroughputBefore, u.ThroughputAfter
	if u.ThroughputBefore > 0 {
		v["upgrade.throughput_ratio"] = u.ThroughputAfter / u.ThroughputBefore
	}
	v["upgrade.complete"] = B2F(u.Complete)
	if d := u.DryRun; d != nil {
		v["upgrade.dry_run_s"], v["upgrade.dry_run_failures"] = d.DurationS, float64(d.Failures)
	}
}

// B2F is 1 for true, 0 for false.
func B2F(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Report writes the upgrade's account for a run's text report.
func (u *Upgrade) Report(w io.Writer) {
	fmt.Fprintf(w, "Upgrade %s (%s): requested at %.3f s", u.Scenario, u.Strategy, u.RequestedS)
	if u.CommittedS != nil {
		fmt.Fprintf(w, ", committed at %.3f s", *u.CommittedS)
	}
	if u.MigratedS != nil {
		fmt.Fprintf(w, ", every object converted at %.3f s", *u.MigratedS)
	} else if u.Error == "" {
		fmt.Fprint(w, ", objects still left to convert at the end")
	}
	fmt.Fprintln(w)
	if u.Error != "" {
		fmt.Fprintf(w, "  not upgraded: %s\n", u.Error)
	}
	fmt.Fprintf(w, "  objects %d, converted %d (by operations %d, by sweepers %d, with the world stopped %d), failures %d\n",
		u.Objects, u.ObjectsConverted, u.ConversionsForeground, u.ConversionsSweeper, u.ConversionsStopped, u.ConversionFailures)
	fmt.Fprintf(w, "  pause %.1f ms; throughput %.0f op/s before, %.0f op/s after\n", u.PauseMs, u.ThroughputBefore, u.ThroughputAfter)
	if d := u.DryRun; d != nil {
		fmt.Fprintf(w, "  dry run of %s: %d objects, %d failures, %.3f s\n", d.Step, d.Objects, d.Failures, d.DurationS)
	}
}
