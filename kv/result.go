package kv

import (
	"runtime"
	"runtime/debug"
	"time"

	"dustm/measure"
	"dustm/record"
	"dustm/stmbench7/bench"
	"dustm/upgrade"
)

// MeasurePreload records the heap after the preload (a collection first): call it before
// serving.
func (s *Server) MeasurePreload() {
	runtime.GC()
	s.heapAfterPreload = measure.HeapInUse()
}

// resultConfig is the configuration a kv record names its run by.
type resultConfig struct {
	App        string  `json:"app"` // "kv"
	Backend    string  `json:"backend"`
	Preload    int     `json:"preload"`
	Upgrade    string  `json:"upgrade,omitempty"`
	Migration  string  `json:"migration,omitempty"`
	UpgradeAtS float64 `json:"upgrade_at_s,omitempty"`
	Sweepers   int     `json:"sweepers"`
	IntervalS  float64 `json:"interval_s"`
	GOMAXPROCS int     `json:"gomaxprocs"`
	GOGC       int     `json:"gogc"` // -1: off
}

// Definitions are the metrics of a kv server's run: those it measures as dustm bench does
// (a command is a category: cat.GET.max_us), and its own.
func Definitions() []record.Metric {
	return append(bench.Definitions(),
		record.Metric{Name: "preload_s", Unit: "s", Doc: "time the server took to preload its keys", Better: record.Lower},
		record.Metric{Name: "heap_bytes_after_preload", Unit: "B", Doc: "the server's heap in use after the preload", Better: record.Lower},
		record.Metric{Name: "connections", Doc: "connections the server accepted"},
		record.Metric{Name: "cmd.{}.ops", Unit: "op", Doc: "commands {} completed in the interval", Better: record.Higher},
		record.Metric{Name: "cmd.{}.failed", Unit: "op", Doc: "commands {} that failed in the interval"},
		record.Metric{Name: "cmd.{}.max_us", Unit: "µs", Doc: "maximum latency of command {} in the interval", Better: record.Lower},
		record.Metric{Name: "cmd.{}.p99_us", Unit: "µs", Doc: "99th percentile latency of command {} in the interval", Better: record.Lower},
	)
}

// ClientClampMs is the longest latency redis-benchmark records: it records every longer one as
// this (CONFIG_LATENCY_HISTOGRAM_MAX_VALUE, 3 s).
const ClientClampMs = 3000

// ClientDefinitions are the metrics of a kv run's client report (redis-benchmark's, App
// "redis-benchmark"): per test (client.TEST.…) and over all tests, and where the server's
// upgrade committed in the client's run.
func ClientDefinitions() []record.Metric {
	m := func(name, unit string, better record.Better, doc string) record.Metric {
		return record.Metric{Name: name, Unit: unit, Doc: doc, Better: better}
	}
	const lo, hi = record.Lower, record.Higher
	return []record.Metric{
		m("client.rps", "req/s", hi, "the client's requests per second over all its tests (redis-benchmark; total requests / total time)"),
		m("client.p99_ms", "ms", lo, "the client's largest 99th percentile latency over its tests (redis-benchmark)"),
		m("client.max_ms", "ms", lo, "the client's maximum latency over its tests (redis-benchmark): the claims are checked on it"),
		m("client.max_clamped", "", lo, "1 when the client's maximum reached redis-benchmark's clamp: it records every latency above 3 s as 3 s (CONFIG_LATENCY_HISTOGRAM_MAX_VALUE), so the true maximum is longer; the server's upgrade.pause_ms and max_gap_ms see beyond it"),
		m("client.elapsed_s", "s", record.Neither, "how long the client ran"),
		m("upgrade.client_position", "", record.Neither, "where in the client's run the upgrade committed (0 its start, 1 its end)"),
		m("client.{}.rps", "req/s", hi, "the client's requests per second of redis-benchmark's test {}"),
		m("client.{}.p50_ms", "ms", lo, "the client's median latency of redis-benchmark's test {}"),
		m("client.{}.p95_ms", "ms", lo, "the client's 95th percentile latency of redis-benchmark's test {}"),
		m("client.{}.p99_ms", "ms", lo, "the client's 99th percentile latency of redis-benchmark's test {}"),
		m("client.{}.max_ms", "ms", lo, "the client's maximum latency of redis-benchmark's test {}"),
		m("client.{}.min_ms", "ms", lo, "the client's minimum latency of redis-benchmark's test {}"),
		m("client.{}.avg_ms", "ms", lo, "the client's mean latency of redis-benchmark's test {}"),
	}
}

// TickNames are the values of a kv server's series' ticks.
func TickNames() []string {
	return []string{"ops", "failed", "throughput", "total_ops", "total_failed", "max_us", "p99_us", "aborts",
		"converted_foreground", "converted_sweeper", "converted_total", "heap_bytes", "probe_max_us",
		"probe_p99_us", "probe_count", "hiccup_max_us", "cmd.{}.ops", "cmd.{}.failed", "cmd.{}.max_us", "cmd.{}.p99_us"}
}

// Record is the record of what the server measured (App "kv"); call it after Serve has
// returned. start is when the process started (for the environment's record). The server's
// values are named and computed as dustm bench's (bench.Result.Record): a command is a
// category, every command counts as successful.
func (s *Server) Record(start time.Time) *record.Record {
	m := s.meter
	gogc := debug.SetGCPercent(100)
	debug.SetGCPercent(gogc)
	c := resultConfig{App: "kv", Backend: s.cfg.Backend, Preload: s.cfg.Preload,
		IntervalS: s.cfg.Interval.Seconds(), GOMAXPROCS: runtime.GOMAXPROCS(0), GOGC: max(gogc, -1)}
	if s.cfg.Upgrade != "" {
		c.Upgrade, c.Migration, c.UpgradeAtS = s.cfg.Upgrade, s.cfg.Migration.String(), s.cfg.UpgradeAt.Seconds()
		if s.cfg.Migration == upgrade.LazySweep {
			c.Sweepers = s.cfg.Sweepers
		}
	}
	ops, all := m.operations()
	maxGap := float64(m.maxGap.Load()) / 1e6
	r := &bench.Result{Env: bench.CollectEnv(start), ElapsedS: m.elapsed.Seconds(), HeapBytesAtEnd: m.heapEnd,
		Successful: all.Successful + all.Failed, Categories: ops, All: all, MaxGapMs: &maxGap,
		Upgrade: s.upg.result(m.start), Probe: m.probeR, Hiccup: m.hiccupR, Runtime: m.runtime, Ticks: m.ticks}
	if u := r.Upgrade; u != nil {
		after := m.elapsed
		if u.CommittedS != nil {
			after = time.Duration(*u.CommittedS * float64(time.Second))
		}
		u.ThroughputBefore, u.ThroughputAfter = m.throughputAround(time.Duration(u.RequestedS*float64(time.Second)), after)
	}
	if r.ElapsedS > 0 {
		r.Throughput = float64(r.Successful) / r.ElapsedS
		r.ThroughputWithFailed = r.Throughput
	}
	rec := r.Record()
	rec.App = "kv"
	rec.Config = measure.Pairs(c)
	delete(rec.Values, "build_s")
	delete(rec.Values, "heap_bytes_after_build")
	rec.Values["preload_s"], rec.Values["heap_bytes_after_preload"] = s.preloadDur.Seconds(), float64(s.heapAfterPreload)
	rec.Values["connections"] = float64(s.accepted.Load())
	rec.Define(Definitions(), TickNames())
	return rec
}
