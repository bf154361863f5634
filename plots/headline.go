package plots

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"gonum.org/v1/plot/vg"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/record"
)

// The figures that answer at a glance: the seconds around the upgrade per strategy (small
// multiples over the run without an upgrade), the maximum latency per strategy with its ratio
// to the run without one, and eager's pause against the objects it converts.

// Headline window around the upgrade's request, in seconds.
const (
	headlineBefore = 1.0
	headlineAfter  = 2.0
)

// upgradeKeys are the settings that say which upgrade a run made.
func upgradeKeys() []string { return []string{"upgrade", "migration", "sweepers", "dry-run"} }

// strategies are the migration strategies of the runs with an upgrade, in the order the
// experiment lists them (its configurations' order).
func strategies(rows view) []string {
	return rows.where(withUpgrade).not("migration", "").values("migration")
}

// baselineOf is the run without an upgrade an upgraded configuration is drawn against.
func baselineOf(r *analysis.Row, rows []*analysis.Row) *analysis.Row {
	for _, o := range rows {
		if noUpgrade(o) && sameBut(o.Params, r.Params, upgradeKeys()) {
			return o
		}
	}
	return nil
}

// strategyColor gives the migration strategies fixed colours.
func strategyColor(ps experiments.Params) int {
	if v, ok := ps.Get("upgrade"); !ok || v == "none" {
		return colorBlack
	}
	if i := slices.Index([]string{"lazy", "eager", "lazy+sweep"}, ps.Value("migration")); i >= 0 {
		return i
	}
	return 3
}

// backendColor gives every backend one colour in every figure.
func backendColor(b string) (int, bool) {
	c, ok := map[string]int{"stm": 0, "stm-plain": 5, "coarse": 3, "medium": 4, "none": colorGrey}[b]
	return c, ok
}

// styler gives lines their colour by strategy (or backend) and their pattern by the rest of
// their settings, the same line the same look in every panel; where the rest has more values
// than there are patterns, every line gets the i-th colour and pattern instead.
type styler struct {
	by     string   // "migration", "backend", or "" for the i-th look
	others []string // the settings the pattern tells apart
	rest   []string // their labels, in order of appearance: the pattern's index
}

func newStyler(lineKeys []string, rows []*analysis.Row) *styler {
	s := &styler{}
	switch {
	case slices.Contains(lineKeys, "migration") || slices.Contains(lineKeys, "upgrade"):
		s.by = "migration"
	case slices.Contains(lineKeys, "backend"):
		s.by = "backend"
	default:
		return s
	}
	for _, k := range lineKeys {
		if k != s.by && k != "sweepers" && k != "upgrade" {
			s.others = append(s.others, k)
		}
	}
	if s.by == "migration" && slices.Contains(lineKeys, "upgrade") { // the scenario is the pattern
		s.others = append([]string{"upgrade"}, s.others...)
	}
	for _, r := range rows {
		if l := label(r.Params, s.others); !slices.Contains(s.rest, l) {
			s.rest = append(s.rest, l)
		}
		if _, ok := backendColor(r.Params.Value("backend")); s.by == "backend" && !ok {
			s.by = ""
		}
	}
	if len(s.rest) > 4 {
		s.by = ""
	}
	return s
}

func (s *styler) style(ps experiments.Params, i int) (color, dash int) {
	j := slices.Index(s.rest, label(ps, s.others))
	switch {
	case s.by == "" || j < 0:
		return i % paletteSize, i / paletteSize
	case s.by == "backend":
		c, _ := backendColor(ps.Value("backend"))
		return c, j
	}
	return strategyColor(ps), j
}

// upgradeGroups splits the bench rows with an upgrade by scenario and every other varying
// setting (such as sms), each group led by the run without an upgrade of its settings, where
// there is one.
func upgradeGroups(rows view) []group {
	keys := varying(rows, upgradeKeys()...)
	var out []group
	for _, g := range rows.where(withUpgrade).by(append([]string{"upgrade"}, keys...)...) {
		g.label = strings.TrimSuffix("scenario "+val(g.rows[0], "upgrade")+", "+label(g.rows[0].Params, keys), ", ")
		if b := baselineOf(g.rows[0], rows); b != nil {
			g.rows = append(view{b}, g.rows...)
		}
		out = append(out, g)
	}
	return out
}

