package record

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Tick is one interval of a run's series.
type Tick struct {
	T      float64            `json:"t_s"` // end of the interval, seconds since the timed phase began
	Values map[string]float64 `json:"values"`
	// Hists are the interval's latency histograms in nanoseconds by name ("all", "probe",
	// a command's name …), encoded by Encode.
	Hists  map[string]string `json:"hists,omitempty"`
	Events []Event           `json:"events,omitempty"`
}

// Event is an instant of the run (an upgrade requested, committed, migrated …).
type Event struct {
	Name string  `json:"name"`
	T    float64 `json:"t_s"`
}

// Encode encodes a histogram for a Tick ("" when empty).
func Encode(h *hdrhistogram.Histogram) string {
	if h == nil || h.TotalCount() == 0 {
		return ""
	}
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "" // only a compressor failure; the tick is still valid without it
	}
	return string(b)
}

// Merge decodes and merges encoded histograms (a window of ticks); empty strings are
// skipped; the result is nil when there was nothing to merge.
func Merge(encoded ...string) (*hdrhistogram.Histogram, error) {
	var out *hdrhistogram.Histogram
	for i, e := range encoded {
		if e == "" {
			continue
		}
		h, err := hdrhistogram.Decode([]byte(e))
		if err != nil {
			return nil, fmt.Errorf("histogram %d: %w", i, err)
		}
		if out == nil {
			out = hdrhistogram.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
		}
		out.Merge(h)
	}
	return out, nil
}

// SeriesWriter writes ticks as JSON lines, one per interval, as they are produced.
type SeriesWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewSeriesWriter writes ticks to w; Flush after each tick that must be visible.
func NewSeriesWriter(w io.Writer) *SeriesWriter {
	bw := bufio.NewWriter(w)
	return &SeriesWriter{w: bw, enc: json.NewEncoder(bw)}
}

// Write writes one tick and flushes it.
func (s *SeriesWriter) Write(t Tick) error {
	if err := s.enc.Encode(t); err != nil {
		return err
	}
	return s.w.Flush()
}

// ErrNotSeries marks a file that is not a series (a record, or another document).
var ErrNotSeries = errors.New("not a series")

// ReadSeries reads a series; line numbers name where it is damaged.
func ReadSeries(r io.Reader) ([]Tick, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	var out []Tick
	for n := 1; sc.Scan(); n++ {
		if len(sc.Bytes()) == 0 {
			continue
		}
		var t Tick
		if err := json.Unmarshal(sc.Bytes(), &t); err != nil {
			return out, fmt.Errorf("line %d: %w", n, err)
		}
		if t.Values == nil {
			return out, fmt.Errorf("line %d: %w (no \"values\")", n, ErrNotSeries)
		}
		out = append(out, t)
	}
	return out, sc.Err()
}

// Column is one value of every tick, NaN where a tick lacks it.
func Column(ticks []Tick, name string) []float64 {
	out := make([]float64, len(ticks))
	for i, t := range ticks {
		out[i] = nan
		if v, ok := t.Values[name]; ok {
			out[i] = v
		}
	}
	return out
}
