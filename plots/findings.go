package plots

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"dustm/experiments"
)

// The findings: what each experiment set out to show, computed from its summary, never
// written by hand. An upgrade experiment checks the paper's claims (Pina & Cachopo, HotSWUp
// 2012: lazy migration upgrades "without affecting significantly the maximum response time",
// "an immediate approach shows values of maximum response time up to three orders of
// magnitude higher") against the same run without an upgrade; the others state their main
// measured result in one paragraph.

// Verdicts.
const (
	Holds        = "holds"
	DoesNotHold  = "does not hold"
	NotMeasured  = "not measured here"
	holdsOnlyFmt = "holds only %s"
)

// The thresholds the verdicts use, stated in the report beside them.
const (
	// lazyTolerance: the lazy claim holds when the ratio's 95% interval reaches below it (the
	// maximum is not significantly more than doubled).
	lazyTolerance = 2.0
	// eagerFactor: the eager claim holds when the ratio's 95% interval lies above it (the
	// maximum is significantly raised by at least an order of magnitude).
	eagerFactor = 10.0
	// costTolerance: being upgradable costs little when the throughput ratio's interval
	// reaches above it (not significantly more than 10% slower).
	costTolerance = 0.9
	// bootstrapResamples and bootstrapSeed fix the bootstrap so reports are reproducible.
	bootstrapResamples = 4000
	bootstrapSeed      = 20120603
)

// Case is one comparison behind a claim: one configuration against its reference.
type Case struct {
	Where    string             // the configuration's distinguishing settings
	Params   experiments.Params // the configuration's
	Metric   string             // the metric compared
	Unit     string             // its unit
	Value    float64            // its median (the summary's)
	Baseline float64            // the reference's median (the summary's)
	Hiccup   float64            // the reference's platform hiccup maximum (NaN when absent)
	Ratio    float64            // Value / Baseline
	CILow    float64            // bootstrap 95% interval of the ratio of medians (NaN without)
	CIHigh   float64
	Verdict  string
}

// Claim is one claim checked on this experiment's data.
type Claim struct {
	Claim   string // the paper's words
	Rule    string // how the verdict is decided
	Cases   []Case // the primary metric's cases decide; others are shown beside
	Verdict string
	// Measured sums the primary cases up (the range of the ratios).
	Measured string
}

// Findings are a part's findings: the claims (upgrade experiments) or a paragraph.
type Findings struct {
	Part      string
	Claims    []Claim
	Paragraph string
}

// ComputeFindings computes every part's findings from the summary.
func ComputeFindings(f *experiments.Folder, s *experiments.Summary) []Findings {
	var out []Findings
	for _, part := range f.Parts() {
		var rows []*experiments.Row
		for _, r := range s.Rows {
			if r.Part == part && r.Runs > 0 {
				rows = append(rows, r)
			}
		}
		if len(rows) == 0 {
			continue
		}
		fd := Findings{Part: part}
		if isKVPart(f, part) {
			fd = kvFindings(rows)
			fd.Part = part
			if len(fd.Claims) > 0 || fd.Paragraph != "" {
				out = append(out, fd)
			}
			continue
		}
		bench := slices.DeleteFunc(slices.Clone(rows), func(r *experiments.Row) bool { _, ok := r.Params.Get("benchmark"); return ok })
		switch {
		case len(bench) < len(rows):
			fd.Paragraph = microFinding(rows)
		case slices.ContainsFunc(bench, withUpgrade) && slices.ContainsFunc(bench, noUpgrade):
			fd.Claims = upgradeClaims(bench)
			fd.Paragraph = pauseFinding(bench)
		case slices.ContainsFunc(bench, withUpgrade):
			fd.Paragraph = pauseFinding(bench)
		default:
			fd.Paragraph = scalabilityFinding(bench)
			if c, ok := costClaim(bench); ok {
				fd.Claims = []Claim{c}
				fd.Paragraph = strings.TrimSpace(costFinding(c) + " " + fd.Paragraph)
			}
		}
		if len(fd.Claims) > 0 || fd.Paragraph != "" {
			out = append(out, fd)
		}
	}
	return out
}

