package bench

import (
	"context"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/internal/settings"
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

// DefaultProbeInterval is the probes' period unless --probe-interval says otherwise.
const DefaultProbeInterval = settings.DefaultProbeInterval

// probeRec is one probe's measurements: since the start (3 digits, for the result) and in the
// current interval (2 digits, for the series). The probe's goroutine records; the ticker swaps
// the interval's histogram out under mu.
type probeRec struct {
	cum *hdrhistogram.Histogram // only the probe's goroutine touches it until it has stopped

	mu     sync.Mutex
	cur    *hdrhistogram.Histogram
	curMax int64
	spare  *hdrhistogram.Histogram

	errs int64 // probes whose transaction returned an error (recorded all the same)
	// last is the interval the ticker swapped out, with its maximum.
	last    *hdrhistogram.Histogram
	lastMax int64
}

func newProbeRec() *probeRec {
	return &probeRec{cum: newHist(), cur: newIntervalHist(), spare: newIntervalHist(), last: newIntervalHist()}
}

// record adds one latency; with expected > 0 it also adds the values a stall of ns swallowed
// (RecordCorrectedValue).
func (p *probeRec) record(ns, expected int64) {
	ns = min(max(ns, 0), histHighest)
	if expected > 0 {
		_ = p.cum.RecordCorrectedValue(ns, expected)
	} else {
		_ = p.cum.RecordValue(ns)
	}
	p.mu.Lock()
	if expected > 0 {
		_ = p.cur.RecordCorrectedValue(ns, expected)
	} else {
		_ = p.cur.RecordValue(ns)
	}
	p.curMax = max(p.curMax, ns)
	p.mu.Unlock()
}

// tick closes an interval: afterwards p.last and p.lastMax hold it.
func (p *probeRec) tick() {
	p.spare.Reset()
	p.mu.Lock()
	p.last, p.cur, p.spare = p.cur, p.spare, p.last
	p.lastMax, p.curMax = p.curMax, 0
	p.mu.Unlock()
}

// lastValues are the last interval's maximum and 99th percentile (µs), and its count.
func (p *probeRec) lastValues() (maxUs, p99Us, count float64) {
	return us(p.lastMax), us(min(p.last.ValueAtQuantile(99), p.lastMax)), float64(p.last.TotalCount())
}

// ProbeResult is a probe's latency over the run, in microseconds ("probe" and "hiccup" in the
// result). For the responsiveness probe it is the time from when a probe was due to when its
// transaction returned; for the platform probe the oversleep of each interval's sleep.
type ProbeResult struct {
	IntervalUs float64 `json:"interval_us"`
	Count      int64   `json:"count"`
	MaxUs      float64 `json:"max_us"`
	P50Us      float64 `json:"p50_us"`
	P99Us      float64 `json:"p99_us"`
	P999Us     float64 `json:"p999_us"`
	MeanUs     float64 `json:"mean_us"`
	// Errors counts the probe transactions that returned an error (a failed conversion).
	Errors int64 `json:"errors,omitempty"`
}

func (p *probeRec) result(interval time.Duration) *ProbeResult {
	h := p.cum
	us := func(q float64) float64 { return float64(min(h.ValueAtQuantile(q), h.Max())) / 1e3 }
	return &ProbeResult{
		IntervalUs: float64(interval) / 1e3,
		Count:      h.TotalCount(),
		MaxUs:      float64(h.Max()) / 1e3,
		P50Us:      us(50),
		P99Us:      us(99),
		P999Us:     us(99.9),
		MeanUs:     h.Mean() / 1e3,
		Errors:     p.errs,
	}
}

// CalibrationResult is the platform probe's oversleep while it ran alone, before the
// structure was built (--calibration; "calibration" in the result): the idle platform's
// hiccups, measured by the same binary, with the same runtime settings and sleeping the same
// way as the run's probes, against which the run's probe maxima are judged.
type CalibrationResult struct {
	DurationS float64 `json:"duration_s"`
	ProbeResult
}

// calibrate runs the platform probe alone for length (less if ctx is cancelled), as the run
// will with workers worker threads.
func calibrate(ctx context.Context, length, interval time.Duration, workers int) *CalibrationResult {
	rec, quit, kernel := newProbeRec(), make(chan struct{}), kernelSleep(workers)
	var wg sync.WaitGroup
	start := time.Now()
	wg.Go(func() { runHiccup(interval, rec, quit, kernel) })
	t := time.NewTimer(length)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	close(quit)
	wg.Wait()
	return &CalibrationResult{DurationS: time.Since(start).Seconds(), ProbeResult: *rec.result(interval)}
}

// runProbe calls fn on the open-loop schedule start + i·interval until quit is closed; rec
// gets each call's latency from when it was due. A late call is made at once, so after a
// stall the probes it held up run back to back, each charged its own wait.
func runProbe(start time.Time, interval time.Duration, fn func(k uint64) error, rec *probeRec, quit <-chan struct{}, kernel bool) {
	for k := uint64(0); ; k++ {
		due := start.Add(time.Duration(k+1) * interval)
		if !sleepUntil(due, quit, kernel) {
			return
		}
		err := fn(k)
		ns := int64(time.Since(due))
		if err != nil {
			rec.errs++
		}
		rec.record(ns, 0)
	}
}

// runHiccup sleeps interval after interval until quit is closed and records each oversleep,
// corrected for the sleeps a long one swallowed.
func runHiccup(interval time.Duration, rec *probeRec, quit <-chan struct{}, kernel bool) {
	for {
		t0 := time.Now()
		if !sleepUntil(t0.Add(interval), quit, kernel) {
			return
		}
		rec.record(int64(time.Since(t0)-interval), int64(interval))
	}
}
