package bench

import (
	"sync"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/measure"
	"dustm/stmbench7"
)

// opSet holds one worker's measurements of one interval. The histograms are package
// measure's: per worker and operation since the start (measure.NewHist, allocated only for
// the operations the mix can pick), per category in the interval (measure.NewIntervalHist,
// cheap to clear and merge at every tick).
type opSet struct {
	hist   [stmbench7.NumOpTypes]*hdrhistogram.Histogram // per category
	ok     [stmbench7.NumOps]int64
	failed [stmbench7.NumOps]int64
	maxNs  [stmbench7.NumOps]int64 // exact, unlike the histograms' bucketed maxima
}

func newOpSet() *opSet {
	s := &opSet{}
	for t := range s.hist {
		s.hist[t] = measure.NewIntervalHist()
	}
	return s
}

// reset empties the set for reuse; an untouched histogram is not cleared again.
func (s *opSet) reset() {
	for _, h := range s.hist {
		if h.TotalCount() != 0 {
			h.Reset()
		}
	}
	s.ok, s.failed, s.maxNs = [stmbench7.NumOps]int64{}, [stmbench7.NumOps]int64{}, [stmbench7.NumOps]int64{}
}

// recorder is one worker's measurement state. Only the worker and the collector take its
// mutex (the collector once per interval, for an O(1) swap), so recording costs an
// uncontended lock and never touches memory that other workers write.
type recorder struct {
	// cum is the worker's own per-operation histograms since the start: only the worker
	// touches them until it has stopped, so they need no lock.
	cum [stmbench7.NumOps]*hdrhistogram.Histogram

	mu  sync.Mutex
	cur *opSet
	// Totals since the start, for progress lines.
	ok, failed int64
	_          [64]byte // keep recorders allocated side by side off each other's cache lines
}

func newRecorder(enabled *[stmbench7.NumOps]bool) *recorder {
	r := &recorder{cur: newOpSet()}
	for op, on := range enabled {
		if on {
			r.cum[op] = measure.NewHist()
		}
	}
	return r
}

func (r *recorder) record(op stmbench7.OpID, ns int64, failed bool) {
	ns = min(max(ns, 0), measure.Highest)
	if !failed {
		if h := r.cum[op]; h != nil { // nil only for an operation outside the mix
			_ = h.RecordValue(ns)
		}
	}
	r.mu.Lock()
	s := r.cur
	if failed {
		s.failed[op]++
		r.failed++
	} else {
		s.ok[op]++
		r.ok++
		if ns > s.maxNs[op] {
			s.maxNs[op] = ns
		}
		_ = s.hist[op.Type()].RecordValue(ns)
	}
	r.mu.Unlock()
}

// totals returns the worker's counts so far.
func (r *recorder) totals() (ok, failed int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ok, r.failed
}

// agg is merged measurements of one operation or one category.
type agg struct {
	hist              *hdrhistogram.Histogram
	ok, failed, maxNs int64
}

// record adds one successful operation's latency (to a worker's own: the window's).
func (a *agg) record(ns int64) {
	ns = min(max(ns, 0), measure.Highest)
	_ = a.hist.RecordValue(ns)
	a.ok++
	a.maxNs = max(a.maxNs, ns)
}

func (a *agg) add(ok, failed, maxNs int64) {
	a.ok += ok
	a.failed += failed
	a.maxNs = max(a.maxNs, maxNs)
}

// merge adds h's values to a's histogram, created by newH on first use.
func (a *agg) merge(h *hdrhistogram.Histogram, newH func() *hdrhistogram.Histogram) {
	if h == nil || h.TotalCount() == 0 {
		return
	}
	if a.hist == nil {
		a.hist = newH()
	}
	a.hist.Merge(h)
}

func (a *agg) reset() {
	if a.hist != nil && a.hist.TotalCount() != 0 {
		a.hist.Reset()
	}
	a.ok, a.failed, a.maxNs = 0, 0, 0
}