// largestIfMany keeps, when the rows would make more than maxGroups scenario groups and the
// structure's size varies, only the runs on the largest structure (the small multiples stay
// small); note says so for the caption.
func largestIfMany(rows []*analysis.Row) (kept []*analysis.Row, note string) {
	const maxGroups = 8
	if len(upgradeGroups(rows)) <= maxGroups || !slices.Contains(varying(rows), "size") {
		return rows, ""
	}
	most, size := 0.0, ""
	for _, r := range rows {
		if st, ok := stat(r, "structure.objects"); ok && st.Median > most {
			most, size = st.Median, r.Params.Value("size")
		}
	}
	return view(rows).is("size", size), fmt.Sprintf(" Only the largest structure (%s, %s objects) is shown.", size, fmtNum(most))
}

// runCurves are a row's runs' series around the upgrade: x the time since the request (or,
// without an upgrade, since upgrade-at), y the interval's maximum response time (ms).
func (c *ctx) runCurves(r *analysis.Row) (xs, ys [][]float64, probe bool) {
	for _, smp := range r.Samples {
		run := smp.Run
		if run == nil || run.Record == nil || !run.HasSeries() {
			continue
		}
		t0, ok := changeInstant(run.Record)
		if !ok {
			continue
		}
		var x, y []float64
		for _, p := range c.runTicks(run) {
			t := p.T - t0
			if t < -headlineBefore || t > headlineAfter {
				continue
			}
			v, pr := p.Values["probe_max_us"]
			if !pr {
				v = p.Values["max_us"]
			}
			probe = probe || pr
			x, y = append(x, t), append(y, v/1e3)
		}
		if len(x) > 0 {
			xs, ys = append(xs, x), append(ys, y)
		}
		if c.opts.First {
			break
		}
	}
	return xs, ys, probe
}

// headline draws the seconds around the upgrade: one small panel per scenario group and
// strategy, every repetition of the strategy in its colour over the run without an upgrade
// in grey, the maximum response time of each interval on a log axis shared by all panels.
func headline(c *ctx) (*Figure, string, error) {
	rows, note := largestIfMany(c.bench(nil))
	gs := upgradeGroups(rows)
	if len(gs) == 0 {
		return nil, "no run with an upgrade", nil
	}
	present := strategies(rows)
	fig := &Figure{Title: c.title + "Maximum response time around the upgrade, per strategy", Cols: len(present),
		PanelW: 3.3 * vg.Inch, PanelH: 2.1 * vg.Inch}
	h := headlineState{lo: math.Inf(1), hi: math.Inf(-1)}
	for _, g := range gs {
		for _, st := range present {
			fig.Panels = append(fig.Panels, c.headlinePanel(&h, g.label+": "+st, g.rows, st))
		}
	}
	if !h.anySeries {
		return nil, "the runs with an upgrade have no time series", nil
	}
	// Room at the top for the marks; at most five decades, so that intervals of one or two
	// quick operations do not squash the rest.
	lo := max(h.lo, h.hi/1e5)
	for i := range fig.Panels {
		fig.Panels[i].YMin, fig.Panels[i].YMax = lo/1.5, h.hi*6
	}
	what := "the largest latency of any operation completing in the interval"
	if h.anyProbe {
		what = "the responsiveness probe's largest lateness in the interval (a pause of the whole program shows even when no operation completes)"
	}
	fig.Caption = fmt.Sprintf("The seconds around the upgrade (%s s before the request to %s s after), one small panel per upgrade scenario "+
		"(row) and migration strategy (column): each line is one repetition's maximum response time per interval of %s (%s), on a "+
		"logarithmic axis shared by every panel; light grey underneath is the same configuration without an upgrade (the noise floor), "+
		"aligned at its upgrade-at instant. Marks at the top: hollow triangle = the upgrade requested (0); one row lower, filled triangle = committed, "+
		"diamond = every object migrated, where that falls in the window (medians over the repetitions). A strategy that keeps "+
		"latency flat stays inside the grey band; eager's stopped world shows as a spike at the commit.%s",
		fmtNum(headlineBefore), fmtNum(headlineAfter), cmp.Or(h.interval, "the series'"), what, note)
	return fig, "", nil
}

// headlineState is what the headline's panels share: the latencies' range, whether any
// shows the probe or a series, and the series' interval.
type headlineState struct {
	lo, hi              float64
	anyProbe, anySeries bool
	interval            string
}

