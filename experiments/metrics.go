package experiments

import (
	"maps"
	"slices"
	"strings"

	"dustm/record"
)

// Sample is one run's values (one benchmark's, for a micro run), as its record names them.
type Sample struct {
	Part string
	// Config names the row the sample belongs to: the configuration's slug, and for micro
	// runs the benchmark ("slug/Peers/dustm-lock/ro10-2").
	Config  string
	Params  Params
	Rep     int
	Metrics map[string]float64
	Run     *RunData
}

// Samples returns the values of every successful run.
func (f *Folder) Samples() []Sample {
	var out []Sample
	for _, r := range f.Runs {
		if !r.OK() {
			continue
		}
		if r.Info.Kind == KindMicro {
			out = append(out, microSamples(r)...)
			continue
		}
		out = append(out, Sample{Part: r.Info.Part, Config: r.Info.Config, Params: r.Info.Params,
			Rep: r.Info.Rep, Metrics: r.Record.Values, Run: r})
	}
	return out
}

// metricSet gathers the definitions of a set of records' metrics and the order the
// summaries list them in: the exact metrics each record defines before its first family,
// merged in their order (a metric one record adds between two others goes between them),
// then every other value by name (families' members, and what a record defines after them).
type metricSet struct {
	defs []record.Metric // every definition, the first seen of a name
	lead []string
}

func (m *metricSet) add(r *record.Record) {
	pos := -1
	family := false
	for _, d := range r.Metrics {
		if !slices.ContainsFunc(m.defs, func(x record.Metric) bool { return x.Name == d.Name }) {
			m.defs = append(m.defs, d)
		}
		family = family || strings.Contains(d.Name, "{}")
		if family {
			continue
		}
		switch i := slices.Index(m.lead, d.Name); {
		case i >= 0:
			pos = i
		case pos >= 0:
			pos++
			m.lead = slices.Insert(m.lead, pos, d.Name)
		default:
			m.lead = append(m.lead, d.Name)
			pos = len(m.lead) - 1
		}
	}
}

// sort orders names as the summaries list them.
func (m *metricSet) sort(names []string) {
	rank := func(n string) int {
		if i := slices.Index(m.lead, n); i >= 0 {
			return i
		}
		return len(m.lead)
	}
	slices.SortFunc(names, func(a, b string) int {
		if ra, rb := rank(a), rank(b); ra != rb {
			return ra - rb
		}
		return strings.Compare(a, b)
	})
}

// metricsOf gathers the metrics of samples: their definitions, and their names in order.
func metricsOf(samples []Sample) (*metricSet, []string) {
	m := &metricSet{}
	seen := map[*record.Record]bool{}
	names := map[string]bool{}
	for _, s := range samples {
		if rec := s.Run.Record; !seen[rec] {
			seen[rec] = true
			m.add(rec)
		}
		for k := range s.Metrics {
			names[k] = true
		}
	}
	out := slices.Collect(maps.Keys(names))
	m.sort(out)
	return m, out
}
