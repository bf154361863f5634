package bench

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestAllGapsMatchesOneTimeline checks the per-worker gap bookkeeping against the definition:
// merge every completion of every worker into one timeline and take the spans between
// consecutive completions (and from the start, and to the end) longer than the threshold.
func TestAllGapsMatchesOneTimeline(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for trial := range 2000 {
		elapsed := time.Duration(20+r.IntN(200)) * time.Millisecond
		workers := make([]*worker, 1+r.IntN(4))
		var all []time.Duration
		for i := range workers {
			w := &worker{}
			var at time.Duration
			for {
				// Mostly short steps, sometimes a stall of a few milliseconds.
				step := time.Duration(r.IntN(400)) * time.Microsecond
				if r.IntN(20) == 0 {
					step = time.Duration(r.IntN(8000)) * time.Microsecond
				}
				if at += step; at >= elapsed {
					break
				}
				w.idle.completed(at)
				all = append(all, at)
			}
			workers[i] = w
		}
		slices.Sort(all)
		var want []gap
		prev := time.Duration(0)
		for _, at := range append(all, elapsed) {
			if at-prev > gapThreshold {
				want = append(want, gap{from: prev, to: at})
			}
			prev = at
		}
		if got := allGaps(workers, elapsed); !slices.Equal(got, want) {
			t.Fatalf("trial %d: gaps %v, want %v", trial, got, want)
		}
	}
}
