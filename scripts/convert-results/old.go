package main

// The documents dustm wrote before the run record (schema 1 and 2), as far as the conversion
// reads them, and experiments' flattening of them into values (BenchMetrics, KVMetrics,
// Recovery) as it was when the results were converted.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math"

	"dustm/kv"
	"dustm/record"
	"dustm/stmbench7"
	"dustm/stmbench7/bench"
)

// result is a bench result of schema 1 or 2.
type result struct {
	Config               config                           `json:"config"`
	ElapsedS             float64                          `json:"elapsed_s"`
	Throughput           float64                          `json:"throughput"`
	ThroughputWithFailed float64                          `json:"throughput_with_failed"`
	Successful           int64                            `json:"successful"`
	Failed               int64                            `json:"failed"`
	BuildS               float64                          `json:"build_s"`
	HeapBytesAfterBuild  uint64                           `json:"heap_bytes_after_build"`
	HeapBytesAtEnd       uint64                           `json:"heap_bytes_at_end,omitempty"`
	Interrupted          bool                             `json:"interrupted,omitempty"`
	Error                string                           `json:"error,omitempty"`
	Categories           map[string]opResult              `json:"categories"`
	STM                  any                              `json:"stm,omitempty"`
	All                  *opResult                        `json:"all,omitempty"`
	MaxGapMs             *float64                         `json:"max_gap_ms,omitempty"`
	Window               *windowResult                    `json:"window,omitempty"`
	Upgrade              *upgradeResult                   `json:"upgrade,omitempty"`
	Probe                *probeResult                     `json:"probe,omitempty"`
	Hiccup               *probeResult                     `json:"hiccup,omitempty"`
	Runtime              *runtimeResult                   `json:"runtime,omitempty"`
	Calibration          *probeResult                     `json:"calibration,omitempty"`
	Check                *struct{ Initial, Final string } `json:"check,omitempty"`
	Replay               *struct {
		Passed     bool  `json:"passed"`
		Operations int64 `json:"operations"`
	} `json:"replay,omitempty"`
}

// config is what the flattening reads of a result's configuration.
type config struct {
	Params     stmbench7.Params `json:"params"`
	SMs        *bool            `json:"structural_modifications"`
	UpgradeAtS float64          `json:"upgrade_at_s"`
	Ops        int64            `json:"ops"`
	LengthS    float64          `json:"length_s"`
	Args       []string         `json:"args"`
}

// noSMs: a result without the key had them on (the setting's default).
func (c *config) noSMs() bool { return c.SMs != nil && !*c.SMs }

// percentile is one point of a latency percentile curve.
type percentile struct {
	P  float64 `json:"p"`
	Us float64 `json:"us"`
}

// opResult is one category's or all operations' measurements.
type opResult struct {
	Successful  int64        `json:"successful"`
	Failed      int64        `json:"failed"`
	MaxTTCUs    float64      `json:"max_us"`
	LegacyMax   *float64     `json:"max_ttc_us"` // the name of max_us in early results
	P50Us       float64      `json:"p50_us"`
	P99Us       float64      `json:"p99_us"`
	P999Us      float64      `json:"p999_us"`
	MeanUs      float64      `json:"mean_us"`
	Percentiles []percentile `json:"percentiles,omitempty"`
}

func (r *opResult) max() float64 {
	if r.LegacyMax != nil && r.MaxTTCUs == 0 {
		return *r.LegacyMax
	}
	return r.MaxTTCUs
}

// upgradeResult is a result's upgrade.
type upgradeResult struct {
	Scenario   string   `json:"scenario"`
	Strategy   string   `json:"strategy"`
	Sweepers   int      `json:"sweepers,omitempty"`
	RequestedS float64  `json:"requested_s"`
	CommittedS *float64 `json:"committed_s,omitempty"`
	MigratedS  *float64 `json:"migrated_s,omitempty"`
	Complete   bool     `json:"complete"`

	Objects               int64 `json:"objects"`
	ObjectsConverted      int64 `json:"objects_converted"`
	ConversionsForeground int64 `json:"conversions_foreground"`
	ConversionsSweeper    int64 `json:"conversions_sweeper"`
	ConversionsStopped    int64 `json:"conversions_stopped"`
	ConversionFailures    int64 `json:"conversion_failures"`

	// PauseMs is the longest time during which no operation completed, among the gaps that
	// overlap the upgrade's request-to-commit span: measured, not assumed.
	PauseMs float64 `json:"pause_ms"`
	// Throughput (successful op/s) before the request and after the (last) commit.
	ThroughputBefore float64 `json:"throughput_before"`
	ThroughputAfter  float64 `json:"throughput_after"`

	Migrations []migrationResult `json:"migrations"`
	DryRun     *dryRunResult     `json:"dry_run,omitempty"`
	// Error is why the upgrade did not happen (an eager upgrade whose transformer failed
	// leaves the program at version 1); the run goes on.
	Error string `json:"error,omitempty"`
}

