package bench

// What experiments read from the results of schema 1 and 2 until they read records (issue
// 19, helper A2): DELETE this file when merging; scripts/convert-results has its own copy.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/upgrade"
)

// UnmarshalJSON reads an OpResult, also from results that name the maximum "max_ttc_us".
func (r *OpResult) UnmarshalJSON(data []byte) error {
	type plain OpResult // without this method
	var x struct {
		plain
		LegacyMaxUs *float64 `json:"max_ttc_us"`
	}
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	*r = OpResult(x.plain)
	if x.LegacyMaxUs != nil && r.MaxTTCUs == 0 {
		r.MaxTTCUs = *x.LegacyMaxUs
	}
	return nil
}

// UnmarshalJSON reads what MarshalJSON writes, and the config of older results (absent keys
// read as zero values).
func (c *ConfigJSON) UnmarshalJSON(data []byte) error {
	var d configDerived
	if err := json.Unmarshal(data, &d); err != nil {
		return err
	}
	if err := json.Unmarshal(data, &c.Settings); err != nil {
		return err
	}
	c.Params, c.Seeds, c.SetupSeed, c.Args = d.Params, d.Seeds, d.SetupSeed, d.Args
	return nil
}

// SeriesPoint is one line of the time series: one interval.
type SeriesPoint struct {
	TS          float64                   `json:"t_s"`        // end of the interval, since the start
	Ops         int64                     `json:"ops"`        // successful operations in the interval
	Failed      int64                     `json:"failed"`     // failed operations in the interval
	Throughput  float64                   `json:"throughput"` // successful operations per second in the interval
	TotalOps    int64                     `json:"total_ops"`  // successful operations since the start
	TotalFailed int64                     `json:"total_failed"`
	Categories  map[string]SeriesCategory `json:"categories"`
	// Over every category: the interval's max and p99 latency of successful operations
	// (absent from early binaries' series: see MaxLatencyUs, P99LatencyUs).
	MaxUs *float64 `json:"max_us,omitempty"`
	P99Us *float64 `json:"p99_us,omitempty"`
	// Aborts is the STM's aborted attempts in the interval (STM backends; written when
	// not zero).
	Aborts *int64 `json:"aborts,omitempty"`
	// Objects converted by an upgrade: in the interval (by operations, by sweepers), and in
	// all so far (written when not zero).
	ConvertedForeground *int64 `json:"converted_foreground,omitempty"`
	ConvertedSweeper    *int64 `json:"converted_sweeper,omitempty"`
	ConvertedTotal      *int64 `json:"converted_total,omitempty"`
	// HeapBytes is the heap in use at the end of the interval.
	HeapBytes *uint64 `json:"heap_bytes,omitempty"`
	// Events are the upgrade's instants that fell in the interval.
	Events []SeriesEvent `json:"events,omitempty"`

	// The probes in the interval (see probe.go): the responsiveness probe's maximum, p99 and
	// count (with --probe, always written then: an interval in which no probe returned has a
	// count of 0), and the platform probe's maximum oversleep.
	ProbeMaxUs  *float64 `json:"probe_max_us,omitempty"`
	ProbeP99Us  *float64 `json:"probe_p99_us,omitempty"`
	ProbeCount  *int64   `json:"probe_count,omitempty"`
	HiccupMaxUs *float64 `json:"hiccup_max_us,omitempty"`
	// Hist is the interval's whole latency histogram of successful operations (every category
	// together), ProbeHist the responsiveness probe's, both in nanoseconds, encoded by
	// hdrhistogram's V2 compressed encoding as base64 text (DecodeHist, MergeHists); absent
	// when empty. Older series files do not have them.
	Hist      string `json:"hist,omitempty"`
	ProbeHist string `json:"probe_hist,omitempty"`
}

// SeriesCategory is one category's share of an interval.
type SeriesCategory struct {
	Ops    int64   `json:"ops"`
	Failed int64   `json:"failed"`
	MaxUs  float64 `json:"max_us"`
	P99Us  float64 `json:"p99_us"`
}

// CurrentSchema is the version of the result schema that this binary writes. The versions:
//
//  1. results without schema_version: early binaries leave out the fields added since
//     (config.upgrade, all, max_gap_ms, window, the probes, …; OpResult's max_us was
//     max_ttc_us), which read as absent.
//  2. schema_version, and the config written through the table of package settings
//     (the same keys and units as 1's).
const CurrentSchema = 2

