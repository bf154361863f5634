package kv

import (
	"runtime"
	"runtime/debug"
	"time"

	"dustm/stmbench7/bench"
	"dustm/upgrade"
)

// ResultConfig is the "config" of a kv result.
type ResultConfig struct {
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

// Result is the document `dustm kv serve --json` writes when the server stops: the parts
// are dustm/stmbench7/bench's types, so that the harness reads them as it reads a bench run.
type Result struct {
	SchemaVersion         int                       `json:"schema_version"`
	Kind                  string                    `json:"kind"` // "kv"
	Config                ResultConfig              `json:"config"`
	Env                   bench.Env                 `json:"env"`
	ElapsedS              float64                   `json:"elapsed_s"`
	PreloadS              float64                   `json:"preload_s"`
	HeapBytesAfterPreload uint64                    `json:"heap_bytes_after_preload"`
	HeapBytesAtEnd        uint64                    `json:"heap_bytes_at_end"`
	Commands              int64                     `json:"commands"`
	Throughput            float64                   `json:"throughput"`
	Connections           int64                     `json:"connections"`
	Operations            map[string]bench.OpResult `json:"operations"`
	All                   *bench.OpResult           `json:"all"`
	// MaxGapMs is the longest time between two consecutive commands' completions, server
	// wide, at a resolution of 0.1 ms.
	MaxGapMs float64              `json:"max_gap_ms"`
	Upgrade  *bench.UpgradeResult `json:"upgrade,omitempty"`
	Probe    *bench.ProbeResult   `json:"probe,omitempty"`
	Hiccup   *bench.ProbeResult   `json:"hiccup,omitempty"`
	Runtime  *bench.RuntimeResult `json:"runtime,omitempty"`
}

// MeasurePreload records the heap after the preload (a collection first): call it before
// serving.
func (s *Server) MeasurePreload() {
	runtime.GC()
	s.heapAfterPreload = bench.HeapInUse()
}

// Result is what the server measured; call it after Serve has returned. start is when the
// process started (for the environment's record).
func (s *Server) Result(start time.Time) *Result {
	m := s.meter
	gogc := debug.SetGCPercent(100)
	debug.SetGCPercent(gogc)
	c := ResultConfig{App: "kv", Backend: s.cfg.Backend, Preload: s.cfg.Preload,
		IntervalS: s.cfg.Interval.Seconds(), GOMAXPROCS: runtime.GOMAXPROCS(0), GOGC: max(gogc, -1)}
	if s.cfg.Upgrade != "" {
		c.Upgrade, c.Migration, c.UpgradeAtS = s.cfg.Upgrade, s.cfg.Migration.String(), s.cfg.UpgradeAt.Seconds()
		if s.cfg.Migration == upgrade.LazySweep {
			c.Sweepers = s.cfg.Sweepers
		}
	}
	ops, all := m.operations()
	r := &Result{SchemaVersion: bench.CurrentSchema, Kind: "kv", Config: c, Env: bench.CollectEnv(start),
		ElapsedS: m.elapsed.Seconds(), PreloadS: s.preloadDur.Seconds(),
		HeapBytesAfterPreload: s.heapAfterPreload, HeapBytesAtEnd: m.heapEnd,
		Commands: all.Successful + all.Failed, Connections: s.accepted.Load(),
		Operations: ops, All: all, MaxGapMs: float64(m.maxGap.Load()) / 1e6,
		Upgrade: s.upg.result(m.start), Probe: m.probeR, Hiccup: m.hiccupR, Runtime: m.runtime}
	if u := r.Upgrade; u != nil {
		after := time.Duration(r.ElapsedS * float64(time.Second))
		if u.CommittedS != nil {
			after = time.Duration(*u.CommittedS * float64(time.Second))
		}
		u.ThroughputBefore, u.ThroughputAfter = m.throughputAround(time.Duration(u.RequestedS*float64(time.Second)), after)
	}
	if r.ElapsedS > 0 {
		r.Throughput = float64(r.Commands) / r.ElapsedS
	}
	return r
}