// headlinePanel is one scenario group's panel of one strategy: the run without an upgrade
// (the group's first row, where it has one) in grey, the strategy's repetitions over it, and
// the upgrade's instants marked.
func (c *ctx) headlinePanel(h *headlineState, title string, g []*analysis.Row, st string) Panel {
	pn := Panel{Title: title, XLabel: "time since the upgrade's request (s)", YLabel: "max latency (ms, log)",
		LogY: true, MarksAtTop: true, Legend: true}
	for _, r := range g {
		base := noUpgrade(r)
		if !base && r.Params.Value("migration") != st {
			continue
		}
		xs, ys, probe := c.runCurves(r)
		h.anyProbe = h.anyProbe || probe
		for i := range xs {
			sr := Series{Label: st + " (each repetition)", X: xs[i], Y: ys[i], Color: strategyColor(r.Params), Thin: true}
			if base {
				sr.Label, sr.Color = "no upgrade (each repetition)", colorLightGrey
			}
			h.anySeries = h.anySeries || !base
			pn.Series = append(pn.Series, sr)
			for _, y := range ys[i] {
				if positive(y) {
					h.lo, h.hi = min(h.lo, y), max(h.hi, y)
				}
			}
		}
		req, okReq := stat(r, "upgrade.requested_s")
		if com, ok := stat(r, "upgrade.committed_s"); ok && okReq && !base {
			pn.Marks = append(pn.Marks, Mark{X: 0, Kind: "requested", Color: colorBlack},
				Mark{X: com.Median - req.Median, Kind: "committed", Color: colorBlack})
			// Eager migrates before its commit: no mark of its own.
			if mig, ok := stat(r, "upgrade.migrated_s"); ok && mig.Median-req.Median <= headlineAfter && mig.Median > com.Median {
				pn.Marks = append(pn.Marks, Mark{X: mig.Median - req.Median, Kind: "migrated", Color: colorBlack})
			}
		}
		if !base {
			h.interval = cmp.Or(h.interval, r.Params.Value("interval"))
		}
	}
	return pn
}

// maxLatencyMetrics are the maxima the max-latency figure shows: the probe's where the
// results have it, all operations', and each category's.
func maxLatencyMetrics(rows []*analysis.Row) (names, labels []string) {
	if slices.ContainsFunc(rows, func(r *analysis.Row) bool { _, ok := stat(r, "probe_max_us"); return ok }) {
		names, labels = append(names, "probe_max_us"), append(labels, "probe")
	}
	names, labels = append(names, "all.max_us"), append(labels, "all operations")
	var cats []string
	for _, r := range rows {
		for m := range r.Stats {
			if strings.HasPrefix(m, "cat.") && strings.HasSuffix(m, ".max_us") && !slices.Contains(cats, m) {
				cats = append(cats, m)
			}
		}
	}
	slices.Sort(cats)
	for _, m := range cats {
		names, labels = append(names, m), append(labels, strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(m, "cat."), ".max_us")))
	}
	return names, labels
}

// maxLatency draws, per scenario group, the maximum latency of every strategy (the run without
// an upgrade first) for all operations, the probe and each category, with the ratio to the run
// without an upgrade written beside the all-operations and probe dots.
func maxLatency(c *ctx) (*Figure, string, error) {
	rows, note := largestIfMany(c.bench(nil))
	gs := upgradeGroups(rows)
	if len(gs) == 0 {
		return nil, "no run with an upgrade", nil
	}
	cols := append([]string{"none"}, strategies(rows)...)
	names, labels := maxLatencyMetrics(rows)
	fig := &Figure{Title: c.title + "Maximum latency per strategy", Cols: min(3, len(gs)), PanelW: 4 * vg.Inch, PanelH: 2.8 * vg.Inch}
	var ticks []Tick
	for i, s := range cols {
		ticks = append(ticks, Tick{float64(i), map[bool]string{true: "no upgrade", false: s}[s == "none"]})
	}
	for _, g := range gs {
		if noUpgrade(g.rows[0]) { // else nothing to compare with
			fig.Panels = append(fig.Panels, maxLatencyPanel(g, cols, names, labels, ticks))
		}
	}
	if len(fig.Panels) == 0 {
		return nil, "no run without an upgrade to compare the strategies with", nil
	}
	fig.Cols = min(fig.Cols, len(fig.Panels))
	fig.Caption = "The maximum latency of each migration strategy against the run without an upgrade, per scenario: dots are the " +
		c.repsNote(rows) + " (bars: minimum–maximum) of the maximum over the whole run, for all operations (black), the responsiveness " +
		"probe where the results have it, and each category of operations; the number beside a dot is its ratio to the run without an " +
		"upgrade. Log axis." + note
	return fig, "", nil
}

