package experiments

import (
	"bytes"
	"dustm/kv"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The servers of a kv run's client report.
const (
	KVServerDustm = "dustm kv serve"
	KVServerRedis = "redis-server"
)

// KVClient is a kv run's client.json: redis-benchmark's report of every test, how it was
// run, and when, on the server's clock (seconds since it answered PING: the server's series
// count from its readiness too).
type KVClient struct {
	Tool          string   `json:"tool"`    // redis-benchmark
	Version       string   `json:"version"` // its --version
	Command       []string `json:"command"` // exactly as run
	Server        string   `json:"server"`  // KVServerDustm or KVServerRedis
	ServerVersion string   `json:"server_version,omitempty"`
	ServerCommand []string `json:"server_command"`
	// ReadyS is from the server's start until it answered PING (its preload included).
	ReadyS float64 `json:"ready_s"`
	// StartS and EndS are the client's run, since the server was ready.
	StartS float64  `json:"client_start_s"`
	EndS   float64  `json:"client_end_s"`
	Tests  []KVTest `json:"tests"`
}

// KVTest is one redis-benchmark test's report (latencies in milliseconds, as it prints them).
type KVTest struct {
	Test string `json:"test"` // as redis-benchmark names it: "MSET (10 keys)"
	Name string `json:"name"` // its name in metrics: "MSET"
	// RPS is nil when redis-benchmark printed "inf" (the test took under a millisecond).
	RPS   *float64 `json:"rps"`
	AvgMs float64  `json:"avg_ms"`
	MinMs float64  `json:"min_ms"`
	P50Ms float64  `json:"p50_ms"`
	P95Ms float64  `json:"p95_ms"`
	P99Ms float64  `json:"p99_ms"`
	MaxMs float64  `json:"max_ms"`
}

// kvCSVColumns are the columns of redis-benchmark's --csv output (Redis 7) that a report
// needs, by header name; avg_latency_ms is optional.
func kvCSVColumns() []string {
	return []string{"test", "rps", "min_latency_ms", "p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "max_latency_ms"}
}

// ParseBenchmarkCSV reads redis-benchmark's --csv output: a header naming the columns, then
// one row per test. Columns are found by name, so their order does not matter; an error names
// the file's line and says what was expected.
func ParseBenchmarkCSV(name string, b []byte) ([]KVTest, error) {
	r := csv.NewReader(bytes.NewReader(b))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s is empty: redis-benchmark printed no results", name)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range kvCSVColumns() {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("%s:1: no %s column in the header %q (redis-benchmark of Redis 7 or later writes %s)",
				name, c, strings.Join(header, ","), strings.Join(kvCSVColumns(), ", "))
		}
	}
	var out []KVTest
	seen := map[string]bool{}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(header) {
			return nil, fmt.Errorf("%s:%d: %d fields, the header has %d: %q", name, line, len(rec), len(header), strings.Join(rec, ","))
		}
		t := KVTest{Test: rec[col["test"]]}
		if t.Test == "" {
			return nil, fmt.Errorf("%s:%d: a row without a test name", name, line)
		}
		num := func(c string) (float64, error) {
			v := strings.TrimSpace(rec[col[c]])
			x, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(x) || x < 0 {
				return 0, fmt.Errorf("%s:%d: %s of %s is %q, not a number of at least 0", name, line, c, t.Test, v)
			}
			return x, nil
		}
		if v := strings.TrimSpace(rec[col["rps"]]); v != "inf" {
			x, err := num("rps")
			if err != nil {
				return nil, err
			}
			if !math.IsInf(x, 0) {
				t.RPS = &x
			}
		}
		for _, f := range []struct {
			c string
			p *float64
		}{{"min_latency_ms", &t.MinMs}, {"p50_latency_ms", &t.P50Ms}, {"p95_latency_ms", &t.P95Ms},
			{"p99_latency_ms", &t.P99Ms}, {"max_latency_ms", &t.MaxMs}, {"avg_latency_ms", &t.AvgMs}} {
			if _, ok := col[f.c]; !ok {
				continue
			}
			x, err := num(f.c)
			if err != nil {
				return nil, err
			}
			*f.p = x
		}
		t.Name = kvTestName(t.Test, seen)
		seen[t.Name] = true
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: a header and no test results", name)
	}
	return out, nil
}

// kvTestName names a test in metrics: its first word ("MSET (10 keys)" is MSET), or the
// whole name made safe when that is taken ("LPUSH (needed to benchmark LRANGE)" after LPUSH).
func kvTestName(test string, taken map[string]bool) string {
	first, _, _ := strings.Cut(strings.TrimSpace(test), " ")
	if !taken[first] {
		return first
	}
	words := strings.FieldsFunc(test, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_')
	})
	return strings.Join(words, "_")
}

// KVResult is `dustm kv serve --json`: the server's own type, read here as it is written.
type KVResult = kv.Result

// KVConfig is a kv server's recorded configuration.
type KVConfig = kv.ResultConfig

// ReadKVResult reads a kv server's result document.
func ReadKVResult(path string) (*KVResult, error) {
	b, err := readMaybeGz(path)
	if err != nil {
		return nil, err
	}
	var r KVResult
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: not a readable kv result: %s", path, jsonProblem(err))
	}
	if r.Kind != "kv" {
		return nil, fmt.Errorf("%s: not a kv server's result (kind %q, want \"kv\")", path, r.Kind)
	}
	if r.ElapsedS <= 0 || r.Operations == nil {
		return nil, fmt.Errorf("%s: not a complete kv result (no elapsed time or operations)", path)
	}
	return &r, nil
}

