package bench

import (
	"slices"
	"sync/atomic"
	"time"

	"dustm/measure"
)

// timing follows what the workers' operations reveal about pauses: the gaps during which no
// operation completed (a stopped world shows as one), and the latency of the operations that
// complete in a one-second window (after an upgrade's commit, or at the same time in a run
// without an upgrade, for comparison).
//
// Each worker notes its own idle spans; the gaps of the whole run are where they all overlap
// (see allGaps), so the operations' hot path writes nothing that other workers write.
type timing struct {
	start time.Time
	// winStart opens the window, in nanoseconds since start (-1: closed).
	winStart atomic.Int64
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

// completed notes one worker's operation that ended at `end` since the start and took ns.
func (t *timing) completed(end time.Duration, ns int64, failed bool, idle *idleSpans, w *agg) {
	idle.completed(end)
	if failed {
		return
	}
	if ws := time.Duration(t.winStart.Load()); ws >= 0 && end >= ws && end < ws+WindowLength {
		w.record(ns)
	}
}

// idleSpans are one worker's spans longer than gapThreshold without a completed operation.
type idleSpans struct {
	last  time.Duration // the latest completion, since the start
	spans []gap
}

func (s *idleSpans) completed(end time.Duration) {
	if end-s.last > gapThreshold {
		s.spans = append(s.spans, gap{from: s.last, to: end})
	}
	s.last = end
}

// until returns the spans with the one from the last completion to the end of the run.
func (s *idleSpans) until(elapsed time.Duration) []gap {
	g := slices.Clone(s.spans)
	if elapsed-s.last > gapThreshold {
		g = append(g, gap{from: s.last, to: elapsed})
	}
	return g
}

// allGaps returns the gaps of the run, up to its end, in order: the spans longer than
// gapThreshold in which no worker completed an operation. Such a span lies inside an idle span
// of every worker, each then longer than the threshold too, so intersecting the workers'
// spans finds every one.
func allGaps(workers []*worker, elapsed time.Duration) []gap {
	if len(workers) == 0 {
		return nil
	}
	common := workers[0].idle.until(elapsed)
	for _, w := range workers[1:] {
		common = intersectSpans(common, w.idle.until(elapsed))
	}
	return slices.DeleteFunc(common, func(g gap) bool { return g.to-g.from <= gapThreshold })
}

// intersectSpans intersects two ordered lists of disjoint spans.
func intersectSpans(a, b []gap) []gap {
	var out []gap
	for i, j := 0, 0; i < len(a) && j < len(b); {
		from, to := max(a[i].from, b[j].from), min(a[i].to, b[j].to)
		if from < to {
			out = append(out, gap{from: from, to: to})
		}
		if a[i].to < b[j].to {
			i++
		} else {
			j++
		}
	}
	return out
}

// newWindow is one worker's latencies in the window; only the worker writes it until the end.
func newWindow() agg { return agg{hist: measure.NewIntervalHist()} }

// WindowResult is the latency of the operations that completed in the window.
type WindowResult struct {
	StartS, EndS, MaxUs, P99Us float64
	Ops                        int64
}

func (t *timing) windowResult(workers []*worker) *WindowResult {
	ws := time.Duration(t.winStart.Load())
	if ws < 0 {
		return nil
	}
	var a agg
	for _, w := range workers {
		a.add(w.win.ok, 0, w.win.maxNs)
		a.merge(w.win.hist, measure.NewIntervalHist)
	}
	return &WindowResult{StartS: ws.Seconds(), EndS: (ws + WindowLength).Seconds(), Ops: a.ok,
		MaxUs: us(a.maxNs), P99Us: us(a.percentileNs(99))}
}

// maxGap returns the longest gap.
func maxGap(gaps []gap) time.Duration {
	var m time.Duration
	for _, g := range gaps {
		m = max(m, g.to-g.from)
	}
	return m
}
