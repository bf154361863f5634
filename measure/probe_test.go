package measure

import (
	"math"
	"runtime/metrics"
	"testing"
	"testing/synctest"
	"time"
)

// A probe held up by a stall is charged its wait: the open-loop schedule makes the probes due
// during the stall start late, and each one's latency counts from when it was due.
//
// In a synctest bubble the clock is the bubble's: the stall and the schedule are exact, so the
// test says the same on a loaded machine.
func TestRunProbeOpenLoop(t *testing.T) { synctest.Test(t, testRunProbeOpenLoop) }

func testRunProbeOpenLoop(t *testing.T) {
	const stall = 30 * time.Millisecond
	rec := newRec()
	quit := make(chan struct{})
	calls := make(chan uint64, 1000)
	fn := func(k uint64) error {
		if k == 0 {
			time.Sleep(stall)
		}
		calls <- k
		return nil
	}
	done := make(chan struct{})
	go func() { runProbe(time.Now(), time.Millisecond, fn, rec, quit, false); close(done) }()
	for k := range calls {
		if k >= 10 {
			break
		}
	}
	close(quit)
	<-done
	// Probe k is due at (k+1) ms and cannot start before probe 0 returned, after (1 ms +
	// stall): it waited at least stall - k ms. So probes 0..4 all took at least stall - 5 ms.
	if got := rec.cum.Max(); got < int64(stall) {
		t.Errorf("max %v, want at least the stall %v", time.Duration(got), stall)
	}
	above := rec.cum.TotalCount() - countBelow(rec, int64(stall-5*time.Millisecond))
	if above < 5 {
		t.Errorf("%d probes charged at least %v, want at least 5 (coordinated omission)", above, stall-5*time.Millisecond)
	}
	if rec.cum.TotalCount() < 11 {
		t.Errorf("%d probes recorded, want at least 11", rec.cum.TotalCount())
	}
}

func countBelow(rec *rec, ns int64) int64 {
	var n int64
	for _, b := range rec.cum.Distribution() {
		if b.To < ns {
			n += b.Count
		}
	}
	return n
}

// The interval histograms: tick hands the interval over and starts an empty one.
func TestProbeRecTick(t *testing.T) {
	rec := newRec()
	rec.record(5000, 0)
	rec.record(7000, 0)
	rec.tick()
	if rec.last.TotalCount() != 2 || rec.lastMax != 7000 {
		t.Errorf("last interval: %d values, max %d; want 2, 7000", rec.last.TotalCount(), rec.lastMax)
	}
	rec.tick()
	if rec.last.TotalCount() != 0 || rec.lastMax != 0 {
		t.Errorf("an empty interval has %d values, max %d", rec.last.TotalCount(), rec.lastMax)
	}
	if rec.cum.TotalCount() != 2 {
		t.Errorf("cumulative %d values, want 2", rec.cum.TotalCount())
	}
	// A corrected value adds the values the stall swallowed (jHiccup's correction).
	rec.record(int64(10*time.Millisecond), int64(time.Millisecond))
	if got := rec.cum.TotalCount(); got != 2+10 {
		t.Errorf("after a corrected 10 ms value at 1 ms: %d values, want 12", got)
	}
}

func TestHistMaxSince(t *testing.T) {
	a := &metrics.Float64Histogram{Counts: []uint64{1, 2, 0}, Buckets: []float64{0, 1, 2, math.Inf(1)}}
	b := &metrics.Float64Histogram{Counts: []uint64{3, 2, 0}, Buckets: a.Buckets}
	if got := histMaxSince(a, b); got != 1 {
		t.Errorf("only bucket 0 grew: max %v, want its upper bound 1", got)
	}
	c := &metrics.Float64Histogram{Counts: []uint64{3, 2, 1}, Buckets: a.Buckets}
	if got := histMaxSince(a, c); got != 2 {
		t.Errorf("the unbounded bucket grew: max %v, want its lower bound 2", got)
	}
	if got := histMaxSince(a, a); got != 0 {
		t.Errorf("nothing grew: %v", got)
	}
}
