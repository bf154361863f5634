package measure

import (
	"encoding/json"

	"dustm/record"
)

// ProbeValues sets the values of a run's probes and runtime (each nil when not measured).
func ProbeValues(v map[string]float64, probe, hiccup *Result, rt *Runtime) {
	if p := probe; p != nil {
		v["probe_max_us"], v["probe_p99_us"], v["probe_p999_us"] = p.MaxUs, p.P99Us, p.P999Us
	}
	if h := hiccup; h != nil {
		v["hiccup_max_us"] = h.MaxUs
	}
	if rt != nil {
		v["gc_cpu_fraction"], v["alloc_mb_per_s"] = rt.GCCPUFraction, rt.AllocMBPerS
		v["gc_pause_max_us"], v["sched_latency_max_us"] = rt.GCPauseMaxUs, rt.SchedLatencyMaxUs
	}
}

// STMValues flattens the backend's counters (their JSON) into stm.NAME values, and derives
// the conflict aborts per commit.
func STMValues(v map[string]float64, stats any) {
	var m map[string]any
	if b, err := json.Marshal(stats); err != nil || json.Unmarshal(b, &m) != nil {
		return
	}
	var flatten func(prefix string, m map[string]any)
	flatten = func(prefix string, m map[string]any) {
		for k, x := range m {
			switch x := x.(type) {
			case float64:
				v[prefix+k] = x
			case map[string]any:
				flatten(prefix+k+".", x)
			}
		}
	}
	flatten("stm.", m)
	if commits := v["stm.read_only_commits"] + v["stm.read_write_commits"] + v["stm.inevitable_commits"]; commits > 0 {
		v["stm.conflict_aborts_per_commit"] = (v["stm.aborts_read_conflict"] + v["stm.aborts_validation"]) / commits
	}
}

// Pairs reads the members of v's JSON object as a record's key=value pairs.
func Pairs(v any) record.Config {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	c, _ := record.ConfigFromJSON(b)
	return c
}

// SetNonZero sets a count a series writes only when it is not zero.
func SetNonZero(v map[string]float64, name string, x float64) {
	if x != 0 {
		v[name] = x
	}
}
