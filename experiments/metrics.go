package experiments

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"dustm/stmbench7"
)

// MetricDoc describes a metric of the summaries.
type MetricDoc struct {
	Name, Unit, Text string
}

// metricDocs are the metrics in the order the summaries list them.
func metricDocs() []MetricDoc {
	return []MetricDoc{
		{"throughput", "op/s", "successful operations per second over the whole run"},
		{"throughput_with_failed", "op/s", "operations per second, failed ones included"},
		{"successful", "op", "successful operations"},
		{"failed", "op", "failed operations (an operation fails when, e.g., the id it looks up is absent)"},
		{"all.max_us", "µs", "maximum latency of any successful operation (exact)"},
		{"all.p99_us", "µs", "99th percentile of the latency of all successful operations"},
		{"all.p999_us", "µs", "99.9th percentile of the latency of all successful operations"},
		{"all.p50_us", "µs", "median latency of all successful operations"},
		{"all.mean_us", "µs", "mean latency of all successful operations"},
		{"probe_max_us", "µs", "maximum lateness of the responsiveness probe (a goroutine waking at a fixed interval): the longest the program did not respond, operations or not"},
		{"probe_p99_us", "µs", "99th percentile of the probe's lateness"},
		{"probe_p999_us", "µs", "99.9th percentile of the probe's lateness"},
		{"hiccup_max_us", "µs", "maximum lateness of the platform probe: the machine's and the runtime's own hiccups, the noise floor"},
		{"gc_cpu_fraction", "", "share of the CPU time the garbage collector used"},
		{"alloc_mb_per_s", "MB/s", "memory allocated per second"},
		{"max_gap_ms", "ms", "longest time without any operation completing (the real pause)"},
		{"window.max_us", "µs", "maximum latency of the operations completing in the second after the upgrade's commit (after upgrade-at without an upgrade: the baseline)"},
		{"window.p99_us", "µs", "99th percentile of the latency in that window"},
		{"window.ops", "op", "operations completing in that window"},
		{"upgrade.pause_ms", "ms", "the upgrade's pause, as measured: the longest time without any operation completing among the gaps that overlap the upgrade's request-to-commit span"},
		{"upgrade.world_stop_ms", "ms", "how long the world was stopped (eager: the conversion of every object)"},
		{"upgrade.commit_delay_ms", "ms", "from the upgrade's request to its commit: the time to upgrade (eager: stopping the world and converting every object; lazy: the commit only)"},
		{"upgrade.migration_s", "s", "from the upgrade's commit until every object is converted (0 for eager, which converts before the commit)"},
		{"upgrade.objects", "objects", "objects of the types the upgrade changes, as the engine counted them at the commit (with structural modifications on, this includes objects created since the build and deleted ones not yet collected)"},
		{"upgrade.fraction_changed", "", "the share of the initial structure's objects whose type the upgrade changes (objects of the changed classes in the initial structure / structure.objects)"},
		{"upgrade.us_per_object", "µs", "eager: the stopped world's time per object converted (upgrade.world_stop_ms / upgrade.conversions_stopped)"},
		{"upgrade.objects_converted", "objects", "objects converted by the end of the run"},
		{"upgrade.conversions_foreground", "objects", "conversions done by the benchmark's own operations"},
		{"upgrade.conversions_sweeper", "objects", "conversions done by the background sweeper"},
		{"upgrade.conversions_stopped", "objects", "conversions done with the world stopped (eager)"},
		{"upgrade.conversion_failures", "", "conversions that failed"},
		{"upgrade.throughput_before", "op/s", "throughput before the upgrade"},
		{"upgrade.throughput_after", "op/s", "throughput after the upgrade"},
		{"upgrade.throughput_ratio", "", "throughput after / before the upgrade"},
		{"upgrade.complete", "", "1 when every object was converted by the end of the run"},
		{"upgrade.failed", "", "1 when the upgrade did not happen (e.g. a transformer failed in eager mode)"},
		{"upgrade.pinned_s", "s", "how long the pre-upgrade snapshot was kept (the longest of the steps)"},
		{"upgrade.requested_s", "s", "when the upgrade was requested, since the start of the timed phase"},
		{"upgrade.committed_s", "s", "when the upgrade committed"},
		{"upgrade.migrated_s", "s", "when the last object was converted"},
		{"upgrade.dry_run_s", "s", "duration of the upgrade's dry run"},
		{"upgrade.dry_run_failures", "", "conversions that failed in the dry run"},
		{"recovery_s", "s", "from the upgrade's request (or upgrade-at) until throughput, averaged over 3 intervals, is back within 5% of its level before (from the time series)"},
		{"ops_lost", "op", "operations short of the level before the upgrade, from the request until recovery (negative: more than before)"},
		{"probe_max_us", "µs", "the responsiveness probe's maximum latency: the longest a tiny read-only transaction, due every probe interval, waited from when it was due until it returned"},
		{"probe_p99_us", "µs", "99th percentile of the responsiveness probe's latency"},
		{"probe_p999_us", "µs", "99.9th percentile of the responsiveness probe's latency"},
		{"hiccup_max_us", "µs", "the platform probe's maximum oversleep of a probe-interval sleep (jHiccup): the machine's and the runtime's own hiccups"},
		{"gc_cpu_fraction", "", "the collector's share of the CPU available (GOMAXPROCS × wall time) during the timed phase, assists included"},
		{"gc_pause_max_us", "µs", "the collector's longest stop-the-world pause (runtime histogram bucket bound)"},
		{"sched_latency_max_us", "µs", "the longest a runnable goroutine waited to run (runtime histogram bucket bound)"},
		{"alloc_mb_per_s", "MB/s", "heap allocation rate during the timed phase (1 MB = 1e6 bytes)"},
		{"elapsed_s", "s", "length of the timed phase"},
		{"build_s", "s", "time to build the structure"},
		{"heap_bytes_after_build", "B", "heap in use after the structure is built"},
		{"heap_bytes_at_end", "B", "live heap after a collection once the workers have stopped (an unfinished migration's old versions included)"},
		{"structure.objects", "objects", "design objects of the initial structure (module, manual, assemblies, composite parts, documents, atomic parts)"},
		{"ns_per_op", "ns", "time per operation of a micro-benchmark"},
		{"ops_per_s", "op/s", "operations per second of a micro-benchmark (1e9 / ns_per_op)"},
		{"bytes_per_op", "B", "bytes allocated per operation"},
		{"allocs_per_op", "", "allocations per operation"},
	}
}