// KVRun is what a kv run left: the client's report, and the server's result (nil for
// redis-server).
type KVRun struct {
	Client *KVClient
	Server *KVResult
}

// ReadKVRun reads a kv run's folder.
func ReadKVRun(dir string) (*KVRun, error) {
	b, err := readMaybeGz(filepath.Join(dir, KVClientFile))
	if err != nil {
		return nil, err
	}
	var c KVClient
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("%s: %s", filepath.Join(dir, KVClientFile), jsonProblem(err))
	}
	if len(c.Tests) == 0 {
		return nil, fmt.Errorf("%s: no tests", filepath.Join(dir, KVClientFile))
	}
	kv := &KVRun{Client: &c}
	path := filepath.Join(dir, ResultFile)
	if existsMaybeGz(path) {
		if kv.Server, err = ReadKVResult(path); err != nil {
			return nil, err
		}
	}
	return kv, nil
}

// kvAsBench presents a kv server's result as a bench result, so that the metrics of the
// server's side (throughput, latency per command as categories, probes, runtime, the upgrade)
// are named and computed as for dustm bench.
func kvAsBench(r *KVResult) *BenchResult {
	b := &BenchResult{Env: r.Env, ElapsedS: r.ElapsedS, Throughput: r.Throughput,
		ThroughputWithFailed: r.Throughput, Successful: r.Commands, HeapBytesAtEnd: r.HeapBytesAtEnd,
		Categories: r.Operations, All: r.All, MaxGapMs: &r.MaxGapMs, Upgrade: r.Upgrade, Probe: r.Probe,
		Hiccup: r.Hiccup, Runtime: r.Runtime}
	b.Config.Backend = r.Config.Backend
	return b
}

// KVMetrics flattens a kv run into named metrics: the client's per test (client.TEST.rps,
// …_ms) and over all tests, the server's as BenchMetrics names them, and where the upgrade
// fell in the client's run.
func KVMetrics(kv *KVRun, series []SeriesPoint) map[string]float64 {
	m := map[string]float64{}
	if s := kv.Server; s != nil {
		m = BenchMetrics(kvAsBench(s), series)
		delete(m, "build_s")
		delete(m, "heap_bytes_after_build")
		m["preload_s"], m["heap_bytes_after_preload"], m["connections"] = s.PreloadS, float64(s.HeapBytesAfterPreload), float64(s.Connections)
		if u := s.Upgrade; u != nil && u.CommittedS != nil && kv.Client.EndS > kv.Client.StartS {
			m["upgrade.client_position"] = (*u.CommittedS - kv.Client.StartS) / (kv.Client.EndS - kv.Client.StartS)
		}
	}
	c := kv.Client
	m["client.elapsed_s"] = c.EndS - c.StartS
	invSum, allFinite := 0.0, true
	for _, t := range c.Tests {
		p := "client." + t.Name + "."
		m[p+"p50_ms"], m[p+"p95_ms"], m[p+"p99_ms"], m[p+"max_ms"], m[p+"min_ms"], m[p+"avg_ms"] =
			t.P50Ms, t.P95Ms, t.P99Ms, t.MaxMs, t.MinMs, t.AvgMs
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
		// Every test has the same number of requests: the rate over all of them.
		m["client.rps"] = float64(len(c.Tests)) / invSum
	}
	return m
}

// KVTestNames lists the tests of kv runs' metrics (client.NAME.…), in the order the runs
// report them.
func KVTestNames(samples []Sample) []string {
	var out []string
	for _, s := range samples {
		if s.Run == nil || s.Run.KV == nil {
			continue
		}
		for _, t := range s.Run.KV.Client.Tests {
			if !slices.Contains(out, t.Name) {
				out = append(out, t.Name)
			}
		}
	}
	return out
}

// describeKVMetric describes the metrics of kv runs: the client's (client.…) and the
// server's own beyond those of bench runs.
func describeKVMetric(name string) (MetricDoc, bool) {
	switch name {
	case "client.rps":
		return MetricDoc{name, "req/s", "the client's requests per second over all its tests (redis-benchmark; total requests / total time)"}, true
	case "client.p99_ms":
		return MetricDoc{name, "ms", "the client's largest 99th percentile latency over its tests (redis-benchmark)"}, true
	case "client.max_ms":
		return MetricDoc{name, "ms", "the client's maximum latency over its tests (redis-benchmark): the claims are checked on it"}, true
	case "client.elapsed_s":
		return MetricDoc{name, "s", "how long the client ran"}, true
	case "upgrade.client_position":
		return MetricDoc{name, "", "where in the client's run the upgrade committed (0 its start, 1 its end)"}, true
	case "preload_s":
		return MetricDoc{name, "s", "time the server took to preload its keys"}, true
	case "heap_bytes_after_preload":
		return MetricDoc{name, "B", "the server's heap in use after the preload"}, true
	case "connections":
		return MetricDoc{name, "", "connections the server accepted"}, true
	}
	rest, ok := strings.CutPrefix(name, "client.")
	i := strings.LastIndexByte(rest, '.')
	if !ok || i <= 0 {
		return MetricDoc{}, false
	}
	test, field := rest[:i], rest[i+1:]
	what := map[string]string{"rps": "requests per second", "p50_ms": "median latency", "p95_ms": "95th percentile latency",
		"p99_ms": "99th percentile latency", "max_ms": "maximum latency", "min_ms": "minimum latency", "avg_ms": "mean latency"}[field]
	if what == "" {
		return MetricDoc{}, false
	}
	unit := "ms"
	if field == "rps" {
		unit = "req/s"
	}
	return MetricDoc{name, unit, "the client's " + what + " of redis-benchmark's test " + test}, true
}
