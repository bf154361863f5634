package experiments

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"dustm/kv"
	"dustm/record"
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

// kvLatency is one of a test's latencies: redis-benchmark's column, the metric's name.
type kvLatency struct {
	col, metric string
	p           *float64
}

func (t *KVTest) latencies() []kvLatency {
	return []kvLatency{{"min_latency_ms", "min_ms", &t.MinMs}, {"p50_latency_ms", "p50_ms", &t.P50Ms}, {"p95_latency_ms", "p95_ms", &t.P95Ms},
		{"p99_latency_ms", "p99_ms", &t.P99Ms}, {"max_latency_ms", "max_ms", &t.MaxMs}, {"avg_latency_ms", "avg_ms", &t.AvgMs}}
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
		for _, l := range t.latencies() {
			if _, ok := col[l.col]; !ok {
				continue
			}
			if *l.p, err = num(l.col); err != nil {
				return nil, err
			}
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

// kvClientMetrics are the metrics of a kv run's client report (kv.ClientDefinitions):
// families first, each group by name, as the summaries list them.
func kvClientMetrics() []record.Metric {
	defs := kv.ClientDefinitions()
	slices.SortStableFunc(defs, func(a, b record.Metric) int {
		return cmp.Or(-cmp.Compare(strings.Count(a.Name, "{}"), strings.Count(b.Name, "{}")), strings.Compare(a.Name, b.Name))
	})
	return defs
}

// KVClientRecord is the record of a kv run's client report (App "redis-benchmark"): its
// command lines, versions and timeline as configuration, its tests' values, and where the
// server's upgrade (server: its record, nil for redis-server) committed in the client's run.
func KVClientRecord(c *KVClient, server *record.Record) *record.Record {
	// Every definition, families first, whether or not the run has a value of it.
	rec := &record.Record{Schema: record.Schema, App: "redis-benchmark", Metrics: kvClientMetrics(), Values: map[string]float64{}}
	num := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	rec.Config = record.Config{{Key: "tool", Value: c.Tool}, {Key: "version", Value: c.Version},
		{Key: "command", Value: jsonText(c.Command)}, {Key: "server", Value: c.Server},
		{Key: "server_version", Value: c.ServerVersion}, {Key: "server_command", Value: jsonText(c.ServerCommand)},
		{Key: "ready_s", Value: num(c.ReadyS)},
		{Key: "client_start_s", Value: num(c.StartS)}, {Key: "client_end_s", Value: num(c.EndS)}}
	set := func(name string, v float64) { rec.Values[name] = v }
	set("client.elapsed_s", c.EndS-c.StartS)
	invSum, allFinite, mx, p99 := 0.0, true, 0.0, 0.0
	for _, t := range c.Tests {
		p := "client." + t.Name + "."
		for _, l := range t.latencies() {
			set(p+l.metric, *l.p)
		}
		if t.RPS != nil && *t.RPS > 0 {
			set(p+"rps", *t.RPS)
			invSum += 1 / *t.RPS
		} else {
			allFinite = false
		}
		mx, p99 = max(mx, t.MaxMs), max(p99, t.P99Ms)
	}
	set("client.max_ms", mx)
	set("client.max_clamped", map[bool]float64{true: 1}[mx >= kv.ClientClampMs])
	set("client.p99_ms", p99)
	if allFinite && invSum > 0 {
		// Every test has the same number of requests: the rate over all of them.
		set("client.rps", float64(len(c.Tests))/invSum)
	}
	if server != nil && c.EndS > c.StartS {
		if committed, ok := server.Values["upgrade.committed_s"]; ok {
			set("upgrade.client_position", (committed-c.StartS)/(c.EndS-c.StartS))
		}
	}
	return rec
}

// jsonText is a list as the JSON text a record's configuration holds it in.
func jsonText(list []string) string {
	b, _ := json.Marshal(list)
	return string(b)
}
