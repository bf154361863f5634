package plots

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"dustm/experiments"
)

// Options configure the figures.
type Options struct {
	// First draws time series from each configuration's first repetition instead of the
	// median, interval by interval, over its repetitions.
	First bool
	// Force replaces summary.csv and REPORT.md even when they would count fewer successful
	// runs than the ones there (experiments.SummaryOptions).
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
		{"upgrade-headline", headline},
		{"max-latency", maxLatency},
		{"upgrade-timeline", timeline},
		{"upgrade-migration", migration},
		{"throughput-threads", throughputThreads},
		{"overhead", overhead},
		{"pause-size", pauseSize},
		{"pause-fraction", pauseFraction},
		{"pause-objects", pauseObjects},
		{"latency-percentiles", percentiles},
		{"micro", micro},
	}
}

// ctx is what a builder sees: one part's rows and how to name its figure.
type ctx struct {
	folder *experiments.Folder
	part   string
	rows   []*experiments.Row // rows of the part with at least one successful run
	reps   int
	prefix string // "part-" when the folder has several parts
	title  string // "part: " likewise
	opts   Options
	series map[*experiments.RunData][]seriesPoint
}

// Figures builds every figure that the results support, part by part, and lists the figures
// each part could not have, with the reason.
func Figures(f *experiments.Folder, s *experiments.Summary, o Options) ([]*Figure, []Skipped, error) {
	var figs []*Figure
	var skipped []Skipped
	parts := f.Parts()
	reps := 0
	if f.Manifest != nil {
		reps = f.Manifest.Definition.Reps()
	}
	cache := map[*experiments.RunData][]seriesPoint{}
	for _, part := range parts {
		c := &ctx{folder: f, part: part, reps: reps, opts: o, series: cache}
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
		for _, b := range bs {
			fig, why, err := b.build(c)
			if err != nil {
				return figs, skipped, err
			}
			if fig == nil || len(fig.Panels) == 0 {
				if why == "" {
					why = "no data to draw"
				}
				skipped = append(skipped, Skipped{Figure: b.name, Part: part, Reason: why})
				continue
			}
			fig.Name = c.prefix + b.name
			figs = append(figs, fig)
		}
	}
	return figs, skipped, nil
}

// bench returns the part's bench rows that pass keep.
func (c *ctx) bench(keep func(*experiments.Row) bool) []*experiments.Row {
	var out []*experiments.Row
	for _, r := range c.rows {
		if _, micro := r.Params.Get("benchmark"); !micro && (keep == nil || keep(r)) {
			out = append(out, r)
		}
	}
	return out
}

func noUpgrade(r *experiments.Row) bool {
	v, ok := r.Params.Get("upgrade")
	return !ok || v == "none"
}

func withUpgrade(r *experiments.Row) bool { return !noUpgrade(r) }

// varying lists the keys whose values differ among the rows, leaving out except.
func varying(rows []*experiments.Row, except ...string) []string {
	var keys []string
	for _, r := range rows {
		for _, p := range r.Params {
			if slices.Contains(keys, p.Key) || slices.Contains(except, p.Key) || p.Key == "procs" {
				continue
			}
			for _, o := range rows {
				if v, ok := o.Params.Get(p.Key); ok && v != p.Value {
					keys = append(keys, p.Key)
					break
				}
			}
		}
	}
	ps := experiments.Params{}
	for _, k := range keys {
		ps = append(ps, experiments.Param{Key: k})
	}
	sort.SliceStable(ps, func(i, j int) bool { return keyOrder(ps[i].Key) < keyOrder(ps[j].Key) })
	keys = keys[:0]
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	return keys
}

// keyOrder orders keys as the experiments' table does.
func keyOrder(k string) int {
	for i, h := range experiments.Keys() {
		if h.Key == k {
			return i
		}
	}
	return 1000
}

