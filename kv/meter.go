package kv

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/measure"
	"dustm/record"
	"dustm/stm"
	"dustm/stmbench7/bench"
)

// The server's measurement, in the terms of dustm/stmbench7/bench: a latency histogram per
// command (nanoseconds from the command's arrival to its reply appended, server side), kept
// in a few shards that connections share (each under its own mutex), swapped out once per
// interval by the collector in O(1), as bench's workers' recorders are.

// iset is one interval's measurements of a shard, per command index.
type iset struct {
	ok, failed, maxNs []int64
	hist              []*hdrhistogram.Histogram // lazily, two significant digits
}

func newISet(n int) *iset {
	return &iset{ok: make([]int64, n), failed: make([]int64, n), maxNs: make([]int64, n), hist: make([]*hdrhistogram.Histogram, n)}
}

func (s *iset) reset() {
	clear(s.ok)
	clear(s.failed)
	clear(s.maxNs)
	for _, h := range s.hist {
		if h != nil && h.TotalCount() != 0 {
			h.Reset()
		}
	}
}

type recShard struct {
	m   *meter
	mu  sync.Mutex
	cum []*hdrhistogram.Histogram // since the start, three digits, lazily
	cur *iset
	_   [64]byte
}

func (r *recShard) record(id int, d time.Duration, failed bool) {
	ns := min(max(d.Nanoseconds(), 0), int64(time.Hour))
	r.mu.Lock()
	s := r.cur
	if failed {
		s.failed[id]++
	} else {
		s.ok[id]++
		s.maxNs[id] = max(s.maxNs[id], ns)
		if r.cum[id] == nil {
			r.cum[id] = measure.NewHist()
		}
		_ = r.cum[id].RecordValue(ns)
		if s.hist[id] == nil {
			s.hist[id] = measure.NewIntervalHist()
		}
		_ = s.hist[id].RecordValue(ns)
	}
	r.mu.Unlock()
	r.m.completed()
}

// completed tracks the longest time between two completions, at a resolution of 100 µs (the
// shared clock of the last completion is written only when it is older than that).
func (m *meter) completed() {
	e := int64(time.Since(m.start))
	prev := m.lastDone.Load()
	if e-prev > int64(100*time.Microsecond) && m.lastDone.CompareAndSwap(prev, e) && prev != 0 {
		for g := m.maxGap.Load(); e-prev > g && !m.maxGap.CompareAndSwap(g, e-prev); g = m.maxGap.Load() {
		}
	}
}

// cmdAgg is one command's merged measurements.
type cmdAgg struct {
	hist              *hdrhistogram.Histogram
	ok, failed, maxNs int64
}

type meter struct {
	s       *Server
	names   []string // upper case, by index
	idx     map[string]int
	unknown int
	shards  []*recShard
	next    atomic.Uint32
	start   time.Time

	lastDone, maxGap atomic.Int64

	// The collector's (the ticker goroutine's, then end's).
	spare    *iset
	cum      []cmdAgg
	interval []cmdAgg
	prevT    time.Time
	prevAb   uint64
	prevFG   int64
	prevSW   int64
	series   *record.SeriesWriter
	probe    *measure.Probe
	hiccup   *measure.Probe
	rtEnd    func() *measure.Runtime
	quit     chan struct{}
	ticker   sync.WaitGroup
	elapsed  time.Duration
	runtime  *measure.Runtime
	probeR   *measure.Result
	hiccupR  *measure.Result
	heapEnd  uint64
	history  []mark        // the cumulative count of commands at each tick
	ticks    []record.Tick // the series' values, for the record
}

// mark is the number of commands completed by a time since the start.
type mark struct {
	at    time.Duration
	total int64
}

func (s *Server) commandNames() []string {
	var names []string
	for n := range s.specs {
		names = append(names, n)
	}
	for n := range s.admin {
		names = append(names, n)
	}
	slices.Sort(names)
	return append(names, "unknown")
}

