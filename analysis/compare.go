package analysis

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"dustm/experiments"
	"dustm/record"
)

// Tests Compare can use to tell a difference from noise.
const (
	TestMannWhitney = "mann-whitney"
	TestBootstrap   = "bootstrap"
)

// CompareOptions configure Compare.
type CompareOptions struct {
	Test  string  // TestMannWhitney (default) or TestBootstrap
	Alpha float64 // significance level (default 0.05)
	// Metrics to compare: nil for DefaultCompareMetrics, {"all"} for every metric both
	// sides have.
	Metrics   []string
	Resamples int    // bootstrap resamples (default 10000)
	Seed      uint64 // bootstrap seed
}

// DefaultCompareMetrics are the metrics Compare reports unless told otherwise (those that
// both sides have).
func DefaultCompareMetrics() []string {
	return []string{"throughput", "throughput_with_failed", "all.max_us", "all.p99_us", "max_gap_ms",
		"window.max_us", "window.p99_us", "upgrade.pause_ms", "recovery_s",
		"ns_per_op", "bytes_per_op", "allocs_per_op", "client.rps", "client.p99_ms", "client.max_ms"}
}

// KeyDiff is a setting that is the same throughout each side but differs between them: what
// the comparison is about.
type KeyDiff struct{ Key, A, B string }

// CompareRow is one metric of one matched configuration.
type CompareRow struct {
	Config           string // the matched configuration's settings that vary ("" when one)
	Metric, Unit     string
	Better           record.Better // the metric's better direction
	NA, NB           int
	MedianA, MedianB float64
	Ratio            float64 // MedianB / MedianA
	P                float64 // Mann-Whitney p-value (NaN with the bootstrap)
	CILow, CIHigh    float64 // bootstrap interval of the ratio (NaN with Mann-Whitney)
	Significant      bool
	// Verdict: "B larger", "B smaller", "~" (within the noise) or "too few runs".
	Verdict string
	// Judgement is "better" or "worse" for B when the difference is significant and the
	// metric's definition says which direction is better ("" otherwise).
	Judgement string
}

// Comparison is the outcome of Compare.
type Comparison struct {
	Test      string
	Alpha     float64
	Method    string // one sentence on the test
	Differing []KeyDiff
	MatchKeys []string // settings configurations were matched on
	Rows      []CompareRow
	OnlyA     []string // configurations of A without a match in B
	OnlyB     []string
	Notes     []string
}

// Compare puts the successful runs of two folders side by side. Configurations are matched
// by their settings, leaving out the settings that are constant within each side and differ
// between them (what is compared, e.g. backend=stm-plain against backend=stm); two sides of
// one configuration each are matched whatever their settings. Per metric it reports both
// medians, their ratio, and whether the difference is larger than the noise: the two-sided
// Mann-Whitney U test at level α (no assumption of normality), or a bootstrap interval of
// the ratio of medians that excludes 1; the metric's definition says which way is better.
func Compare(a, b *experiments.Folder, o CompareOptions) (*Comparison, error) {
	o, err := o.check()
	if err != nil {
		return nil, err
	}
	sa, sb := Samples(a), Samples(b)
	if len(sa) == 0 || len(sb) == 0 {
		return nil, fmt.Errorf("nothing to compare: %s has %d successful runs, %s has %d", a.Dir, len(sa), b.Dir, len(sb))
	}
	defs, known := metricsOf(append(slices.Clone(sa), sb...))
	if !(len(o.Metrics) == 1 && o.Metrics[0] == "all") {
		for _, m := range o.Metrics {
			if !slices.Contains(known, m) {
				return nil, fmt.Errorf("%w: unknown metric %q (accepted: all, or a metric of these results: %s)",
					experiments.ErrInvalid, m, strings.Join(known, ", "))
			}
		}
	}
	c := &Comparison{Test: o.Test, Alpha: o.Alpha}
	c.Method = fmt.Sprintf("percentile bootstrap, %d resamples: the %g%% interval of median(B)/median(A) excludes 1", o.Resamples, 100*(1-o.Alpha))
	if o.Test == TestMannWhitney {
		c.Method = fmt.Sprintf("Mann-Whitney U test, two-sided, α = %g (exact p-value up to 60 runs in all; no assumption of normality)", o.Alpha)
	}
	label := c.matchKeys(sa, sb)
	la, lb := distinct(sa, label), distinct(sb, label)
	for _, l := range lb {
		if !slices.Contains(la, l) {
			c.OnlyB = append(c.OnlyB, l)
		}
	}
	matched := 0
	for _, l := range la {
		if !slices.Contains(lb, l) {
			c.OnlyA = append(c.OnlyA, l)
			continue
		}
		matched++
		ga, gb := labelled(sa, label, l), labelled(sb, label, l)
		for _, m := range compareMetrics(o.Metrics, known, ga, gb) {
			def, _ := record.Lookup(defs.defs, m)
			c.Rows = append(c.Rows, compareOne(l, def, values(ga, m), values(gb, m), o))
		}
	}
	if matched == 0 {
		return nil, fmt.Errorf("no configuration of %s matches one of %s (matched on %s; A has %s, B has %s)",
			a.Dir, b.Dir, strings.Join(c.MatchKeys, ", "), strings.Join(c.OnlyA, " | "), strings.Join(c.OnlyB, " | "))
	}
	c.noteTooFew()
	return c, nil
}