// percentileNs returns the q-th percentile of the successful operations' latency, 0 if none.
// A histogram reports the top of a value's bucket; it is capped at the exact maximum, so that
// no percentile exceeds the maximum.
func (a *agg) percentileNs(q float64) int64 {
	if a.hist == nil {
		return 0
	}
	return min(a.hist.ValueAtQuantile(q), a.maxNs)
}

// collector merges the workers' measurements. Only one goroutine uses it at a time (the
// ticker during the run, then the main goroutine).
type collector struct {
	recs     []*recorder
	spare    *opSet
	cum      [stmbench7.NumOps]agg     // since the start, per operation (histograms: see final)
	interval [stmbench7.NumOpTypes]agg // the last interval, per category

	allInterval agg // the last interval, all categories (see intervalAll)
}

func newCollector(workers int, enabled *[stmbench7.NumOps]bool) *collector {
	c := &collector{recs: make([]*recorder, workers), spare: newOpSet()}
	for i := range c.recs {
		c.recs[i] = newRecorder(enabled)
	}
	return c
}

// tick closes an interval: it takes every worker's measurements since the previous tick and
// adds them to the cumulative counts and the interval view.
func (c *collector) tick() {
	for t := range c.interval {
		c.interval[t].reset()
	}
	for _, r := range c.recs {
		r.mu.Lock()
		old := r.cur
		r.cur = c.spare
		r.mu.Unlock()
		for op := range stmbench7.OpID(stmbench7.NumOps) {
			if old.ok[op] != 0 || old.failed[op] != 0 {
				c.cum[op].add(old.ok[op], old.failed[op], old.maxNs[op])
				c.interval[op.Type()].add(old.ok[op], old.failed[op], old.maxNs[op])
			}
		}
		for t, h := range old.hist {
			c.interval[t].merge(h, measure.NewIntervalHist)
		}
		old.reset()
		c.spare = old
	}
}

// final merges the workers' per-operation histograms into the cumulative view; call it once,
// after the workers have stopped.
func (c *collector) final() {
	for _, r := range c.recs {
		for op, h := range r.cum {
			c.cum[op].merge(h, measure.NewHist)
		}
	}
}

// intervalAll merges the last interval's categories into one view.
func (c *collector) intervalAll() *agg {
	a := &c.allInterval
	a.reset()
	for t := range c.interval {
		it := &c.interval[t]
		a.add(it.ok, it.failed, it.maxNs)
		a.merge(it.hist, measure.NewIntervalHist)
	}
	return a
}

// totals sums the workers' counts so far, without closing an interval.
func (c *collector) totals() (ok, failed int64) {
	for _, r := range c.recs {
		o, f := r.totals()
		ok += o
		failed += f
	}
	return ok, failed
}

// categories merges the cumulative per-operation views into per-category ones (after final).
func (c *collector) categories() [stmbench7.NumOpTypes]agg {
	var cats [stmbench7.NumOpTypes]agg
	for op := range stmbench7.OpID(stmbench7.NumOps) {
		a := &c.cum[op]
		cats[op.Type()].add(a.ok, a.failed, a.maxNs)
		cats[op.Type()].merge(a.hist, measure.NewHist)
	}
	return cats
}

// ttcHistogram converts a latency histogram into the reference's TTC buckets: each HDR bucket
// goes to the millisecond bucket of its lowest value (HDR buckets are at most half a millisecond
// wide below 1 s, and far narrower than the 3 % buckets above).
func ttcHistogram(h *hdrhistogram.Histogram) [stmbench7.TTCBuckets]int64 {
	var out [stmbench7.TTCBuckets]int64
	if h == nil || h.TotalCount() == 0 {
		return out
	}
	for _, bar := range h.Distribution() {
		if bar.Count != 0 {
			out[stmbench7.TTCBucket(bar.From/1e6)] += bar.Count
		}
	}
	return out
}
