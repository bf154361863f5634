package analysis

import (
	"maps"
	"slices"
	"strings"

	"dustm/experiments"
	"dustm/record"
)

// Sample is one run's values (one benchmark's, for a micro run), as its record names them.
type Sample struct {
	Part string
	// Config names the row the sample belongs to: the configuration's slug, and for micro
	// runs the benchmark ("slug/Peers/dustm-lock/ro10-2").
	Config  string
	Params  experiments.Params
	Rep     int
	Metrics map[string]float64
	Run     *experiments.RunData
}

// Samples returns the values of every successful run of a folder.
func Samples(f *experiments.Folder) []Sample {
	var out []Sample
	for _, r := range f.Runs {
		switch {
		case r.OK() && r.Info.Kind == experiments.KindMicro:
			out = append(out, microSamples(r)...)
		case r.OK():
			out = append(out, Sample{Part: r.Info.Part, Config: r.Info.Config, Params: r.Info.Params,
				Rep: r.Info.Rep, Metrics: r.Record.Values, Run: r})
		}
	}
	return out
}

// microSamples are a micro run's samples, one per benchmark, named by it, with its name and
// GOMAXPROCS as the settings benchmark and procs (experiments.ParseBenchText names each
// benchmark NAME-PROCS and its values NAME-PROCS.METRIC); the metrics lose the prefix.
func microSamples(r *experiments.RunData) []Sample {
	var out []Sample
	list, _ := r.Record.Config.Get("benchmarks")
	for _, bench := range strings.Fields(list) {
		m := map[string]float64{}
		for _, d := range r.Record.Metrics {
			if v, ok := r.Record.Values[bench+"."+d.Name]; ok {
				m[d.Name] = v
			}
		}
		name, procs := bench, "1"
		if i := strings.LastIndex(bench, "-"); i >= 0 {
			name, procs = bench[:i], bench[i+1:]
		}
		ps := r.Info.Params.With("benchmark", name).With("procs", procs)
		out = append(out, Sample{Part: r.Info.Part, Config: r.Info.Config + "/" + bench, Params: ps,
			Rep: r.Info.Rep, Metrics: m, Run: r})
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