func (o CompareOptions) check() (CompareOptions, error) {
	o.Test, o.Alpha, o.Resamples = cmp.Or(o.Test, TestMannWhitney), cmp.Or(o.Alpha, 0.05), cmp.Or(o.Resamples, 10000)
	if o.Test != TestMannWhitney && o.Test != TestBootstrap {
		return o, fmt.Errorf("%w: unknown test %q (accepted: %s, %s)", experiments.ErrInvalid, o.Test, TestMannWhitney, TestBootstrap)
	}
	if !(o.Alpha > 0 && o.Alpha < 1) {
		return o, fmt.Errorf("%w: alpha must be between 0 and 1 (got %v)", experiments.ErrInvalid, o.Alpha)
	}
	return o, nil
}

// noteTooFew says when no difference could be significant with so few runs.
func (c *Comparison) noteTooFew() {
	if c.Test != TestMannWhitney {
		return
	}
	for _, r := range c.Rows {
		if r.Verdict == "too few runs" {
			c.Notes = append(c.Notes, fmt.Sprintf("with %d and %d runs the smallest possible p-value is %.3g > α: "+
				"no difference can be significant; run at least 4 repetitions on each side", r.NA, r.NB, MinMannWhitneyP(r.NA, r.NB)))
			return
		}
	}
}

// valuesOf lists the values of a key among samples, in order.
func valuesOf(ss []Sample, k string) []string {
	return distinct(ss, func(s Sample) string { return s.Params.Value(k) })
}

// distinct lists the distinct values of f among samples, in order.
func distinct(ss []Sample, f func(Sample) string) []string {
	var seen []string
	for _, s := range ss {
		if k := f(s); !slices.Contains(seen, k) {
			seen = append(seen, k)
		}
	}
	return seen
}

// matchKeys splits the keys of both sides into those that differ between them (c.Differing)
// and those configurations are matched on (c.MatchKeys), and returns how a sample's
// configuration is labelled: by the matched keys that vary.
func (c *Comparison) matchKeys(sa, sb []Sample) func(Sample) string {
	all := append(slices.Clone(sa), sb...)
	var ps []experiments.Params
	for _, s := range all {
		ps = append(ps, s.Params)
	}
	params := func(s Sample) string { return s.Params.String() }
	single := len(distinct(sa, params)) == 1 && len(distinct(sb, params)) == 1
	var naming []string
	for _, k := range experiments.SettingKeys(ps...) {
		va, vb := valuesOf(sa, k), valuesOf(sb, k)
		if (single || (len(va) == 1 && len(vb) == 1)) && !slices.Equal(va, vb) {
			c.Differing = append(c.Differing, KeyDiff{k, strings.Join(va, ","), strings.Join(vb, ",")})
			continue
		}
		c.MatchKeys = append(c.MatchKeys, k)
		if len(valuesOf(all, k)) > 1 {
			naming = append(naming, k)
		}
	}
	return labeller(sa, sb, naming)
}