// DescribeMetric returns the description of a metric, including the per-category
// (cat.TYPE.FIELD) and STM counter (stm.NAME) families.
func DescribeMetric(name string) MetricDoc {
	for _, d := range metricDocs() {
		if d.Name == name {
			return d
		}
	}
	if rest, ok := strings.CutPrefix(name, "cat."); ok {
		i := strings.LastIndexByte(rest, '.')
		if i > 0 {
			cat, field := rest[:i], rest[i+1:]
			switch field {
			case "ops":
				return MetricDoc{name, "op", "successful operations of category " + cat}
			case "failed":
				return MetricDoc{name, "op", "failed operations of category " + cat}
			case "max_us":
				return MetricDoc{name, "µs", "maximum latency of category " + cat}
			case "p99_us":
				return MetricDoc{name, "µs", "99th percentile latency of category " + cat}
			case "p50_us":
				return MetricDoc{name, "µs", "median latency of category " + cat}
			}
		}
	}
	if d, ok := describeKVMetric(name); ok {
		return d
	}
	if rest, ok := strings.CutPrefix(name, "stm."); ok {
		if rest == "conflict_aborts_per_commit" {
			return MetricDoc{name, "", "STM aborts caused by conflicts (read conflicts and failed validations) per commit"}
		}
		return MetricDoc{name, "", "STM counter " + rest}
	}
	return MetricDoc{Name: name}
}

// metricRank orders metrics: the documented ones first, then categories, STM counters and the
// rest by name.
func metricRank(name string) (int, string) {
	docs := metricDocs()
	for i, d := range docs {
		if d.Name == name {
			return i, ""
		}
	}
	switch {
	case strings.HasPrefix(name, "cat."):
		return len(docs), name
	case strings.HasPrefix(name, "stm."):
		return len(docs) + 1, name
	}
	return len(docs) + 2, name
}

// SortMetrics sorts metric names in the summaries' order.
func SortMetrics(names []string) {
	sort.SliceStable(names, func(i, j int) bool {
		ri, si := metricRank(names[i])
		rj, sj := metricRank(names[j])
		if ri != rj {
			return ri < rj
		}
		return si < sj
	})
}

