// Package record is the one record of a run, whatever the application measured: a
// STMBench7 run (dustm bench), a key-value server run (dustm kv serve) or a micro-benchmark.
//
// Design, after golang.org/x/perf/benchfmt's Result and cockroach's workload histograms:
//
//   - A Record is the run's configuration as ordered key=value pairs, its measured values by
//     metric name, and the definition of every metric it carries (name, unit, meaning, which
//     direction is better). A metric is defined once, by the code that produces it; readers
//     (summaries, comparisons, figures, claims) take any metric by name from the record
//     itself and need no table of their own.
//   - The series is one Tick per interval: the interval's values by metric name, its latency
//     histograms (HDR, V2 compressed, base64) by name, and the instants that fell in it. Any
//     percentile of any window is recomputed by merging the ticks' histograms (Merge).
//   - A record is written once, atomically, through Write; the series line by line through a
//     SeriesWriter. The application's own text report is not part of the record.
//
// The package is a leaf: it imports neither the STM nor any application.
package record

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
)

// Schema is the version of the record's JSON document. Results of schema 1 and 2 (the
// application-shaped documents written before the record) are converted by
// scripts/convert-results.
const Schema = 3

// Better says which direction of a metric is an improvement.
type Better int8

const (
	Neither Better = iota // a count, an instant, a setting-like value
	Higher                // throughput, speedup
	Lower                 // latency, pause, memory
)

// Metric is the definition of one measured value. Name may hold one "{}" standing for one
// dot-free segment (a family: "cat.{}.max_us" defines every category's maximum); Doc may then
// hold "{}" too, replaced by that segment.
type Metric struct {
	Name   string `json:"name"`
	Unit   string `json:"unit,omitempty"`
	Doc    string `json:"doc"`
	Better Better `json:"better,omitempty"`
}

// Matches reports whether name is this metric or a member of its family; seg is the segment
// "{}" stands for.
func (m Metric) Matches(name string) (seg string, ok bool) {
	pre, post, family := strings.Cut(m.Name, "{}")
	if !family {
		return "", name == m.Name
	}
	if len(name) <= len(pre)+len(post) || !strings.HasPrefix(name, pre) || !strings.HasSuffix(name, post) {
		return "", false
	}
	seg = name[len(pre) : len(name)-len(post)]
	return seg, !strings.Contains(seg, ".")
}

// Lookup finds the definition of name among defs (an exact name before a family), with the
// family's segment substituted into its Doc.
func Lookup(defs []Metric, name string) (Metric, bool) {
	var family *Metric
	var seg string
	for i := range defs {
		s, ok := defs[i].Matches(name)
		if ok && s == "" {
			return defs[i], true
		}
		if ok && family == nil {
			family, seg = &defs[i], s
		}
	}
	if family == nil {
		return Metric{Name: name}, false
	}
	m := *family
	m.Name, m.Doc = name, strings.ReplaceAll(m.Doc, "{}", seg)
	return m, true
}

// Pair is one setting of a run's configuration.
type Pair struct{ Key, Value string }

// Config is a run's configuration: ordered key=value pairs, written as a JSON object in that
// order.
type Config []Pair

