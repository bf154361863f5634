package plots

import (
	"strings"

	"dustm/experiments"
	"dustm/internal/duration"
	"dustm/record"
)

// seriesPoint is a record.Tick as the figures read it: a stop-gap of issue 19's move to the
// run record (helper A2), until the figures read the ticks' values by name.
type seriesPoint struct {
	TS, Throughput                     float64
	Ops, Failed, TotalOps, TotalFailed int64
	MaxUs, P99Us, ProbeMaxUs           *float64
	ConvertedTotal                     *int64
	HeapBytes                          *uint64
	Categories                         map[string]bool
	Events                             []seriesEvent
}

type seriesEvent struct {
	Kind string
	TS   float64
}

func (p *seriesPoint) MaxLatencyUs() float64 {
	if p.MaxUs != nil {
		return *p.MaxUs
	}
	return 0
}

func (p *seriesPoint) P99LatencyUs() (float64, bool) {
	if p.P99Us != nil {
		return *p.P99Us, true
	}
	return 0, false
}

// seriesOf reads ticks as points.
func seriesOf(ticks []record.Tick) []seriesPoint {
	out := make([]seriesPoint, len(ticks))
	for i, t := range ticks {
		v := t.Values
		f := func(name string) *float64 {
			if x, ok := v[name]; ok {
				return &x
			}
			return nil
		}
		p := seriesPoint{TS: t.T, Throughput: v["throughput"], Ops: int64(v["ops"]), Failed: int64(v["failed"]),
			TotalOps: int64(v["total_ops"]), TotalFailed: int64(v["total_failed"]), MaxUs: f("max_us"), P99Us: f("p99_us"), ProbeMaxUs: f("probe_max_us")}
		if x, ok := v["converted_total"]; ok {
			n := int64(x)
			p.ConvertedTotal = &n
		}
		if x, ok := v["heap_bytes"]; ok {
			n := uint64(x)
			p.HeapBytes = &n
		}
		for _, e := range t.Events {
			p.Events = append(p.Events, seriesEvent{Kind: e.Name, TS: e.T})
		}
		out[i] = p
	}
	return out
}

// percentile, opStats and benchResult are the latencies a figure reads of a run's record
// (the same stop-gap): the record has no percentile curve, so that the figures draw its few
// percentiles until they merge the series' histograms.
type percentile struct{ P, Us float64 }

type opStats struct {
	Successful                     int64
	P50Us, P99Us, P999Us, MaxTTCUs float64
	Percentiles                    []percentile
}

type benchResult struct {
	All        *opStats
	Categories map[string]opStats
}

func resultOf(r *experiments.RunData) *benchResult {
	v := r.Record.Values
	stats := func(prefix, ops string) opStats {
		return opStats{Successful: int64(v[prefix+ops]), P50Us: v[prefix+"p50_us"], P99Us: v[prefix+"p99_us"],
			P999Us: v[prefix+"p999_us"], MaxTTCUs: v[prefix+"max_us"]}
	}
	res := &benchResult{Categories: map[string]opStats{}}
	if _, ok := v["all.p99_us"]; ok {
		all := stats("all.", "")
		all.Successful = int64(v["successful"])
		res.All = &all
	}
	for name := range v {
		if rest, ok := strings.CutPrefix(name, "cat."); ok && strings.HasSuffix(rest, ".ops") {
			cat := strings.TrimSuffix(rest, ".ops")
			res.Categories[cat] = stats("cat."+cat+".", "ops")
		}
	}
	return res
}

func seriesOfRun(r *experiments.RunData) ([]seriesPoint, error) {
	t, err := r.Series()
	return seriesOf(t), err
}

// ResponseMaxUs is the interval's longest response: the probe's when there was one.
func (p *seriesPoint) ResponseMaxUs() (us float64, probe bool) {
	if p.ProbeMaxUs != nil {
		return *p.ProbeMaxUs, true
	}
	return p.MaxLatencyUs(), false
}

// changeInstant is when a run's upgrade was requested, or, without an upgrade, the start of
// its baseline window (upgrade-at, by default half the length).
func changeInstant(r *record.Record) (float64, bool) {
	if t, ok := r.Values["upgrade.requested_s"]; ok {
		return t, true
	}
	for _, k := range []string{"upgrade-at", "length"} {
		v, _ := r.Config.Get(k)
		if d, err := duration.Parse(v); err == nil && d > 0 {
			return map[string]float64{"upgrade-at": 1, "length": 0.5}[k] * d.Seconds(), true
		}
	}
	return 0, false
}
