package bench

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"dustm/measure"
	"dustm/record"
	"fmt"
)

func TestEncodeMergeHist(t *testing.T) {
	h := measure.NewIntervalHist()
	for v := int64(1000); v <= 100000; v += 1000 {
		_ = h.RecordValue(v)
	}
	enc := record.Encode(h)
	if enc == "" {
		t.Fatal("no encoding")
	}
	got, err := record.Merge(enc)
	if err != nil {
		t.Fatal(err)
	}
	if got.TotalCount() != 100 || got.ValueAtQuantile(50) != h.ValueAtQuantile(50) || got.Max() != h.Max() {
		t.Errorf("decoded %d values, p50 %d, max %d; want %d, %d, %d", got.TotalCount(), got.ValueAtQuantile(50),
			got.Max(), h.TotalCount(), h.ValueAtQuantile(50), h.Max())
	}
	m, err := record.Merge(enc, "", enc)
	if err != nil || m == nil || m.TotalCount() != 200 {
		t.Errorf("Merge: %v, %v", m, err)
	}
	if m, err := record.Merge("", ""); m != nil || err != nil {
		t.Errorf("Merge of nothing: %v, %v", m, err)
	}
	if _, err := record.Merge("not base64!"); err == nil {
		t.Error("Merge accepted garbage")
	}
	if record.Encode(measure.NewIntervalHist()) != "" || record.Encode(nil) != "" {
		t.Error("an empty histogram has an encoding")
	}
}

