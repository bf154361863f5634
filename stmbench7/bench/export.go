package bench

import "github.com/HdrHistogram/hdrhistogram-go"

// OpResultOf summarizes ok successful operations whose latencies (ns) h holds, with their
// exact maximum, and failed ones; curve adds the percentile curve: for other applications'
// runners (the kv server, package dustm/kv) that name their values as a bench run's.
func OpResultOf(h *hdrhistogram.Histogram, ok, failed, maxNs int64, curve bool) OpResult {
	a := &agg{hist: h, ok: ok, failed: failed, maxNs: maxNs}
	r := opResult(a)
	if curve {
		r.Percentiles = percentileCurve(a)
	}
	return r
}