// label names a row by its values of keys.
func label(ps experiments.Params, keys []string) string {
	var parts []string
	for _, k := range keys {
		v, ok := ps.Get(k)
		if !ok {
			continue
		}
		switch k {
		case "backend", "commit", "migration", "upgrade", "size":
			parts = append(parts, v)
		case "workload":
			parts = append(parts, "-w "+v)
		case "threads":
			parts = append(parts, "t="+v)
		case "traversals", "sms", "thread-seeds", "check", "replay", "dry-run":
			parts = append(parts, k+" "+v)
		default:
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, " ")
}

// groups splits rows by their values of keys, in order of appearance.
func groups(rows []*experiments.Row, keys []string) (labels []string, out [][]*experiments.Row) {
	for _, r := range rows {
		l := label(r.Params, keys)
		i := slices.Index(labels, l)
		if i < 0 {
			labels = append(labels, l)
			out = append(out, nil)
			i = len(labels) - 1
		}
		out[i] = append(out[i], r)
	}
	return labels, out
}

func workloadName(w string) string {
	switch w {
	case "r":
		return "read-dominated workload (-w r)"
	case "rw":
		return "read-write workload (-w rw)"
	case "w":
		return "write-dominated workload (-w w)"
	case "ro":
		return "read-only workload (-w ro)"
	}
	return "workload " + w
}

// stat returns a row's statistic of a metric (ok false when absent).
func stat(r *experiments.Row, metric string) (experiments.Stat, bool) {
	s, ok := r.Stats[metric]
	return s, ok && s.N > 0
}

func num(s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return f
}

// repsNote says how many repetitions the medians are of.
func (c *ctx) repsNote(rows []*experiments.Row) string {
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

// loadSeries reads (once) the series of a row's runs.
func (c *ctx) loadSeries(r *experiments.Row) ([][]seriesPoint, error) {
	var out [][]seriesPoint
	for _, smp := range r.Samples {
		run := smp.Run
		if run == nil || !run.HasSeries() {
			continue
		}
		s, ok := c.series[run]
		if ok && s == nil { // damaged (warned about) or empty
			continue
		}
		if !ok {
			var err error
			if s, err = seriesOfRun(run); err != nil {
				// A damaged series leaves this run out of the figures, not the folder.
				c.folder.Warn("%v; the run's time series is left out of the figures", err)
				c.series[run] = nil
				continue
			}
			s = trimPartial(s)
			c.series[run] = s
		}
		out = append(out, s)
		if c.opts.First {
			break
		}
	}
	return out, nil
}

// trimPartial drops a last interval shorter than half the others: the stub between the last
// tick and the end of the run, whose rates are noise.
func trimPartial(s []seriesPoint) []seriesPoint {
	if len(s) < 3 {
		return s
	}
	var dts []float64
	for i := 1; i < len(s); i++ {
		dts = append(dts, s[i].TS-s[i-1].TS)
	}
	if last := dts[len(dts)-1]; last < 0.5*experiments.Median(dts) {
		return s[:len(s)-1]
	}
	return s
}

// aggregate turns several runs' series into one: interval i's time and value are the
// medians of the runs' i-th intervals (get says whether an interval has a value).
func aggregate(runs [][]seriesPoint, get func(*seriesPoint) (float64, bool)) (t, y []float64) {
	n := 0
	for _, s := range runs {
		n = max(n, len(s))
	}
	for i := range n {
		var ts, vs []float64
		for _, s := range runs {
			if i < len(s) {
				if v, ok := get(&s[i]); ok {
					ts = append(ts, s[i].TS)
					vs = append(vs, v)
				}
			}
		}
		if len(vs) > 0 {
			t = append(t, experiments.Median(ts))
			y = append(y, experiments.Median(vs))
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

// strategyColor gives the migration strategies fixed colours.
func strategyColor(ps experiments.Params) int {
	if noUpgradeParams(ps) {
		return colorBlack
	}
	switch ps.Value("migration") {
	case "lazy":
		return 0
	case "eager":
		return 1
	case "lazy+sweep":
		return 2
	}
	return 3
}

func noUpgradeParams(ps experiments.Params) bool {
	v, ok := ps.Get("upgrade")
	return !ok || v == "none"
}

// timeline draws throughput and latency over time across the upgrade: one row of two panels
// per scenario, one line per strategy, and the no-upgrade baseline in black.
func timeline(c *ctx) (*Figure, string, error) {
	rows := c.bench(nil)
	var scenarios []string
	for _, r := range rows {
		if v := r.Params.Value("upgrade"); v != "" && v != "none" && !slices.Contains(scenarios, v) {
			scenarios = append(scenarios, v)
		}
	}
	if len(scenarios) == 0 {
		return nil, "no run with an upgrade", nil
	}
	// One row of panels per scenario and per value of any other setting that varies (such as
	// sms on/off), so that each panel compares the strategies with their own baseline.
	groupKeys := varying(rows, "upgrade", "migration")
	group := func(r *experiments.Row) string { return label(r.Params, groupKeys) }
	var groups []string
	for _, r := range rows {
		if g := group(r); !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	lineKeys := []string{"migration"}
	fixedColors := true
	fig := &Figure{Title: c.title + "Throughput and latency across an upgrade", Cols: 2}
	anySeries := false
	var upgradeAt []float64
	for _, sc := range scenarios {
		for _, g := range groups {
			where := sc
			if g != "" {
				where += ", " + g
			}
			tp := Panel{Title: "scenario " + where + ": throughput", XLabel: "time since the start (s)", YLabel: "throughput (k op/s)", Legend: true}
			lat := Panel{Title: "scenario " + where + ": max (solid) and p99 (dashed) latency", XLabel: "time since the start (s)", YLabel: "latency (ms, log)", LogY: true}
			i := 0
			for _, r := range rows {
				up := r.Params.Value("upgrade")
				if (up != sc && !noUpgrade(r)) || group(r) != g {
					continue
				}
				runs, err := c.loadSeries(r)
				if err != nil {
					return nil, "", err
				}
				if len(runs) == 0 {
					continue
				}
				// Over a whole run, intervals finer than the timeline's resolution only
				// tangle the lines (the headline shows them around the upgrade).
				for i := range runs {
					runs[i] = coarsen(runs[i], timelineStep)
				}
				anySeries = true
				name := label(r.Params, slices.DeleteFunc(slices.Clone(lineKeys), func(k string) bool { return k == "migration" && noUpgrade(r) }))
				if noUpgrade(r) {
					name = strings.TrimSpace("no upgrade " + strings.TrimPrefix(name, "none"))
				}
				color := i
				if fixedColors {
					color = strategyColor(r.Params)
				}
				i++
				t, y := aggregate(runs, func(p *seriesPoint) (float64, bool) { return p.Throughput / 1e3, true })
				tp.Series = append(tp.Series, Series{Label: name, X: t, Y: y, Color: color})
				t, y = aggregate(runs, func(p *seriesPoint) (float64, bool) {
					return p.MaxLatencyUs() / 1e3, p.Ops > 0 || p.MaxLatencyUs() > 0
				})
				lat.Series = append(lat.Series, Series{Label: name + " max", X: t, Y: y, Color: color})
				t, y = aggregate(runs, func(p *seriesPoint) (float64, bool) {
					v, _ := p.P99LatencyUs()
					return v / 1e3, p.Ops > 0
				})
				lat.Series = append(lat.Series, Series{Label: name + " p99", X: t, Y: y, Color: color, Dashed: true})
				if !noUpgrade(r) {
					ms := upgradeMarks(r, runs, color)
					tp.Marks = append(tp.Marks, ms...)
					lat.Marks = append(lat.Marks, ms...)
					for _, m := range ms {
						if m.Kind == "requested" {
							upgradeAt = append(upgradeAt, m.X)
						}
					}
				}
			}
			if len(tp.Series) > 0 {
				fig.Panels = append(fig.Panels, tp, lat)
			}
		}
	}
	if !anySeries {
		return nil, "the runs with an upgrade have no time series", nil
	}
	at := ""
	if len(upgradeAt) > 0 {
		at = fmt.Sprintf(" requested at %s s", fmtNum(slices.Min(upgradeAt)))
		if lo, hi := slices.Min(upgradeAt), slices.Max(upgradeAt); hi-lo > 0.01 {
			at = fmt.Sprintf(" requested between %s and %s s", fmtNum(lo), fmtNum(hi))
		}
	}
	baseline := ""
	if slices.ContainsFunc(rows, noUpgrade) {
		baseline = "; the black line is the same run without an upgrade"
	}
	fig.Caption = fmt.Sprintf("Throughput (successful operations per second, per interval of the time series) and the maximum "+
		"(solid) and 99th-percentile (dashed) latency of the operations completing in each interval, across an upgrade%s, "+
		"one row per upgrade scenario (and per value of any other setting that varies), one line per migration strategy%s. "+
		"Series: %s. Vertical lines: dotted = upgrade requested, solid = committed, dashed = every object migrated (medians over the repetitions). "+
		"The p99 is over all operations when the series has it, otherwise the largest of the categories' p99. "+
		"Series finer than 0.1 s are merged into 0.1 s intervals here (maximum of the maxima, largest p99); the headline figure shows "+
		"the seconds around the upgrade at their own resolution.",
		at, baseline, c.aggNote())
	return fig, "", nil
}

// timelineStep is the timeline's resolution: finer series are merged into intervals of it.
const timelineStep = 0.1

// coarsen merges a series' consecutive intervals into intervals of about step seconds (the
// series is left as it is when already that coarse): operations add up, the maximum is the
// largest, the p99 the largest p99 (an upper bound: percentiles do not merge without the
// histograms), the totals, conversions and heap are the last interval's.
func coarsen(s []seriesPoint, step float64) []seriesPoint {
	if len(s) < 2 {
		return s
	}
	var dts []float64
	for i := 1; i < len(s); i++ {
		dts = append(dts, s[i].TS-s[i-1].TS)
	}
	if experiments.Median(dts) >= step/2 {
		return s
	}
	var out []seriesPoint
	start := 0.0
	var cur *seriesPoint
	for i := range s {
		p := s[i]
		if cur == nil {
			q := p
			mx, p99 := p.MaxLatencyUs(), 0.0
			p99, _ = p.P99LatencyUs()
			q.Categories, q.Events, q.MaxUs, q.P99Us = nil, slices.Clone(p.Events), &mx, &p99
			out = append(out, q)
			cur = &out[len(out)-1]
		} else {
			cur.TS, cur.Ops, cur.Failed = p.TS, cur.Ops+p.Ops, cur.Failed+p.Failed
			cur.TotalOps, cur.TotalFailed, cur.ConvertedTotal, cur.HeapBytes = p.TotalOps, p.TotalFailed, p.ConvertedTotal, p.HeapBytes
			cur.Events = append(cur.Events, p.Events...)
			if m := p.MaxLatencyUs(); cur.MaxUs == nil || m > *cur.MaxUs {
				cur.MaxUs = &m
			}
			if v, _ := p.P99LatencyUs(); cur.P99Us == nil || v > *cur.P99Us {
				cur.P99Us = &v
			}
		}
		if p.TS-start >= step*0.999 || i == len(s)-1 {
			if d := cur.TS - start; d > 0 {
				cur.Throughput = float64(cur.Ops) / d
			}
			start, cur = p.TS, nil
		}
	}
	return out
}

// upgradeMarks are the median instants of a row's upgrade, from the results (or, failing
// that, the first series' events).
func upgradeMarks(r *experiments.Row, runs [][]seriesPoint, color int) []Mark {
	var out []Mark
	for _, k := range []struct{ kind, metric string }{{"requested", "upgrade.requested_s"}, {"committed", "upgrade.committed_s"}, {"migrated", "upgrade.migrated_s"}} {
		if s, ok := stat(r, k.metric); ok {
			out = append(out, Mark{X: s.Median, Kind: k.kind, Color: color})
		}
	}
	if len(out) > 0 || len(runs) == 0 {
		return out
	}
	for _, p := range runs[0] {
		for _, e := range p.Events {
			out = append(out, Mark{X: e.TS, Kind: e.Kind, Color: color})
		}
	}
	return out
}

// migration draws the objects converted and the heap over time across the upgrade: one row
// of panels per scenario group (scenario and any other varying setting), one line per
// strategy in its fixed colour.
func migration(c *ctx) (*Figure, string, error) {
	rows := c.bench(nil)
	glabels, ggroups := upgradeGroups(rows)
	if len(glabels) == 0 {
		return nil, "no run with an upgrade", nil
	}
	fig := &Figure{Title: c.title + "State migration across an upgrade", Cols: 2}
	anyConv := false
	for gi, g := range ggroups {
		conv := Panel{Title: glabels[gi] + ": objects converted", XLabel: "time since the start (s)", YLabel: "converted (% of the changed objects)", Legend: true}
		heap := Panel{Title: glabels[gi] + ": heap in use", XLabel: "time since the start (s)", YLabel: "heap (MiB)", Legend: true}
		for _, r := range g {
			runs, err := c.loadSeries(r)
			if err != nil {
				return nil, "", err
			}
			if len(runs) == 0 {
				continue
			}
			color := strategyColor(r.Params)
			name := r.Params.Value("migration")
			if noUpgrade(r) {
				name = "no upgrade"
			}
			if withUpgrade(r) {
				objs, ok := stat(r, "upgrade.objects")
				if ok && objs.Median > 0 {
					t, y := aggregate(runs, func(p *seriesPoint) (float64, bool) {
						if p.ConvertedTotal == nil {
							return 0, false
						}
						return 100 * float64(*p.ConvertedTotal) / objs.Median, true
					})
					if len(t) > 0 {
						anyConv = true
						conv.Series = append(conv.Series, Series{Label: name, X: t, Y: y, Color: color})
						ms := upgradeMarks(r, runs, color)
						conv.Marks = append(conv.Marks, ms...)
						heap.Marks = append(heap.Marks, ms...)
					}
				}
			}
			t, y := aggregate(runs, func(p *seriesPoint) (float64, bool) {
				if p.HeapBytes == nil {
					return 0, false
				}
				return float64(*p.HeapBytes) / (1 << 20), true
			})
			if len(t) > 0 {
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

// throughputThreads draws throughput against threads, per workload.
func throughputThreads(c *ctx) (*Figure, string, error) {
	rows := c.bench(noUpgrade)
	threads := map[string]bool{}
	for _, r := range rows {
		threads[r.Params.Value("threads")] = true
	}
	if len(threads) < 2 {
		return nil, "fewer than two thread counts", nil
	}
	panelKeys := []string{}
	if slices.Contains(varying(rows), "workload") {
		panelKeys = []string{"workload"}
	}
	lineKeys := varying(rows, "threads", "workload")
	fig := &Figure{Title: c.title + "Throughput against threads", Cols: 2}
	_, pgroups := groups(rows, panelKeys)
	for pi, prow := range pgroups {
		title := "throughput"
		if len(panelKeys) > 0 {
			title = workloadName(prow[0].Params.Value("workload"))
		}
		pn := Panel{Title: title, XLabel: "worker threads", YLabel: "throughput (k op/s)", Legend: pi == 0}
		var ticks []float64
		llabels, lgroups := groups(prow, lineKeys)
		for li, lrows := range lgroups {
			slices.SortFunc(lrows, func(a, b *experiments.Row) int {
				return int(num(a.Params.Value("threads")) - num(b.Params.Value("threads")))
			})
			col, dash := lineStyle(lrows[0].Params, lineKeys, li)
			s := Series{Label: llabels[li], Color: col, Dash: dash, Points: true}
			if s.Label == "" {
				s.Label = "median, min–max"
			}
			for _, r := range lrows {
				st, ok := stat(r, "throughput")
				if !ok {
					continue
				}
				x := num(r.Params.Value("threads"))
				s.X, s.Y = append(s.X, x), append(s.Y, st.Median/1e3)
				s.YLow, s.YHigh = append(s.YLow, st.Min/1e3), append(s.YHigh, st.Max/1e3)
				if !slices.Contains(ticks, x) {
					ticks = append(ticks, x)
				}
			}
			pn.Series = append(pn.Series, s)
		}
		slices.Sort(ticks)
		for _, x := range ticks {
			pn.XTicks = append(pn.XTicks, Tick{x, fmtNum(x)})
		}
		fig.Panels = append(fig.Panels, pn)
	}
	if len(fig.Panels) == 1 {
		fig.Cols = 1
	}
	fig.Caption = "Throughput (successful operations per second) against the number of worker threads, one line per synchronization " +
		"method" + keysNote(lineKeys) + "; points are the " + c.repsNote(rows) + ", bars span the minimum and maximum."
	return fig, "", nil
}

func keysNote(keys []string) string {
	if len(keys) == 0 {
		return ""
	}
	return " (" + strings.Join(keys, ", ") + ")"
}

// overhead draws stm against stm-plain, per workload (and whatever else varies).
func overhead(c *ctx) (*Figure, string, error) {
	rows := c.bench(func(r *experiments.Row) bool {
		b := r.Params.Value("backend")
		return noUpgrade(r) && (b == "stm" || b == "stm-plain")
	})
	has := map[string]bool{}
	for _, r := range rows {
		has[r.Params.Value("backend")] = true
	}
	if !has["stm"] || !has["stm-plain"] {
		return nil, "needs runs of both stm and stm-plain without an upgrade", nil
	}
	groupKeys := varying(rows, "backend")
	glabels, ggroups := groups(rows, groupKeys)
	bars := &Bars{}
	var notes []string
	for _, backend := range []string{"stm-plain", "stm"} {
		col, _ := backendColor(backend)
		bs := newBarSeries(backend, col, len(glabels))
		for gi, g := range ggroups {
			for _, r := range g {
				if r.Params.Value("backend") != backend {
					continue
				}
				if st, ok := stat(r, "throughput"); ok {
					bs.Y[gi], bs.YLow[gi], bs.YHigh[gi] = st.Median/1e3, st.Min/1e3, st.Max/1e3
				}
			}
		}
		bars.Series = append(bars.Series, bs)
	}
	for gi, gl := range glabels {
		plain, up := bars.Series[0].Y[gi], bars.Series[1].Y[gi]
		if plain > 0 && up > 0 {
			name := gl
			if name == "" {
				name = "overall"
			}
			notes = append(notes, fmt.Sprintf("%s %+.1f%%", name, 100*(up/plain-1)))
		}
	}
	for i, g := range glabels {
		if g == "" {
			glabels[i] = "all runs"
		}
	}
	bars.Groups = glabels
	fig := &Figure{Title: c.title + "The cost of upgrade support", Cols: 1, Panels: []Panel{{
		Title: "throughput with (stm) and without (stm-plain) upgrade support", YLabel: "throughput (k op/s)", Bars: bars, Legend: true,
		XLabel: strings.Join(groupKeys, ", "),
	}}}
	fig.Caption = "Steady-state throughput of STMBench7 on the STM with upgrade support compiled in but no upgrade (stm) and on the " +
		"plain STM (stm-plain); bars are the " + c.repsNote(rows) + ", whiskers span the minimum and maximum. stm relative to stm-plain: " +
		strings.Join(notes, "; ") + "."
	return fig, "", nil
}

// newBarSeries is a series of n bars, all missing (NaN) until set.
func newBarSeries(label string, color, n int) BarSeries {
	bs := BarSeries{Label: label, Color: color, Y: make([]float64, n), YLow: make([]float64, n), YHigh: make([]float64, n)}
	for i := range n {
		bs.Y[i], bs.YLow[i], bs.YHigh[i] = math.NaN(), math.NaN(), math.NaN()
	}
	return bs
}

// maxLatencyMetric is the maximum latency a pause figure shows: the window after the
// upgrade when the results have it, else the whole run's.
func maxLatencyMetric(rows []*experiments.Row) (metric, what string) {
	for _, r := range rows {
		if _, ok := stat(r, "window.max_us"); ok {
			return "window.max_us", "maximum latency in the second after the upgrade's commit"
		}
	}
	return "all.max_us", "maximum latency over the whole run"
}

// pauseAgainst draws the pause and the maximum latency against x (a metric), one line per
// combination of the varying keys other than except.
func pauseAgainst(c *ctx, xMetric, xLabel string, except []string, title string) (*Figure, string) {
	rows := c.bench(withUpgrade)
	var pauseRows []*experiments.Row
	xs := map[float64]bool{}
	for _, r := range rows {
		if _, ok := stat(r, "upgrade.commit_delay_ms"); !ok {
			continue
		}
		if x, ok := stat(r, xMetric); ok {
			pauseRows = append(pauseRows, r)
			xs[x.Median] = true
		}
	}
	if len(pauseRows) == 0 {
		return nil, "no run with an upgrade that committed (upgrade.commit_delay_ms)"
	}
	if len(xs) < 2 {
		return nil, "fewer than two values of " + xMetric
	}
	latMetric, latWhat := maxLatencyMetric(pauseRows)
	lineKeys := varying(pauseRows, except...)
	pause := Panel{Title: "time to upgrade: from the request to the commit", XLabel: xLabel, YLabel: "request to commit (ms, log)", LogX: true, LogY: true, Legend: true}
	lat := Panel{Title: latWhat, XLabel: xLabel, YLabel: "latency (ms, log)", LogX: true, LogY: true}
	llabels, lgroups := groups(pauseRows, lineKeys)
	for li, lrows := range lgroups {
		slices.SortFunc(lrows, func(a, b *experiments.Row) int {
			xa, _ := stat(a, xMetric)
			xb, _ := stat(b, xMetric)
			return int(math.Copysign(1, xa.Median-xb.Median))
		})
		color, dash := lineStyle(lrows[0].Params, lineKeys, li)
		ps := Series{Label: llabels[li], Color: color, Dash: dash, Points: true}
		ls := Series{Label: llabels[li], Color: color, Dash: dash, Points: true}
		for _, r := range lrows {
			x, _ := stat(r, xMetric)
			if p, ok := stat(r, "upgrade.commit_delay_ms"); ok {
				ps.X, ps.Y, ps.YLow, ps.YHigh = append(ps.X, x.Median), append(ps.Y, p.Median), append(ps.YLow, p.Min), append(ps.YHigh, p.Max)
			}
			if l, ok := stat(r, latMetric); ok {
				ls.X, ls.Y, ls.YLow, ls.YHigh = append(ls.X, x.Median), append(ls.Y, l.Median/1e3), append(ls.YLow, l.Min/1e3), append(ls.YHigh, l.Max/1e3)
			}
		}
		pause.Series = append(pause.Series, ps)
		lat.Series = append(lat.Series, ls)
	}
	fig := &Figure{Title: c.title + title, Cols: 2, Panels: []Panel{pause, lat}}
	fig.Caption = fmt.Sprintf("The time from the upgrade's request to its commit (eager migration stops the world and converts "+
		"every object of the changed types within it, so it grows with the state; lazy migration only commits the upgrade) and the %s, against %s, "+
		"one line per %s; both axes logarithmic; points are the %s, bars span the minimum and maximum. "+
		"The measured pause (the longest time without any operation completing around the upgrade, upgrade.pause_ms) is in the tables.",
		latWhat, xLabel, strings.Join(lineKeys, " × "), c.repsNote(pauseRows))
	return fig, ""
}

func pauseSize(c *ctx) (*Figure, string, error) {
	f, why := pauseAgainst(c, "structure.objects", "objects in the structure (log)", []string{"size"}, "The upgrade's pause against the size of the state")
	return f, why, nil
}

func pauseFraction(c *ctx) (*Figure, string, error) {
	f, why := pauseAgainst(c, "upgrade.fraction_changed", "fraction of the objects whose type changes (log)", []string{"upgrade"},
		"The upgrade's pause against the share of objects whose type changes")
	return f, why, nil
}

// nines maps a percentile to the "nines" scale: 0 → 0, 90 → 1, 99 → 2, 99.9 → 3.
func nines(p float64) float64 { return -math.Log10(1 - p/100) }

// percentiles draws latency percentile curves.
func percentiles(c *ctx) (*Figure, string, error) {
	rows := c.bench(nil)
	if len(rows) == 0 {
		return nil, "no successful bench runs", nil
	}
	note := ""
	lineKeys := varying(rows)
	if len(rows) > 10 && slices.Contains(lineKeys, "threads") {
		most := 0.0
		for _, r := range rows {
			most = max(most, num(r.Params.Value("threads")))
		}
		rows = slices.DeleteFunc(slices.Clone(rows), func(r *experiments.Row) bool { return num(r.Params.Value("threads")) != most })
		note = fmt.Sprintf(" Only the runs with the most threads (%s) are shown.", fmtNum(most))
		lineKeys = varying(rows)
	}
	panelKeys := []string{}
	// Many lines: one panel per workload, or per value of another setting that is not what the
	// lines compare (sms, traversals, size), so that each panel's lines stay apart.
	for _, k := range []string{"workload", "sms", "traversals", "size"} {
		if len(rows) > 10 && slices.Contains(lineKeys, k) {
			panelKeys = []string{k}
			lineKeys = varying(rows, k)
			break
		}
	}
	// Where the curves come from: all operations' percentile curve, its few percentiles, or
	// the categories'.
	source := "curve"
	for _, r := range rows {
		for _, smp := range r.Samples {
			res := resultOf(smp.Run)
			switch {
			case res.All != nil && len(res.All.Percentiles) > 0:
			case res.All != nil:
				if source == "curve" {
					source = "points"
				}
			default:
				source = "categories"
			}
		}
	}
	// A panel's curves: the rows drawn and where each run's curve comes from.
	type curvePanel struct {
		title string
		rows  []*experiments.Row
		curve func(*benchResult) []percentile
	}
	var panels []curvePanel
	allCurve := func(res *benchResult) []percentile {
		if res.All == nil {
			return nil
		}
		if source == "curve" {
			return res.All.Percentiles
		}
		return fewPercentiles(*res.All)
	}
	_, pgroups := groups(rows, panelKeys)
	for _, prow := range pgroups {
		title := "all operations"
		switch {
		case slices.Equal(panelKeys, []string{"workload"}):
			title = workloadName(prow[0].Params.Value("workload"))
		case len(panelKeys) > 0:
			title = label(prow[0].Params, panelKeys)
		}
		if source != "categories" {
			panels = append(panels, curvePanel{title, prow, allCurve})
			continue
		}
		for _, cat := range categoriesOf(prow) {
			panels = append(panels, curvePanel{strings.TrimPrefix(title+", ", "all operations, ") + cat, prow, func(res *benchResult) []percentile {
				st, ok := res.Categories[cat]
				if !ok || st.Successful == 0 {
					return nil
				}
				if len(st.Percentiles) > 0 {
					return st.Percentiles
				}
				return fewPercentiles(st)
			}})
		}
	}
	fig := &Figure{Title: c.title + "Latency percentiles", Cols: min(2, len(panels))}
	maxNines := 0.0
	st := newStyler(lineKeys, rows)
	for _, p := range panels {
		pn := Panel{Title: p.title, XLabel: "percentile", YLabel: "latency (µs, log)", LogY: true, Legend: true}
		for li, r := range p.rows {
			var curves [][]percentile
			for _, smp := range r.Samples {
				if cv := p.curve(resultOf(smp.Run)); len(cv) > 0 {
					curves = append(curves, cv)
				}
			}
			xs, ys := medianCurve(curves)
			if len(xs) == 0 {
				continue
			}
			name := label(r.Params, lineKeys)
			if name == "" {
				name = "latency"
			}
			if noUpgrade(r) && slices.Contains(lineKeys, "upgrade") {
				name = strings.TrimSpace("no upgrade " + strings.TrimPrefix(name, "none"))
			}
			col, dash := st.style(r.Params, li)
			s := Series{Label: name, Color: col, Dash: dash, Points: source != "curve"}
			for i := range xs {
				s.X = append(s.X, xs[i])
				s.Y = append(s.Y, ys[i])
				if !math.IsInf(xs[i], 1) {
					maxNines = max(maxNines, xs[i])
				}
			}
			pn.Series = append(pn.Series, s)
		}
		fig.Panels = append(fig.Panels, pn)
	}
	// The maximum (p = 100) sits one step right of the highest finite percentile.
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
	src := map[string]string{
		"curve":      "the HDR histogram's percentile curve of all operations",
		"points":     "the median, 99th and 99.9th percentiles and the maximum of all operations (the results carry no full curve)",
		"categories": "each category's percentiles (the results carry no percentiles over all operations)",
	}[source]
	fig.Caption = "Latency of successful operations by percentile, on a \"nines\" scale (90, 99, 99.9, … then the maximum), from " +
		src + "; one line per configuration, the " + c.repsNote(rows) + " at each percentile." + note
	return fig, "", nil
}

func ninesLabel(n float64) string {
	if n == 0 {
		return "0"
	}
	return strconv.FormatFloat(100-100*math.Pow(10, -n), 'f', -1, 64)
}

// fewPercentiles is the curve a result without one still gives: p50, p99, p99.9, max.
func fewPercentiles(s opStats) []percentile {
	return []percentile{{P: 50, Us: s.P50Us}, {P: 99, Us: s.P99Us}, {P: 99.9, Us: s.P999Us}, {P: 100, Us: s.MaxTTCUs}}
}

func categoriesOf(rows []*experiments.Row) []string {
	var cats []string
	for _, r := range rows {
		for _, smp := range r.Samples {
			for name, st := range resultOf(smp.Run).Categories {
				if st.Successful > 0 && !slices.Contains(cats, name) {
					cats = append(cats, name)
				}
			}
		}
	}
	slices.Sort(cats)
	return cats
}

// medianCurve is the median of the curves at each percentile they all have, on the nines
// scale (+Inf for the maximum).
func medianCurve(curves [][]percentile) (xs, ys []float64) {
	if len(curves) == 0 {
		return nil, nil
	}
	for _, pt := range curves[0] {
		var vs []float64
		for _, cv := range curves {
			for _, q := range cv {
				if q.P == pt.P {
					vs = append(vs, q.Us)
					break
				}
			}
		}
		if len(vs) != len(curves) {
			continue
		}
		x := math.Inf(1)
		if pt.P < 100 {
			x = nines(pt.P)
		}
		xs, ys = append(xs, x), append(ys, experiments.Median(vs))
	}
	return xs, ys
}

// micro draws the micro-benchmarks: time per operation per contender, per workload.
func micro(c *ctx) (*Figure, string, error) {
	var rows []*experiments.Row
	for _, r := range c.rows {
		if _, ok := r.Params.Get("benchmark"); ok {
			rows = append(rows, r)
		}
	}
	if len(rows) == 0 {
		return nil, "no micro-benchmark results", nil
	}
	var workloads, impls, procs []string
	split := func(r *experiments.Row) (impl, workload string) {
		seg := strings.Split(r.Params.Value("benchmark"), "/")
		switch len(seg) {
		case 1:
			return "", seg[0]
		case 2:
			return seg[1], seg[0]
		}
		return seg[1], strings.Join(seg[2:], "/")
	}
	for _, r := range rows {
		impl, wl := split(r)
		if !slices.Contains(workloads, wl) {
			workloads = append(workloads, wl)
		}
		if !slices.Contains(impls, impl) {
			impls = append(impls, impl)
		}
		if p := r.Params.Value("procs"); !slices.Contains(procs, p) {
			procs = append(procs, p)
		}
	}
	slices.SortFunc(procs, func(a, b string) int { return int(num(a) - num(b)) })
	fig := &Figure{Title: c.title + "STM micro-benchmarks", Cols: min(2, len(workloads))}
	for _, wl := range workloads {
		bars := &Bars{}
		for _, p := range procs {
			bars.Groups = append(bars.Groups, "GOMAXPROCS="+p)
		}
		// The contenders of this benchmark, each in its colour throughout the figure.
		for ii, impl := range impls {
			bs := newBarSeries(impl, ii, len(procs))
			present := false
			for _, r := range rows {
				ri, rw := split(r)
				if ri != impl || rw != wl {
					continue
				}
				g := slices.Index(procs, r.Params.Value("procs"))
				if st, ok := stat(r, "ns_per_op"); ok {
					bs.Y[g], bs.YLow[g], bs.YHigh[g] = st.Median, st.Min, st.Max
					present = true
				}
			}
			if present {
				bars.Series = append(bars.Series, bs)
			}
		}
		fig.Panels = append(fig.Panels, Panel{Title: "benchmark " + wl, YLabel: "time per operation (ns, log)", LogY: true, Bars: bars, Legend: true})
	}
	fig.Caption = "Time per operation of the micro-benchmarks (lower is better, log scale), per contender and GOMAXPROCS; bars are the " +
		c.repsNote(rows) + " (go test -count 1 in a fresh process each), whiskers span the minimum and maximum. The raw output, " +
		"in Go benchmark format, is micro.txt (benchstat micro.txt)."
	return fig, "", nil
}