type migrationResult struct {
	Name          string   `json:"name"`
	CommitVersion int64    `json:"commit_version"`
	RequestedS    float64  `json:"requested_s"`
	CommittedS    float64  `json:"committed_s"`
	MigratedS     *float64 `json:"migrated_s,omitempty"`
	Complete      bool     `json:"complete"`
	Objects       int64    `json:"objects"`
	Foreground    int64    `json:"conversions_foreground"`
	Sweeper       int64    `json:"conversions_sweeper"`
	Stopped       int64    `json:"conversions_stopped"`
	Failures      int64    `json:"conversion_failures"`
	WorldStopMs   float64  `json:"world_stop_ms,omitempty"` // eager: how long the world was stopped
	PinnedS       float64  `json:"pinned_s"`                // how long the pre-upgrade snapshot was kept
	LastFailure   string   `json:"last_failure,omitempty"`
}

type dryRunResult struct {
	Step      string   `json:"step"`
	Objects   int      `json:"objects"`
	Failures  int      `json:"failures"`
	First     []string `json:"first_failures,omitempty"`
	DurationS float64  `json:"duration_s"`
	Error     string   `json:"error,omitempty"`
}

type windowResult struct {
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	Ops    int64   `json:"ops"`
	MaxUs  float64 `json:"max_us"`
	P99Us  float64 `json:"p99_us"`
}

type probeResult struct {
	IntervalUs float64 `json:"interval_us"`
	Count      int64   `json:"count"`
	MaxUs      float64 `json:"max_us"`
	P50Us      float64 `json:"p50_us"`
	P99Us      float64 `json:"p99_us"`
	P999Us     float64 `json:"p999_us"`
	MeanUs     float64 `json:"mean_us"`
	// Errors counts the probe transactions that returned an error (a failed conversion).
	Errors int64 `json:"errors,omitempty"`
}

type runtimeResult struct {
	GCCycles uint64 `json:"gc_cycles"` // collections completed
	// GCCPUFraction is the collector's CPU time (mark assists by allocating goroutines, the
	// dedicated, fractional and idle mark workers, and the stop-the-world pauses) over all the
	// CPU time available to the process (GOMAXPROCS × wall time), as GODEBUG=gctrace=1's
	// percentage. GCAssistCPUFraction is the assists' part of it: the time the collector took
	// from the workers' own operations.
	GCCPUFraction       float64 `json:"gc_cpu_fraction"`
	GCAssistCPUFraction float64 `json:"gc_assist_cpu_fraction"`
	// GCPauseMaxUs is the longest stop-the-world pause of the collector; SchedLatencyMaxUs the
	// longest time a goroutine waited to run once runnable. Both are the upper bound of the
	// runtime's histogram bucket they fell in (buckets a few percent wide).
	GCPauseMaxUs      float64 `json:"gc_pause_max_us"`
	SchedLatencyMaxUs float64 `json:"sched_latency_max_us"`
	AllocBytes        uint64  `json:"alloc_bytes"`    // heap bytes allocated
	AllocMBPerS       float64 `json:"alloc_mb_per_s"` // AllocBytes / 1e6 per second
	AllocObjects      uint64  `json:"alloc_objects"`  // heap objects allocated
}

// kvResult is a kv server's result (schema 2).
type kvResult struct {
	ElapsedS              float64             `json:"elapsed_s"`
	PreloadS              float64             `json:"preload_s"`
	HeapBytesAfterPreload uint64              `json:"heap_bytes_after_preload"`
	HeapBytesAtEnd        uint64              `json:"heap_bytes_at_end"`
	Commands              int64               `json:"commands"`
	Throughput            float64             `json:"throughput"`
	Connections           int64               `json:"connections"`
	Operations            map[string]opResult `json:"operations"`
	All                   *opResult           `json:"all"`
	MaxGapMs              float64             `json:"max_gap_ms"`
	Upgrade               *upgradeResult      `json:"upgrade,omitempty"`
	Probe                 *probeResult        `json:"probe,omitempty"`
	Hiccup                *probeResult        `json:"hiccup,omitempty"`
	Runtime               *runtimeResult      `json:"runtime,omitempty"`
}

