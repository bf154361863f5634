package measure

import (
	"math"

	"dustm/record"
)

// Recovery measures how a series (its ticks' "throughput" and "ops") recovers from a change
// at time t: the level is the mean
// throughput of the intervals that end before t, leaving out the first fifth of them as
// warm-up; recovery is the first interval from t on that starts a run of 3 intervals whose
// mean is within 5% of the level (recoveryS from t to that interval's start, 0 when the
// first one already is), and opsLost the operations short of the level until then. ok is
// false without intervals before t, or when the throughput never recovers.
func Recovery(ticks []record.Tick, t float64) (recoveryS, opsLost float64, ok bool) {
	tp := record.Column(ticks, "throughput")
	start := 0
	for start < len(ticks) && ticks[start].T <= t {
		start++
	}
	pre := tp[:start][start/5:]
	if len(pre) == 0 {
		return 0, 0, false
	}
	level := 0.0
	for _, x := range pre {
		level += x
	}
	level /= float64(len(pre))
	const window = 3
	prevT := t
	if start > 0 {
		prevT = ticks[start-1].T
	}
	lost := 0.0
	for i := start; i+window <= len(ticks); i++ {
		if (tp[i]+tp[i+1]+tp[i+2])/window >= 0.95*level {
			return math.Max(0, prevT-t), lost, true
		}
		lost += level*(ticks[i].T-prevT) - ticks[i].Values["ops"]
		prevT = ticks[i].T
	}
	return 0, 0, false
}