// StructureObjects is the number of design objects of the initial structure: the module, the
// manual, the complex and base assemblies, the composite parts, their documents and their
// atomic parts (connections are not counted: they are not objects of their own type that an
// upgrade changes).
func StructureObjects(p stmbench7.Params) float64 {
	if p.NumAssmPerAssm < 2 || p.NumAssmLevels < 2 {
		return math.NaN()
	}
	comp := p.InitialTotalCompParts()
	return float64(2 + p.InitialTotalComplexAssemblies() + p.InitialTotalBaseAssemblies() + 2*comp + comp*p.NumAtomicPerComp)
}

// ChangedObjects is the number of objects of the initial structure whose class a built-in
// upgrade scenario changes (stmbench7/scenario_steps.go): atomic-point the atomic parts,
// composite-stats the composite parts, document-lines the documents, dates every design
// object (the module, the assemblies, the composite and the atomic parts), chain the atomic
// and then the composite parts. ok is false for a scenario it does not know.
func ChangedObjects(scenario string, p stmbench7.Params) (float64, bool) {
	if p.NumAssmPerAssm < 2 || p.NumAssmLevels < 2 {
		return 0, false
	}
	comp := p.InitialTotalCompParts()
	atomic := comp * p.NumAtomicPerComp
	switch scenario {
	case "atomic-point":
		return float64(atomic), true
	case "composite-stats", "document-lines":
		return float64(comp), true
	case "dates":
		return float64(1 + p.InitialTotalComplexAssemblies() + p.InitialTotalBaseAssemblies() + comp + atomic), true
	case "chain":
		return float64(atomic + comp), true
	}
	return 0, false
}