// DecodeResult reads a result document of any schema version up to CurrentSchema, bringing an
// older one to the current types: what it lacks stays absent (nil), what it spells otherwise
// is read where the current schema has it.
func DecodeResult(data []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	var v struct {
		SchemaVersion int `json:"schema_version"`
	}
	_ = json.Unmarshal(data, &v)
	switch r := &v; {
	case r.SchemaVersion > CurrentSchema:
		return nil, fmt.Errorf("schema_version %d is newer than this dustm reads (1 to %d): read it with the dustm that wrote it, or a newer one",
			r.SchemaVersion, CurrentSchema)
	case r.SchemaVersion < 0:
		return nil, fmt.Errorf("bad schema_version %d (accepted: 1 to %d, or none for 1)", r.SchemaVersion, CurrentSchema)
	case r.SchemaVersion == 0:
	}
	if v.SchemaVersion == 0 {
		// The early binaries of schema 1 name the upgrade in its measurements, or only on
		// the command line.
		c := &r.Config
		if u := r.Upgrade; u != nil && c.Upgrade == "" {
			c.Upgrade, c.Sweepers = u.Scenario, u.Sweepers
			if m, err := upgrade.ParseStrategy(u.Strategy); err == nil {
				c.Migration = m
			}
		}
		if c.Upgrade == "" {
			c.Upgrade = argValue(c.Args, "--upgrade")
		}
	}
	return &r, nil
}

// argValue finds "--name value" or "--name=value" in a command line.
func argValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// ResponseMaxUs is the interval's maximum response time as the figures draw it: the probe's
// when the series has it (a pause of the whole program shows there even when no operation
// completes in the interval), else that of all operations; probe reports which.
func (p *SeriesPoint) ResponseMaxUs() (us float64, probe bool) {
	if p.ProbeMaxUs != nil {
		return *p.ProbeMaxUs, true
	}
	return p.MaxLatencyUs(), false
}

// MaxLatencyUs is the interval's maximum latency: max_us, or the largest of the categories'.
func (p *SeriesPoint) MaxLatencyUs() float64 {
	if p.MaxUs != nil {
		return *p.MaxUs
	}
	m := 0.0
	for _, c := range p.Categories {
		m = max(m, c.MaxUs)
	}
	return m
}

// P99LatencyUs is the interval's p99 over all operations when the series has it; otherwise
// the largest of the categories' p99 (an upper bound), and exact reports false.
func (p *SeriesPoint) P99LatencyUs() (us float64, exact bool) {
	if p.P99Us != nil {
		return *p.P99Us, true
	}
	m := 0.0
	for _, c := range p.Categories {
		if c.Ops > 0 {
			m = max(m, c.P99Us)
		}
	}
	return m, false
}

// SeriesEvent is an upgrade instant, on the series line of the interval it fell in.
type SeriesEvent struct {
	Kind    string  `json:"kind"` // requested, committed, migrated, failure, rolled-back
	Upgrade string  `json:"upgrade"`
	TS      float64 `json:"t_s"`
}

// DecodeHist decodes a histogram of a series line ("hist", "probe_hist"): its values are
// latencies in nanoseconds. Any percentile of any window can be recomputed by merging the
// histograms of its intervals (MergeHists) and asking the result (ValueAtQuantile, Max, …).
func DecodeHist(encoded string) (*hdrhistogram.Histogram, error) {
	if encoded == "" {
		return nil, errors.New("empty histogram encoding")
	}
	h, err := hdrhistogram.Decode([]byte(encoded))
	if err != nil {
		return nil, fmt.Errorf("decoding a histogram: %w", err)
	}
	return h, nil
}

// MergeHists decodes and merges the encoded histograms of several series lines (a window);
// empty strings (intervals without a histogram, or series files older than the field) are
// skipped. The result is nil when there was nothing to merge.
func MergeHists(encoded ...string) (*hdrhistogram.Histogram, error) {
	var out *hdrhistogram.Histogram
	for i, e := range encoded {
		if e == "" {
			continue
		}
		h, err := DecodeHist(e)
		if err != nil {
			return nil, fmt.Errorf("histogram %d: %w", i, err)
		}
		if out == nil {
			out = newIntervalHist()
		}
		out.Merge(h)
	}
	return out, nil
}
