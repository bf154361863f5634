package plots

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/record"
)

// Options configure the figures.
type Options struct {
	// First draws time series from each configuration's first repetition instead of the
	// median, interval by interval, over its repetitions.
	First bool
	// Force replaces summary.csv and REPORT.md even when they would count fewer successful
	// runs than the ones there (analysis.SummaryOptions).
	Force bool
}

// Skipped is a figure the results do not support, and why.
type Skipped struct {
	Figure, Part, Reason string
}

// builder draws one kind of figure from one part's rows; it returns nil and a reason when
// the part's results do not support it.
type builder struct {
	name  string
	build func(c *ctx) (*Figure, string, error)
}

func builders() []builder {
	return []builder{
		{"upgrade-headline", headline}, {"max-latency", maxLatency}, {"upgrade-timeline", timeline},
		{"upgrade-migration", migration}, {"throughput-threads", throughputThreads}, {"overhead", overhead},
		{"pause-size", pauseSize}, {"pause-fraction", pauseFraction}, {"pause-objects", pauseObjects},
		{"latency-percentiles", percentiles}, {"micro", micro},
	}
}

// ctx is what a builder sees: one part's rows and how to name its figure.
type ctx struct {
	folder *experiments.Folder
	sum    *analysis.Summary
	part   string
	rows   view   // rows of the part with at least one successful run
	prefix string // "part-" when the folder has several parts
	title  string // "part: " likewise
	opts   Options
	series map[*experiments.RunData][]record.Tick // read once; nil for a damaged one
}

// Figures builds every figure that the results support, part by part, and lists the figures
// each part could not have, with the reason.
func Figures(f *experiments.Folder, s *analysis.Summary, o Options) ([]*Figure, []Skipped, error) {
	var figs []*Figure
	var skipped []Skipped
	parts := f.Parts()
	cache := map[*experiments.RunData][]record.Tick{}
	for _, part := range parts {
		c := &ctx{folder: f, sum: s, part: part, opts: o, series: cache}
		for _, r := range s.Rows {
			if r.Part == part && r.Runs > 0 {
				c.rows = append(c.rows, r)
			}
		}
		if len(parts) > 1 {
			c.prefix, c.title = part+"-", part+": "
		}
		bs := builders()
		if isKVPart(f, part) {
			bs = kvBuilders()
		}
		for _, b := range append(bs, declaredBuilders(f)...) {
			fig, why, err := b.build(c)
			if err != nil {
				return figs, skipped, err
			}
			if fig == nil || len(fig.Panels) == 0 {
				skipped = append(skipped, Skipped{Figure: b.name, Part: part, Reason: cmp.Or(why, "no data to draw")})
				continue
			}
			fig.Name = c.prefix + b.name
			figs = append(figs, fig)
		}
	}
	return figs, skipped, nil
}

// The projection pass every figure uses (golang.org/x/perf's benchproc is the model): a view
// of rows is filtered by configuration values, grouped by keys into labelled groups in order
// of appearance, sorted, and projected onto series or bars by metric name.

// view is a selection of a part's rows.
type view []*analysis.Row

// val is a row's value of a configuration key; a run without an upgrade has "none".
func val(r *analysis.Row, key string) string {
	v, ok := r.Params.Get(key)
	if key == "upgrade" && (!ok || v == "") {
		return "none"
	}
	return v
}

func noUpgrade(r *analysis.Row) bool   { return val(r, "upgrade") == "none" }
func withUpgrade(r *analysis.Row) bool { return !noUpgrade(r) }

// where keeps the rows that pass keep.
func (v view) where(keep func(*analysis.Row) bool) view {
	return slices.DeleteFunc(slices.Clone(v), func(r *analysis.Row) bool { return !keep(r) })
}

// is keeps the rows whose value of key is one of vals; not the others.
func (v view) is(key string, vals ...string) view {
	return v.where(func(r *analysis.Row) bool { return slices.Contains(vals, val(r, key)) })
}
func (v view) not(key string, vals ...string) view {
	return v.where(func(r *analysis.Row) bool { return !slices.Contains(vals, val(r, key)) })
}

// values lists the values of key, in order of appearance.
func (v view) values(key string) []string {
	return v.valuesOf(func(r *analysis.Row) string { return val(r, key) })
}