// upgradeKeys are the settings that say which upgrade a run made.
var upgradeKeys = []string{"upgrade", "migration", "sweepers", "dry-run"}

// sameBut reports whether two configurations agree on every setting but those of except.
func sameBut(a, b experiments.Params, except []string) bool {
	keys := map[string]bool{}
	for _, p := range a {
		keys[p.Key] = true
	}
	for _, p := range b {
		keys[p.Key] = true
	}
	for k := range keys {
		if slices.Contains(except, k) {
			continue
		}
		va, _ := a.Get(k)
		vb, _ := b.Get(k)
		if va != vb {
			return false
		}
	}
	return true
}

// baselineOf is the run without an upgrade that an upgraded configuration compares with.
func baselineOf(r *experiments.Row, rows []*experiments.Row) *experiments.Row {
	for _, o := range rows {
		if noUpgrade(o) && sameBut(o.Params, r.Params, upgradeKeys) {
			return o
		}
	}
	return nil
}

// latencyMetrics are the maximum latencies a claim compares: the probe's first where both
// runs have it, then all operations'.
func latencyMetrics(a, b *experiments.Row) []string {
	var out []string
	for _, m := range []string{"probe_max_us", "all.max_us"} {
		if _, ok := stat(a, m); !ok {
			continue
		}
		if _, ok := stat(b, m); ok {
			out = append(out, m)
		}
	}
	return out
}

// compare is the case of row against ref on a metric: the ratio of the summary's medians and
// its bootstrap interval.
func compare(row, ref *experiments.Row, metric, where string) Case {
	return compareTo(row, ref, metric, metric, where)
}

// low and high are the ends of a case's interval, the ratio itself without one.
func (c Case) low() float64 {
	if math.IsNaN(c.CILow) {
		return c.Ratio
	}
	return c.CILow
}

func (c Case) high() float64 {
	if math.IsNaN(c.CIHigh) {
		return c.Ratio
	}
	return c.CIHigh
}

// upgradeWhere names an upgrade run's configuration in a finding: its scenario, the other
// settings that vary among the rows, and its strategy.
func upgradeWhere(rows []*experiments.Row) func(*experiments.Row) string {
	groupKeys := varying(rows, upgradeKeys...)
	return func(r *experiments.Row) string {
		w := "scenario " + r.Params.Value("upgrade")
		if g := label(r.Params, groupKeys); g != "" {
			w += ", " + g
		}
		return w + ", " + r.Params.Value("migration")
	}
}

func upgradeClaims(rows []*experiments.Row) []Claim {
	where := upgradeWhere(rows)
	lazy := Claim{
		Claim: "lazy migration upgrades without affecting significantly the maximum response time",
		Rule: fmt.Sprintf("per configuration, the maximum latency with a lazy upgrade (lazy, lazy+sweep) over the same run without one; "+
			"holds when the ratio's 95%% interval reaches below %s× (the maximum is not significantly %s)", fmtNum(lazyTolerance), map[bool]string{true: "doubled", false: "raised that much"}[lazyTolerance == 2]),
	}
	eager := Claim{
		Claim: "an immediate (eager) upgrade shows maximum response times up to three orders of magnitude higher",
		Rule: fmt.Sprintf("per configuration, the maximum latency with an eager upgrade over the same run without one; "+
			"holds when the ratio's 95%% interval lies above %s× (significantly at least an order of magnitude higher)", fmtNum(eagerFactor)),
	}
	for _, r := range rows {
		if noUpgrade(r) {
			continue
		}
		base := baselineOf(r, rows)
		if base == nil {
			continue
		}
		claim := &lazy
		if r.Params.Value("migration") == "eager" {
			claim = &eager
		}
		for i, m := range latencyMetrics(r, base) {
			c := compare(r, base, m, where(r))
			if claim == &eager {
				c.Verdict = judge(c, c.low() > eagerFactor)
			} else {
				c.Verdict = judge(c, c.low() < lazyTolerance)
			}
			if i > 0 {
				c.Verdict = "(" + c.Verdict + ")" // beside the primary metric's: not deciding
			}
			claim.Cases = append(claim.Cases, c)
		}
	}
	var out []Claim
	for _, c := range []*Claim{&lazy, &eager} {
		decide(c)
		out = append(out, *c)
	}
	if c, ok := costClaim(rows); ok {
		out = append(out, c)
	} else {
		out = append(out, Claim{Claim: costClaimText, Verdict: NotMeasured,
			Measured: "no run of the plain STM (stm-plain) here: the experiment upgrade-overhead measures it"})
	}
	return out
}

