package measure

import "dustm/record"

// Def is a metric's definition.
func Def(name, unit string, better record.Better, doc string) record.Metric {
	return record.Metric{Name: name, Unit: unit, Doc: doc, Better: better}
}

const lo, hi, no = record.Lower, record.Higher, record.Neither

// ProbeDefinitions are the metrics ProbeValues sets.
func ProbeDefinitions() []record.Metric {
	return []record.Metric{
		Def("probe_max_us", "µs", lo, "maximum lateness of the responsiveness probe (a goroutine waking at a fixed interval): the longest the program did not respond, operations or not"),
		Def("probe_p99_us", "µs", lo, "99th percentile of the probe's lateness"),
		Def("probe_p999_us", "µs", lo, "99.9th percentile of the probe's lateness"),
		Def("hiccup_max_us", "µs", lo, "maximum lateness of the platform probe: the machine's and the runtime's own hiccups, the noise floor"),
		Def("gc_cpu_fraction", "", lo, "share of the CPU time the garbage collector used"),
		Def("alloc_mb_per_s", "MB/s", lo, "memory allocated per second"),
	}
}

// UpgradeDefinitions are the metrics of Upgrade.Values and the share of the objects the
// upgrade changes, of Recovery (recovery_s, ops_lost), and the runtime's maxima.
func UpgradeDefinitions() []record.Metric {
	return []record.Metric{
		Def("upgrade.pause_ms", "ms", lo, "the upgrade's pause, as measured: the longest time without any operation completing among the gaps that overlap the upgrade's request-to-commit span"),
		Def("upgrade.world_stop_ms", "ms", lo, "how long the world was stopped (eager: the conversion of every object)"),
		Def("upgrade.commit_delay_ms", "ms", lo, "from the upgrade's request to its commit: the time to upgrade (eager: stopping the world and converting every object; lazy: the commit only)"),
		Def("upgrade.migration_s", "s", lo, "from the upgrade's commit until every object is converted (0 for eager, which converts before the commit)"),
		Def("upgrade.objects", "objects", no, "objects of the types the upgrade changes, as the engine counted them at the commit (with structural modifications on, this includes objects created since the build and deleted ones not yet collected)"),
		Def("upgrade.fraction_changed", "", no, "the share of the initial structure's objects whose type the upgrade changes (objects of the changed classes in the initial structure / structure.objects)"),
		Def("upgrade.us_per_object", "µs", lo, "eager: the stopped world's time per object converted (upgrade.world_stop_ms / upgrade.conversions_stopped)"),
		Def("upgrade.objects_converted", "objects", no, "objects converted by the end of the run"),
		Def("upgrade.conversions_foreground", "objects", no, "conversions done by the benchmark's own operations"),
		Def("upgrade.conversions_sweeper", "objects", no, "conversions done by the background sweeper"),
		Def("upgrade.conversions_stopped", "objects", no, "conversions done with the world stopped (eager)"),
		Def("upgrade.conversion_failures", "", lo, "conversions that failed"),
		Def("upgrade.throughput_before", "op/s", hi, "throughput before the upgrade"),
		Def("upgrade.throughput_after", "op/s", hi, "throughput after the upgrade"),
		Def("upgrade.throughput_ratio", "", hi, "throughput after / before the upgrade"),
		Def("upgrade.complete", "", hi, "1 when every object was converted by the end of the run"),
		Def("upgrade.failed", "", lo, "1 when the upgrade did not happen (e.g. a transformer failed in eager mode)"),
		Def("upgrade.pinned_s", "s", lo, "how long the pre-upgrade snapshot was kept (the longest of the steps)"),
		Def("upgrade.requested_s", "s", no, "when the upgrade was requested, since the start of the timed phase"),
		Def("upgrade.committed_s", "s", no, "when the upgrade committed"),
		Def("upgrade.migrated_s", "s", no, "when the last object was converted"),
		Def("upgrade.dry_run_s", "s", lo, "duration of the upgrade's dry run"),
		Def("upgrade.dry_run_failures", "", lo, "conversions that failed in the dry run"),
		Def("recovery_s", "s", lo, "from the upgrade's request (or upgrade-at) until throughput, averaged over 3 intervals, is back within 5% of its level before (from the time series)"),
		Def("ops_lost", "op", lo, "operations short of the level before the upgrade, from the request until recovery (negative: more than before)"),
		Def("gc_pause_max_us", "µs", lo, "the collector's longest stop-the-world pause (runtime histogram bucket bound)"),
		Def("sched_latency_max_us", "µs", lo, "the longest a runnable goroutine waited to run (runtime histogram bucket bound)"),
	}
}

// STMDefinitions are the metrics STMValues sets.
func STMDefinitions() []record.Metric {
	return []record.Metric{
		Def("stm.conflict_aborts_per_commit", "", lo, "STM aborts caused by conflicts (read conflicts and failed validations) per commit"),
		Def("stm.gc.{}", "", no, "STM counter gc.{}"),
		Def("stm.{}", "", no, "STM counter {}"),
	}
}
