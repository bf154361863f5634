package experiments

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/stm"
	"dustm/stmbench7"
	"dustm/stmbench7/bench"
	"dustm/upgrade"
)

// The result files are the interface between dustm bench and the experiments: a result and a
// series line of the real types must read back with every field experiments use.
func TestReadsBenchResults(t *testing.T) {
	committed, migrated := 5.01, 5.4
	res := bench.Result{
		Config: bench.ConfigJSON{Settings: bench.Settings{Threads: 2, Length: 10 * time.Second, Workload: stmbench7.ReadWrite, Backend: "stm", Size: "small",
			NoTraversals: true, NoSMs: true, STMCommit: stm.LockBased, Upgrade: "dates", Migration: upgrade.LazySweep, Sweepers: 2, UpgradeAt: 5 * time.Second, Interval: 100 * time.Millisecond}},
		ElapsedS: 10, Throughput: 1234, Successful: 12340,
		Categories: map[string]bench.OpResult{"OPERATION": {Successful: 10, MaxTTCUs: 99, Percentiles: []bench.Percentile{{P: 50, Us: 3}, {P: 100, Us: 99}}}},
		All:        &bench.OpResult{Successful: 12340, MaxTTCUs: 150, P99Us: 20, Percentiles: []bench.Percentile{{P: 0, Us: 1}, {P: 100, Us: 150}}},
		MaxGapMs:   new(7.5),
		Window:     &bench.WindowResult{StartS: 5.01, EndS: 6.01, Ops: 900, MaxUs: 140, P99Us: 30},
		Upgrade: &bench.UpgradeResult{Scenario: "dates", Strategy: "lazy+sweep", Sweepers: 2, RequestedS: 5, CommittedS: &committed, MigratedS: &migrated,
			Complete: true, Objects: 1000, ObjectsConverted: 1000, ConversionsForeground: 400, ConversionsSweeper: 600, PauseMs: 2.5,
			ThroughputBefore: 1300, ThroughputAfter: 1200,
			Migrations: []bench.MigrationResult{{Name: "dates", RequestedS: 5, CommittedS: committed, Objects: 1000, Sweeper: 600, WorldStopMs: 0, PinnedS: 0.39}}},
	}
	dir := t.TempDir()
	b, _ := json.Marshal(res)
	path := filepath.Join(dir, ResultFile)
	os.WriteFile(path, b, 0o644)
	r, err := ReadResult(path)
	if err != nil {
		t.Fatal(err)
	}
	m := BenchMetrics(r, nil)
	for k, want := range map[string]float64{
		"throughput": 1234, "all.max_us": 150, "all.p99_us": 20, "max_gap_ms": 7.5, "window.max_us": 140, "window.ops": 900,
		"upgrade.pause_ms": 2.5, "upgrade.committed_s": 5.01, "upgrade.migration_s": 5.4 - 5.01, "upgrade.objects": 1000,
		"upgrade.conversions_sweeper": 600, "upgrade.throughput_ratio": 1200.0 / 1300, "upgrade.complete": 1, "upgrade.pinned_s": 0.39,
		"cat.OPERATION.max_us": 99,
	} {
		if got, ok := m[k]; !ok || !closeRel(got, want) {
			t.Errorf("%s = %v (%v), want %v", k, got, ok, want)
		}
	}
	if got := len(r.All.Percentiles); got != 2 {
		t.Errorf("all.percentiles: %d points", got)
	}
	ps := ParamsOf(r)
	if ps.String() != "backend=stm commit=lock layout=object workload=rw threads=2 size=small traversals=off sms=off upgrade=dates migration=lazy+sweep sweepers=2 dry-run=off length=10 interval=100ms seed=0 thread-seeds=off check=off replay=off" {
		t.Errorf("params %s", ps)
	}

	mx := 12.0
	line, _ := json.Marshal(bench.SeriesPoint{TS: 0.1, Ops: 5, Throughput: 50, MaxUs: &mx, P99Us: new(3.0), ConvertedTotal: new(int64(77)), HeapBytes: new(uint64(1 << 20)),
		Events: []bench.SeriesEvent{{Kind: "committed", Upgrade: "dates", TS: 0.05}}})
	os.WriteFile(filepath.Join(dir, SeriesFile), append(line, '\n'), 0o644)
	s, err := ReadSeries(filepath.Join(dir, SeriesFile))
	if err != nil || len(s) != 1 {
		t.Fatal(err)
	}
	p := s[0]
	if p.MaxLatencyUs() != 12 || *p.ConvertedTotal != 77 || *p.HeapBytes != 1<<20 || p.Events[0].Kind != "committed" {
		t.Errorf("series point %+v", p)
	}
}

func closeRel(a, b float64) bool {
	d := a - b
	if d < 0 {
		d = -d
	}
	return d <= 1e-9*max(1, b)
}

// WindowHist merges the histograms of the intervals in the window and skips lines without one
// (older series files); a window with none gives nil.
func TestWindowHist(t *testing.T) {
	h := hdrhistogram.New(1, int64(time.Hour), 2)
	for v := int64(1); v <= 100; v++ {
		_ = h.RecordValue(v * 1000)
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	enc := string(b)
	series := []SeriesPoint{{TS: 0.1, Hist: enc}, {TS: 0.2}, {TS: 0.3, Hist: enc, ProbeHist: enc}, {TS: 0.4, Hist: enc}}
	got, err := WindowHist(series, 0.1, 0.3, false)
	if err != nil || got == nil || got.TotalCount() != 100 || got.Max() != h.Max() {
		t.Errorf("window (0.1, 0.3]: %v, %v; want the one histogram at 0.3", got, err)
	}
	if got, err := WindowHist(series, 0, 1, false); err != nil || got.TotalCount() != 300 {
		t.Errorf("whole series: %v, %v", got, err)
	}
	if got, err := WindowHist(series, 0, 1, true); err != nil || got.TotalCount() != 100 {
		t.Errorf("probe histograms: %v, %v", got, err)
	}
	if got, err := WindowHist(series[1:2], 0, 1, false); got != nil || err != nil {
		t.Errorf("an old series: %v, %v", got, err)
	}
}

// The probes' and the runtime's numbers become the summary's metrics, and each is documented.
func TestProbeAndRuntimeMetrics(t *testing.T) {
	r := &BenchResult{
		Probe:   &ProbeStats{MaxUs: 5000, P99Us: 900, P999Us: 2000},
		Hiccup:  &ProbeStats{MaxUs: 1200},
		Runtime: &RuntimeStats{GCCPUFraction: 0.07, AllocMBPerS: 310},
	}
	m := BenchMetrics(r, nil)
	for name, want := range map[string]float64{"probe_max_us": 5000, "probe_p99_us": 900, "probe_p999_us": 2000,
		"hiccup_max_us": 1200, "gc_cpu_fraction": 0.07, "alloc_mb_per_s": 310} {
		if m[name] != want {
			t.Errorf("%s = %v, want %v", name, m[name], want)
		}
		if DescribeMetric(name).Text == "" {
			t.Errorf("%s is not documented", name)
		}
	}
	if _, ok := BenchMetrics(&BenchResult{}, nil)["probe_max_us"]; ok {
		t.Error("a result without a probe has a probe metric")
	}
}