const costClaimText = "being upgradable costs little in the steady state (throughput with upgrade support, stm, against the plain STM, stm-plain)"

// costClaim compares the throughput of stm with stm-plain, configuration by configuration.
func costClaim(rows []*experiments.Row) (Claim, bool) {
	c := Claim{Claim: costClaimText,
		Rule: fmt.Sprintf("per configuration without an upgrade, the throughput of stm over stm-plain; holds when the ratio's 95%% interval "+
			"reaches above %s (upgrade support is not significantly more than %s%% slower)", fmtNum(costTolerance), fmtNum(100*(1-costTolerance)))}
	keys := varying(rows, "backend")
	for _, r := range rows {
		if r.Params.Value("backend") != "stm" || !noUpgrade(r) {
			continue
		}
		for _, o := range rows {
			if o.Params.Value("backend") == "stm-plain" && noUpgrade(o) && sameBut(o.Params, r.Params, []string{"backend"}) {
				if _, ok := stat(r, "throughput"); !ok {
					continue
				}
				if _, ok := stat(o, "throughput"); !ok {
					continue
				}
				w := label(r.Params, slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == "backend" }))
				if w == "" {
					w = "all runs"
				}
				cs := compare(r, o, "throughput", w)
				cs.Verdict = judge(cs, cs.high() > costTolerance)
				c.Cases = append(c.Cases, cs)
			}
		}
	}
	if len(c.Cases) == 0 {
		return c, false
	}
	decide(&c)
	return c, true
}

// costFinding says in words what upgrade support costs, from the cost claim's cases.
func costFinding(c Claim) string {
	var ratios []float64
	sig := 0
	for _, cs := range c.Cases {
		if cs.Verdict == NotMeasured {
			continue
		}
		ratios = append(ratios, cs.Ratio)
		if cs.high() < 1 {
			sig++
		}
	}
	if len(ratios) == 0 {
		return ""
	}
	m := experiments.Median(ratios)
	return fmt.Sprintf("**Finding.** With upgrade support compiled in (stm) the benchmark runs at %s%% of the plain STM's throughput "+
		"(median over %d configurations, from %s%% to %s%%); the difference is significant (the ratio's 95%% interval below 1) in %d of them.",
		fmtNum(100*m), len(ratios), fmtNum(100*slices.Min(ratios)), fmtNum(100*slices.Max(ratios)), sig)
}

// judge is a case's verdict: not measured when either median is zero (or missing), since a
// ratio with nothing on one side (0/0 when every measurement is zero) decides nothing.
func judge(c Case, holds bool) string {
	if !(c.Value > 0 && c.Baseline > 0) || math.IsNaN(c.Ratio) || math.IsInf(c.Ratio, 0) {
		return NotMeasured
	}
	return verdictOf(holds)
}

func verdictOf(ok bool) string {
	if ok {
		return Holds
	}
	return DoesNotHold
}

