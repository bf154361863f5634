package bench

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"dustm/measure"
	"dustm/record"
	"dustm/stm"
	"dustm/stmbench7"
)

// The metrics of a run, defined once here: the record of every run (--json) carries the
// definitions of its values and of its series' tick values, and every reader (summaries,
// comparisons, figures, claims) takes them from there by name.

// Definitions are the metrics of a STMBench7 run, in the order summaries list them, package
// measure's among them; the key value server (package kv) reuses them for what it measures
// alike.
func Definitions() []record.Metric {
	const lo, hi, no = record.Lower, record.Higher, record.Neither
	return slices.Concat([]record.Metric{
		measure.Def("throughput", "op/s", hi, "successful operations per second over the whole run"),
		measure.Def("throughput_with_failed", "op/s", hi, "operations per second, failed ones included"),
		measure.Def("successful", "op", hi, "successful operations"),
		measure.Def("failed", "op", no, "failed operations (an operation fails when, e.g., the id it looks up is absent)"),
		measure.Def("all.max_us", "µs", lo, "maximum latency of any successful operation (exact)"),
		measure.Def("all.p99_us", "µs", lo, "99th percentile of the latency of all successful operations"),
		measure.Def("all.p999_us", "µs", lo, "99.9th percentile of the latency of all successful operations"),
		measure.Def("all.p50_us", "µs", lo, "median latency of all successful operations"),
		measure.Def("all.mean_us", "µs", lo, "mean latency of all successful operations"),
	},
		measure.ProbeDefinitions(),
		[]record.Metric{
			measure.Def("max_gap_ms", "ms", lo, "longest time without any operation completing (the real pause)"),
			measure.Def("window.max_us", "µs", lo, "maximum latency of the operations completing in the second after the upgrade's commit (after upgrade-at without an upgrade: the baseline)"),
			measure.Def("window.p99_us", "µs", lo, "99th percentile of the latency in that window"),
			measure.Def("window.ops", "op", hi, "operations completing in that window"),
		},
		measure.UpgradeDefinitions(),
		[]record.Metric{
			measure.Def("elapsed_s", "s", no, "length of the timed phase"),
			measure.Def("build_s", "s", lo, "time to build the structure"),
			measure.Def("heap_bytes_after_build", "B", lo, "heap in use after the structure is built"),
			measure.Def("heap_bytes_at_end", "B", lo, "live heap after a collection once the workers have stopped (an unfinished migration's old versions included)"),
			measure.Def("structure.objects", "objects", no, "design objects of the initial structure (module, manual, assemblies, composite parts, documents, atomic parts)"),
			measure.Def("check.passed", "", hi, "1 when the structure's invariants held before and after the run (--check)"),
			measure.Def("replay.passed", "", hi, "1 when the sequential replay matched the run: the same choices and results, and equal final structures (--seq-replay)"),
			measure.Def("replay.operations", "op", no, "operations the sequential replay replayed"),
			measure.Def("calibration.max_us", "µs", lo, "maximum oversleep of the platform probe running alone before the build (--calibration): the idle platform's hiccups"),
			measure.Def("calibration.p99_us", "µs", lo, "99th percentile of that calibration's oversleeps"),
			measure.Def("calibration.count", "", no, "sleeps of the calibration"),
			measure.Def("cat.{}.ops", "op", hi, "successful operations of category {}"),
			measure.Def("cat.{}.failed", "op", no, "failed operations of category {}"),
			measure.Def("cat.{}.max_us", "µs", lo, "maximum latency of category {}"),
			measure.Def("cat.{}.p99_us", "µs", lo, "99th percentile latency of category {}"),
			measure.Def("cat.{}.p50_us", "µs", lo, "median latency of category {}"),
		},
		measure.STMDefinitions(),
		[]record.Metric{
			measure.Def("all.curve.{}_us", "µs", lo, "the latency percentile curve of all successful operations: the latency at percentile {} (p99_9 is the 99.9th; p100 the maximum)"),
			// What only the series' ticks carry (one interval each).
			measure.Def("ops", "op", hi, "successful operations in the interval"),
			measure.Def("total_ops", "op", no, "successful operations since the start"),
			measure.Def("total_failed", "op", no, "failed operations since the start"),
			measure.Def("max_us", "µs", lo, "maximum latency of the interval's successful operations"),
			measure.Def("p99_us", "µs", lo, "99th percentile latency of the interval's successful operations"),
			measure.Def("aborts", "", lo, "the STM's aborted attempts in the interval"),
			measure.Def("converted_foreground", "objects", no, "objects converted by operations in the interval"),
			measure.Def("converted_sweeper", "objects", no, "objects converted by the sweepers in the interval"),
			measure.Def("converted_total", "objects", no, "objects converted by the upgrade so far"),
			measure.Def("heap_bytes", "B", lo, "heap in use at the end of the interval"),
			measure.Def("probe_count", "", no, "responsiveness probes that returned in the interval"),
		})
}

