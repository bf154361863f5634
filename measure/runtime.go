package measure

import (
	"math"
	"runtime"
	"runtime/metrics"
	"time"
)

// Runtime is what the Go runtime did during a run's timed phase,
// from runtime/metrics read at its start and at its end: the collector's share of the CPU and
// its pauses, the allocation, and the scheduler's latency. They say how much of the latency
// the operations show is the runtime's.
type Runtime struct {
	// GCCPUFraction is the collector's CPU time (mark assists by allocating goroutines, the
	// dedicated, fractional and idle mark workers, and the stop-the-world pauses) over all the
	// CPU time available to the process (GOMAXPROCS × wall time), as GODEBUG=gctrace=1's
	// percentage.
	GCCPUFraction float64
	// GCPauseMaxUs is the longest stop-the-world pause of the collector; SchedLatencyMaxUs the
	// longest time a goroutine waited to run once runnable. Both are the upper bound of the
	// runtime's histogram bucket they fell in (buckets a few percent wide).
	GCPauseMaxUs, SchedLatencyMaxUs float64
	AllocBytes                      uint64  // heap bytes allocated
	AllocMBPerS                     float64 // AllocBytes / 1e6 per second
}

// The metrics the runtime result reads, in this order.
var runtimeMetricNames = []string{
	"/cpu/classes/gc/total:cpu-seconds",
	"/cpu/classes/total:cpu-seconds",
	"/sched/pauses/total/gc:seconds",
	"/sched/latencies:seconds",
	"/gc/heap/allocs:bytes",
}

// snapshot is one reading of the metrics.
type snapshot struct {
	at      time.Time
	samples []metrics.Sample
}

func readRuntime() snapshot {
	s := make([]metrics.Sample, len(runtimeMetricNames))
	for i, n := range runtimeMetricNames {
		s[i].Name = n
	}
	metrics.Read(s)
	return snapshot{at: time.Now(), samples: s}
}

func (r snapshot) uint(i int) uint64 {
	if v := r.samples[i].Value; v.Kind() == metrics.KindUint64 {
		return v.Uint64()
	}
	return 0
}

func (r snapshot) float(i int) float64 {
	if v := r.samples[i].Value; v.Kind() == metrics.KindFloat64 {
		return v.Float64()
	}
	return 0
}

func (r snapshot) hist(i int) *metrics.Float64Histogram {
	if v := r.samples[i].Value; v.Kind() == metrics.KindFloat64Histogram {
		return v.Float64Histogram()
	}
	return nil
}

// runtimeSince returns what the runtime did between two readings.
func runtimeSince(a, b snapshot) *Runtime {
	r := &Runtime{AllocBytes: b.uint(4) - a.uint(4)}
	if total := b.float(1) - a.float(1); total > 0 {
		r.GCCPUFraction = (b.float(0) - a.float(0)) / total
	}
	r.GCPauseMaxUs = histMaxSince(a.hist(2), b.hist(2)) * 1e6
	r.SchedLatencyMaxUs = histMaxSince(a.hist(3), b.hist(3)) * 1e6
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

// LiveHeap collects the garbage and returns the heap that is left: the live objects.
func LiveHeap() uint64 {
	runtime.GC()
	return HeapInUse()
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
	a := readRuntime()
	return func() *Runtime { return runtimeSince(a, readRuntime()) }
}