// maxLatencyPanel is one scenario group's panel: per metric a dot per strategy (cols, "none"
// the run without an upgrade, the group's first row), with its ratio to that run beside the
// all-operations and probe dots.
func maxLatencyPanel(g group, cols, names, labels []string, ticks []Tick) Panel {
	pn := Panel{Title: g.label, XLabel: "migration strategy", YLabel: "max latency (ms, log)", LogY: true, Legend: true, XTicks: ticks}
	base := g.rows[0]
	for mi, m := range names {
		// The probe in vermillion, all operations in black, the categories in the rest.
		color := map[string]int{"probe_max_us": 1, "all.max_us": colorBlack}[m]
		if color == 0 {
			color = []int{0, 2, 3, 4, 5, colorGrey}[mi%6]
		}
		s := Series{Label: labels[mi], Color: color, NoLine: true}
		off := (float64(mi) - float64(len(names)-1)/2) * 0.07
		for ci, col := range cols {
			var r *analysis.Row
			for _, o := range g.rows {
				if (col == "none" && noUpgrade(o)) || (withUpgrade(o) && o.Params.Value("migration") == col) {
					r = o
				}
			}
			st, ok := stat(cmp.Or(r, base), m)
			if r == nil || !ok {
				continue
			}
			s.X, s.Y = append(s.X, float64(ci)+off), append(s.Y, st.Median/1e3)
			s.YLow, s.YHigh = append(s.YLow, st.Min/1e3), append(s.YHigh, st.Max/1e3)
			lbl := ""
			if b, ok := stat(base, m); ok && b.Median > 0 && col != "none" && (m == "all.max_us" || m == "probe_max_us") {
				lbl = fmtRatio(st.Median/b.Median) + "×"
			}
			s.Labels = append(s.Labels, lbl)
		}
		if len(s.X) > 0 {
			pn.Series = append(pn.Series, s)
		}
	}
	return pn
}

// pauseObjects draws eager's time from request to commit against the objects it converts
// (log–log), one colour per scenario (their objects do not cost alike) with its fit where
// the data can carry one, and lazy's commit time beside it.
func pauseObjects(c *ctx) (*Figure, string, error) {
	rows := c.bench(withUpgrade)
	const x, y = "upgrade.objects", "upgrade.commit_delay_ms"
	pn := Panel{Title: "time to upgrade against the objects converted", XLabel: "objects of the changed classes (log)",
		YLabel: "request to commit (ms, log)", LogX: true, LogY: true, Legend: true}
	scenColors := []int{1, 3, 4, 5, 2, colorGrey}
	var fitNotes []string
	for i, g := range rows.by("upgrade") {
		sr := line("eager, "+g.label, g.rows.is("migration", "eager"), metric(x), y, 1)
		sr.Color, sr.NoLine = scenColors[i%len(scenColors)], true
		if len(sr.X) == 0 {
			continue
		}
		pn.Series = append(pn.Series, sr)
		text, ok := fitText(sr.X, sr.Y)
		fitNotes = append(fitNotes, g.label+": "+text)
		if f, _ := fitPower(sr.X, sr.Y); ok {
			lx := []float64{f.XMin, f.XMax}
			pn.Series = append(pn.Series, Series{Label: fmt.Sprintf("fit, %s: %s·n^%.2f ms", g.label, fmtNum(f.A), f.B), X: lx,
				Y: []float64{f.At(lx[0]), f.At(lx[1])}, Color: sr.Color, Dashed: true})
		}
	}
	if len(fitNotes) == 0 {
		return nil, "no eager upgrade that committed", nil
	}
	if lazy := line("lazy: commit only", rows.not("migration", "eager"), metric(x), y, 1); len(lazy.X) > 0 {
		lazy.NoLine = true
		pn.Series = append(pn.Series, lazy)
	}
	fig := &Figure{Title: c.title + "Eager's pause against the objects it converts", Cols: 1, Panels: []Panel{pn}}
	fig.Caption = "The time from the upgrade's request to its commit against the number of objects of the changed classes, every " +
		"scenario and size: eager migration (the world stopped while every object is converted) and lazy migration (the commit only; " +
		"objects convert on first touch afterwards). Points are the " + c.repsNote(rows) + ", bars span the minimum and maximum; " +
		"dashed lines are least-squares fits on log–log where the data carry one (" + strings.Join(fitNotes, "; ") + ")."
	return fig, "", nil
}

// changeInstant is when a run's upgrade was requested, or, without an upgrade, the start of
// its baseline window (upgrade-at, by default half the length).
func changeInstant(r *record.Record) (float64, bool) {
	if t, ok := r.Values["upgrade.requested_s"]; ok {
		return t, true
	}
	num := func(key string) float64 {
		s, _ := r.Config.Get(key)
		x, _ := strconv.ParseFloat(s, 64)
		return x
	}
	switch {
	case num("upgrade_at_s") > 0:
		return num("upgrade_at_s"), true
	case num("ops") == 0 && num("length_s") > 0:
		return num("length_s") / 2, true
	}
	return 0, false
}