func newMeter(names []string) *meter {
	m := &meter{idx: make(map[string]int, len(names)), start: time.Now()}
	for i, n := range names {
		m.idx[n] = i
		m.names = append(m.names, strings.ToUpper(n))
	}
	m.unknown = m.idx["unknown"]
	m.shards = make([]*recShard, 2*runtime.GOMAXPROCS(0))
	for i := range m.shards {
		m.shards[i] = &recShard{m: m, cum: make([]*hdrhistogram.Histogram, len(names)), cur: newISet(len(names))}
	}
	m.spare = newISet(len(names))
	m.cum = make([]cmdAgg, len(names))
	m.interval = make([]cmdAgg, len(names))
	return m
}

func (m *meter) index(name string) int { return m.idx[name] }

// shard returns a recorder shard for a new connection, round robin.
func (m *meter) shard() *recShard { return m.shards[int(m.next.Add(1))%len(m.shards)] }

// begin starts the clock, the probes and the series when the server starts serving.
func (m *meter) begin(s *Server, ctx context.Context) {
	m.s = s
	m.start, m.prevT = time.Now(), time.Now()
	m.lastDone.Store(0)
	procs := runtime.GOMAXPROCS(0) - 1 // leave the probes a processor to sleep on when there is one
	m.hiccup = measure.StartHiccup(s.cfg.ProbeInterval, procs)
	if s.cfg.Probe || s.cfg.Upgrade != "" {
		key := [][]byte{[]byte("dustm:probe")}
		m.probe = measure.StartProbe(time.Now(), s.cfg.ProbeInterval, procs, func(uint64) error {
			return s.store.View(key, false, func(t Txn) error { t.Get("dustm:probe"); return nil })
		})
	}
	if s.cfg.Series != nil {
		m.series = record.NewSeriesWriter(s.cfg.Series)
	}
	m.rtEnd = measure.StartRuntime()
	m.quit = make(chan struct{})
	m.ticker.Go(func() {
		t := time.NewTicker(s.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				m.tick()
			case <-m.quit:
				return
			case <-ctx.Done():
				return
			}
		}
	})
}

// end stops the ticker and the probes, closes the last interval and reads the runtime.
func (m *meter) end() {
	close(m.quit)
	m.ticker.Wait()
	m.elapsed = time.Since(m.start)
	m.tick()
	m.runtime = m.rtEnd()
	m.hiccupR = m.hiccup.Stop()
	if m.probe != nil {
		m.probeR = m.probe.Stop()
	}
	runtime.GC()
	m.heapEnd = measure.HeapInUse()
}

func (a *cmdAgg) add(ok, failed, maxNs int64, h *hdrhistogram.Histogram) {
	a.ok += ok
	a.failed += failed
	a.maxNs = max(a.maxNs, maxNs)
	if h != nil && h.TotalCount() != 0 {
		if a.hist == nil {
			a.hist = measure.NewIntervalHist()
		}
		a.hist.Merge(h)
	}
}

// tick closes an interval: swaps every shard's interval set out, merges it, and writes the
// series line.
func (m *meter) tick() {
	for i := range m.interval {
		a := &m.interval[i]
		if a.hist != nil {
			a.hist.Reset()
		}
		a.ok, a.failed, a.maxNs = 0, 0, 0
	}
	for _, r := range m.shards {
		r.mu.Lock()
		old := r.cur
		r.cur = m.spare
		r.mu.Unlock()
		for id := range old.ok {
			if old.ok[id] != 0 || old.failed[id] != 0 {
				m.cum[id].add(old.ok[id], old.failed[id], old.maxNs[id], nil)
				m.interval[id].add(old.ok[id], old.failed[id], old.maxNs[id], old.hist[id])
			}
		}
		old.reset()
		m.spare = old
	}
	p := m.point()
	m.history = append(m.history, mark{time.Duration(p.T * float64(time.Second)), int64(p.Values["total_ops"] + p.Values["total_failed"])})
	m.ticks = append(m.ticks, record.Tick{T: p.T, Values: p.Values})
	if m.series != nil {
		_ = m.series.Write(p)
	}
}

// throughputAround returns the commands per second before `before` and after `after` (since
// the start), at the resolution of the intervals: the ticks at or before the one, at or after
// the other.
func (m *meter) throughputAround(before, after time.Duration) (float64, float64) {
	var tb, ta float64
	for _, h := range m.history {
		if h.at <= before && h.at > 0 {
			tb = float64(h.total) / h.at.Seconds()
		}
	}
	if n := len(m.history); n > 0 {
		last := m.history[n-1]
		for _, h := range m.history {
			if h.at >= after && last.at > h.at {
				ta = float64(last.total-h.total) / (last.at - h.at).Seconds()
				break
			}
		}
	}
	return tb, ta
}