// valuesOf lists the values of f, in order of appearance.
func (v view) valuesOf(f func(*analysis.Row) string) []string {
	var out []string
	for _, r := range v {
		if x := f(r); !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// sorted orders the rows by x, stably.
func (v view) sorted(x func(*analysis.Row) (float64, bool)) view {
	out := slices.Clone(v)
	slices.SortStableFunc(out, func(a, b *analysis.Row) int { xa, _ := x(a); xb, _ := x(b); return cmp.Compare(xa, xb) })
	return out
}

// group is the rows that share their values of the grouping keys.
type group struct {
	label string
	rows  view
}

// by groups the rows by their values of keys, in order of appearance.
func (v view) by(keys ...string) []group {
	var out []group
	for _, r := range v {
		l := label(r.Params, keys)
		i := slices.IndexFunc(out, func(g group) bool { return g.label == l })
		if i < 0 {
			out, i = append(out, group{label: l}), len(out)
		}
		out[i].rows = append(out[i].rows, r)
	}
	return out
}

// varying lists the keys whose values differ among the rows, leaving out except (and procs),
// in the order of the experiments' keys.
func varying(rows []*analysis.Row, except ...string) []string {
	var keys []string
	for _, r := range rows {
		for _, p := range r.Params {
			if slices.Contains(keys, p.Key) || slices.Contains(except, p.Key) || p.Key == "procs" {
				continue
			}
			// A row without the key does not make it vary.
			if slices.ContainsFunc(rows, func(o *analysis.Row) bool { v, ok := o.Params.Get(p.Key); return ok && v != p.Value }) {
				keys = append(keys, p.Key)
			}
		}
	}
	all := experiments.Keys()
	order := func(k string) int {
		if i := slices.IndexFunc(all, func(h experiments.KeyHelp) bool { return h.Key == k }); i >= 0 {
			return i
		}
		return len(all)
	}
	slices.SortStableFunc(keys, func(a, b string) int { return order(a) - order(b) })
	return keys
}

// label names a row by its values of keys.
func label(ps experiments.Params, keys []string) string {
	var parts []string
	for _, k := range keys {
		v, ok := ps.Get(k)
		switch {
		case !ok:
		case slices.Contains([]string{"backend", "commit", "migration", "upgrade", "size"}, k):
			parts = append(parts, v)
		case k == "workload":
			parts = append(parts, "-w "+v)
		case k == "threads":
			parts = append(parts, "t="+v)
		case slices.Contains([]string{"traversals", "sms", "thread-seeds", "check", "replay", "dry-run"}, k):
			parts = append(parts, k+" "+v)
		default:
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// stat returns a row's statistic of a metric (ok false when absent).
func stat(r *analysis.Row, metric string) (analysis.Stat, bool) {
	s, ok := r.Stats[metric]
	return s, ok && s.N > 0
}

// key and metric are the x of a row: a configuration value as a number, or a metric's median.
func key(k string) func(*analysis.Row) (float64, bool) {
	return func(r *analysis.Row) (float64, bool) { x := num(val(r, k)); return x, !math.IsNaN(x) }
}
func metric(m string) func(*analysis.Row) (float64, bool) {
	return func(r *analysis.Row) (float64, bool) { s, ok := stat(r, m); return s.Median, ok }
}

// line projects rows onto one series: x from x, y the metric's median times scale, the bars
// its minimum and maximum; rows without either are left out.
func line(name string, rows view, x func(*analysis.Row) (float64, bool), m string, scale float64) Series {
	s := Series{Label: name, Points: true}
	for _, r := range rows.sorted(x) {
		xv, okx := x(r)
		st, oky := stat(r, m)
		if okx && oky {
			s.X, s.Y = append(s.X, xv), append(s.Y, st.Median*scale)
			s.YLow, s.YHigh = append(s.YLow, st.Min*scale), append(s.YHigh, st.Max*scale)
		}
	}
	return s
}

// bars projects rows onto grouped bars: one bar series per value of seriesOf in series (those
// with no bar left out), one group per value of groupOf in groupNames (every group, groupOf
// nil); a bar is the median of metricOf(group) times scale, its whiskers the minimum and maximum.
func bars(rows view, series []string, seriesOf func(*analysis.Row) string, groupNames []string,
	groupOf func(*analysis.Row) string, metricOf func(g string) string, scale float64) *Bars {
	b := &Bars{Groups: groupNames}
	for si, sv := range series {
		bs, any := newBarSeries(sv, si, len(groupNames)), false
		for _, r := range rows {
			for g, gn := range groupNames {
				if seriesOf(r) != sv || (groupOf != nil && groupOf(r) != gn) {
					continue
				}
				if st, ok := stat(r, metricOf(gn)); ok {
					bs.Y[g], bs.YLow[g], bs.YHigh[g], any = st.Median*scale, st.Min*scale, st.Max*scale, true
				}
			}
		}
		if any {
			b.Series = append(b.Series, bs)
		}
	}
	return b
}

// newBarSeries is a series of n bars, all missing (NaN) until set.
func newBarSeries(label string, color, n int) BarSeries {
	bs := BarSeries{Label: label, Color: color, Y: make([]float64, n), YLow: make([]float64, n), YHigh: make([]float64, n)}
	for i := range n {
		bs.Y[i], bs.YLow[i], bs.YHigh[i] = math.NaN(), math.NaN(), math.NaN()
	}
	return bs
}

// axis is an axis label: what (the metric's name when empty) and the metric's unit, scaled.
func (c *ctx) axis(what, name string, scale float64, log bool) string {
	unit := scaledUnit(c.sum.Metric(name).Unit, scale)
	if log {
		unit = strings.TrimPrefix(unit+", log", ", ")
	}
	return strings.TrimSuffix(cmp.Or(what, name)+" ("+unit+")", " ()")
}

// scaledUnit is unit after multiplying by scale: a time unit steps (µs × 1e-3 = ms), bytes
// to MiB, others take a prefix (op/s × 1e-3 = k op/s).
func scaledUnit(unit string, scale float64) string {
	times := []string{"ns", "µs", "ms", "s"}
	switch i := slices.Index(times, unit); {
	case scale == 1:
		return unit
	case i >= 0 && i+int(math.Round(-math.Log10(scale)/3)) < len(times):
		return times[i+int(math.Round(-math.Log10(scale)/3))]
	case unit == "B" && scale == 1.0/(1<<20):
		return "MiB"
	case scale == 1e-3:
		return "k " + unit
	case scale == 1e-6:
		return "M " + unit
	}
	return fmt.Sprintf("%s × %g", unit, scale)
}

func num(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// repsNote says how many repetitions the medians are of.
func (c *ctx) repsNote(rows []*analysis.Row) string {
	lo, hi := math.MaxInt, 0
	for _, r := range rows {
		lo, hi = min(lo, r.Runs), max(hi, r.Runs)
	}
	switch {
	case hi == 0:
		return "no successful runs"
	case lo == hi && hi == 1:
		return "one run per configuration"
	case lo == hi:
		return fmt.Sprintf("median of %d runs per configuration, each a fresh process", hi)
	}
	return fmt.Sprintf("median of %d to %d runs per configuration, each a fresh process", lo, hi)
}

func keysNote(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return " (" + strings.Join(keys, ", ") + ")"
}

// bench returns the part's bench rows (not micro-benchmarks) that pass keep.
func (c *ctx) bench(keep func(*analysis.Row) bool) view {
	return c.rows.where(func(r *analysis.Row) bool {
		_, micro := r.Params.Get("benchmark")
		return !micro && (keep == nil || keep(r))
	})
}

func workloadName(w string) string {
	names := map[string]string{"r": "read-dominated workload (-w r)", "rw": "read-write workload (-w rw)",
		"w": "write-dominated workload (-w w)", "ro": "read-only workload (-w ro)"}
	return cmp.Or(names[w], "workload "+w)
}

// The series projection: a run's ticks, read once, and one value of them by name, interval by
// interval, as the median over the repetitions.

// ticks are the series of a row's runs (the first run's only, with First).
func (c *ctx) ticks(r *analysis.Row) [][]record.Tick {
	var out [][]record.Tick
	for _, smp := range r.Samples {
		if s := c.runTicks(smp.Run); len(s) > 0 {
			out = append(out, s)
			if c.opts.First {
				break
			}
		}
	}
	return out
}

// runTicks reads a run's series once, less a partial last interval; a damaged series leaves
// the run out of the figures (with a warning), not the folder.
func (c *ctx) runTicks(run *experiments.RunData) []record.Tick {
	if run == nil || !run.HasSeries() {
		return nil
	}
	s, ok := c.series[run]
	if !ok {
		var err error
		if s, err = run.Series(); err != nil {
			c.folder.Warn("%v; the run's time series is left out of the figures", err)
			s = nil
		}
		s = trimPartial(s)
		c.series[run] = s
	}
	return s
}

// trimPartial drops a last interval shorter than half the others: the stub between the last
// tick and the end of the run, whose rates are noise.
func trimPartial(s []record.Tick) []record.Tick {
	if len(s) >= 3 && s[len(s)-1].T-s[len(s)-2].T < 0.5*medianStep(s) {
		return s[:len(s)-1]
	}
	return s
}

func medianStep(s []record.Tick) float64 {
	var dts []float64
	for i := 1; i < len(s); i++ {
		dts = append(dts, s[i].T-s[i-1].T)
	}
	return analysis.Median(dts)
}

// tv projects a tick value times scale, where the tick has it; lat a latency in ms, where the
// interval has operations or a latency.
func tv(name string, scale float64) func(record.Tick) (float64, bool) {
	return func(t record.Tick) (float64, bool) { v, ok := t.Values[name]; return v * scale, ok }
}
func lat(name string) func(record.Tick) (float64, bool) {
	return func(t record.Tick) (float64, bool) {
		v, ok := t.Values[name]
		return v / 1e3, ok && (v > 0 || t.Values["ops"] > 0)
	}
}

// aggregate turns several runs' series into one: interval i's time and value are the
// medians of the runs' i-th intervals (get says whether an interval has a value).
func aggregate(runs [][]record.Tick, get func(record.Tick) (float64, bool)) (t, y []float64) {
	n := 0
	for _, s := range runs {
		n = max(n, len(s))
	}
	for i := range n {
		var ts, vs []float64
		for _, s := range runs {
			if i < len(s) {
				if v, ok := get(s[i]); ok {
					ts, vs = append(ts, s[i].T), append(vs, v)
				}
			}
		}
		if len(vs) > 0 {
			t, y = append(t, analysis.Median(ts)), append(y, analysis.Median(vs))
		}
	}
	return t, y
}

func (c *ctx) aggNote() string {
	if c.opts.First {
		return "the first repetition of each configuration"
	}
	return "each interval the median over the repetitions"
}

// timelineStep is the timeline's resolution: finer series are merged into intervals of it.
const timelineStep = 0.1

// coarsen merges a series' consecutive intervals into windows of about step seconds (a
// series already that coarse is left as it is).
func coarsen(s []record.Tick, step float64) []record.Tick {
	if len(s) < 2 || medianStep(s) >= step/2 {
		return s
	}
	var out []record.Tick
	start, from := 0.0, 0
	for i := range s {
		if s[i].T-start >= step*0.999 || i == len(s)-1 {
			out = append(out, window(s[from:i+1], start))
			start, from = s[i].T, i+1
		}
	}
	return out
}

// window merges consecutive ticks into one: the operations add up, the maximum is the
// largest, the p99 that of the merged histograms (the largest p99 where a tick lacks its
// histogram: an upper bound), the throughput over the window.
func window(ts []record.Tick, start float64) record.Tick {
	last := ts[len(ts)-1]
	w := record.Tick{T: last.T, Values: map[string]float64{"throughput": last.Values["throughput"]}}
	var hists []string
	exact := true
	for _, t := range ts {
		w.Values["ops"] += t.Values["ops"]
		w.Values["max_us"] = max(w.Values["max_us"], t.Values["max_us"])
		w.Values["p99_us"] = max(w.Values["p99_us"], t.Values["p99_us"])
		exact = exact && (t.Hists["all"] != "" || t.Values["ops"] == 0)
		hists = append(hists, t.Hists["all"])
		w.Events = append(w.Events, t.Events...)
	}
	if h, err := record.Merge(hists...); exact && err == nil && h != nil {
		w.Values["p99_us"] = float64(h.ValueAtQuantile(99)) / 1e3
	}
	if d := last.T - start; d > 0 {
		w.Values["throughput"] = w.Values["ops"] / d
	}
	return w
}

// upgradeMarks are the median instants of a row's upgrade, from the results (or, failing
// that, the first series' events).
func upgradeMarks(r *analysis.Row, runs [][]record.Tick, color int) []Mark {
	var out []Mark
	for _, kind := range []string{"requested", "committed", "migrated"} {
		if s, ok := stat(r, "upgrade."+kind+"_s"); ok {
			out = append(out, Mark{X: s.Median, Kind: kind, Color: color})
		}
	}
	if len(out) > 0 || len(runs) == 0 {
		return out
	}
	for _, t := range runs[0] {
		for _, e := range t.Events {
			out = append(out, Mark{X: e.T, Kind: e.Name, Color: color})
		}
	}
	return out
}

// timeline draws throughput and latency over time across the upgrade: one row of two panels
// per scenario (and per value of any other varying setting, so that each panel compares the
// strategies with their own baseline), one line per strategy, the baseline in black. Runs
// named one by one without an upgrade get their throughput and latency over time instead.
func timeline(c *ctx) (*Figure, string, error) {
	rows := c.bench(nil)
	scenarios := rows.not("upgrade", "none").values("upgrade")
	groupKeys, lineKeys, title := varying(rows, "upgrade", "migration"), []string(nil), "Throughput and latency across an upgrade"
	plain := len(scenarios) == 0
	if plain {
		if c.folder.Manifest != nil {
			return nil, "no run with an upgrade", nil
		}
		scenarios, groupKeys, lineKeys, title = []string{"none"}, nil, varying(rows), "Throughput and latency over time"
	}
	fig := &Figure{Title: c.title + title, Cols: 2}
	const xl = "time since the start (s)"
	var upgradeAt []float64
	for _, sc := range scenarios {
		for _, g := range rows.where(func(r *analysis.Row) bool { return val(r, "upgrade") == sc || noUpgrade(r) }).by(groupKeys...) {
			where := strings.Trim(strings.TrimPrefix("scenario "+sc, "scenario none")+", "+g.label, ", ")
			tp := Panel{Title: strings.TrimPrefix(where+": throughput", ": "), XLabel: xl, YLabel: c.axis("throughput", "throughput", 1e-3, false), Legend: true}
			lt := Panel{Title: strings.TrimPrefix(where+": max (solid) and p99 (dashed) latency", ": "), XLabel: xl,
				YLabel: c.axis("latency", "max_us", 1e-3, true), LogY: true}
			for i, r := range g.rows {
				runs := c.ticks(r)
				if len(runs) == 0 {
					continue
				}
				for j := range runs { // finer intervals only tangle the lines over a whole run
					runs[j] = coarsen(runs[j], timelineStep)
				}
				name, col := val(r, "migration"), strategyColor(r.Params)
				switch {
				case plain:
					name, col = cmp.Or(label(r.Params, lineKeys), "the run"), i%paletteSize
				case noUpgrade(r):
					name = "no upgrade"
				}
				t, y := aggregate(runs, tv("throughput", 1e-3))
				tp.Series = append(tp.Series, Series{Label: name, X: t, Y: y, Color: col})
				t, y = aggregate(runs, lat("max_us"))
				lt.Series = append(lt.Series, Series{Label: name + " max", X: t, Y: y, Color: col})
				t, y = aggregate(runs, lat("p99_us"))
				lt.Series = append(lt.Series, Series{Label: name + " p99", X: t, Y: y, Color: col, Dashed: true})
				if withUpgrade(r) {
					ms := upgradeMarks(r, runs, col)
					tp.Marks, lt.Marks = append(tp.Marks, ms...), append(lt.Marks, ms...)
					for _, m := range ms {
						if m.Kind == "requested" {
							upgradeAt = append(upgradeAt, m.X)
						}
					}
				}
			}
			if len(tp.Series) > 0 {
				fig.Panels = append(fig.Panels, tp, lt)
			}
		}
	}
	if len(fig.Panels) == 0 {
		return nil, "the runs with an upgrade have no time series", nil
	}
	fig.Caption = c.timelineCaption(upgradeAt, slices.ContainsFunc(rows, noUpgrade), plain)
	return fig, "", nil
}

func (c *ctx) timelineCaption(upgradeAt []float64, baseline, plain bool) string {
	if plain {
		return "Throughput (successful operations per second, per interval of the time series) and the maximum (solid) and " +
			"99th-percentile (dashed) latency of the operations completing in each interval, one line per run named. Series " +
			"finer than 0.1 s are merged into 0.1 s intervals (maximum of the maxima, the p99 of the merged histograms)."
	}
	at, base := "", ""
	if len(upgradeAt) > 0 {
		at = fmt.Sprintf(" requested at %s s", fmtNum(slices.Min(upgradeAt)))
		if lo, hi := slices.Min(upgradeAt), slices.Max(upgradeAt); hi-lo > 0.01 {
			at = fmt.Sprintf(" requested between %s and %s s", fmtNum(lo), fmtNum(hi))
		}
	}
	if baseline {
		base = "; the black line is the same run without an upgrade"
	}
	return fmt.Sprintf("Throughput (successful operations per second, per interval of the time series) and the maximum "+
		"(solid) and 99th-percentile (dashed) latency of the operations completing in each interval, across an upgrade%s, "+
		"one row per upgrade scenario (and per value of any other setting that varies), one line per migration strategy%s. "+
		"Series: %s. Vertical lines: dotted = upgrade requested, solid = committed, dashed = every object migrated (medians over the repetitions). "+
		"Series finer than 0.1 s are merged into 0.1 s intervals here (maximum of the maxima, the p99 of the merged histograms); "+
		"the headline figure shows the seconds around the upgrade at their own resolution.", at, base, c.aggNote())
}

// migration draws the objects converted and the heap over time across the upgrade: one row
// of panels per scenario group, one line per strategy in its fixed colour.
func migration(c *ctx) (*Figure, string, error) {
	gs := upgradeGroups(c.bench(nil))
	if len(gs) == 0 {
		return nil, "no run with an upgrade", nil
	}
	fig := &Figure{Title: c.title + "State migration across an upgrade", Cols: 2}
	anyConv := false
	for _, g := range gs {
		const xl = "time since the start (s)"
		conv := Panel{Title: g.label + ": objects converted", XLabel: xl, YLabel: "converted (% of the changed objects)", Legend: true}
		heap := Panel{Title: g.label + ": heap in use", XLabel: xl, YLabel: c.axis("heap", "heap_bytes", 1.0/(1<<20), false), Legend: true}
		for _, r := range g.rows {
			runs := c.ticks(r)
			if len(runs) == 0 {
				continue
			}
			name, color := cmp.Or(val(r, "migration"), "none"), strategyColor(r.Params)
			if noUpgrade(r) {
				name = "no upgrade"
			}
			if objs, ok := stat(r, "upgrade.objects"); ok && objs.Median > 0 && withUpgrade(r) {
				if t, y := aggregate(runs, tv("converted_total", 100/objs.Median)); len(t) > 0 {
					anyConv = true
					conv.Series = append(conv.Series, Series{Label: name, X: t, Y: y, Color: color})
					ms := upgradeMarks(r, runs, color)
					conv.Marks, heap.Marks = append(conv.Marks, ms...), append(heap.Marks, ms...)
				}
			}
			if t, y := aggregate(runs, tv("heap_bytes", 1.0/(1<<20))); len(t) > 0 {
				heap.Series = append(heap.Series, Series{Label: name, X: t, Y: y, Color: color})
			}
		}
		fig.Panels = append(fig.Panels, conv, heap)
	}
	if !anyConv {
		return nil, "the series have no converted_total (a dustm bench without the upgrade series fields)", nil
	}
	fig.Caption = "Objects of the changed types converted to the new version over time (as a share of upgrade.objects), and the heap in use, " +
		"per upgrade scenario (one row per scenario and any other setting that varies) and migration strategy, each strategy in its colour " +
		"(black: the run without an upgrade). Lazy migration converts on first touch; the sweeper " +
		"converts the rest in the background; eager converts everything with the world stopped. The heap holds the pre-upgrade versions " +
		"until every object is converted. Series: " + c.aggNote() + "."
	return fig, "", nil
}

// against is the figures' common kind, declared: metrics (one panel each) against x, one line
// per combination of lines (by default the settings that vary but except), a row of panels
// per workload where perWorkload and the workload varies.
type against struct {
	title, xLabel string
	x             func(*analysis.Row) (float64, bool)
	except, lines []string
	perWorkload   bool
	log           bool   // both axes logarithmic, else x ticks at the values drawn
	unnamed       string // the label of the one line when nothing varies
	ys            []yAxis
	caption       func(lineKeys []string) string
}

// yAxis is one panel of an against figure: a metric times scale, drawn from the rows keep
// passes (all, keep nil).
type yAxis struct {
	title, what, metric string
	scale               float64
	keep                func(*analysis.Row) bool
}

// figure draws the rows as a declares.
func (a against) figure(c *ctx, rows view) *Figure {
	var panelKeys []string
	if a.perWorkload && slices.Contains(varying(rows), "workload") {
		panelKeys = []string{"workload"}
	}
	lineKeys := a.lines
	if lineKeys == nil {
		lineKeys = varying(rows, append(slices.Clone(a.except), panelKeys...)...)
	}
	fig, st := &Figure{Title: c.title + a.title, Caption: a.caption(lineKeys)}, newStyler(lineKeys, rows)
	for pi, pg := range rows.by(panelKeys...) {
		for yi, y := range a.ys {
			pn := Panel{Title: y.title, XLabel: a.xLabel, YLabel: c.axis(y.what, y.metric, y.scale, a.log), LogX: a.log, LogY: a.log,
				Legend: pi == 0 && yi == 0}
			if len(panelKeys) > 0 {
				pn.Title = workloadName(val(pg.rows[0], "workload"))
			}
			var ticks []float64
			for li, g := range pg.rows.by(lineKeys...) {
				rs := g.rows
				if y.keep != nil {
					rs = rs.where(y.keep)
				}
				s := line(cmp.Or(g.label, a.unnamed), rs, a.x, y.metric, y.scale)
				s.Color, s.Dash = li%paletteSize, li/paletteSize
				if fixedLooks(lineKeys) {
					s.Color, s.Dash = st.style(g.rows[0].Params, li)
				}
				pn.Series = append(pn.Series, s)
				ticks = append(ticks, s.X...)
			}
			slices.Sort(ticks)
			for _, x := range slices.Compact(ticks) {
				pn.XTicks = append(pn.XTicks, Tick{x, fmtNum(x)})
			}
			if a.log {
				pn.XTicks = nil
			}
			fig.Panels = append(fig.Panels, pn)
		}
	}
	fig.Cols = min(2, len(fig.Panels))
	return fig
}

// fixedLooks reports whether an against figure's lines take the strategy's or the backend's
// fixed colour: only where nothing else tells them apart, since a line of a few points shows
// no dash pattern.
func fixedLooks(lineKeys []string) bool {
	only := func(allowed ...string) bool {
		return len(lineKeys) > 0 && !slices.ContainsFunc(lineKeys, func(k string) bool { return !slices.Contains(allowed, k) })
	}
	return only("migration") || only("backend", "commit")
}

// throughputThreads draws throughput against threads, per workload.
func throughputThreads(c *ctx) (*Figure, string, error) {
	rows := c.bench(noUpgrade)
	if len(rows.values("threads")) < 2 {
		return nil, "fewer than two thread counts", nil
	}
	return against{title: "Throughput against threads", xLabel: "worker threads", x: key("threads"), except: []string{"threads"},
		perWorkload: true, unnamed: "median, min–max",
		ys: []yAxis{{title: "throughput", what: "throughput", metric: "throughput", scale: 1e-3}},
		caption: func(lineKeys []string) string {
			return "Throughput (successful operations per second) against the number of worker threads, one line per synchronization " +
				"method" + keysNote(lineKeys) + "; points are the " + c.repsNote(rows) + ", bars span the minimum and maximum."
		}}.figure(c, rows), "", nil
}

// overhead draws stm against stm-plain, per workload (and whatever else varies).
func overhead(c *ctx) (*Figure, string, error) {
	rows := c.bench(noUpgrade).is("backend", "stm", "stm-plain")
	if len(rows.values("backend")) < 2 {
		return nil, "needs runs of both stm and stm-plain without an upgrade", nil
	}
	groupKeys := varying(rows, "backend")
	groupOf := func(r *analysis.Row) string { return label(r.Params, groupKeys) }
	b := bars(rows, []string{"stm-plain", "stm"}, func(r *analysis.Row) string { return val(r, "backend") }, rows.valuesOf(groupOf),
		groupOf, func(string) string { return "throughput" }, 1e-3)
	var notes []string
	for i := range b.Series {
		b.Series[i].Color, _ = backendColor(b.Series[i].Label)
	}
	for gi, gl := range b.Groups {
		if len(b.Series) == 2 && b.Series[0].Y[gi] > 0 && b.Series[1].Y[gi] > 0 {
			notes = append(notes, fmt.Sprintf("%s %+.1f%%", cmp.Or(gl, "overall"), 100*(b.Series[1].Y[gi]/b.Series[0].Y[gi]-1)))
		}
		b.Groups[gi] = cmp.Or(gl, "all runs")
	}
	fig := &Figure{Title: c.title + "The cost of upgrade support", Cols: 1, Panels: []Panel{{
		Title: "throughput with (stm) and without (stm-plain) upgrade support", YLabel: c.axis("throughput", "throughput", 1e-3, false),
		Bars: b, Legend: true, XLabel: strings.Join(groupKeys, ", "),
	}}}
	fig.Caption = "Steady-state throughput of STMBench7 on the STM with upgrade support compiled in but no upgrade (stm) and on the " +
		"plain STM (stm-plain); bars are the " + c.repsNote(rows) + ", whiskers span the minimum and maximum. stm relative to stm-plain: " +
		strings.Join(notes, "; ") + "."
	return fig, "", nil
}

// maxLatencyMetric is the maximum latency a pause figure shows: the window after the
// upgrade when the results have it, else the whole run's.
func maxLatencyMetric(rows []*analysis.Row) (metric, what string) {
	if slices.ContainsFunc(rows, func(r *analysis.Row) bool { _, ok := stat(r, "window.max_us"); return ok }) {
		return "window.max_us", "maximum latency in the second after the upgrade's commit"
	}
	return "all.max_us", "maximum latency over the whole run"
}

// pauseAgainst draws the pause and the maximum latency against x (a metric), one line per
// combination of the varying keys other than except.
func pauseAgainst(c *ctx, xMetric, xLabel string, except []string, title string) (*Figure, string, error) {
	const pauseMetric = "upgrade.commit_delay_ms"
	rows := c.bench(withUpgrade).where(func(r *analysis.Row) bool {
		_, p := stat(r, pauseMetric)
		_, x := stat(r, xMetric)
		return p && x
	})
	if len(rows) == 0 {
		return nil, "no run with an upgrade that committed (" + pauseMetric + ")", nil
	}
	if xs := line("", rows, metric(xMetric), xMetric, 1).Y; len(slices.Compact(xs)) < 2 {
		return nil, "fewer than two values of " + xMetric, nil
	}
	latMetric, latWhat := maxLatencyMetric(rows)
	return against{title: title, xLabel: xLabel, x: metric(xMetric), except: except, log: true,
		ys: []yAxis{{title: "time to upgrade: from the request to the commit", what: "request to commit", metric: pauseMetric, scale: 1},
			{title: latWhat, what: "latency", metric: latMetric, scale: 1e-3}},
		caption: func(lineKeys []string) string {
			return fmt.Sprintf("The time from the upgrade's request to its commit (eager migration stops the world and converts "+
				"every object of the changed types within it, so it grows with the state; lazy migration only commits the upgrade) and the %s, against %s, "+
				"one line per %s; both axes logarithmic; points are the %s, bars span the minimum and maximum. "+
				"The measured pause (the longest time without any operation completing around the upgrade, upgrade.pause_ms) is in the tables.",
				latWhat, xLabel, strings.Join(lineKeys, " × "), c.repsNote(rows))
		}}.figure(c, rows), "", nil
}

func pauseSize(c *ctx) (*Figure, string, error) {
	return pauseAgainst(c, "structure.objects", "objects in the structure (log)", []string{"size"}, "The upgrade's pause against the size of the state")
}

func pauseFraction(c *ctx) (*Figure, string, error) {
	return pauseAgainst(c, "upgrade.fraction_changed", "fraction of the objects whose type changes (log)", []string{"upgrade"},
		"The upgrade's pause against the share of objects whose type changes")
}

// nines maps a percentile to the "nines" scale: 0 → 0, 90 → 1, 99 → 2, 99.9 → 3.
func nines(p float64) float64 { return -math.Log10(1 - p/100) }

func ninesLabel(n float64) string {
	if n == 0 {
		return "0"
	}
	return strconv.FormatFloat(100-100*math.Pow(10, -n), 'f', -1, 64)
}

// curve is a run's latency by percentile (100 the maximum) over all operations (scope "all")
// or a category's ("cat.NAME"): the full curve where the run has one (full true), else its
// median, 99th and 99.9th percentiles and maximum (those only, with few).
func curve(run *experiments.RunData, scope string, few bool) (pts []pctl, full bool) {
	if run == nil || run.Record == nil {
		return nil, false
	}
	v := run.Record.Values
	if !few && scope == "all" {
		for name, us := range v {
			if seg, ok := strings.CutPrefix(name, "all.curve.p"); ok {
				p, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSuffix(seg, "_us"), "_", "."), 64)
				if err == nil {
					pts = append(pts, pctl{P: p, Us: us})
				}
			}
		}
		if len(pts) > 0 {
			slices.SortFunc(pts, func(a, b pctl) int { return cmp.Compare(a.P, b.P) })
			return pts, true
		}
	}
	return fewPoints(v, scope), false
}

// pctl is one point of a latency percentile curve.
type pctl struct{ P, Us float64 }

// fewPoints are the percentiles a scope's metrics give: median, 99th, 99.9th, maximum.
func fewPoints(v map[string]float64, scope string) []pctl {
	var pts []pctl
	for _, q := range []struct {
		p      float64
		metric string
	}{{50, "p50_us"}, {99, "p99_us"}, {99.9, "p999_us"}, {100, "max_us"}} {
		if us, ok := v[scope+"."+q.metric]; ok {
			pts = append(pts, pctl{P: q.p, Us: us})
		}
	}
	if strings.HasPrefix(scope, "cat.") && v[scope+".ops"] == 0 {
		return nil
	}
	return pts
}

// scopes are the latency curves the rows have: all operations when every run has them,
// else each category's; full when every curve is complete.
func scopes(rows view) (out []string, full bool) {
	full = true
	var cats []string
	all := true
	for _, r := range rows {
		for _, smp := range r.Samples {
			pts, f := curve(smp.Run, "all", false)
			all, full = all && len(pts) > 0, full && f
			if smp.Run != nil && smp.Run.Record != nil {
				for name := range smp.Run.Record.Values {
					cat, ok := strings.CutSuffix(name, ".max_us")
					if ok && strings.HasPrefix(cat, "cat.") && !slices.Contains(cats, cat) {
						if p, _ := curve(smp.Run, cat, false); len(p) > 0 {
							cats = append(cats, cat)
						}
					}
				}
			}
		}
	}
	if all {
		return []string{"all"}, full
	}
	slices.Sort(cats)
	return cats, false
}

// percentiles draws latency percentile curves, on a "nines" scale.
func percentiles(c *ctx) (*Figure, string, error) {
	rows := c.bench(nil)
	if len(rows) == 0 {
		return nil, "no successful bench runs", nil
	}
	note, lineKeys := "", varying(rows)
	if len(rows) > 10 && slices.Contains(lineKeys, "threads") {
		most := slices.MaxFunc(rows, func(a, b *analysis.Row) int { return int(num(val(a, "threads")) - num(val(b, "threads"))) })
		rows = rows.is("threads", val(most, "threads"))
		note, lineKeys = fmt.Sprintf(" Only the runs with the most threads (%s) are shown.", val(most, "threads")), varying(rows)
	}
	// Many lines: one panel per workload, or per value of another setting that is not what the
	// lines compare, so that each panel's lines stay apart.
	var panelKeys []string
	for _, k := range []string{"workload", "sms", "traversals", "size"} {
		if len(rows) > 10 && slices.Contains(lineKeys, k) {
			panelKeys, lineKeys = []string{k}, varying(rows, k)
			break
		}
	}
	scs, full := scopes(rows)
	fig := &Figure{Title: c.title + "Latency percentiles"}
	maxNines, st := 0.0, newStyler(lineKeys, rows)
	for _, pg := range rows.by(panelKeys...) {
		title := cmp.Or(pg.label, "all operations")
		if slices.Equal(panelKeys, []string{"workload"}) {
			title = workloadName(val(pg.rows[0], "workload"))
		}
		for _, sc := range scs {
			pn := Panel{Title: title, XLabel: "percentile", YLabel: c.axis("latency", "all.max_us", 1, true), LogY: true, Legend: true}
			if sc != "all" {
				pn.Title = strings.TrimPrefix(title+", ", "all operations, ") + strings.TrimPrefix(sc, "cat.")
			}
			for li, r := range pg.rows {
				s := medianCurve(r, sc, sc == "all" && !full)
				if len(s.X) == 0 {
					continue
				}
				s.Label = cmp.Or(label(r.Params, lineKeys), "latency")
				if noUpgrade(r) && slices.Contains(lineKeys, "upgrade") {
					s.Label = strings.TrimSpace("no upgrade " + strings.TrimPrefix(s.Label, "none"))
				}
				s.Color, s.Dash = st.style(r.Params, li)
				s.Points = !full
				for _, x := range s.X {
					if !math.IsInf(x, 1) {
						maxNines = max(maxNines, x)
					}
				}
				pn.Series = append(pn.Series, s)
			}
			fig.Panels = append(fig.Panels, pn)
		}
	}
	fig.Cols = min(2, len(fig.Panels))
	ninesAxis(fig, maxNines)
	src := "the HDR histogram's percentile curve of all operations"
	switch {
	case scs == nil || scs[0] != "all":
		src = "each category's percentiles (the results carry no percentiles over all operations)"
	case !full:
		src = "the median, 99th and 99.9th percentiles and the maximum of all operations (the results carry no full curve)"
	}
	fig.Caption = "Latency of successful operations by percentile, on a \"nines\" scale (90, 99, 99.9, … then the maximum), from " +
		src + "; one line per configuration, the " + c.repsNote(rows) + " at each percentile." + note
	return fig, "", nil
}

// ninesAxis places the maximum (p = 100) one step right of the highest finite percentile and
// labels the nines.
func ninesAxis(fig *Figure, maxNines float64) {
	maxAt := math.Ceil(maxNines-1e-9) + 1
	for pi := range fig.Panels {
		for si := range fig.Panels[pi].Series {
			s := &fig.Panels[pi].Series[si]
			for i := range s.X {
				if math.IsInf(s.X[i], 1) {
					s.X[i] = maxAt
				}
			}
		}
		var ticks []Tick
		for n := 0.0; n < maxAt; n++ {
			ticks = append(ticks, Tick{n, ninesLabel(n)})
		}
		fig.Panels[pi].XTicks = append(ticks, Tick{maxAt, "max"})
	}
}

// medianCurve is the median over a row's runs of their curves of scope, at each percentile
// they all have, on the nines scale (+Inf for the maximum).
func medianCurve(r *analysis.Row, scope string, few bool) Series {
	var curves [][]pctl
	for _, smp := range r.Samples {
		if cv, _ := curve(smp.Run, scope, few); len(cv) > 0 {
			curves = append(curves, cv)
		}
	}
	var s Series
	if len(curves) == 0 {
		return s
	}
	for _, pt := range curves[0] {
		var vs []float64
		for _, cv := range curves {
			if i := slices.IndexFunc(cv, func(q pctl) bool { return q.P == pt.P }); i >= 0 {
				vs = append(vs, cv[i].Us)
			}
		}
		if len(vs) == len(curves) {
			x := math.Inf(1)
			if pt.P < 100 {
				x = nines(pt.P)
			}
			s.X, s.Y = append(s.X, x), append(s.Y, analysis.Median(vs))
		}
	}
	return s
}

// micro draws the micro-benchmarks: time per operation per contender, per workload.
func micro(c *ctx) (*Figure, string, error) {
	rows := c.rows.where(func(r *analysis.Row) bool { _, ok := r.Params.Get("benchmark"); return ok })
	if len(rows) == 0 {
		return nil, "no micro-benchmark results", nil
	}
	// "Peers/dustm-lock/ro10" is workload ro10 of contender dustm-lock.
	split := func(r *analysis.Row) (impl, workload string) {
		seg := strings.Split(val(r, "benchmark"), "/")
		switch len(seg) {
		case 1:
			return "", seg[0]
		case 2:
			return seg[1], seg[0]
		}
		return seg[1], strings.Join(seg[2:], "/")
	}
	implOf := func(r *analysis.Row) string { i, _ := split(r); return i }
	workloadOf := func(r *analysis.Row) string { _, w := split(r); return w }
	workloads, impls := rows.valuesOf(workloadOf), rows.valuesOf(implOf)
	procs := rows.values("procs")
	slices.SortFunc(procs, func(a, b string) int { return int(num(a) - num(b)) })
	fig := &Figure{Title: c.title + "STM micro-benchmarks", Cols: min(2, len(workloads))}
	for _, wl := range workloads {
		b := bars(rows.where(func(r *analysis.Row) bool { return workloadOf(r) == wl }), impls, implOf,
			slices.Clone(procs), func(r *analysis.Row) string { return val(r, "procs") }, func(string) string { return "ns_per_op" }, 1)
		for i, p := range b.Groups {
			b.Groups[i] = "GOMAXPROCS=" + p
		}
		fig.Panels = append(fig.Panels, Panel{Title: "benchmark " + wl, YLabel: c.axis("time per operation", "ns_per_op", 1, true),
			LogY: true, Bars: b, Legend: true})
	}
	fig.Caption = "Time per operation of the micro-benchmarks (lower is better, log scale), per contender and GOMAXPROCS; bars are the " +
		c.repsNote(rows) + " (go test -count 1 in a fresh process each), whiskers span the minimum and maximum. The raw output, " +
		"in Go benchmark format, is micro.txt (benchstat micro.txt)."
	return fig, "", nil
}