func TestParseGOGCAndMemLimit(t *testing.T) {
	for in, want := range map[string]int{"100": 100, "0": 0, "off": -1, "OFF": -1, " 400 ": 400} {
		if got, err := ParseGOGC(in); err != nil || got != want {
			t.Errorf("ParseGOGC(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1.5", "on", "100%"} {
		if _, err := ParseGOGC(in); err == nil {
			t.Errorf("ParseGOGC(%q) accepted", in)
		}
	}
	for in, want := range map[string]int64{"4GiB": 4 << 30, "512MiB": 512 << 20, "1.5GB": 1_500_000_000,
		"1000": 1000, "1000B": 1000, "off": 0, "2 KiB": 2048} {
		if got, err := ParseMemLimit(in); err != nil || got != want {
			t.Errorf("ParseMemLimit(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "-5GiB", "4XB", "GiB", "1e30"} {
		if _, err := ParseMemLimit(in); err == nil {
			t.Errorf("ParseMemLimit(%q) accepted", in)
		}
	}
	if FormatGOGC(-1) != "off" || FormatGOGC(250) != "250" {
		t.Error("FormatGOGC")
	}
}

// A real run with the probe: the result and the series carry the probes, the runtime's
// numbers and the settings in effect; the series' histograms add up to the run's operations;
// the collector's settings are restored afterwards.
func TestRunProbeAndRuntime(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Size = "tiny"
	cfg.Threads = 2
	cfg.Length = 400 * time.Millisecond
	cfg.Probe = true
	cfg.GOGC = 321
	cfg.MemoryLimit = 3 << 30
	prevProcs := runtime.GOMAXPROCS(0)
	cfg.GOMAXPROCS = prevProcs + 1
	cfg.JSONPath = filepath.Join(dir, "run.json")
	cfg.SeriesPath = filepath.Join(dir, "run.jsonl")
	prevGOGC := debug.SetGCPercent(100)
	debug.SetGCPercent(prevGOGC)
	prevLimit := debug.SetMemoryLimit(-1)
	var stdout, stderr bytes.Buffer
	res, err := Run(context.Background(), cfg, &stdout, &stderr)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, stderr.String())
	}
	if g := debug.SetGCPercent(prevGOGC); g != prevGOGC {
		t.Errorf("GOGC after the run %d, was %d before", g, prevGOGC)
	}
	if l := debug.SetMemoryLimit(-1); l != prevLimit {
		t.Errorf("memory limit after the run %d, was %d before", l, prevLimit)
	}
	if p := runtime.GOMAXPROCS(0); p != prevProcs {
		t.Errorf("GOMAXPROCS after the run %d, was %d before", p, prevProcs)
	}
	if res.HeapBytesAtEnd == 0 {
		t.Errorf("live heap at the end %d bytes, after the build %d", res.HeapBytesAtEnd, res.HeapBytesAfterBuild)
	}
	if res.Config.GOMAXPROCS != prevProcs+1 {
		t.Errorf("config records GOMAXPROCS %d, the run set %d", res.Config.GOMAXPROCS, prevProcs+1)
	}
	if res.Config.GOGC != 321 || res.Config.MemoryLimit != 3<<30 || !res.Config.Probe || res.Config.ProbeInterval != time.Millisecond {
		t.Errorf("config records gogc %d, memlimit %d, probe %v, interval %v", res.Config.GOGC,
			res.Config.MemoryLimit, res.Config.Probe, res.Config.ProbeInterval)
	}
	// The record's configuration: the keys and units of the settings' table.
	rec, err := record.Read(cfg.JSONPath)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"gogc": "321", "memlimit_bytes": fmt.Sprint(3 << 30), "probe": "true", "probe_interval_us": "1000", "calibration_s": "0.1"} {
		if got, _ := rec.Config.Get(k); got != want {
			t.Errorf("config records %s %q, want %q", k, got, want)
		}
	}
	for name, p := range map[string]*ProbeResult{"probe": res.Probe, "hiccup": res.Hiccup} {
		if p == nil || p.Count == 0 || !(p.P50Us <= p.P99Us && p.P99Us <= p.P999Us && p.P999Us <= p.MaxUs) {
			t.Errorf("%s: %+v", name, p)
		}
	}
	if rt := res.Runtime; rt == nil || rt.AllocBytes == 0 || rt.AllocMBPerS <= 0 || rt.GCCPUFraction < 0 || rt.GCCPUFraction > 1 {
		t.Errorf("runtime: %+v", res.Runtime)
	}

	// The default calibration of a probing run: a quarter of its length.
	if c := res.Calibration; c == nil || c.Count == 0 || c.DurationS < 0.1 || c.MaxUs < c.P99Us || res.Config.Calibration != 100*time.Millisecond {
		t.Errorf("calibration %+v, config %v; want 100ms of oversleeps", res.Calibration, res.Config.Calibration)
	}

	for _, k := range []string{"probe_max_us", "probe_p99_us", "probe_p999_us", "hiccup_max_us", "gc_cpu_fraction", "gc_pause_max_us",
		"alloc_mb_per_s", "sched_latency_max_us", "calibration.max_us", "calibration.p99_us", "calibration.count"} {
		if _, ok := rec.Values[k]; !ok {
			t.Errorf("record: no %s", k)
		}
	}

	var hists, probeHists []string
	var probes float64
	ticks, err := record.ReadSeriesFile(cfg.SeriesPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ticks {
		for _, k := range []string{"hiccup_max_us", "probe_max_us", "probe_p99_us", "probe_count"} {
			if _, ok := l.Values[k]; !ok {
				t.Errorf("series line with --probe: no %s", k)
			}
		}
		hists = append(hists, l.Hists["all"])
		probeHists = append(probeHists, l.Hists["probe"])
		probes += l.Values["probe_count"]
	}
	all, err := record.Merge(hists...)
	if err != nil || all == nil || all.TotalCount() != res.Successful {
		t.Errorf("series histograms hold %v operations (%v), the run %d", all, err, res.Successful)
	}
	ph, err := record.Merge(probeHists...)
	if err != nil || ph == nil || ph.TotalCount() != res.Probe.Count || int64(probes) != res.Probe.Count {
		t.Errorf("series probe histograms %v (%v), counts %v; the run's probe %d", ph, err, probes, res.Probe.Count)
	}
}

// The environment variables a run inherits its collector settings from are in its manifest.
func TestEnvRuntimeVars(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "3GiB")
	if got := CollectEnv(time.Now()).RuntimeVars["GOMEMLIMIT"]; got != "3GiB" {
		t.Errorf("runtime_vars GOMEMLIMIT = %q, want 3GiB", got)
	}
}

// none synchronizes nothing: a probe beside its worker would race, so it is refused.
func TestRunProbeNone(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Backend, cfg.Size, cfg.Ops, cfg.Probe = "none", "tiny", 10, true
	var stdout, stderr bytes.Buffer
	if _, err := Run(context.Background(), cfg, &stdout, &stderr); err == nil {
		t.Error("a probe on none ran")
	}
}

// The calibration's length: what --calibration says, else a quarter of a probing run's length
// up to DefaultCalibration, and none for a run that does not probe; out of range is refused.
func TestCalibrationLength(t *testing.T) {
	for _, c := range []struct {
		cal    time.Duration
		probe  bool
		length time.Duration
		ops    int64
		want   time.Duration
	}{
		{CalibrationAuto, false, 20 * time.Second, 0, 0},
		{CalibrationAuto, true, 20 * time.Second, 0, DefaultCalibration},
		{CalibrationAuto, true, 2 * time.Second, 0, 500 * time.Millisecond},
		{CalibrationAuto, true, 0, 100, DefaultCalibration},
		{0, true, 20 * time.Second, 0, 0},
		{time.Second, false, 20 * time.Second, 0, time.Second},
	} {
		cfg := DefaultConfig()
		cfg.Calibration, cfg.Probe, cfg.Length, cfg.Ops = c.cal, c.probe, c.length, c.ops
		if got := cfg.CalibrationLength(); got != c.want {
			t.Errorf("calibration %v, probe %v, length %v, ops %d: %v, want %v", c.cal, c.probe, c.length, c.ops, got, c.want)
		}
	}
	for _, bad := range []time.Duration{-2 * time.Second, 2 * time.Minute} {
		cfg := DefaultConfig()
		cfg.Calibration = bad
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "--calibration") {
			t.Errorf("calibration %v: %v, want an error naming --calibration", bad, err)
		}
	}
}

// A run without a calibration has no "calibration" in its result, and an explicit one
// calibrates a run that does not probe.
func TestRunCalibrationOnDemand(t *testing.T) {
	for _, cal := range []time.Duration{CalibrationAuto, 30 * time.Millisecond} {
		cfg := DefaultConfig()
		cfg.Size, cfg.Length, cfg.Calibration = "tiny", 50*time.Millisecond, cal
		var stdout, stderr bytes.Buffer
		res, err := Run(context.Background(), cfg, &stdout, &stderr)
		if err != nil {
			t.Fatalf("Run: %v\n%s", err, stderr.String())
		}
		if got := res.Calibration != nil && res.Calibration.Count > 0; got != (cal > 0) {
			t.Errorf("--calibration %v: calibration %+v", cal, res.Calibration)
		}
	}
}