// point is the series' tick of the interval just closed.
func (m *meter) point() record.Tick {
	now := time.Now()
	p := record.Tick{T: now.Sub(m.start).Seconds(), Values: map[string]float64{}, Hists: map[string]string{}}
	v := p.Values
	all := cmdAgg{}
	for id := range m.interval {
		a := &m.interval[id]
		v["total_ops"] += float64(m.cum[id].ok)
		v["total_failed"] += float64(m.cum[id].failed)
		if a.ok == 0 && a.failed == 0 {
			continue
		}
		v["ops"] += float64(a.ok)
		v["failed"] += float64(a.failed)
		c := "cmd." + m.names[id] + "."
		v[c+"ops"], v[c+"failed"], v[c+"max_us"], v[c+"p99_us"] = float64(a.ok), float64(a.failed), float64(a.maxNs)/1e3, a.p99Us()
		all.add(a.ok, a.failed, a.maxNs, a.hist)
	}
	v["max_us"], v["p99_us"] = float64(all.maxNs)/1e3, all.p99Us()
	if e := record.Encode(all.hist); e != "" {
		p.Hists["all"] = e
	}
	v["hiccup_max_us"], _, _, _ = m.hiccup.Tick()
	if m.probe != nil {
		maxUs, p99Us, count, hist := m.probe.Tick()
		v["probe_max_us"], v["probe_p99_us"], v["probe_count"] = maxUs, p99Us, float64(count)
		if hist != "" {
			p.Hists["probe"] = hist
		}
	}
	if st, ok := m.s.stmStats(); ok {
		a := st.Aborts()
		measure.SetNonZero(v, "aborts", float64(a-m.prevAb))
		m.prevAb = a
	}
	fg, sw, total, events := m.s.upg.progress(m.start)
	measure.SetNonZero(v, "converted_foreground", float64(fg-m.prevFG))
	measure.SetNonZero(v, "converted_sweeper", float64(sw-m.prevSW))
	measure.SetNonZero(v, "converted_total", float64(total))
	m.prevFG, m.prevSW = fg, sw
	p.Events = events
	v["heap_bytes"] = float64(measure.HeapInUse())
	if d := now.Sub(m.prevT).Seconds(); d > 0 {
		v["throughput"] = v["ops"] / d
	}
	m.prevT = now
	return p
}

// p99Us is the 99th percentile of the latencies (µs), capped at their exact maximum.
func (a *cmdAgg) p99Us() float64 {
	if a.hist == nil {
		return 0
	}
	return float64(min(a.hist.ValueAtQuantile(99), a.maxNs)) / 1e3
}

func (s *Server) stmStats() (stm.Stats, bool) {
	switch st := s.store.(type) {
	case *stmStore:
		return st.s.Stats(), true
	case *plainStore:
		return st.s.Stats(), true
	}
	return stm.Stats{}, false
}

// operations returns the per-command results and all commands together, from the shards'
// cumulative histograms (after end).
func (m *meter) operations() (map[string]bench.OpResult, *bench.OpResult) {
	ops := map[string]bench.OpResult{}
	all := cmdAgg{}
	for id, name := range m.names {
		c := m.cum[id]
		if c.ok == 0 && c.failed == 0 {
			continue
		}
		var h *hdrhistogram.Histogram
		for _, r := range m.shards {
			if r.cum[id] != nil {
				if h == nil {
					h = measure.NewHist()
				}
				h.Merge(r.cum[id])
			}
		}
		ops[name] = bench.OpResultOf(h, c.ok, c.failed, c.maxNs, false)
		if h != nil {
			if all.hist == nil {
				all.hist = measure.NewHist()
			}
			all.hist.Merge(h)
		}
		all.ok, all.failed, all.maxNs = all.ok+c.ok, all.failed+c.failed, max(all.maxNs, c.maxNs)
	}
	r := bench.OpResultOf(all.hist, all.ok, all.failed, all.maxNs, true)
	return ops, &r
}
