package bench

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/record"
)

// Exported pieces of the runner's measurement, for other programs that write this package's
// result and series (the kv server, package dustm/kv): the same histograms, summaries,
// probes and runtime statistics, so that their results are read by the same code.

// NewLatencyHist returns a histogram of an operation's latencies in nanoseconds as the runner
// keeps them since the start (1 ns to one hour, three significant digits).
func NewLatencyHist() *hdrhistogram.Histogram { return newHist() }

// NewIntervalLatencyHist returns a histogram as the runner keeps for one interval of the
// series (two significant digits).
func NewIntervalLatencyHist() *hdrhistogram.Histogram { return newIntervalHist() }

// OpResultOf summarizes ok successful operations whose latencies (ns) h holds, with their
// exact maximum, and failed ones; curve adds the percentile curve.
func OpResultOf(h *hdrhistogram.Histogram, ok, failed, maxNs int64, curve bool) OpResult {
	a := &agg{hist: h, ok: ok, failed: failed, maxNs: maxNs}
	r := opResult(a)
	if curve {
		r.Percentiles = percentileCurve(a)
	}
	return r
}

// HeapInUse is the heap in use now, as the series records it.
func HeapInUse() uint64 { return heapInUse() }

// StartRuntime reads the runtime's metrics now; the function it returns reads them again and
// reports what happened in between.
func StartRuntime() func() *RuntimeResult {
	a := readRuntime()
	return func() *RuntimeResult { return runtimeSince(a, readRuntime()) }
}

// Probe is a running probe: the responsiveness probe (StartProbe) or the platform's hiccup
// probe (StartHiccup), as the runner's --probe and hiccup.
type Probe struct {
	rec      *probeRec
	interval time.Duration
	quit     chan struct{}
	wg       sync.WaitGroup
}

// StartProbe calls fn every interval on an open-loop schedule from now and records each
// call's latency from when it was due. workers is how many processors the program keeps busy
// (the probe sleeps in the kernel when one is left to spare).
func StartProbe(interval time.Duration, workers int, fn func() error) *Probe {
	p := &Probe{rec: newProbeRec(), interval: interval, quit: make(chan struct{})}
	start, kernel := time.Now(), kernelSleep(workers)
	p.wg.Go(func() { runProbe(start, interval, func(uint64) error { return fn() }, p.rec, p.quit, kernel) })
	return p
}

// StartHiccup starts the platform probe.
func StartHiccup(interval time.Duration, workers int) *Probe {
	p := &Probe{rec: newProbeRec(), interval: interval, quit: make(chan struct{})}
	kernel := kernelSleep(workers)
	p.wg.Go(func() { runHiccup(interval, p.rec, p.quit, kernel) })
	return p
}

// Tick closes an interval and returns its maximum and p99 (µs), count and encoded histogram.
func (p *Probe) Tick() (maxUs, p99Us float64, count int64, hist string) {
	p.rec.tick()
	maxUs, p99Us, n := p.rec.lastValues()
	return maxUs, p99Us, int64(n), record.Encode(p.rec.last)
}

// Stop stops the probe and returns its result over its whole run.
func (p *Probe) Stop() *ProbeResult {
	close(p.quit)
	p.wg.Wait()
	return p.rec.result(p.interval)
}