// Get returns the value of key.
func (c Config) Get(key string) (string, bool) {
	for _, p := range c {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// String is the configuration as benchfmt writes a name: "k1=v1 k2=v2".
func (c Config) String() string {
	var b strings.Builder
	for i, p := range c {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.Key + "=" + p.Value)
	}
	return b.String()
}

// MarshalJSON writes the pairs as one object, in order.
func (c Config) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range c {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.Key)
		v, _ := json.Marshal(p.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of strings, keeping its order; a key given twice is an error.
func (c *Config) UnmarshalJSON(data []byte) error {
	seen := map[string]bool{}
	out, err := readObject(data, "not a JSON object of strings", func(k string, raw json.RawMessage) (string, error) {
		var v string
		if err := json.Unmarshal(raw, &v); err != nil {
			return "", fmt.Errorf("config: %q: the value must be a string: %w", k, err)
		} else if seen[k] {
			return "", fmt.Errorf("config: %q given twice", k)
		}
		seen[k] = true
		return v, nil
	})
	if err == nil {
		*c = out
	}
	return err
}

// readObject reads a JSON object's members as pairs, in order, each value through val.
func readObject(obj []byte, notObject string, val func(string, json.RawMessage) (string, error)) (Config, error) {
	d := json.NewDecoder(bytes.NewReader(obj))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("config: %s", notObject)
	}
	var out Config
	for d.More() {
		kt, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		k := kt.(string)
		var raw json.RawMessage
		if err := d.Decode(&raw); err != nil {
			return nil, fmt.Errorf("config: %q: %w", k, err)
		}
		v, err := val(k, raw)
		if err != nil {
			return nil, err
		}
		out = append(out, Pair{k, v})
	}
	return out, nil
}

// Record is everything one run measured.
type Record struct {
	Schema int    `json:"schema"`
	App    string `json:"app"` // "stmbench7", "kv", "micro"
	Config Config `json:"config"`
	// Env is where the run ran: Go version, OS, CPU, GOMAXPROCS, commit, …
	Env Config `json:"env,omitempty"`
	// Values is what the run measured, by metric name; Metrics defines every one of them.
	Values  map[string]float64 `json:"values"`
	Metrics []Metric           `json:"metrics"`
	// Error is the error that stopped the run early; Interrupted a run cut short by a
	// signal, reported as far as it went.
	Error       string `json:"error,omitempty"`
	Interrupted bool   `json:"interrupted,omitempty"`
}

// Set records a measured value together with its definition (replacing an earlier one).
func (r *Record) Set(m Metric, v float64) { r.SetFamily(m, "", v) }

func (r *Record) define(m Metric) {
	if i := slices.IndexFunc(r.Metrics, func(d Metric) bool { return d.Name == m.Name }); i >= 0 {
		r.Metrics[i] = m
		return
	}
	r.Metrics = append(r.Metrics, m)
}

// SetFamily records the member seg of a family ("cat.{}.max_us" with seg "T1" is
// "cat.T1.max_us"; a plain metric is itself); the family's definition is recorded once.
func (r *Record) SetFamily(family Metric, seg string, v float64) {
	if r.Values == nil {
		r.Values = map[string]float64{}
	}
	r.Values[strings.Replace(family.Name, "{}", seg, 1)] = v
	r.define(family)
}

// Metric is the definition of one of the record's values.
func (r *Record) Metric(name string) (Metric, bool) { return Lookup(r.Metrics, name) }

// Names are the names of the record's values, in the order their definitions were
// recorded (a family's members by name), then any undefined ones by name.
func (r *Record) Names() []string {
	rank := func(name string) int {
		for i, d := range r.Metrics {
			if _, ok := d.Matches(name); ok {
				return i
			}
		}
		return len(r.Metrics)
	}
	names := slices.Collect(maps.Keys(r.Values))
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
	return names
}

// ConfigFromJSON reads a JSON object's members as pairs, in order: strings as they are,
// numbers and booleans as written, anything else (arrays, objects, null) as its JSON text.
func ConfigFromJSON(obj []byte) (Config, error) {
	return readObject(obj, "not a JSON object", func(_ string, raw json.RawMessage) (string, error) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s, nil
		}
		return string(raw), nil
	})
}

// Define sets r.Metrics to the definitions among defs of r's values (an exact name before a
// family) and of the tick values named, in defs' order, and drops the values that are not
// numbers JSON can hold (NaN, ±Inf: such a value is absent).
func (r *Record) Define(defs []Metric, ticks []string) {
	for k, x := range r.Values {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			delete(r.Values, k)
		}
	}
	used := make([]bool, len(defs))
	for i, d := range defs {
		used[i] = slices.Contains(ticks, d.Name)
	}
	for name := range r.Values {
		i := slices.IndexFunc(defs, func(d Metric) bool { return d.Name == name })
		if i < 0 {
			i = slices.IndexFunc(defs, func(d Metric) bool { _, ok := d.Matches(name); return ok })
		}
		if i >= 0 {
			used[i] = true
		}
	}
	r.Metrics = nil
	for i, d := range defs {
		if used[i] {
			r.Metrics = append(r.Metrics, d)
		}
	}
}

// Join merges the records of one run (a server's and its client's) into one: the
// configurations' and environments' pairs in order (a key already given keeps its first
// value), every value and definition (a value already given keeps the first record's),
// the errors joined, interrupted if any was.
func Join(recs ...*Record) *Record {
	out := &Record{Schema: Schema, Values: map[string]float64{}}
	for _, r := range recs {
		if r == nil {
			continue
		}
		if out.App == "" {
			out.App = r.App
		}
		out.Config = joinPairs(out.Config, r.Config)
		out.Env = joinPairs(out.Env, r.Env)
		for k, v := range r.Values {
			if _, ok := out.Values[k]; !ok {
				out.Values[k] = v
			}
		}
		for _, m := range r.Metrics {
			if !slices.ContainsFunc(out.Metrics, func(d Metric) bool { return d.Name == m.Name }) {
				out.Metrics = append(out.Metrics, m)
			}
		}
		out.Error = strings.TrimPrefix(out.Error+"; "+r.Error, "; ")
		out.Error = strings.TrimSuffix(out.Error, "; ")
		out.Interrupted = out.Interrupted || r.Interrupted
	}
	return out
}

func joinPairs(c, add Config) Config {
	for _, p := range add {
		if _, ok := c.Get(p.Key); !ok {
			c = append(c, p)
		}
	}
	return c
}