// BenchMetrics flattens a result into named metrics; series (nil when absent) adds those
// computed from the time series.
func BenchMetrics(r *BenchResult, series []SeriesPoint) map[string]float64 {
	m := map[string]float64{
		"throughput":             r.Throughput,
		"throughput_with_failed": r.ThroughputWithFailed,
		"successful":             float64(r.Successful),
		"failed":                 float64(r.Failed),
		"elapsed_s":              r.ElapsedS,
		"build_s":                r.BuildS,
		"heap_bytes_after_build": float64(r.HeapBytesAfterBuild),
	}
	if r.HeapBytesAtEnd > 0 {
		m["heap_bytes_at_end"] = float64(r.HeapBytesAtEnd)
	}
	if n := StructureObjects(r.Config.Params); !math.IsNaN(n) {
		m["structure.objects"] = n
	}
	if a := r.All; a != nil {
		m["all.max_us"], m["all.p99_us"], m["all.p999_us"], m["all.p50_us"], m["all.mean_us"] = a.MaxTTCUs, a.P99Us, a.P999Us, a.P50Us, a.MeanUs
	} else if len(r.Categories) > 0 {
		// The maximum over all operations is the largest category maximum; percentiles
		// cannot be combined without the histograms.
		mx := 0.0
		for _, c := range r.Categories {
			mx = max(mx, c.MaxTTCUs)
		}
		m["all.max_us"] = mx
	}
	for name, c := range r.Categories {
		if c.Successful == 0 && c.Failed == 0 {
			continue
		}
		p := "cat." + name + "."
		m[p+"ops"], m[p+"failed"], m[p+"max_us"], m[p+"p99_us"], m[p+"p50_us"] = float64(c.Successful), float64(c.Failed), c.MaxTTCUs, c.P99Us, c.P50Us
	}
	if p := r.Probe; p != nil && p.Count > 0 {
		m["probe_max_us"], m["probe_p99_us"], m["probe_p999_us"] = p.MaxUs, p.P99Us, p.P999Us
	}
	if h := r.Hiccup; h != nil && h.Count > 0 {
		m["hiccup_max_us"] = h.MaxUs
	}
	if rt := r.Runtime; rt != nil {
		m["gc_cpu_fraction"], m["alloc_mb_per_s"] = rt.GCCPUFraction, rt.AllocMBPerS
	}
	if r.MaxGapMs != nil {
		m["max_gap_ms"] = *r.MaxGapMs
	}
	if w := r.Window; w != nil {
		m["window.max_us"], m["window.p99_us"], m["window.ops"] = w.MaxUs, w.P99Us, float64(w.Ops)
	}
	if u := r.Upgrade; u != nil {
		m["upgrade.pause_ms"] = u.PauseMs
		m["upgrade.requested_s"] = u.RequestedS
		m["upgrade.failed"] = 0
		if u.Error != "" {
			m["upgrade.failed"] = 1
		}
		if u.CommittedS != nil {
			m["upgrade.committed_s"] = *u.CommittedS
			m["upgrade.commit_delay_ms"] = (*u.CommittedS - u.RequestedS) * 1e3
			if u.MigratedS != nil {
				m["upgrade.migrated_s"] = *u.MigratedS
				// Eager migration converts before the commit: 0.
				m["upgrade.migration_s"] = max(0, *u.MigratedS-*u.CommittedS)
			}
		}
		if len(u.Migrations) > 0 {
			stop, pinned := 0.0, 0.0
			for _, s := range u.Migrations {
				stop += s.WorldStopMs
				pinned = max(pinned, s.PinnedS)
			}
			m["upgrade.world_stop_ms"], m["upgrade.pinned_s"] = stop, pinned
		}
		m["upgrade.objects"] = float64(u.Objects)
		// The share is of the initial structure, counted from its parameters: the engine's
		// count at the commit includes, with structural modifications on, objects created
		// since and deleted ones not yet collected, and so passed 1.
		if n, ok := m["structure.objects"]; ok && n > 0 {
			if c, ok := ChangedObjects(u.Scenario, r.Config.Params); ok {
				m["upgrade.fraction_changed"] = c / n
			} else if r.Config.NoSMs {
				m["upgrade.fraction_changed"] = float64(u.Objects) / n
			}
		}
		if u.ConversionsStopped > 0 {
			stop := 0.0
			for _, s := range u.Migrations {
				stop += s.WorldStopMs
			}
			m["upgrade.us_per_object"] = stop * 1e3 / float64(u.ConversionsStopped)
		}
		m["upgrade.objects_converted"] = float64(u.ObjectsConverted)
		m["upgrade.conversions_foreground"] = float64(u.ConversionsForeground)
		m["upgrade.conversions_sweeper"] = float64(u.ConversionsSweeper)
		m["upgrade.conversions_stopped"] = float64(u.ConversionsStopped)
		m["upgrade.conversion_failures"] = float64(u.ConversionFailures)
		m["upgrade.throughput_before"] = u.ThroughputBefore
		m["upgrade.throughput_after"] = u.ThroughputAfter
		if u.ThroughputBefore > 0 {
			m["upgrade.throughput_ratio"] = u.ThroughputAfter / u.ThroughputBefore
		}
		m["upgrade.complete"] = 0
		if u.Complete {
			m["upgrade.complete"] = 1
		}
		if d := u.DryRun; d != nil {
			m["upgrade.dry_run_s"], m["upgrade.dry_run_failures"] = d.DurationS, float64(d.Failures)
		}
	}
	if p := r.Probe; p != nil {
		m["probe_max_us"], m["probe_p99_us"], m["probe_p999_us"] = p.MaxUs, p.P99Us, p.P999Us
	}
	if h := r.Hiccup; h != nil {
		m["hiccup_max_us"] = h.MaxUs
	}
	if rt := r.Runtime; rt != nil {
		m["gc_cpu_fraction"], m["alloc_mb_per_s"] = rt.GCCPUFraction, rt.AllocMBPerS
		m["gc_pause_max_us"], m["sched_latency_max_us"] = rt.GCPauseMaxUs, rt.SchedLatencyMaxUs
	}
	stats, _ := r.STM.(map[string]any) // a result read from JSON
	flattenNumbers("stm.", stats, m)
	commits := m["stm.read_only_commits"] + m["stm.read_write_commits"] + m["stm.inevitable_commits"]
	if commits > 0 {
		m["stm.conflict_aborts_per_commit"] = (m["stm.aborts_read_conflict"] + m["stm.aborts_validation"]) / commits
	}
	if len(series) > 0 {
		if t, ok := ChangeInstant(r); ok {
			if rec, lost, ok := Recovery(series, t); ok {
				m["recovery_s"], m["ops_lost"] = rec, lost
			}
		}
	}
	return m
}

func flattenNumbers(prefix string, v map[string]any, into map[string]float64) {
	for k, x := range v {
		switch x := x.(type) {
		case float64:
			into[prefix+k] = x
		case map[string]any:
			flattenNumbers(prefix+k+".", x, into)
		}
	}
}

// ChangeInstant is when a run's upgrade was requested, or, without an upgrade, the start of
// its baseline window (upgrade-at, by default half the length): the instant recovery is
// measured from.
func ChangeInstant(r *BenchResult) (float64, bool) {
	switch {
	case r.Upgrade != nil:
		return r.Upgrade.RequestedS, true
	case r.Config.UpgradeAt > 0:
		return r.Config.UpgradeAt.Seconds(), true
	case r.Config.Ops == 0 && r.Config.Length > 0:
		return r.Config.Length.Seconds() / 2, true
	}
	return 0, false
}