// labeller names a sample's configuration by the keys that vary. Both sides with the same
// several parts (one folder, or two of one experiment): by its part and the keys that vary
// within that part, not by every key that varies anywhere in the folder. A key a
// configuration does not have (another part's key, the commit of a lock backend) is left
// out of its label rather than written empty.
func labeller(sa, sb []Sample, naming []string) func(Sample) string {
	part := func(s Sample) string { return s.Part }
	pa, pb := distinct(sa, part), distinct(sb, part)
	slices.Sort(pa)
	slices.Sort(pb)
	var byPart map[string][]string
	if len(pa) > 1 && slices.Equal(pa, pb) {
		byPart = map[string][]string{}
		all := append(slices.Clone(sa), sb...)
		for _, p := range pa {
			in := labelled(all, part, p)
			for _, k := range naming {
				if len(valuesOf(in, k)) > 1 {
					byPart[p] = append(byPart[p], k)
				}
			}
		}
	}
	return func(s Sample) string {
		keys, parts := naming, []string(nil)
		if byPart != nil {
			keys, parts = byPart[s.Part], []string{s.Part + ":"}
		}
		for _, k := range keys {
			if v := s.Params.Value(k); v != "" {
				parts = append(parts, k+"="+v)
			}
		}
		return strings.Join(parts, " ")
	}
}

// labelled is the samples with the label l.
func labelled(ss []Sample, label func(Sample) string, l string) []Sample {
	return slices.DeleteFunc(slices.Clone(ss), func(s Sample) bool { return label(s) != l })
}

func values(ss []Sample, metric string) []float64 {
	var out []float64
	for _, s := range ss {
		if v, ok := s.Metrics[metric]; ok && !math.IsNaN(v) {
			out = append(out, v)
		}
	}
	return out
}

// compareMetrics lists the metrics to compare that both sides have.
func compareMetrics(want, known []string, a, b []Sample) []string {
	has := func(ss []Sample, m string) bool {
		return slices.ContainsFunc(ss, func(s Sample) bool { _, ok := s.Metrics[m]; return ok })
	}
	var candidates []string
	switch {
	case len(want) == 1 && want[0] == "all":
		candidates = known
	case len(want) > 0:
		candidates = want
	default:
		candidates = DefaultCompareMetrics()
	}
	return slices.DeleteFunc(slices.Clone(candidates), func(m string) bool { return !has(a, m) || !has(b, m) })
}

// compareOne compares one metric; a significant difference says which way is better when
// the metric's definition says so.
func compareOne(config string, m record.Metric, a, b []float64, o CompareOptions) CompareRow {
	r := CompareRow{Config: config, Metric: m.Name, Unit: m.Unit, Better: m.Better, NA: len(a), NB: len(b),
		MedianA: Median(a), MedianB: Median(b), P: math.NaN(), CILow: math.NaN(), CIHigh: math.NaN()}
	if r.Ratio = r.MedianB / r.MedianA; r.MedianA == 0 {
		r.Ratio = math.NaN()
	}
	direction := func() string {
		larger := r.MedianB > r.MedianA
		if m.Better != record.Neither {
			r.Judgement = map[bool]string{true: "better", false: "worse"}[larger == (m.Better == record.Higher)]
		}
		return map[bool]string{true: "B larger", false: "B smaller"}[larger]
	}
	switch o.Test {
	case TestBootstrap:
		if len(a) < 3 || len(b) < 3 {
			r.Verdict = "too few runs"
			return r
		}
		lo, hi, ok := BootstrapRatioCI(a, b, 1-o.Alpha, o.Resamples, o.Seed)
		if !ok {
			r.Verdict = "~"
			return r
		}
		r.CILow, r.CIHigh = lo, hi
		r.Significant = lo > 1 || hi < 1
	default:
		if _, r.P = MannWhitney(a, b); MinMannWhitneyP(len(a), len(b)) > o.Alpha {
			r.Verdict = "too few runs"
			return r
		}
		r.Significant = r.P < o.Alpha
	}
	r.Verdict = "~"
	if r.Significant {
		r.Verdict = direction()
	}
	return r
}