// seriesPoint is one line of an old series.
type seriesPoint struct {
	TS          float64  `json:"t_s"`
	Ops         int64    `json:"ops"`
	Failed      int64    `json:"failed"`
	Throughput  float64  `json:"throughput"`
	TotalOps    int64    `json:"total_ops"`
	TotalFailed int64    `json:"total_failed"`
	MaxUs       *float64 `json:"max_us,omitempty"`
	P99Us       *float64 `json:"p99_us,omitempty"`
	Aborts      *int64   `json:"aborts,omitempty"`
	ConvertedFG *int64   `json:"converted_foreground,omitempty"`
	ConvertedSW *int64   `json:"converted_sweeper,omitempty"`
	ConvertedT  *int64   `json:"converted_total,omitempty"`
	HeapBytes   *uint64  `json:"heap_bytes,omitempty"`
	ProbeMaxUs  *float64 `json:"probe_max_us,omitempty"`
	ProbeP99Us  *float64 `json:"probe_p99_us,omitempty"`
	ProbeCount  *int64   `json:"probe_count,omitempty"`
	HiccupMaxUs *float64 `json:"hiccup_max_us,omitempty"`
	Hist        string   `json:"hist,omitempty"`
	ProbeHist   string   `json:"probe_hist,omitempty"`
	Categories  map[string]struct {
		Ops    int64   `json:"ops"`
		Failed int64   `json:"failed"`
		MaxUs  float64 `json:"max_us"`
		P99Us  float64 `json:"p99_us"`
	} `json:"categories"`
	Events []struct {
		Kind string  `json:"kind"`
		TS   float64 `json:"t_s"`
	} `json:"events,omitempty"`
}

func readPoints(data []byte) ([]seriesPoint, error) {
	var out []seriesPoint
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var p seriesPoint
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, p)
	}
	return out, sc.Err()
}

// tick is the point as a record.Tick: the categories are a kv server's commands (cmd.NAME.…)
// or STMBench7's (cat.NAME.…).
func (p *seriesPoint) tick(kv bool) record.Tick {
	t := record.Tick{T: p.TS, Values: map[string]float64{"ops": float64(p.Ops), "failed": float64(p.Failed),
		"throughput": p.Throughput, "total_ops": float64(p.TotalOps), "total_failed": float64(p.TotalFailed)}}
	v := t.Values
	set := func(name string, x *float64) {
		if x != nil {
			v[name] = *x
		}
	}
	count := func(name string, x *int64) {
		if x != nil {
			v[name] = float64(*x)
		}
	}
	set("max_us", p.MaxUs)
	set("p99_us", p.P99Us)
	count("aborts", p.Aborts)
	count("converted_foreground", p.ConvertedFG)
	count("converted_sweeper", p.ConvertedSW)
	count("converted_total", p.ConvertedT)
	if p.HeapBytes != nil {
		v["heap_bytes"] = float64(*p.HeapBytes)
	}
	set("probe_max_us", p.ProbeMaxUs)
	set("probe_p99_us", p.ProbeP99Us)
	count("probe_count", p.ProbeCount)
	set("hiccup_max_us", p.HiccupMaxUs)
	prefix := "cat."
	if kv {
		prefix = "cmd."
	}
	for name, c := range p.Categories {
		q := prefix + name + "."
		v[q+"ops"], v[q+"failed"], v[q+"max_us"], v[q+"p99_us"] = float64(c.Ops), float64(c.Failed), c.MaxUs, c.P99Us
	}
	for name, h := range map[string]string{"all": p.Hist, "probe": p.ProbeHist} {
		if h != "" {
			if t.Hists == nil {
				t.Hists = map[string]string{}
			}
			t.Hists[name] = h
		}
	}
	for _, e := range p.Events {
		t.Events = append(t.Events, record.Event{Name: e.Kind, T: e.TS})
	}
	return t
}

