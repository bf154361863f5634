package bench

import (
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// timing follows what the workers' operations reveal about pauses: the gaps during which no
// operation completed (a stopped world shows as one), and the latency of the operations that
// complete in a one-second window (after an upgrade's commit, or at the same time in a run
// without an upgrade, for comparison).
type timing struct {
	start time.Time
	// lastDone is when the latest operation completed, in nanoseconds since start.
	lastDone atomic.Int64
	// winStart opens the window, in nanoseconds since start (-1: closed).
	winStart atomic.Int64

	mu   sync.Mutex
	gaps []gap // the gaps longer than gapThreshold
}

// WindowLength is the length of the latency window.
const WindowLength = time.Second

// gapThreshold is the shortest gap worth remembering: shorter ones are scheduling noise.
const gapThreshold = time.Millisecond

func newTiming() *timing {
	t := &timing{}
	t.winStart.Store(-1)
	return t
}

func (t *timing) begin(start time.Time) { t.start = start }

// openWindow starts the latency window at `at` since the start.
func (t *timing) openWindow(at time.Duration) { t.winStart.Store(int64(at)) }

// completed notes an operation that ended at `end` since the start and took ns.
func (t *timing) completed(end time.Duration, ns int64, failed bool, w *window) {
	prev := time.Duration(t.lastDone.Swap(int64(end)))
	if end-prev > gapThreshold {
		t.mu.Lock()
		t.gaps = append(t.gaps, gap{from: prev, to: end})
		t.mu.Unlock()
	}
	if failed {
		return
	}
	if ws := time.Duration(t.winStart.Load()); ws >= 0 && end >= ws && end < ws+WindowLength {
		w.record(ns)
	}
}

// allGaps returns the gaps seen, including the one from the last completion to the end.
func (t *timing) allGaps(elapsed time.Duration) []gap {
	t.mu.Lock()
	defer t.mu.Unlock()
	g := append([]gap(nil), t.gaps...)
	if last := time.Duration(t.lastDone.Load()); elapsed-last > gapThreshold {
		g = append(g, gap{from: last, to: elapsed})
	}
	return g
}

// window is one worker's latencies in the window; only the worker writes it until the end.
type window struct {
	hist  *hdrhistogram.Histogram
	maxNs int64
}

func newWindow() window { return window{hist: newIntervalHist()} }

func (w *window) record(ns int64) {
	ns = min(max(ns, 0), histHighest)
	_ = w.hist.RecordValue(ns)
	w.maxNs = max(w.maxNs, ns)
}

// WindowResult is the latency of the operations that completed in the window.
type WindowResult struct {
	StartS float64 `json:"start_s"`
	EndS   float64 `json:"end_s"`
	Ops    int64   `json:"ops"`
	MaxUs  float64 `json:"max_us"`
	P99Us  float64 `json:"p99_us"`
}

func (t *timing) windowResult(workers []*worker) *WindowResult {
	ws := time.Duration(t.winStart.Load())
	if ws < 0 {
		return nil
	}
	var a agg
	for _, w := range workers {
		a.add(w.win.hist.TotalCount(), 0, w.win.maxNs)
		a.merge(w.win.hist, newIntervalHist)
	}
	return &WindowResult{StartS: ws.Seconds(), EndS: (ws + WindowLength).Seconds(), Ops: a.ok,
		MaxUs: float64(a.maxNs) / 1e3, P99Us: float64(a.percentileNs(99)) / 1e3}
}

// maxGap returns the longest gap.
func maxGap(gaps []gap) time.Duration {
	var m time.Duration
	for _, g := range gaps {
		m = max(m, g.to-g.from)
	}
	return m
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

// heapInUse reads the bytes of live and not yet swept heap objects, without stopping the world
// (runtime.ReadMemStats would).
func heapInUse() uint64 {
	s := []metrics.Sample{heapSample[0]}
	metrics.Read(s)
	if s[0].Value.Kind() == metrics.KindUint64 {
		return s[0].Value.Uint64()
	}
	return 0
}