// TickNames are the values of a STMBench7 series' ticks.
func TickNames() []string {
	return []string{"ops", "failed", "throughput", "total_ops", "total_failed", "max_us", "p99_us", "aborts",
		"converted_foreground", "converted_sweeper", "converted_total", "heap_bytes", "probe_max_us",
		"probe_p99_us", "probe_count", "hiccup_max_us", "cat.{}.ops", "cat.{}.failed", "cat.{}.max_us", "cat.{}.p99_us"}
}

// Record is the run's record: its configuration and environment as pairs, and every value
// it measured, by the names Definitions gives.
func (res *Result) Record() *record.Record {
	rec := &record.Record{Schema: record.Schema, App: "stmbench7", Config: res.Config.Pairs(), Env: measure.Pairs(res.Env),
		Values: map[string]float64{}, Error: res.Error, Interrupted: res.Interrupted}
	v := rec.Values
	v["throughput"], v["throughput_with_failed"] = res.Throughput, res.ThroughputWithFailed
	v["successful"], v["failed"] = float64(res.Successful), float64(res.Failed)
	v["elapsed_s"], v["build_s"], v["heap_bytes_after_build"] = res.ElapsedS, res.BuildS, float64(res.HeapBytesAfterBuild)
	if res.HeapBytesAtEnd > 0 {
		v["heap_bytes_at_end"] = float64(res.HeapBytesAtEnd)
	}
	if n, ok := res.Config.Params.InitialObjects(); ok {
		v["structure.objects"] = float64(n)
	}
	if a := res.All; a != nil {
		v["all.max_us"], v["all.p99_us"], v["all.p999_us"], v["all.p50_us"], v["all.mean_us"] = a.MaxUs, a.P99Us, a.P999Us, a.P50Us, a.MeanUs
		for _, p := range a.Percentiles {
			v["all.curve."+CurveSegment(p.P)+"_us"] = p.Us
		}
	}
	for name, c := range res.Categories {
		if c.Successful != 0 || c.Failed != 0 {
			p := "cat." + name + "."
			v[p+"ops"], v[p+"failed"], v[p+"max_us"], v[p+"p99_us"], v[p+"p50_us"] = float64(c.Successful), float64(c.Failed), c.MaxUs, c.P99Us, c.P50Us
		}
	}
	measure.ProbeValues(v, res.Probe, res.Hiccup, res.Runtime)
	if c := res.Check; c != nil {
		v["check.passed"] = measure.B2F(c.Initial == "ok" && c.Final == "ok")
	}
	if rp := res.Replay; rp != nil {
		v["replay.passed"], v["replay.operations"] = measure.B2F(rp.Passed), float64(rp.Operations)
	}
	if c := res.Calibration; c != nil {
		v["calibration.max_us"], v["calibration.p99_us"], v["calibration.count"] = c.MaxUs, c.P99Us, float64(c.Count)
	}
	if res.MaxGapMs != nil {
		v["max_gap_ms"] = *res.MaxGapMs
	}
	if w := res.Window; w != nil {
		v["window.max_us"], v["window.p99_us"], v["window.ops"] = w.MaxUs, w.P99Us, float64(w.Ops)
	}
	if u := res.Upgrade; u != nil {
		u.Values(v)
		// The share is of the initial structure, counted from its parameters: the engine's
		// count at the commit includes, with structural modifications on, objects created
		// since and deleted ones not yet collected, and so passed 1.
		if n, ok := v["structure.objects"]; ok && n > 0 {
			if c, ok := stmbench7.ChangedObjects(u.Scenario, res.Config.Params); ok {
				v["upgrade.fraction_changed"] = float64(c) / n
			} else if res.Config.NoSMs {
				v["upgrade.fraction_changed"] = float64(u.Objects) / n
			}
		}
	}
	measure.STMValues(v, res.STM)
	if t, ok := res.changeInstant(); ok {
		if rs, lost, ok := measure.Recovery(res.Ticks, t); ok {
			v["recovery_s"], v["ops_lost"] = rs, lost
		}
	}
	rec.Define(Definitions(), TickNames())
	return rec
}

