package plots

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/record"

	gstat "gonum.org/v1/gonum/stat"
)

// The findings: every claim of the folder (experiments.Claim, data) checked against the
// summary by one evaluator, in each part that has a configuration the claim is about.

// Verdicts.
const (
	Holds       = "holds"
	DoesNotHold = "does not hold"
	NotMeasured = "not measured here"
	Reported    = "measured" // a claim without a threshold: the figure is the finding
)

// The bootstrap is fixed so that reports are reproducible; a fit is printed only on data
// that can carry it.
const (
	bootstrapResamples = 4000
	bootstrapSeed      = 20120603
	fitMinSizes        = 4
	fitMinDecades      = 1.5
	fitMinR2           = 0.9
)

// Case is one comparison of a ratio claim: a configuration against its baseline.
type Case struct {
	Where           string             // the configuration's distinguishing settings
	Params          experiments.Params // the configuration's
	Metric, Unit    string
	Value, Baseline float64 // the medians (the summary's)
	Hiccup          float64 // the baseline's platform hiccup maximum (NaN when absent)
	Ratio           float64 // Value / Baseline
	CILow, CIHigh   float64 // bootstrap 95% interval of the ratio of medians (NaN without)
	Verdict         string  // in parentheses where shown beside, not deciding
}

// Finding is a claim checked in one part.
type Finding struct {
	Part     string
	Claim    experiments.Claim
	Verdict  string
	Measured string   // the figure that decides it
	Cases    []Case   // the ratio rules' comparisons
	Evidence []string // the fits' points, a line per group; where the claim does not hold
}

// ComputeFindings checks every claim of the folder in every part it is about.
func ComputeFindings(f *experiments.Folder, s *analysis.Summary) []Finding {
	var out []Finding
	for _, part := range f.Parts() {
		rows := slices.DeleteFunc(partRows(s, part), func(r *analysis.Row) bool { return r.Runs == 0 })
		for _, c := range experiments.FolderClaims(f.Manifest) {
			e := eval{c: c, rows: rows, s: s}
			about := func(r *analysis.Row) bool { ms, _ := e.metrics(r, nil); return e.on(r) && len(ms) > 0 }
			if (c.Part != "" && c.Part != part) || !slices.ContainsFunc(rows, about) {
				continue
			}
			fd := Finding{Part: part, Claim: c}
			run := map[string]func(*Finding){"fit": e.fit, "best": e.best, "within": e.within}[c.Rule]
			if run == nil {
				run = e.ratios
			}
			run(&fd)
			out = append(out, fd)
		}
	}
	return out
}

// eval is a claim checked on one part's rows.
type eval struct {
	c    experiments.Claim
	rows []*analysis.Row
	s    *analysis.Summary
}

// param is a setting of a configuration; "k/i" the i-th /-segment of k's value.
func param(ps experiments.Params, key string) string {
	k, i, ok := segKey(key)
	if seg := strings.Split(ps.Value(k), "/"); ok && i < len(seg) {
		return seg[i]
	}
	return ps.Value(key)
}

func segKey(key string) (string, int, bool) {
	k, is, ok := strings.Cut(key, "/")
	i, err := strconv.Atoi(is)
	return k, i, ok && err == nil
}

// match reports whether a selection picks a configuration among the part's.
func (e *eval) match(sel experiments.Selection, r *analysis.Row) bool {
	return selects(sel, r, e.rows)
}

// selects reports whether a selection (a claim's, a declared figure's) picks a configuration
// among rows, the part's ("largest" is among them).
func selects(sel experiments.Selection, r *analysis.Row, rows []*analysis.Row) bool {
	for k, spec := range sel {
		if !matchSpec(rows, k, spec, param(r.Params, k)) {
			return false
		}
	}
	return true
}

func matchSpec(rows []*analysis.Row, key, spec, v string) bool {
	if neg, ok := strings.CutPrefix(spec, "!"); ok {
		return !matchSpec(rows, key, neg, v)
	}
	if spec == "largest" || spec == "smallest" {
		var vals []float64
		for _, r := range rows {
			if x := num(param(r.Params, key)); !math.IsNaN(x) && !slices.Contains(vals, x) {
				vals = append(vals, x)
			}
		}
		return len(vals) > 1 && num(v) == map[bool]float64{true: slices.Max(vals), false: slices.Min(vals)}[spec == "largest"]
	}
	return slices.ContainsFunc(strings.Split(spec, ","), func(alt string) bool { ok, _ := path.Match(alt, v); return ok || alt == v })
}