// benchMetrics is experiments.BenchMetrics as it was (less its dead first assignment of the
// probes and the runtime), with the percentile curve of all operations as values.
func benchMetrics(r *result, series []seriesPoint) map[string]float64 {
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
	if n, ok := r.Config.Params.InitialObjects(); ok {
		m["structure.objects"] = float64(n)
	}
	if a := r.All; a != nil {
		m["all.max_us"], m["all.p99_us"], m["all.p999_us"], m["all.p50_us"], m["all.mean_us"] = a.max(), a.P99Us, a.P999Us, a.P50Us, a.MeanUs
		for _, p := range a.Percentiles {
			m["all.curve."+bench.CurveSegment(p.P)+"_us"] = p.Us
		}
	} else if len(r.Categories) > 0 {
		mx := 0.0
		for _, c := range r.Categories {
			mx = max(mx, c.max())
		}
		m["all.max_us"] = mx
	}
	for name, c := range r.Categories {
		if c.Successful == 0 && c.Failed == 0 {
			continue
		}
		p := "cat." + name + "."
		m[p+"ops"], m[p+"failed"], m[p+"max_us"], m[p+"p99_us"], m[p+"p50_us"] = float64(c.Successful), float64(c.Failed), c.max(), c.P99Us, c.P50Us
	}
	if r.MaxGapMs != nil {
		m["max_gap_ms"] = *r.MaxGapMs
	}
	if w := r.Window; w != nil {
		m["window.max_us"], m["window.p99_us"], m["window.ops"] = w.MaxUs, w.P99Us, float64(w.Ops)
	}
	if u := r.Upgrade; u != nil {
		upgradeMetrics(m, u, r.Config.Params, r.Config.noSMs())
	}
	sharedMetrics(m, r.Probe, r.Hiccup, r.Runtime)
	if c := r.Calibration; c != nil {
		m["calibration.max_us"], m["calibration.p99_us"], m["calibration.count"] = c.MaxUs, c.P99Us, float64(c.Count)
	}
	if c := r.Check; c != nil {
		m["check.passed"] = b2f(c.Initial == "ok" && c.Final == "ok")
	}
	if rp := r.Replay; rp != nil {
		m["replay.passed"], m["replay.operations"] = b2f(rp.Passed), float64(rp.Operations)
	}
	stats, _ := r.STM.(map[string]any)
	flattenNumbers("stm.", stats, m)
	commits := m["stm.read_only_commits"] + m["stm.read_write_commits"] + m["stm.inevitable_commits"]
	if commits > 0 {
		m["stm.conflict_aborts_per_commit"] = (m["stm.aborts_read_conflict"] + m["stm.aborts_validation"]) / commits
	}
	if len(series) > 0 {
		if t, ok := changeInstant(r); ok {
			if rec, lost, ok := recovery(series, t); ok {
				m["recovery_s"], m["ops_lost"] = rec, lost
			}
		}
	}
	return finite(m)
}

