package measure

import (
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histograms record nanoseconds from 1 ns to one hour (a longer operation is recorded
// as one hour). Two precisions:
//
//   - since the start, three significant digits (0.1 %): the final percentiles and STMBench7's
//     millisecond TTC histograms (1-ms buckets up to 1 s need that precision). One takes
//     about 270 KB.
//   - one interval of a series, two significant digits (1 %): enough for a time series of
//     percentiles, and eight times cheaper to clear and merge at every tick.
const (
	lowest         = 1
	Highest        = int64(time.Hour)
	digits         = 3
	intervalDigits = 2
)

// NewHist is a histogram since the start.
func NewHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowest, Highest, digits)
}

// NewIntervalHist is a histogram of one interval of a series.
func NewIntervalHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(lowest, Highest, intervalDigits)
}
