package kv

// What experiments read from the kv results of schema 2 until they read records (issue 19,
// helper A2): DELETE this file when merging; scripts/convert-results has its own copy.

import "dustm/stmbench7/bench"

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

// Result was the document `dustm kv serve --json` wrote when the server stops: the parts
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
