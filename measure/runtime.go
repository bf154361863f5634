package measure

import (
	"math"
	"runtime/metrics"
	"time"
)

// Runtime is what the Go runtime did during a run's timed phase,
// from runtime/metrics read at its start and at its end: the collector's share of the CPU and
// its pauses, the allocation, and the scheduler's latency. They say how much of the latency
// the operations show is the runtime's.
type Runtime struct {
	GCCycles uint64 `json:"gc_cycles"` // collections completed
	// GCCPUFraction is the collector's CPU time (mark assists by allocating goroutines, the
	// dedicated, fractional and idle mark workers, and the stop-the-world pauses) over all the
	// CPU time available to the process (GOMAXPROCS × wall time), as GODEBUG=gctrace=1's
	// percentage. GCAssistCPUFraction is the assists' part of it: the time the collector took
	// from the workers' own operations.
	GCCPUFraction       float64 `json:"gc_cpu_fraction"`
	GCAssistCPUFraction float64 `json:"gc_assist_cpu_fraction"`
	// GCPauseMaxUs is the longest stop-the-world pause of the collector; SchedLatencyMaxUs the
	// longest time a goroutine waited to run once runnable. Both are the upper bound of the
	// runtime's histogram bucket they fell in (buckets a few percent wide).
	GCPauseMaxUs      float64 `json:"gc_pause_max_us"`
	SchedLatencyMaxUs float64 `json:"sched_latency_max_us"`
	AllocBytes        uint64  `json:"alloc_bytes"`    // heap bytes allocated
	AllocMBPerS       float64 `json:"alloc_mb_per_s"` // AllocBytes / 1e6 per second
	AllocObjects      uint64  `json:"alloc_objects"`  // heap objects allocated
}

// The metrics the runtime result reads, in this order.
var runtimeMetricNames = []string{
	"/gc/cycles/total:gc-cycles",
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/gc/mark/assist:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/sched/pauses/total/gc:seconds",
	"/sched/latencies:seconds",
	"/gc/heap/allocs:bytes",
	"/gc/heap/allocs:objects",
}

// Snapshot is one reading of the metrics.
type Snapshot struct {
	at      time.Time
	samples []metrics.Sample
}

func ReadRuntime() Snapshot {
	s := make([]metrics.Sample, len(runtimeMetricNames))
	for i, n := range runtimeMetricNames {
		s[i].Name = n
	}
	metrics.Read(s)
	return Snapshot{at: time.Now(), samples: s}
}

func (r Snapshot) uint(i int) uint64 {
	if v := r.samples[i].Value; v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

func (r Snapshot) float(i int) float64 {
	if v := r.samples[i].Value; v.Kind() == metrics.KindFloat64 {
		return v.Float64()
	}
	return 0
}

func (r Snapshot) hist(i int) *metrics.Float64Histogram {
	if v := r.samples[i].Value; v.Kind() == metrics.KindFloat64Histogram {
		return v.Float64Histogram()
	}
	return nil
}

// RuntimeSince returns what the runtime did between two readings.
func RuntimeSince(a, b Snapshot) *Runtime {
	r := &Runtime{
		GCCycles:     b.uint(0) - a.uint(0),
		AllocBytes:   b.uint(6) - a.uint(6),
		AllocObjects: b.uint(7) - a.uint(7),
	}
	if total := b.float(3) - a.float(3); total > 0 {
		r.GCCPUFraction = (b.float(1) - a.float(1)) / total
		r.GCAssistCPUFraction = (b.float(2) - a.float(2)) / total
	}
	r.GCPauseMaxUs = histMaxSince(a.hist(4), b.hist(4)) * 1e6
	r.SchedLatencyMaxUs = histMaxSince(a.hist(5), b.hist(5)) * 1e6
	if d := b.at.Sub(a.at).Seconds(); d > 0 {
		r.AllocMBPerS = float64(r.AllocBytes) / 1e6 / d
	}
	return r
}

// histMaxSince returns the upper bound of the highest bucket of a cumulative runtime histogram
// that gained counts from a to b (the lower bound for the last, unbounded bucket), 0 if none.
func histMaxSince(a, b *metrics.Float64Histogram) float64 {
	if b == nil {
		return 0
	}
	for i := len(b.Counts) - 1; i >= 0; i-- {
		before := uint64(0)
		if a != nil && i < len(a.Counts) {
			before = a.Counts[i]
		}
		if b.Counts[i] > before {
			if hi := b.Buckets[i+1]; !math.IsInf(hi, 1) {
				return hi
			}
			return b.Buckets[i]
		}
	}
	return 0
}

// HeapInUse reads the bytes of live and not yet swept heap objects, without stopping the world
// (runtime.ReadMemStats would).
func HeapInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}

// StartRuntime reads the runtime's metrics now; the function it returns reads them again and
// reports what happened in between.
func StartRuntime() func() *Runtime {
	a := ReadRuntime()
	return func() *Runtime { return RuntimeSince(a, ReadRuntime()) }
}
