package stmbench7

import "math"

// The reference's TTC histogram (spec §4): one bucket per millisecond from 0 to 999 ms, then
// 200 buckets growing by 3 % from 1000 ms; bucket i >= 1000 is labelled 1000·1.03^(i-1000).
const (
	MaxLowTTC      = 999
	HighTTCEntries = 200
	highTTCLogBase = 1.03
	TTCBuckets     = MaxLowTTC + 1 + HighTTCEntries
)

// TTCBucket returns the reference's bucket of a time to completion of ms milliseconds,
// computed with the reference's expression (BenchThread.runLinear).
func TTCBucket(ms int64) int {
	if ms <= MaxLowTTC {
		return int(max(ms, 0))
	}
	logHigh := (math.Log(float64(ms)) - math.Log(MaxLowTTC+1)) / math.Log(highTTCLogBase)
	return MaxLowTTC + 1 + min(int(logHigh), HighTTCEntries-1)
}

// TTCLabel returns the label the reference prints for a bucket (Benchmark.logTtcIndex2Ttc).
func TTCLabel(bucket int) int64 {
	if bucket <= MaxLowTTC {
		return int64(bucket)
	}
	return int64((MaxLowTTC + 1) * math.Pow(highTTCLogBase, float64(bucket-MaxLowTTC-1)))
}

// RefMaxTTC is the reference's "maxttc" of a maximum latency: the label of its bucket, in ms.
// The reference reads the wall clock in whole milliseconds; we truncate the exact duration.
func RefMaxTTC(maxNs int64) int64 { return TTCLabel(TTCBucket(maxNs / 1e6)) }