// CurveSegment names percentile p in the curve's family: p99_9 for 99.9.
func CurveSegment(p float64) string {
	return "p" + strings.ReplaceAll(strconv.FormatFloat(p, 'f', -1, 64), ".", "_")
}

// changeInstant is when the run's upgrade was requested, or, without an upgrade, the start
// of its baseline window (upgrade-at, by default half the length): the instant recovery is
// measured from.
func (res *Result) changeInstant() (float64, bool) {
	switch c := &res.Config; {
	case res.Upgrade != nil:
		return res.Upgrade.RequestedS, true
	case c.UpgradeAt > 0:
		return c.UpgradeAt.Seconds(), true
	case c.Ops == 0 && c.Length > 0:
		return c.Length.Seconds() / 2, true
	}
	return 0, false
}

// tickAt is the series' tick of the interval that ends at t (after the collector's tick); it
// closes the probes' interval. hists adds the interval's histograms.
func (r *runner) tickAt(t time.Duration, hists bool) record.Tick {
	tk := record.Tick{T: t.Seconds(), Values: map[string]float64{}}
	hist := func(name string, e string) {
		if hists && e != "" {
			if tk.Hists == nil {
				tk.Hists = map[string]string{}
			}
			tk.Hists[name] = e
		}
	}
	v := tk.Values
	for ty := range r.col.interval {
		a := &r.col.interval[ty]
		p := "cat." + stmbench7.OpType(ty).String() + "."
		v[p+"ops"], v[p+"failed"], v[p+"max_us"], v[p+"p99_us"] = float64(a.ok), float64(a.failed), us(a.maxNs), us(a.percentileNs(99))
		v["ops"] += float64(a.ok)
		v["failed"] += float64(a.failed)
	}
	for op := range r.col.cum {
		v["total_ops"] += float64(r.col.cum[op].ok)
		v["total_failed"] += float64(r.col.cum[op].failed)
	}
	all := r.col.intervalAll()
	v["max_us"], v["p99_us"] = us(all.maxNs), us(all.percentileNs(99))
	if hists {
		hist("all", record.Encode(all.hist))
	}
	v["hiccup_max_us"], _, _, _ = r.hiccup.Tick()
	if pr := r.probe; pr != nil {
		maxUs, p99Us, count, h := pr.Tick()
		v["probe_max_us"], v["probe_p99_us"], v["probe_count"] = maxUs, p99Us, float64(count)
		hist("probe", h)
	}
	if st, ok := r.backend.Stats().(stm.Stats); ok {
		a := st.Aborts()
		measure.SetNonZero(v, "aborts", float64(a-r.prevAborts))
		r.prevAborts = a
	}
	if r.upg != nil {
		fg, sw, total := r.upg.conversions()
		measure.SetNonZero(v, "converted_foreground", float64(fg-r.prevFG))
		measure.SetNonZero(v, "converted_sweeper", float64(sw-r.prevSW))
		measure.SetNonZero(v, "converted_total", float64(total))
		r.prevFG, r.prevSW = fg, sw
		tk.Events = r.upg.newEvents()
	}
	v["heap_bytes"] = float64(measure.HeapInUse())
	if d := (t - r.prevT).Seconds(); d > 0 {
		v["throughput"] = v["ops"] / d
	}
	r.prevT = t
	return tk
}

func us(ns int64) float64 { return float64(ns) / 1e3 }