// decide sets a claim's verdict from its primary cases: holds when all hold, does not hold
// when none does, and otherwise holds only under the condition (one setting's values) that
// separates the cases that hold from the others, where there is one.
func decide(c *Claim) {
	var prim []Case
	for _, cs := range c.Cases {
		if !strings.HasPrefix(cs.Verdict, "(") {
			prim = append(prim, cs)
		}
	}
	if len(prim) == 0 {
		c.Verdict = NotMeasured
		c.Measured = "no configuration to compare with a run without an upgrade"
		return
	}
	prim = slices.DeleteFunc(prim, func(cs Case) bool { return cs.Verdict == NotMeasured })
	if len(prim) == 0 {
		c.Verdict = NotMeasured
		c.Measured = "nothing measured: the medians compared are zero"
		return
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	held := 0
	for _, cs := range prim {
		lo, hi = min(lo, cs.Ratio), max(hi, cs.Ratio)
		if cs.Verdict == Holds {
			held++
		}
	}
	what := "maximum latency"
	if prim[0].Metric == "throughput" {
		what = "throughput"
	}
	if strings.HasSuffix(prim[0].Metric, ".rps") {
		what = "the client's requests per second"
	}
	if m := map[string]string{"probe_max_us": "the probe's ", "all.max_us": "all operations' ", "client.max_ms": "the client's "}[prim[0].Metric]; m != "" {
		what = m + what
	}
	c.Measured = fmt.Sprintf("ratio of %s to the reference: %s× to %s× over %d configurations", what, fmtRatio(lo), fmtRatio(hi), len(prim))
	if len(prim) == 1 {
		c.Measured = fmt.Sprintf("ratio of %s to the reference: %s×", what, fmtRatio(lo))
	}
	switch held {
	case len(prim):
		c.Verdict = Holds
		return
	case 0:
		c.Verdict = DoesNotHold
		return
	}
	c.Verdict = fmt.Sprintf("holds in %d of %d configurations", held, len(prim))
	if cond := condition(prim); cond != "" {
		c.Verdict = fmt.Sprintf(holdsOnlyFmt, cond)
	}
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
			v := cs.Params.Value(k)
			if cs.Verdict == Holds {
				holding[v] = true
			} else {
				failing[v] = true
			}
		}
		if len(holding)+len(failing) < 2 {
			continue
		}
		split := true
		for v := range holding {
			if failing[v] {
				split = false
			}
		}
		if !split {
			continue
		}
		var vs []string
		for v := range holding {
			vs = append(vs, v)
		}
		slices.Sort(vs)
		switch k {
		case "sms":
			if vs[0] == "off" {
				return "without structural modifications (sms off)"
			}
			return "with structural modifications (sms on)"
		case "traversals":
			if vs[0] == "off" {
				return "without long traversals"
			}
			return "with long traversals"
		case "upgrade":
			return "for the scenario(s) " + strings.Join(vs, ", ")
		case "migration":
			return "with " + strings.Join(vs, " or ") + " migration"
		}
		return "when " + k + " is " + strings.Join(vs, " or ")
	}
	return ""
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

// metricUnit formats a case's values in their unit.
func (c Case) fmtValue(v float64) string {
	return fmtUnit(v, c.Unit)
}

