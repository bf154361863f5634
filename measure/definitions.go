package measure

import "dustm/record"

func def(name, unit string, better record.Better, doc string) record.Metric {
	return record.Metric{Name: name, Unit: unit, Doc: doc, Better: better}
}

const lo, hi, no = record.Lower, record.Higher, record.Neither

// ProbeDefinitions are the metrics ProbeValues sets.
func ProbeDefinitions() []record.Metric {
	return []record.Metric{
		def("probe_max_us", "µs", lo, "maximum lateness of the responsiveness probe (a goroutine waking at a fixed interval): the longest the program did not respond, operations or not"),
		def("probe_p99_us", "µs", lo, "99th percentile of the probe's lateness"),
		def("probe_p999_us", "µs", lo, "99.9th percentile of the probe's lateness"),
		def("hiccup_max_us", "µs", lo, "maximum lateness of the platform probe: the machine's and the runtime's own hiccups, the noise floor"),
		def("gc_cpu_fraction", "", lo, "share of the CPU time the garbage collector used"),
		def("alloc_mb_per_s", "MB/s", lo, "memory allocated per second"),
	}
}

// UpgradeDefinitions are the metrics of Upgrade.Values and the share of the objects the
// upgrade changes, of Recovery (recovery_s, ops_lost), and the runtime's maxima.
func UpgradeDefinitions() []record.Metric {
	return []record.Metric{
		def("upgrade.pause_ms", "ms", lo, "the upgrade's pause, as measured: the longest time without any operation completing among the gaps that overlap the upgrade's request-to-commit span"),
		def("upgrade.world_stop_ms", "ms", lo, "how long the world was stopped (eager: the conversion of every object)"),
		def("upgrade.commit_delay_ms", "ms", lo, "from the upgrade's request to its commit: the time to upgrade (eager: stopping the world and converting every object; lazy: the commit only)"),
		def("upgrade.migration_s", "s", lo, "from the upgrade's commit until every object is converted (0 for eager, which converts before the commit)"),
		def("upgrade.objects", "objects", no, "objects of the types the upgrade changes, as the engine counted them at the commit (with structural modifications on, this includes objects created since the build and deleted ones not yet collected)"),
		def("upgrade.fraction_changed", "", no, "the share of the initial structure's objects whose type the upgrade changes (objects of the changed classes in the initial structure / structure.objects)"),
		def("upgrade.us_per_object", "µs", lo, "eager: the stopped world's time per object converted (upgrade.world_stop_ms / upgrade.conversions_stopped)"),
		def("upgrade.objects_converted", "objects", no, "objects converted by the end of the run"),
		def("upgrade.conversions_foreground", "objects", no, "conversions done by the benchmark's own operations"),
		def("upgrade.conversions_sweeper", "objects", no, "conversions done by the background sweeper"),
		def("upgrade.conversions_stopped", "objects", no, "conversions done with the world stopped (eager)"),
		def("upgrade.conversion_failures", "", lo, "conversions that failed"),
		def("upgrade.throughput_before", "op/s", hi, "throughput before the upgrade"),
		def("upgrade.throughput_after", "op/s", hi, "throughput after the upgrade"),
		def("upgrade.throughput_ratio", "", hi, "throughput after / before the upgrade"),
		def("upgrade.complete", "", hi, "1 when every object was converted by the end of the run"),
		def("upgrade.failed", "", lo, "1 when the upgrade did not happen (e.g. a transformer failed in eager mode)"),
		def("upgrade.pinned_s", "s", lo, "how long the pre-upgrade snapshot was kept (the longest of the steps)"),
		def("upgrade.requested_s", "s", no, "when the upgrade was requested, since the start of the timed phase"),
		def("upgrade.committed_s", "s", no, "when the upgrade committed"),
		def("upgrade.migrated_s", "s", no, "when the last object was converted"),
		def("upgrade.dry_run_s", "s", lo, "duration of the upgrade's dry run"),
		def("upgrade.dry_run_failures", "", lo, "conversions that failed in the dry run"),
		def("recovery_s", "s", lo, "from the upgrade's request (or upgrade-at) until throughput, averaged over 3 intervals, is back within 5% of its level before (from the time series)"),
		def("ops_lost", "op", lo, "operations short of the level before the upgrade, from the request until recovery (negative: more than before)"),
		def("gc_pause_max_us", "µs", lo, "the collector's longest stop-the-world pause (runtime histogram bucket bound)"),
		def("sched_latency_max_us", "µs", lo, "the longest a runnable goroutine waited to run (runtime histogram bucket bound)"),
	}
}

// STMDefinitions are the metrics STMValues sets.
func STMDefinitions() []record.Metric {
	return []record.Metric{
		def("stm.conflict_aborts_per_commit", "", lo, "STM aborts caused by conflicts (read conflicts and failed validations) per commit"),
		def("stm.gc.{}", "", no, "STM counter gc.{}"),
		def("stm.{}", "", no, "STM counter {}"),
	}
}
