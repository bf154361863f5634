// Package measure is what any application's runner measures beside its own operations,
// shared by dustm bench (STMBench7) and dustm kv serve: latency histograms, the
// responsiveness and platform probes, and the Go runtime's statistics over a run.
package measure

import (
	"context"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/record"
)

// Two probes run beside the workers, each on its own goroutine, at a fixed rate:
//
//   - the responsiveness probe (--probe) starts the backend's tiny read-only transaction
//     (stmbench7.Prober) on an open-loop schedule: the i-th one is due at start + i·interval,
//     whatever happened to the ones before, and its latency is measured from when it was due.
//     A probe that could not start on time because the previous one was stuck (a stopped
//     world, a long lock hold, a collector pause) is charged the time it waited to start, so
//     the histogram is free of coordinated omission: it is what a client asking every
//     interval would have waited;
//   - the platform probe, in the spirit of jHiccup, sleeps an interval and records how much
//     longer than asked the sleep took: the hiccups of the machine, the OS scheduler and the
//     Go runtime (its timers, its collector's pauses) that every other number of the run
//     includes. A hiccup is recorded corrected for the sleeps it made impossible, as jHiccup
//     does (RecordCorrectedValue with the interval as the expected one).
//
// Latencies are in nanoseconds, in histograms of the same range as the operations'.

// rec is one probe's measurements: since the start (3 digits, for the result) and in the
// current interval (2 digits, for the series). The probe's goroutine records; the ticker swaps
// the interval's histogram out under mu.
type rec struct {
	cum *hdrhistogram.Histogram // only the probe's goroutine touches it until it has stopped

	mu     sync.Mutex
	cur    *hdrhistogram.Histogram
	curMax int64
	spare  *hdrhistogram.Histogram
	// last is the interval the ticker swapped out, with its maximum.
	last    *hdrhistogram.Histogram
	lastMax int64
}

func newRec() *rec {
	return &rec{cum: NewHist(), cur: NewIntervalHist(), spare: NewIntervalHist(), last: NewIntervalHist()}
}

// record adds one latency; with expected > 0 it also adds the values a stall of ns swallowed
// (RecordCorrectedValue; with 0 it records the value alone).
func (p *rec) record(ns, expected int64) {
	ns = min(max(ns, 0), Highest)
	_ = p.cum.RecordCorrectedValue(ns, expected)
	p.mu.Lock()
	_ = p.cur.RecordCorrectedValue(ns, expected)
	p.curMax = max(p.curMax, ns)
	p.mu.Unlock()
}

// tick closes an interval: afterwards last is that interval's.
func (p *rec) tick() {
	p.spare.Reset()
	p.mu.Lock()
	p.last, p.cur, p.spare = p.cur, p.spare, p.last
	p.lastMax, p.curMax = p.curMax, 0
	p.mu.Unlock()
}

// Result is a probe's latency over the run, in microseconds ("probe" and "hiccup" in the
// result). For the responsiveness probe it is the time from when a probe was due to when its
// transaction returned; for the platform probe the oversleep of each interval's sleep.
type Result struct {
	Count                       int64
	MaxUs, P50Us, P99Us, P999Us float64
}

// result is the probe's measurements over its whole run.
func (p *rec) result() *Result {
	h := p.cum
	us := func(q float64) float64 { return float64(min(h.ValueAtQuantile(q), h.Max())) / 1e3 }
	return &Result{Count: h.TotalCount(), MaxUs: float64(h.Max()) / 1e3, P50Us: us(50), P99Us: us(99), P999Us: us(99.9)}
}

// Calibration is the platform probe's oversleep while it ran alone, before the
// structure was built (--calibration; "calibration" in the result): the idle platform's
// hiccups, measured by the same binary, with the same runtime settings and sleeping the same
// way as the run's probes, against which the run's probe maxima are judged.
type Calibration struct {
	DurationS float64
	Result
}

// Calibrate runs the platform probe alone for length (less if ctx is cancelled), as the run
// will with workers worker threads.
func Calibrate(ctx context.Context, length, interval time.Duration, workers int) *Calibration {
	start := time.Now()
	p := StartHiccup(interval, workers)
	t := time.NewTimer(length)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	return &Calibration{DurationS: time.Since(start).Seconds(), Result: *p.Stop()}
}

// runProbe calls fn on the open-loop schedule start + i·interval until quit is closed; rec
// gets each call's latency from when it was due (an error is recorded all the same). A late
// call is made at once, so after a stall the probes it held up run back to back, each
// charged its own wait.
func runProbe(start time.Time, interval time.Duration, fn func(k uint64) error, rec *rec, quit <-chan struct{}, kernel bool) {
	for k := uint64(0); ; k++ {
		due := start.Add(time.Duration(k+1) * interval)
		if !sleepUntil(due, quit, kernel) {
			return
		}
		_ = fn(k)
		rec.record(int64(time.Since(due)), 0)
	}
}

// runHiccup sleeps interval after interval until quit is closed and records each oversleep,
// corrected for the sleeps a long one swallowed.
func runHiccup(interval time.Duration, rec *rec, quit <-chan struct{}, kernel bool) {
	for {
		t0 := time.Now()
		if !sleepUntil(t0.Add(interval), quit, kernel) {
			return
		}
		rec.record(int64(time.Since(t0)-interval), int64(interval))
	}
}

// Probe is a running probe: the responsiveness probe (StartProbe) or the platform's hiccup
// probe (StartHiccup), as dustm bench's --probe and hiccup.
type Probe struct {
	rec  *rec
	quit chan struct{}
	wg   sync.WaitGroup
}

// StartProbe calls fn (with the probe's index) every interval on an open-loop schedule from
// start and records each call's latency from when it was due. workers is how many processors
// the program keeps busy (the probe sleeps in the kernel when one is left to spare).
func StartProbe(start time.Time, interval time.Duration, workers int, fn func(k uint64) error) *Probe {
	p, kernel := &Probe{rec: newRec(), quit: make(chan struct{})}, KernelSleep(workers)
	p.wg.Go(func() { runProbe(start, interval, fn, p.rec, p.quit, kernel) })
	return p
}

// StartHiccup starts the platform probe.
func StartHiccup(interval time.Duration, workers int) *Probe {
	p, kernel := &Probe{rec: newRec(), quit: make(chan struct{})}, KernelSleep(workers)
	p.wg.Go(func() { runHiccup(interval, p.rec, p.quit, kernel) })
	return p
}

// Tick closes an interval and returns its maximum and p99 (µs), count and encoded histogram.
func (p *Probe) Tick() (maxUs, p99Us float64, count int64, hist string) {
	r := p.rec
	r.tick()
	return float64(r.lastMax) / 1e3, float64(min(r.last.ValueAtQuantile(99), r.lastMax)) / 1e3, r.last.TotalCount(), record.Encode(r.last)
}

// Stop stops the probe and returns its result over its whole run; Tick may still close the
// last interval.
func (p *Probe) Stop() *Result {
	close(p.quit)
	p.wg.Wait()
	return p.rec.result()
}