// writeFindings writes the findings in Markdown: per part the claims' summary, the cases, and
// the paragraph.
func writeFindings(w io.Writer, fds []Findings, parts int) {
	if len(fds) == 0 {
		return
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("## Findings\n\n")
	p("Computed from `summary.csv` by `dustm plot` (never written by hand): medians over the repetitions, ratios of medians "+
		"with their 95%% percentile-bootstrap interval (both samples resampled, %d times, fixed seed); "+
		"the noise floor (the run without an upgrade, and the platform hiccup probe where the results have it) beside every latency. "+
		"With few repetitions the intervals are wide and rough.\n\n", bootstrapResamples)
	for _, fd := range fds {
		if parts > 1 {
			p("### Part `%s`\n\n", fd.Part)
		}
		if len(fd.Claims) > 0 {
			p("| claim (paper) | measured | verdict |\n|---|---|---|\n")
			for _, c := range fd.Claims {
				p("| %s | %s | **%s** |\n", c.Claim, c.Measured, c.Verdict)
			}
			p("\n")
			for _, c := range fd.Claims {
				if len(c.Cases) == 0 {
					continue
				}
				p("*%s* — %s.\n\n", c.Claim, c.Rule)
				p("| configuration | metric | value | reference (floor) | hiccup max | ratio | 95%% CI | verdict |\n|---|---|---|---|---|---|---|---|\n")
				for _, cs := range c.Cases {
					p("| %s | `%s` | %s | %s | %s | %s× | %s | %s |\n", cs.Where, cs.Metric, cs.fmtValue(cs.Value), cs.fmtValue(cs.Baseline),
						fmtUnit(cs.Hiccup, "µs"), fmtRatio(cs.Ratio), cs.ciText(), cs.Verdict)
				}
				p("\n")
			}
		}
		if fd.Paragraph != "" {
			p("%s\n\n", fd.Paragraph)
		}
	}
}

// FindingsText is the findings for a terminal: each claim with its measure and verdict, then
// the paragraphs.
func FindingsText(fds []Findings) []string {
	var out []string
	for _, fd := range fds {
		for _, c := range fd.Claims {
			out = append(out, fmt.Sprintf("[%s] %s: %s — %s", fd.Part, c.Claim, c.Verdict, c.Measured))
			for _, cs := range c.Cases {
				if strings.HasPrefix(cs.Verdict, "(") {
					continue
				}
				out = append(out, fmt.Sprintf("    %s: %s %s vs %s (ratio %s×, 95%% CI %s, hiccup max %s): %s", cs.Where, cs.Metric,
					cs.fmtValue(cs.Value), cs.fmtValue(cs.Baseline), fmtRatio(cs.Ratio), cs.ciText(), fmtUnit(cs.Hiccup, "µs"), cs.Verdict))
			}
		}
		if fd.Paragraph != "" {
			out = append(out, fmt.Sprintf("[%s] %s", fd.Part, fd.Paragraph))
		}
	}
	return out
}

// Fit is a least-squares line through (log x, log y): y = A·x^B.
type Fit struct {
	A, B, R2 float64
	N        int
	XMin     float64
	XMax     float64
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
	f.N = len(lx)
	if f.N < 2 || f.XMin == f.XMax {
		return f, false
	}
	mx, my := mean(lx), mean(ly)
	var sxy, sxx, syy float64
	for i := range lx {
		sxy += (lx[i] - mx) * (ly[i] - my)
		sxx += (lx[i] - mx) * (lx[i] - mx)
		syy += (ly[i] - my) * (ly[i] - my)
	}
	f.B = sxy / sxx
	f.A = math.Exp(my - f.B*mx)
	f.R2 = 1.0
	if syy > 0 {
		f.R2 = sxy * sxy / (sxx * syy)
	}
	return f, true
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

// At is the fitted y at x.
func (f Fit) At(x float64) float64 { return f.A * math.Pow(x, f.B) }

// Inverse is the x at which the fit reaches y.
func (f Fit) Inverse(y float64) float64 { return math.Pow(y/f.A, 1/f.B) }

func (f Fit) String() string {
	return fmt.Sprintf("%s·n^%.2f (R² %.2f, %d points, n from %s to %s)", fmtNum(f.A), f.B, f.R2, f.N, fmtNum(f.XMin), fmtNum(f.XMax))
}

// eagerPoints are the eager configurations' medians of the objects converted and of a metric.
func eagerPoints(rows []*experiments.Row, metric string) (xs, ys []float64, used []*experiments.Row) {
	for _, r := range rows {
		if r.Params.Value("migration") != "eager" {
			continue
		}
		x, okx := stat(r, "upgrade.objects")
		y, oky := stat(r, metric)
		if okx && oky {
			xs, ys, used = append(xs, x.Median), append(ys, y.Median), append(used, r)
		}
	}
	return xs, ys, used
}

// scenarioFit is one scenario's eager points (objects converted, a metric) and their fit.
type scenarioFit struct {
	scenario string
	xs, ys   []float64
	rows     []*experiments.Row
	fit      Fit
	ok       bool // the fit exists (at least two object counts)
}

// eagerFits fits each scenario's eager points apart (a scenario's objects cost alike; the
// scenarios do not: composite-stats reads each composite part's atomic parts); when no
// scenario has two sizes, one fit across the scenarios, named "every scenario".
func eagerFits(rows []*experiments.Row, metric string) []scenarioFit {
	var out []scenarioFit
	xs, ys, used := eagerPoints(rows, metric)
	for i, r := range used {
		sc := r.Params.Value("upgrade")
		j := slices.IndexFunc(out, func(f scenarioFit) bool { return f.scenario == sc })
		if j < 0 {
			out = append(out, scenarioFit{scenario: sc})
			j = len(out) - 1
		}
		out[j].xs, out[j].ys, out[j].rows = append(out[j].xs, xs[i]), append(out[j].ys, ys[i]), append(out[j].rows, r)
	}
	any := false
	for i := range out {
		out[i].fit, out[i].ok = fitPower(out[i].xs, out[i].ys)
		any = any || out[i].ok
	}
	if !any && len(out) > 1 {
		all := scenarioFit{scenario: "every scenario", xs: xs, ys: ys, rows: used}
		all.fit, all.ok = fitPower(xs, ys)
		if all.ok {
			out = append(out, all)
		}
	}
	return out
}

// pauseFinding says how the eager upgrade's pause grows with the objects it converts, what an
// object costs per scenario, lazy's commit time, and where eager's maximum latency reaches
// 10, 100 and 1000 times the floor.
func pauseFinding(rows []*experiments.Row) string {
	var sb strings.Builder
	xs, ys, _ := eagerPoints(rows, "upgrade.commit_delay_ms")
	if len(xs) == 0 {
		return ""
	}
	// Per-object cost, per scenario.
	var scen []string
	for _, r := range rows {
		if r.Params.Value("migration") == "eager" && !slices.Contains(scen, r.Params.Value("upgrade")) {
			scen = append(scen, r.Params.Value("upgrade"))
		}
	}
	var costs []string
	for _, sc := range scen {
		var v []float64
		for _, r := range rows {
			if r.Params.Value("migration") == "eager" && r.Params.Value("upgrade") == sc {
				if st, ok := stat(r, "upgrade.us_per_object"); ok {
					v = append(v, st.Median)
				} else if p, ok := stat(r, "upgrade.world_stop_ms"); ok {
					if n, ok := stat(r, "upgrade.conversions_stopped"); ok && n.Median > 0 {
						v = append(v, p.Median*1e3/n.Median)
					}
				}
			}
		}
		if len(v) == 0 {
			continue
		}
		s := fmt.Sprintf("%s %s µs", sc, fmtNum(experiments.Median(v)))
		if len(v) > 1 {
			s += fmt.Sprintf(" (%s–%s over %d configurations)", fmtNum(slices.Min(v)), fmtNum(slices.Max(v)), len(v))
		}
		costs = append(costs, s)
	}
	sb.WriteString("**Eager at scale.** ")
	if len(costs) > 0 {
		fmt.Fprintf(&sb, "An eager upgrade stops the world and converts every object of the changed classes: per object converted (the "+
			"stopped world's time / objects; medians) %s. ", strings.Join(costs, "; "))
	}
	var fits []string
	for _, f := range eagerFits(rows, "upgrade.commit_delay_ms") {
		if f.ok {
			fits = append(fits, fmt.Sprintf("%s %s ms", f.scenario, f.fit))
		}
	}
	if len(fits) > 0 {
		fmt.Fprintf(&sb, "Its time from request to commit grows with the objects converted n as (least squares on log–log) %s. ", strings.Join(fits, "; "))
	} else {
		fmt.Fprintf(&sb, "Its time from request to commit: %s ms for %s objects (one configuration: no fit). ", fmtNum(ys[0]), fmtNum(xs[0]))
	}
	var lazy []float64
	for _, r := range rows {
		if m := r.Params.Value("migration"); (m == "lazy" || m == "lazy+sweep") && withUpgrade(r) {
			if st, ok := stat(r, "upgrade.commit_delay_ms"); ok {
				lazy = append(lazy, st.Median)
			}
		}
	}
	if len(lazy) > 0 {
		fmt.Fprintf(&sb, "A lazy upgrade only commits: %s to %s ms from request to commit, whatever the size. ", fmtNum(slices.Min(lazy)), fmtNum(slices.Max(lazy)))
	}
	sb.WriteString(ratioCrossings(rows))
	sb.WriteString("The paper (Pina & Cachopo 2012, as far as its text is available to us: the abstract) gives no per-object conversion " +
		"cost for its Java system, so no comparison with it is made here.")
	return sb.String()
}

// floorOf is the maximum-latency floor the eager ratios are taken against: the median over
// the runs without an upgrade (or, failing those, the lazy ones) of the metric.
func floorOf(rows []*experiments.Row, metric string) (float64, string) {
	var v []float64
	for _, r := range rows {
		if st, ok := stat(r, metric); ok && noUpgrade(r) {
			v = append(v, st.Median)
		}
	}
	if len(v) > 0 {
		return experiments.Median(v), "the runs without an upgrade"
	}
	for _, r := range rows {
		if st, ok := stat(r, metric); ok && r.Params.Value("migration") == "lazy" {
			v = append(v, st.Median)
		}
	}
	if len(v) > 0 {
		return experiments.Median(v), "the lazy runs (no run without an upgrade here)"
	}
	return math.NaN(), ""
}

// ratioCrossings says where eager's maximum latency reaches 10×, 100× and 1000× the floor:
// measured where a configuration reached it, else where the fitted pause (request to commit:
// an eager operation waits at least that long) reaches it, when the fit is good enough to
// extrapolate (R² ≥ 0.5, a growing line) and not beyond a thousand times the largest state.
func ratioCrossings(rows []*experiments.Row) string {
	metric := "all.max_us"
	if slices.ContainsFunc(rows, func(r *experiments.Row) bool { _, ok := stat(r, "probe_max_us"); return ok }) {
		metric = "probe_max_us"
	}
	floor, from := floorOf(rows, metric)
	xs, ys, _ := eagerPoints(rows, metric)
	if math.IsNaN(floor) || floor <= 0 || len(xs) == 0 {
		return ""
	}
	pauseFits := eagerFits(rows, "upgrade.commit_delay_ms")
	best := 0.0
	for i := range xs {
		best = max(best, ys[i]/floor)
	}
	var per []string
	for _, f := range eagerFits(rows, metric) {
		if f.scenario == "every scenario" {
			continue
		}
		var fit Fit
		usable := false
		for _, pf := range pauseFits {
			if pf.scenario == f.scenario && pf.ok && pf.fit.B > 0.1 && pf.fit.R2 >= 0.5 {
				fit, usable = pf.fit, true
			}
		}
		var parts []string
		for _, k := range []float64{10, 100, 1000} {
			reached := math.Inf(1)
			for i := range f.xs {
				if f.ys[i]/floor >= k {
					reached = min(reached, f.xs[i])
				}
			}
			switch n := fit.Inverse(k * floor / 1e3); {
			case !math.IsInf(reached, 1):
				parts = append(parts, fmt.Sprintf("%s× measured from %s objects on", fmtNum(k), fmtNum(reached)))
			case usable && n <= 1000*fit.XMax:
				parts = append(parts, fmt.Sprintf("%s× at about %s objects", fmtNum(k), fmtNum(n)))
			case usable:
				parts = append(parts, fmt.Sprintf("%s× only beyond %s objects", fmtNum(k), fmtNum(1000*fit.XMax)))
			default:
				parts = append(parts, fmt.Sprintf("%s× not reached", fmtNum(k)))
			}
		}
		per = append(per, f.scenario+": "+strings.Join(parts, ", "))
	}
	return fmt.Sprintf("Against the floor of %s (`%s` %s), eager's maximum latency is at most %s× of it here. Where it reaches 10×, "+
		"100× and 1000× (measured, or read from the scenario's fitted pause, which an operation waiting for the stopped world at "+
		"least sees, where the fit has R² ≥ 0.5 and the point is within a thousand times the largest state measured) — %s. ",
		from, metric, fmtUnit(floor, "µs"), fmtRatio(best), strings.Join(per, "; "))
}

// scalabilityFinding states, per workload, the fastest method at the most threads and how the
// STM scales.
func scalabilityFinding(rows []*experiments.Row) string {
	if len(rows) == 0 {
		return ""
	}
	most := 0.0
	threads := map[string]bool{}
	for _, r := range rows {
		most = max(most, num(r.Params.Value("threads")))
		threads[r.Params.Value("threads")] = true
	}
	if len(threads) < 2 {
		return "" // not a scalability experiment
	}
	wlabels, wgroups := groups(rows, []string{"workload"})
	var parts []string
	for wi, g := range wgroups {
		var best *experiments.Row
		bestV := 0.0
		for _, r := range g {
			if num(r.Params.Value("threads")) != most {
				continue
			}
			if st, ok := stat(r, "throughput"); ok && st.Median > bestV {
				best, bestV = r, st.Median
			}
		}
		if best == nil {
			continue
		}
		name := wlabels[wi]
		if name == "" {
			name = "all runs"
		}
		s := fmt.Sprintf("%s: at %s threads the fastest is %s (%s op/s)", name, fmtNum(most), label(best.Params, varying(g, "threads", "workload")), fmtNum(bestV))
		// The STM's speed-up from the fewest to the most threads.
		var one, top *experiments.Row
		fewest := math.Inf(1)
		for _, r := range g {
			fewest = min(fewest, num(r.Params.Value("threads")))
		}
		for _, r := range g {
			if r.Params.Value("backend") != "stm" || (r.Params.Value("commit") != "" && r.Params.Value("commit") != "lockfree") {
				continue
			}
			switch num(r.Params.Value("threads")) {
			case fewest:
				one = r
			case most:
				top = r
			}
		}
		if one != nil && top != nil && fewest != most {
			c := compare(top, one, "throughput", "")
			s += fmt.Sprintf("; the STM (stm) scales %s× from %s to %s threads (95%% CI %s)", fmtRatio(c.Ratio), fmtNum(fewest), fmtNum(most), c.ciText())
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return ""
	}
	return "**Finding.** Throughput (medians over the repetitions): " + strings.Join(parts, ". ") + "."
}

// microFinding states, per benchmark at the highest GOMAXPROCS, the fastest contender and the
// STM's time against each other contender.
func microFinding(rows []*experiments.Row) string {
	type entry struct {
		impl string
		row  *experiments.Row
	}
	byWl := map[string][]entry{}
	var wls []string
	procs := 0.0
	for _, r := range rows {
		procs = max(procs, num(r.Params.Value("procs")))
	}
	for _, r := range rows {
		if num(r.Params.Value("procs")) != procs {
			continue
		}
		seg := strings.Split(r.Params.Value("benchmark"), "/")
		if len(seg) < 2 {
			continue
		}
		impl, wl := seg[1], strings.Join(append([]string{seg[0]}, seg[2:]...), "/")
		if !slices.Contains(wls, wl) {
			wls = append(wls, wl)
		}
		byWl[wl] = append(byWl[wl], entry{impl, r})
	}
	var parts []string
	for _, wl := range wls {
		es := byWl[wl]
		if len(es) < 2 {
			continue
		}
		// The fastest of ours (dustm-…) against the fastest of the others.
		var best, ours entry
		bestV, oursV := math.Inf(1), math.Inf(1)
		for _, e := range es {
			st, ok := stat(e.row, "ns_per_op")
			switch {
			case !ok:
			case strings.HasPrefix(e.impl, "dustm"):
				if st.Median < oursV {
					ours, oursV = e, st.Median
				}
			case st.Median < bestV:
				best, bestV = e, st.Median
			}
		}
		if best.row == nil && ours.row == nil {
			continue
		}
		var s string
		switch {
		case best.row == nil:
			s = fmt.Sprintf("%s: ours (%s) %s ns/op", wl, ours.impl, fmtNum(oursV))
		case ours.row == nil:
			s = fmt.Sprintf("%s: fastest %s (%s ns/op)", wl, best.impl, fmtNum(bestV))
		default:
			c := compare(ours.row, best.row, "ns_per_op", "")
			s = fmt.Sprintf("%s: ours (%s, %s ns/op) takes %s× the time of the fastest other, %s (%s ns/op; 95%% CI of the ratio %s)",
				wl, ours.impl, fmtNum(oursV), fmtRatio(c.Ratio), best.impl, fmtNum(bestV), c.ciText())
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return ""
	}
	return fmt.Sprintf("**Finding.** At GOMAXPROCS=%s (medians over the repetitions): %s.", fmtNum(procs), strings.Join(parts, "; "))
}