func (e *eval) on(r *analysis.Row) bool { return e.match(e.c.On, r) }

// metrics are the claim's metrics that a row (and its baseline, where given) has: per entry
// of Metrics the first alternative, or each member of a family, deciding; the other
// alternatives and Beside shown beside.
func (e *eval) metrics(r, base *analysis.Row) (names []string, beside []bool) {
	has := func(m string) bool {
		_, ok := stat(r, m)
		_, okb := stat(cmp.Or(base, r), m)
		return ok && (okb || e.c.BaselineMetric != "")
	}
	for _, entry := range append(slices.Clone(e.c.Metrics), e.c.Beside...) {
		first := !slices.Contains(e.c.Beside, entry)
		for _, m := range expand(entry, r) {
			if has(m) {
				names, beside = append(names, m), append(beside, !first)
				first = first && strings.Contains(entry, "{}")
			}
		}
	}
	return names, beside
}

// expand lists an entry's alternatives, or the members of a family that the row has.
func expand(entry string, r *analysis.Row) []string {
	if !strings.Contains(entry, "{}") {
		return strings.Split(entry, "|")
	}
	return slices.DeleteFunc(sortedKeys(r.Stats), func(m string) bool { _, ok := (record.Metric{Name: entry}).Matches(m); return !ok })
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

// better reports whether a is better than b on a metric.
func (e *eval) better(a, b float64, metric string) bool {
	return (e.s.Metric(metric).Better == record.Higher) == (a > b) && a != b
}

// baselineOf is the configuration a row is compared with: one matching Baseline that agrees
// with it on every other setting (with Best, the best of several by the metric).
func (e *eval) baselineOf(r *analysis.Row, metric string) *analysis.Row {
	var best *analysis.Row
	for _, o := range e.rows {
		if o == r || !e.match(e.c.Baseline, o) || !sameBut(o.Params, r.Params, append(sortedKeys(e.c.Baseline), e.c.Ignore...)) {
			continue
		}
		a, _ := stat(o, metric)
		if b, ok := stat(cmp.Or(best, o), metric); best == nil || !ok || (e.c.Best && e.better(a.Median, b.Median, metric)) {
			best = o
		}
	}
	return best
}

// outdone reports whether, with Best, another configuration checked that differs from r only
// in the selection is better.
func (e *eval) outdone(r *analysis.Row, metric string) bool {
	st, _ := stat(r, metric)
	return e.c.Best && slices.ContainsFunc(e.rows, func(o *analysis.Row) bool {
		so, ok := stat(o, metric)
		return o != r && ok && e.on(o) && sameBut(o.Params, r.Params, sortedKeys(e.c.On)) && e.better(so.Median, st.Median, metric)
	})
}

// sameBut reports whether two configurations have the same settings but those of except
// ("k/i": k's value but its i-th segment).
func sameBut(a, b experiments.Params, except []string) bool {
	for _, p := range append(slices.Clone(a), b...) {
		va, vb := a.Value(p.Key), b.Value(p.Key)
		for _, x := range except {
			if k, i, ok := segKey(x); ok && k == p.Key {
				va, vb = dropSeg(va, i), dropSeg(vb, i)
			}
		}
		if !slices.Contains(except, p.Key) && va != vb {
			return false
		}
	}
	return true
}

func dropSeg(v string, i int) string {
	if seg := strings.Split(v, "/"); i < len(seg) {
		return strings.Join(slices.Delete(seg, i, i+1), "/")
	}
	return v
}

// where names a configuration: its values of the settings that vary among the part's rows,
// but those the claim pins to one value.
func (e *eval) where(r *analysis.Row) string {
	var pinned []string
	for k, spec := range e.c.On {
		if !strings.ContainsAny(spec, ",!*") {
			pinned = append(pinned, k)
		}
	}
	return cmp.Or(label(r.Params, varying(e.rows, pinned...)), "all runs")
}

// ratios checks a ratio rule: each configuration against its baseline, metric by metric.
func (e *eval) ratios(fd *Finding) {
	for _, r := range e.rows {
		ms, _ := e.metrics(r, nil)
		if !e.on(r) || len(ms) == 0 || e.outdone(r, ms[0]) {
			continue
		}
		base := e.baselineOf(r, ms[0])
		if base == nil {
			continue
		}
		where := e.where(r)
		for _, k := range sortedKeys(e.c.Baseline) {
			if e.c.Best { // the baseline was chosen: name it
				where += " vs " + param(base.Params, k)
			}
		}
		ms, beside := e.metrics(r, base)
		for i, m := range ms {
			c := compareTo(r, base, m, cmp.Or(e.refMetric(base), m), where)
			c.Unit = e.s.Metric(m).Unit
			if c.Verdict = e.judge(c); (beside[i] || !e.match(e.c.Decide, r)) && c.Verdict != "" {
				c.Verdict = "(" + c.Verdict + ")"
			}
			fd.Cases = append(fd.Cases, c)
		}
	}
	fd.Verdict, fd.Measured = decide(e.c, fd.Cases)
}

// refMetric is the baseline's metric where the claim names one: of a family, the member
// with the largest median.
func (e *eval) refMetric(base *analysis.Row) string {
	best, bestV := "", math.Inf(-1)
	for _, m := range expand(e.c.BaselineMetric, base) {
		if st, ok := stat(base, m); ok && st.Median > bestV && e.c.BaselineMetric != "" {
			best, bestV = m, st.Median
		}
	}
	return best
}

// compareTo is the case of row against ref: the ratio of their medians (of metric and
// refMetric) and its bootstrap interval.
func compareTo(row, ref *analysis.Row, metric, refMetric, where string) Case {
	v, _ := stat(row, metric)
	b, _ := stat(ref, refMetric)
	c := Case{Where: where, Params: row.Params, Metric: metric, Value: v.Median, Baseline: b.Median,
		Ratio: v.Median / b.Median, CILow: math.NaN(), CIHigh: math.NaN(), Hiccup: math.NaN()}
	if h, ok := stat(ref, "hiccup_max_us"); ok {
		c.Hiccup = h.Median
	}
	if lo, hi, ok := analysis.BootstrapRatioCI(b.Values, v.Values, analysis.CILevel, bootstrapResamples, bootstrapSeed); ok && (v.N > 1 || b.N > 1) {
		c.CILow, c.CIHigh = lo, hi
	}
	return c
}

// low and high are the ends of a case's interval, the ratio itself without one.
func (c Case) low() float64  { return nanTo(c.CILow, c.Ratio) }
func (c Case) high() float64 { return nanTo(c.CIHigh, c.Ratio) }

func nanTo(v, alt float64) float64 {
	if math.IsNaN(v) {
		return alt
	}
	return v
}

// judge is a case's verdict by the rule: not measured where either median is zero or
// missing (a ratio with nothing on one side decides nothing), none for "ratio".
func (e *eval) judge(c Case) string {
	if !(c.Value > 0 && c.Baseline > 0) || math.IsInf(c.Ratio, 0) {
		return NotMeasured
	}
	if h, ok := map[string]bool{"at-most": c.low() < e.c.Value, "at-least": c.high() > e.c.Value, "above": c.low() > e.c.Value}[e.c.Rule]; ok {
		return verdictOf(h)
	}
	return ""
}

func verdictOf(ok bool) string {
	if ok {
		return Holds
	}
	return DoesNotHold
}

// decide is a ratio claim's verdict from its deciding cases: holds when all hold, does not
// hold when none does, otherwise holds only under the condition that separates the cases
// that hold from the others, where there is one; and the range of the ratios.
func decide(c experiments.Claim, cases []Case) (verdict, measured string) {
	prim := slices.DeleteFunc(slices.Clone(cases), func(cs Case) bool { return strings.HasPrefix(cs.Verdict, "(") })
	if len(prim) == 0 {
		return NotMeasured, "no configuration to compare with its baseline (" + selText(c.Baseline) + ")"
	}
	if prim = slices.DeleteFunc(prim, func(cs Case) bool { return cs.Verdict == NotMeasured }); len(prim) == 0 {
		return NotMeasured, "nothing measured: the medians compared are zero"
	}
	var ratios []float64
	held, sig := 0, 0
	for _, cs := range prim {
		ratios = append(ratios, cs.Ratio)
		held += btoi(cs.Verdict == Holds)
		sig += btoi(cs.high() < 1 || cs.low() > 1)
	}
	measured = fmt.Sprintf("`%s` over the baseline: %s×", prim[0].Metric, fmtRatio(ratios[0]))
	if len(prim) > 1 {
		measured = fmt.Sprintf("`%s` over the baseline: %s× to %s× over %d configurations (median %s×; the interval excludes 1 in %d)",
			prim[0].Metric, fmtRatio(slices.Min(ratios)), fmtRatio(slices.Max(ratios)), len(prim), fmtRatio(analysis.Median(ratios)), sig)
	}
	switch {
	case c.Rule == "ratio":
		return Reported, measured
	case held == len(prim):
		return Holds, measured
	case held == 0:
		return DoesNotHold, measured
	case condition(prim) != "":
		return "holds only " + condition(prim), measured
	}
	return fmt.Sprintf("holds in %d of %d configurations", held, len(prim)), measured
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// condition finds a setting whose values split the cases exactly into those that hold and
// those that do not, and says it in words.
func condition(cases []Case) string {
	var keys []string
	for _, cs := range cases {
		for _, p := range cs.Params {
			if !slices.Contains(keys, p.Key) {
				keys = append(keys, p.Key)
			}
		}
	}
	for _, k := range keys {
		holding, failing := map[string]bool{}, map[string]bool{}
		for _, cs := range cases {
			map[bool]map[string]bool{true: holding, false: failing}[cs.Verdict == Holds][cs.Params.Value(k)] = true
		}
		vs := sortedKeys(holding)
		if len(holding)+len(failing) > 1 && !slices.ContainsFunc(vs, func(v string) bool { return failing[v] }) {
			return "when " + k + " is " + strings.Join(vs, " or ")
		}
	}
	return ""
}

// groupsBy splits the rows the claim is about by its By settings.
func (e *eval) groupsBy() []group {
	gs := view(e.rows).where(e.on).by(e.c.By...)
	for i := range gs {
		gs[i].label = cmp.Or(gs[i].label, "all runs")
	}
	return gs
}

// fit checks a power law of the metric against the size, per group: the points, the fit or
// why there is none, and the Beside metrics' medians.
func (e *eval) fit(fd *Finding) {
	m := e.c.Metrics[0]
	var figs []string
	fd.Verdict = NotMeasured
	for _, g := range e.groupsBy() {
		var xs, ys []float64
		var pts []string
		for _, r := range g.rows {
			x := num(param(r.Params, e.c.Size))
			if st, ok := stat(r, e.c.Size); ok {
				x = st.Median
			}
			if st, ok := stat(r, m); ok && !math.IsNaN(x) {
				xs, ys = append(xs, x), append(ys, st.Median)
				pts = append(pts, e.withUnit(st.Median, m)+" at "+fmtNum(x))
			}
		}
		if len(xs) == 0 {
			continue
		}
		text, ok := fitText(xs, ys)
		short, _, _ := strings.Cut(text, ": a fit needs")
		if ok {
			fd.Verdict = Reported
		}
		figs = append(figs, g.label+": "+short)
		line := fmt.Sprintf("%s — `%s` against `%s`: %s; %s", g.label, m, e.c.Size, strings.Join(pts, ", "), text)
		for _, b := range e.c.Beside {
			var vs []float64
			for _, r := range g.rows {
				if st, ok := stat(r, b); ok {
					vs = append(vs, st.Median)
				}
			}
			if len(vs) > 0 {
				line += fmt.Sprintf("; `%s` %s", b, e.withUnit(analysis.Median(vs), b))
			}
			if len(vs) > 1 {
				line += fmt.Sprintf(" (%s–%s over %d configurations)", e.withUnit(slices.Min(vs), b), e.withUnit(slices.Max(vs), b), len(vs))
			}
		}
		fd.Evidence = append(fd.Evidence, line)
	}
	fd.Measured = strings.Join(figs, "; ")
}

// fitText is the fit of ys against xs, or why there is none: it needs fitMinSizes distinct
// sizes spanning fitMinDecades decades, and an R² of fitMinR2.
func fitText(xs, ys []float64) (string, bool) {
	var sizes []float64
	for i, x := range xs {
		if positive(x) && positive(ys[i]) && !slices.Contains(sizes, x) {
			sizes = append(sizes, x)
		}
	}
	switch {
	case len(sizes) == 0:
		return "no fit: nothing positive to fit", false
	case len(sizes) == 1:
		return fmt.Sprintf("no fit: 1 size (%s): a fit needs at least %d over %.1f decades", fmtNum(sizes[0]), fitMinSizes, fitMinDecades), false
	}
	lo, hi := slices.Min(sizes), slices.Max(sizes)
	if dec := math.Log10(hi / lo); len(sizes) < fitMinSizes || dec < fitMinDecades {
		return fmt.Sprintf("no fit: %d size(s), from %s to %s, %.1f decades: a fit needs at least %d over %.1f decades",
			len(sizes), fmtNum(lo), fmtNum(hi), dec, fitMinSizes, fitMinDecades), false
	}
	f, _ := fitPower(xs, ys)
	if f.R2 < fitMinR2 {
		return fmt.Sprintf("no fit: a power law fits with R² %.2f only (at least %.1f needed)", f.R2, fitMinR2), false
	}
	return "fit " + f.String(), true
}

// best names the best configuration by the metric in each group.
func (e *eval) best(fd *Finding) {
	m := e.c.Metrics[0]
	var bests []string
	for _, g := range e.groupsBy() {
		var top *analysis.Row
		for _, r := range g.rows {
			if st, ok := stat(r, m); ok && (top == nil || e.better(st.Median, top.Stats[m].Median, m)) {
				top = r
			}
		}
		if top == nil {
			continue
		}
		bests = append(bests, fmt.Sprintf("%s: %s (%s)", g.label, cmp.Or(label(top.Params, varying(g.rows, e.c.By...)), "the one configuration"),
			e.withUnit(top.Stats[m].Median, m)))
	}
	fd.Verdict, fd.Measured = Reported, "the best by `"+m+"` where "+selText(e.c.On)+": "+strings.Join(bests, "; ")
}

// within checks that every run's metric lies between Low and High.
func (e *eval) within(fd *Finding) {
	m := e.c.Metrics[0]
	lo, hi := math.Inf(1), math.Inf(-1)
	var outside []string
	for _, r := range e.rows {
		if st, ok := stat(r, m); ok && e.on(r) {
			lo, hi = min(lo, st.Min), max(hi, st.Max)
			if st.Min < e.c.Low || st.Max > e.c.High {
				outside = append(outside, r.Config)
			}
		}
	}
	fd.Verdict = verdictOf(len(outside) == 0)
	fd.Measured = fmt.Sprintf("`%s` from %s to %s (wanted between %s and %s)", m, fmtNum(lo), fmtNum(hi), fmtNum(e.c.Low), fmtNum(e.c.High))
	if len(outside) > 0 {
		fd.Evidence = []string{fmt.Sprintf("outside in %d configuration(s): %s", len(outside), strings.Join(outside, "; "))}
	}
}

// selText writes a selection in words, sorted by key.
func selText(sel experiments.Selection) string {
	var out []string
	for _, k := range sortedKeys(sel) {
		vs := strings.Split(sel[k], ",")
		for i, v := range vs {
			vs[i] = cmp.Or(v, "unset")
		}
		out = append(out, k+"="+strings.Join(vs, " or "))
	}
	return strings.Join(out, ", ")
}

// ruleText says how a ratio claim's verdict is decided.
func ruleText(c experiments.Claim) string {
	s := fmt.Sprintf("each configuration where %s over its baseline (%s, the other settings the same)", selText(c.On), selText(c.Baseline))
	if what, ok := map[string]string{"at-most": "reaches below", "at-least": "reaches above", "above": "lies above"}[c.Rule]; ok {
		s += fmt.Sprintf("; holds where the ratio's 95%% interval %s %s×", what, fmtNum(c.Value))
	}
	if len(c.Decide) > 0 {
		s += "; only where " + selText(c.Decide) + " decides"
	}
	return s
}

func fmtRatio(r float64) string {
	if math.IsNaN(r) || math.IsInf(r, 0) {
		return "–"
	}
	if r >= 10 {
		return fmtNum(r)
	}
	return fmt.Sprintf("%.2f", r)
}

func (c Case) ciText() string {
	if math.IsNaN(c.CILow) {
		return "–"
	}
	return fmtRatio(c.CILow) + "–" + fmtRatio(c.CIHigh)
}

// fmtValue formats a case's values in their unit.
func (c Case) fmtValue(v float64) string { return fmtUnit(v, c.Unit) }

// withUnit formats a value of a metric with its unit, where fmtUnit leaves it out.
func (e *eval) withUnit(v float64, metric string) string {
	u := e.s.Metric(metric).Unit
	if u != "" && !timeUnit(u) {
		return fmtUnit(v, u) + " " + u
	}
	return fmtUnit(v, u)
}

// FindingsText is the findings for a terminal: a line per claim with its verdict and the
// figure that decides it, then each claim's evidence (its deciding cases, its groups).
func FindingsText(fds []Finding) []string {
	var out, evidence []string
	for _, fd := range fds {
		out = append(out, fmt.Sprintf("[%s] %s: %s — %s", fd.Part, fd.Claim.Text, fd.Verdict, fd.Measured))
		var ev []string
		for _, cs := range fd.Cases {
			if !strings.HasPrefix(cs.Verdict, "(") {
				ev = append(ev, fmt.Sprintf("    %s: %s %s vs %s (ratio %s×, 95%% CI %s, hiccup max %s): %s", cs.Where, cs.Metric,
					cs.fmtValue(cs.Value), cs.fmtValue(cs.Baseline), fmtRatio(cs.Ratio), cs.ciText(), fmtUnit(cs.Hiccup, "µs"), cmp.Or(cs.Verdict, Reported)))
			}
		}
		for _, e := range fd.Evidence {
			ev = append(ev, "    "+e)
		}
		if len(ev) > 0 {
			evidence = append(append(evidence, fmt.Sprintf("evidence [%s] %s:", fd.Part, fd.Claim.Text)), ev...)
		}
	}
	return append(out, evidence...)
}

// Fit is a least-squares line through (log x, log y): y = A·x^B.
type Fit struct {
	A, B, R2   float64
	N          int
	XMin, XMax float64
}

// fitPower fits y = A·x^B to the positive points; ok is false with fewer than two distinct x.
func fitPower(xs, ys []float64) (Fit, bool) {
	var lx, ly []float64
	f := Fit{XMin: math.Inf(1), XMax: math.Inf(-1)}
	for i := range xs {
		if positive(xs[i]) && positive(ys[i]) {
			lx, ly = append(lx, math.Log(xs[i])), append(ly, math.Log(ys[i]))
			f.XMin, f.XMax = min(f.XMin, xs[i]), max(f.XMax, xs[i])
		}
	}
	if f.N = len(lx); f.N < 2 || f.XMin == f.XMax {
		return f, false
	}
	logA, b := gstat.LinearRegression(lx, ly, nil, false)
	f.A, f.B, f.R2 = math.Exp(logA), b, 1
	if gstat.Variance(ly, nil) > 0 {
		f.R2 = gstat.RSquared(lx, ly, nil, logA, b)
	}
	return f, true
}

// At is the fitted y at x.
func (f Fit) At(x float64) float64 { return f.A * math.Pow(x, f.B) }

// Inverse is the x at which the fit reaches y.
func (f Fit) Inverse(y float64) float64 { return math.Pow(y/f.A, 1/f.B) }

func (f Fit) String() string {
	return fmt.Sprintf("%s·n^%.2f (R² %.2f, %d points, n from %s to %s)", fmtNum(f.A), f.B, f.R2, f.N, fmtNum(f.XMin), fmtNum(f.XMax))
}