func sharedMetrics(m map[string]float64, probe, hiccup *probeResult, rt *runtimeResult) {
	if p := probe; p != nil {
		m["probe_max_us"], m["probe_p99_us"], m["probe_p999_us"] = p.MaxUs, p.P99Us, p.P999Us
	}
	if h := hiccup; h != nil {
		m["hiccup_max_us"] = h.MaxUs
	}
	if rt != nil {
		m["gc_cpu_fraction"], m["alloc_mb_per_s"] = rt.GCCPUFraction, rt.AllocMBPerS
		m["gc_pause_max_us"], m["sched_latency_max_us"] = rt.GCPauseMaxUs, rt.SchedLatencyMaxUs
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func upgradeMetrics(m map[string]float64, u *upgradeResult, params stmbench7.Params, noSMs bool) {
	m["upgrade.pause_ms"] = u.PauseMs
	m["upgrade.requested_s"] = u.RequestedS
	m["upgrade.failed"] = b2f(u.Error != "")
	if u.CommittedS != nil {
		m["upgrade.committed_s"] = *u.CommittedS
		m["upgrade.commit_delay_ms"] = (*u.CommittedS - u.RequestedS) * 1e3
		if u.MigratedS != nil {
			m["upgrade.migrated_s"] = *u.MigratedS
			m["upgrade.migration_s"] = max(0, *u.MigratedS-*u.CommittedS)
		}
	}
	stop, pinned := 0.0, 0.0
	for _, s := range u.Migrations {
		stop += s.WorldStopMs
		pinned = max(pinned, s.PinnedS)
	}
	if len(u.Migrations) > 0 {
		m["upgrade.world_stop_ms"], m["upgrade.pinned_s"] = stop, pinned
	}
	m["upgrade.objects"] = float64(u.Objects)
	if n, ok := m["structure.objects"]; ok && n > 0 {
		if c, ok := stmbench7.ChangedObjects(u.Scenario, params); ok {
			m["upgrade.fraction_changed"] = float64(c) / n
		} else if noSMs {
			m["upgrade.fraction_changed"] = float64(u.Objects) / n
		}
	}
	if u.ConversionsStopped > 0 {
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
	m["upgrade.complete"] = b2f(u.Complete)
	if d := u.DryRun; d != nil {
		m["upgrade.dry_run_s"], m["upgrade.dry_run_failures"] = d.DurationS, float64(d.Failures)
	}
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

// changeInstant is experiments.ChangeInstant: the upgrade's request, else upgrade-at, else
// half a timed run's length.
func changeInstant(r *result) (float64, bool) {
	switch c := &r.Config; {
	case r.Upgrade != nil:
		return r.Upgrade.RequestedS, true
	case c.UpgradeAtS > 0:
		return c.UpgradeAtS, true
	case c.Ops == 0 && c.LengthS > 0:
		return c.LengthS / 2, true
	}
	return 0, false
}

// recovery is experiments.Recovery.
func recovery(series []seriesPoint, t float64) (recoveryS, opsLost float64, ok bool) {
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

// kvServerMetrics is the server's part of experiments.KVMetrics: BenchMetrics of the server's
// result seen as a bench result (a command a category, every command successful), less the
// build, plus the preload and the connections.
func kvServerMetrics(s *kvResult, series []seriesPoint) map[string]float64 {
	b := &result{ElapsedS: s.ElapsedS, Throughput: s.Throughput, ThroughputWithFailed: s.Throughput,
		Successful: s.Commands, HeapBytesAtEnd: s.HeapBytesAtEnd, Categories: s.Operations, All: s.All,
		MaxGapMs: &s.MaxGapMs, Upgrade: s.Upgrade, Probe: s.Probe, Hiccup: s.Hiccup, Runtime: s.Runtime}
	m := benchMetrics(b, series)
	delete(m, "build_s")
	delete(m, "heap_bytes_after_build")
	m["preload_s"], m["heap_bytes_after_preload"], m["connections"] = s.PreloadS, float64(s.HeapBytesAfterPreload), float64(s.Connections)
	return m
}

// kvClient is a kv run's client.json: redis-benchmark's report.
type kvClient struct {
	Tool          string   `json:"tool"`
	Version       string   `json:"version"`
	Command       []string `json:"command"`
	Server        string   `json:"server"`
	ServerVersion string   `json:"server_version,omitempty"`
	ServerCommand []string `json:"server_command"`
	ReadyS        float64  `json:"ready_s"`
	StartS        float64  `json:"client_start_s"`
	EndS          float64  `json:"client_end_s"`
	Tests         []struct {
		Test  string   `json:"test"`
		Name  string   `json:"name"`
		RPS   *float64 `json:"rps"`
		AvgMs float64  `json:"avg_ms"`
		MinMs float64  `json:"min_ms"`
		P50Ms float64  `json:"p50_ms"`
		P95Ms float64  `json:"p95_ms"`
		P99Ms float64  `json:"p99_ms"`
		MaxMs float64  `json:"max_ms"`
	} `json:"tests"`
}

// convertClient converts a client report into a record (App "redis-benchmark"): its
// configuration is the document less its tests, its values the client's part of
// experiments.KVMetrics, and where the server's upgrade committed in the client's run.
func convertClient(data []byte, server *kvResult) (*record.Record, error) {
	var c kvClient
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, err
	}
	if len(c.Tests) == 0 {
		return nil, fmt.Errorf("no tests")
	}
	all, err := pairs(data)
	if err != nil {
		return nil, err
	}
	var cfg record.Config
	for _, p := range all {
		if p.Key != "tests" {
			cfg = append(cfg, p)
		}
	}
	m := map[string]float64{"client.elapsed_s": c.EndS - c.StartS}
	invSum, allFinite := 0.0, true
	for _, t := range c.Tests {
		p := "client." + t.Name + "."
		m[p+"p50_ms"], m[p+"p95_ms"], m[p+"p99_ms"], m[p+"max_ms"], m[p+"min_ms"], m[p+"avg_ms"] = t.P50Ms, t.P95Ms, t.P99Ms, t.MaxMs, t.MinMs, t.AvgMs
		if t.RPS != nil && *t.RPS > 0 {
			m[p+"rps"] = *t.RPS
			invSum += 1 / *t.RPS
		} else {
			allFinite = false
		}
		m["client.max_ms"] = max(m["client.max_ms"], t.MaxMs)
		m["client.p99_ms"] = max(m["client.p99_ms"], t.P99Ms)
	}
	if allFinite && invSum > 0 {
		m["client.rps"] = float64(len(c.Tests)) / invSum
	}
	if server != nil {
		if u := server.Upgrade; u != nil && u.CommittedS != nil && c.EndS > c.StartS {
			m["upgrade.client_position"] = (*u.CommittedS - c.StartS) / (c.EndS - c.StartS)
		}
	}
	rec := &record.Record{Schema: record.Schema, App: "redis-benchmark", Config: cfg, Values: finite(m)}
	rec.Define(kv.ClientDefinitions(), nil)
	return rec, nil
}