// Recovery measures how a series recovers from a change at time t: the level is the mean
// throughput of the intervals that end before t, leaving out the first fifth of them as
// warm-up; recovery is the first interval from t on that starts a run of 3 intervals whose
// mean is within 5% of the level (recoveryS from t to that interval's start, 0 when the
// first one already is), and opsLost the operations short of the level until then. ok is
// false without intervals before t, or when the throughput never recovers.
func Recovery(series []SeriesPoint, t float64) (recoveryS, opsLost float64, ok bool) {
	var pre []float64
	for _, p := range series {
		if p.TS <= t {
			pre = append(pre, p.Throughput)
		}
	}
	if len(pre) == 0 {
		return 0, 0, false
	}
	pre = pre[len(pre)/5:]
	level := 0.0
	for _, x := range pre {
		level += x
	}
	level /= float64(len(pre))
	const window = 3
	start := 0
	for start < len(series) && series[start].TS <= t {
		start++
	}
	prevT := t
	if start > 0 {
		prevT = series[start-1].TS
	}
	lost := 0.0
	for i := start; i+window <= len(series); i++ {
		sum := 0.0
		for _, p := range series[i : i+window] {
			sum += p.Throughput
		}
		if sum/window >= 0.95*level {
			return math.Max(0, prevT-t), lost, true
		}
		dt := series[i].TS - prevT
		lost += level*dt - float64(series[i].Ops)
		prevT = series[i].TS
	}
	return 0, 0, false
}

// MicroMetrics are one micro-benchmark's metrics.
func MicroMetrics(b MicroBenchmark) map[string]float64 {
	m := map[string]float64{"ns_per_op": b.NsPerOp}
	if b.NsPerOp > 0 {
		m["ops_per_s"] = 1e9 / b.NsPerOp
	}
	if b.BytesPerOp >= 0 {
		m["bytes_per_op"] = b.BytesPerOp
	}
	if b.AllocsOp >= 0 {
		m["allocs_per_op"] = b.AllocsOp
	}
	return m
}

// Sample is one run's metrics (one benchmark's, for a micro run).
type Sample struct {
	Part string
	// Config names the row the sample belongs to: the configuration's slug, and for micro
	// runs the benchmark ("slug/Peers/dustm-lock/ro10-2").
	Config  string
	Params  Params
	Rep     int
	Metrics map[string]float64
	Run     *RunData
}

// Samples returns the metrics of every successful run; withSeries also reads the time
// series for the metrics computed from them.
func (f *Folder) Samples(withSeries bool) ([]Sample, error) {
	var out []Sample
	for _, r := range f.Runs {
		if !r.OK() {
			continue
		}
		if r.Info.Kind == KindMicro {
			for _, b := range r.Micro {
				name := fmt.Sprintf("%s-%d", b.Name, b.Procs)
				ps := r.Info.Params.With("benchmark", b.Name).With("procs", fmt.Sprint(b.Procs))
				out = append(out, Sample{Part: r.Info.Part, Config: r.Info.Config + "/" + name, Params: ps,
					Rep: r.Info.Rep, Metrics: MicroMetrics(b), Run: r})
			}
			continue
		}
		var series []SeriesPoint
		if withSeries && r.HasSeries() {
			s, err := r.Series()
			if err != nil {
				// A damaged series costs the run its series metrics, not the folder.
				f.Warn("%v; the run's metrics from its time series are left out", err)
				s = nil
			}
			series = s
		}
		var m map[string]float64
		if r.Info.Kind == KindKV {
			m = KVMetrics(r.KV, series)
		} else {
			m = BenchMetrics(r.Result, series)
		}
		out = append(out, Sample{Part: r.Info.Part, Config: r.Info.Config, Params: r.Info.Params,
			Rep: r.Info.Rep, Metrics: m, Run: r})
	}
	return out, nil
}

// metricNames lists the metrics of samples, in order.
func metricNames(samples []Sample) []string {
	seen := map[string]bool{}
	var names []string
	for _, s := range samples {
		for k := range s.Metrics {
			if !seen[k] {
				seen[k] = true
				names = append(names, k)
			}
		}
	}
	slices.Sort(names)
	SortMetrics(names)
	return names
}
