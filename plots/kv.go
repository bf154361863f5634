package plots

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"dustm/experiments"
)

// The kv experiments' figures and findings (issue 18): a key-value server driven by
// redis-benchmark. The claims are checked on the client's numbers (client.*); the server's
// series shows when things happened.

// The targets of the kv claims (issue 18), stated in the report beside the verdicts.
const (
	// kvLazyTolerance: lazy migration keeps the client's max latency within 1.5× of the same
	// run without an upgrade (holds when the ratio's 95% interval reaches below it).
	kvLazyTolerance = 1.5
	// kvEagerFactor: eager migration raises the client's max latency to at least 100× the
	// client's p50 without an upgrade, at the largest keyspace.
	kvEagerFactor = 100.0
	// kvPeerTolerance: dustm kv serve --backend stm at at least 0.8× redis-server's requests
	// per second on GET and SET without pipelining.
	kvPeerTolerance = 0.8
	// The fit of eager's pause against the keyspace size needs this much data.
	kvFitMinSizes   = 4
	kvFitMinDecades = 1.5
	kvFitMinR2      = 0.9
)

// kvServerKeys are settings that only a dustm server has: a peer row matches a dustm row
// whatever they are.
var kvServerKeys = []string{"backend", "preload", "upgrade", "upgrade-at", "interval", "gogc", "gomaxprocs"}

// isKVPart reports whether a part of the folder runs kv runs.
func isKVPart(f *experiments.Folder, part string) bool {
	if p := f.Part(part); p != nil {
		return p.Kind == experiments.KindKV
	}
	return slices.ContainsFunc(f.Runs, func(r *experiments.RunData) bool { return r.Info.Part == part && r.Info.Kind == experiments.KindKV })
}

func kvBuilders() []builder {
	return []builder{
		{"kv-timeline", kvTimeline},
		{"kv-pause-size", kvPauseSize},
		{"kv-peers", kvPeers},
	}
}

// kvTimeline draws the client-visible latency over time across the upgrade, from the
// server's series: per scenario (and whatever else varies but the strategy) a row of two
// panels, the per-interval max and p99 latency, one line per strategy and the run without
// an upgrade in black, with the commit marked.
func kvTimeline(c *ctx) (*Figure, string, error) {
	rows := slices.DeleteFunc(slices.Clone(c.rows), func(r *experiments.Row) bool { return r.Params.Value("backend") == "redis" })
	if !slices.ContainsFunc(rows, withUpgrade) {
		return nil, "no run with an upgrade", nil
	}
	keys := varying(slices.DeleteFunc(slices.Clone(rows), noUpgrade), "migration", "sweepers")
	glabels, gps := groups(slices.DeleteFunc(slices.Clone(rows), noUpgrade), keys)
	fig := &Figure{Title: c.title + "Latency across the upgrade, interval by interval (the server's series)", Cols: 3}
	for gi, g := range gps {
		suffix := ""
		if glabels[gi] != "" {
			suffix = ": " + glabels[gi]
		}
		const xl = "time since the server was ready (s)"
		maxP := Panel{Title: "commands' max latency" + suffix, XLabel: xl, YLabel: "max (ms, log)", LogY: true, Legend: gi == 0}
		p99P := Panel{Title: "commands' p99 latency" + suffix, XLabel: xl, YLabel: "p99 (ms, log)", LogY: true}
		probeP := Panel{Title: "responsiveness probe's max" + suffix, XLabel: xl, YLabel: "probe max (ms, log)", LogY: true}
		lines := slices.Clone(g)
		if base := baselineOf(g[0], rows); base != nil {
			lines = append([]*experiments.Row{base}, lines...)
		}
		for _, r := range lines {
			runs, err := c.loadSeries(r)
			if err != nil {
				return nil, "", err
			}
			if len(runs) == 0 {
				continue
			}
			name := r.Params.Value("migration")
			if noUpgrade(r) {
				name = "no upgrade"
			}
			col := strategyColor(r.Params)
			for _, pn := range []struct {
				p   *Panel
				get func(*seriesPoint) (float64, bool)
			}{
				{&maxP, func(p *seriesPoint) (float64, bool) {
					return ptr(p.MaxUs) / 1e3, p.MaxUs != nil && *p.MaxUs > 0
				}},
				{&p99P, func(p *seriesPoint) (float64, bool) {
					return ptr(p.P99Us) / 1e3, p.P99Us != nil && *p.P99Us > 0
				}},
				{&probeP, func(p *seriesPoint) (float64, bool) {
					return ptr(p.ProbeMaxUs) / 1e3, p.ProbeMaxUs != nil && *p.ProbeMaxUs > 0
				}},
			} {
				t, y := aggregate(runs, pn.get)
				if len(t) == 0 {
					continue
				}
				pn.p.Series = append(pn.p.Series, Series{Label: name, X: t, Y: y, Color: col})
				if !noUpgrade(r) {
					pn.p.Marks = append(pn.p.Marks, upgradeMarks(r, runs, col)...)
				}
			}
		}
		if len(maxP.Series) > 0 {
			fig.Panels = append(fig.Panels, maxP, p99P)
			if len(probeP.Series) == 0 { // keep the grid: an empty panel says the probe was off
				probeP.Title += " (no probe in the series)"
			}
			fig.Panels = append(fig.Panels, probeP)
		}
	}
	if len(fig.Panels) == 0 {
		return nil, "no server series (--series) among the runs with an upgrade", nil
	}
	fig.Caption = "The latency the server measured for its commands, per interval of its series (" + c.aggNote() + "): the " +
		"maximum (left) and the 99th percentile (middle), and the responsiveness probe's maximum (right: a tiny transaction due " +
		"every millisecond, counted from when it was due, so a stopped world shows as what a waiting client would see), one " +
		"line per migration strategy and the same run without an upgrade in black; vertical lines mark the upgrade's request " +
		"and commit. The client's own summary (redis-benchmark's) is in the tables and the findings; this figure shows when " +
		"the latency rose."
	return fig, "", nil
}

func ptr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// kvPauseSize draws the upgrade's pause (server-side) and the client's max latency against
// the keyspace size, one line per scenario and strategy.
func kvPauseSize(c *ctx) (*Figure, string, error) {
	rows := slices.DeleteFunc(slices.Clone(c.rows), noUpgrade)
	sizes := map[string]bool{}
	for _, r := range rows {
		sizes[r.Params.Value("preload")] = true
	}
	if len(rows) == 0 {
		return nil, "no run with an upgrade", nil
	}
	if len(sizes) < 2 {
		return nil, "fewer than two keyspace sizes (preload)", nil
	}
	keys := varying(rows, "preload")
	labels, gs := groups(rows, keys)
	pause := Panel{Title: "the upgrade's pause (server)", XLabel: "keys (log)", YLabel: "pause (ms, log)", LogX: true, LogY: true, Legend: true}
	lat := Panel{Title: "the client's max latency (redis-benchmark)", XLabel: "keys (log)", YLabel: "max latency (ms, log)", LogX: true, LogY: true}
	for gi, g := range gs {
		slices.SortFunc(g, func(a, b *experiments.Row) int {
			return int(math.Copysign(1, num(a.Params.Value("preload"))-num(b.Params.Value("preload"))))
		})
		color, dash := lineStyle(g[0].Params, keys, gi)
		ps := Series{Label: labels[gi], Color: color, Dash: dash, Points: true}
		ls := Series{Label: labels[gi], Color: color, Dash: dash, Points: true}
		for _, r := range g {
			x := num(r.Params.Value("preload"))
			if st, ok := stat(r, "upgrade.pause_ms"); ok && st.Median > 0 {
				ps.X, ps.Y, ps.YLow, ps.YHigh = append(ps.X, x), append(ps.Y, st.Median), append(ps.YLow, st.Min), append(ps.YHigh, st.Max)
			}
			if st, ok := stat(r, "client.max_ms"); ok {
				ls.X, ls.Y, ls.YLow, ls.YHigh = append(ls.X, x), append(ls.Y, st.Median), append(ls.YLow, st.Min), append(ls.YHigh, st.Max)
			}
		}
		pause.Series, lat.Series = append(pause.Series, ps), append(lat.Series, ls)
	}
	fig := &Figure{Title: c.title + "The upgrade's pause against the keyspace size", Cols: 2, Panels: []Panel{pause, lat}}
	fig.Caption = fmt.Sprintf("The upgrade's pause as the server measured it (upgrade.pause_ms: the longest time without any command "+
		"completing around the upgrade) and the client's maximum latency over its whole run, against the preloaded keys, one line per %s; "+
		"both axes logarithmic; points are the %s, bars span the minimum and maximum.", strings.Join(keys, " × "), c.repsNote(rows))
	return fig, "", nil
}

// kvPeers draws, per pipelining depth, bars of requests per second, p99 and max latency per
// test, one bar per server.
func kvPeers(c *ctx) (*Figure, string, error) {
	rows := slices.DeleteFunc(slices.Clone(c.rows), withUpgrade)
	backends := map[string]bool{}
	for _, r := range rows {
		backends[r.Params.Value("backend")] = true
	}
	if len(backends) < 2 {
		return nil, "needs runs of at least two servers (backend) without an upgrade", nil
	}
	var samples []experiments.Sample
	for _, r := range rows {
		samples = append(samples, r.Samples...)
	}
	tests := experiments.KVTestNames(samples)
	order := []string{"redis", "stm", "stm-plain", "mutex"}
	keys := varying(rows, kvServerKeys...)
	glabels, gs := groups(rows, keys)
	fig := &Figure{Title: c.title + "dustm kv serve against redis-server, on redis-benchmark", Cols: 3}
	for gi, g := range gs {
		for _, m := range []struct{ field, title, unit string }{
			{"rps", "requests per second", "k req/s"}, {"p99_ms", "p99 latency", "ms"}, {"max_ms", "max latency", "ms"}} {
			bars := &Bars{Groups: tests}
			for bi, b := range order {
				if !backends[b] {
					continue
				}
				name := b
				if b == "redis" {
					name = "redis-server"
				}
				bs := newBarSeries(name, bi, len(tests))
				for _, r := range g {
					if r.Params.Value("backend") != b {
						continue
					}
					for ti, t := range tests {
						if st, ok := stat(r, "client."+t+"."+m.field); ok {
							f := 1.0
							if m.field == "rps" {
								f = 1e-3
							}
							bs.Y[ti], bs.YLow[ti], bs.YHigh[ti] = st.Median*f, st.Min*f, st.Max*f
						}
					}
				}
				bars.Series = append(bars.Series, bs)
			}
			title := m.title
			if glabels[gi] != "" {
				title += ": " + glabels[gi]
			}
			fig.Panels = append(fig.Panels, Panel{Title: title, YLabel: m.title + " (" + m.unit + ")", Bars: bars, Legend: gi == 0 && m.field == "rps",
				LogY: m.field == "max_ms"})
		}
	}
	fig.Caption = "The client's own report (redis-benchmark) per test: requests per second, 99th percentile and maximum latency " +
		"(log), one bar per server (redis-server, and dustm kv serve with each backend); bars are the " + c.repsNote(rows) +
		", whiskers span the minimum and maximum" + keysNote(keys) + "."
	return fig, "", nil
}

// kvFindings are a kv part's claims and paragraph: the upgrade targets where the part
// upgrades, the peer targets where it compares servers.
func kvFindings(rows []*experiments.Row) Findings {
	var fd Findings
	if slices.ContainsFunc(rows, withUpgrade) && slices.ContainsFunc(rows, noUpgrade) {
		fd.Claims = kvUpgradeClaims(rows)
	}
	if slices.ContainsFunc(rows, withUpgrade) {
		fd.Paragraph = strings.TrimSpace(kvPositionNote(rows) + " " + kvPauseFinding(rows))
	}
	if c, ok := kvPeerClaims(rows); ok {
		fd.Claims = append(fd.Claims, c...)
	}
	return fd
}

func kvUpgradeClaims(rows []*experiments.Row) []Claim {
	where := upgradeWhere(rows)
	lazy := Claim{
		Claim: "lazy and lazy+sweep migration keep the client's maximum latency within 1.5× of the same run without an upgrade, at every size",
		Rule: fmt.Sprintf("per configuration, redis-benchmark's maximum latency (the largest of its tests') with a lazy upgrade over the same run "+
			"without one; holds when the ratio's 95%% interval reaches below %s×; the p99 beside it", fmtNum(kvLazyTolerance)),
	}
	eager := Claim{
		Claim: "eager migration raises the client's maximum latency at the largest keyspace to at least 100× the client's p50 without an upgrade",
		Rule: fmt.Sprintf("at the largest preload, redis-benchmark's maximum latency with an eager upgrade over the p50 of the same run without "+
			"one (the largest of its tests'); holds when the ratio's 95%% interval lies above %s×; smaller sizes, and the ratio to the "+
			"run's own maximum, beside it", fmtNum(kvEagerFactor)),
	}
	largest := 0.0
	for _, r := range rows {
		largest = max(largest, num(r.Params.Value("preload")))
	}
	for _, r := range rows {
		base := baselineOf(r, rows)
		if noUpgrade(r) || base == nil {
			continue
		}
		if _, ok := stat(r, "client.max_ms"); !ok {
			continue
		}
		if r.Params.Value("migration") != "eager" {
			c := compare(r, base, "client.max_ms", where(r))
			c.Verdict = verdictOf(c.low() < kvLazyTolerance)
			lazy.Cases = append(lazy.Cases, c)
			if _, ok := stat(base, "client.p99_ms"); ok {
				p := compare(r, base, "client.p99_ms", where(r))
				p.Verdict = "(" + verdictOf(p.low() < kvLazyTolerance) + ")"
				lazy.Cases = append(lazy.Cases, p)
			}
			continue
		}
		p50 := kvP50Metric(base)
		if p50 == "" {
			continue
		}
		c := compareTo(r, base, "client.max_ms", p50, where(r)+" (over the p50 without an upgrade)")
		c.Verdict = verdictOf(c.low() > kvEagerFactor)
		if num(r.Params.Value("preload")) < largest {
			c.Verdict = "(" + c.Verdict + ")"
		}
		eager.Cases = append(eager.Cases, c)
		m := compare(r, base, "client.max_ms", where(r)+" (over the max without an upgrade)")
		m.Verdict = "(" + verdictOf(m.low() > eagerFactor) + ")"
		eager.Cases = append(eager.Cases, m)
	}
	var out []Claim
	for _, c := range []*Claim{&lazy, &eager} {
		decide(c)
		out = append(out, *c)
	}
	return out
}

// kvP50Metric is the client's p50 a baseline is taken at: the largest of its tests' medians.
func kvP50Metric(r *experiments.Row) string {
	best, bestV := "", -1.0
	for m, st := range r.Stats {
		if strings.HasPrefix(m, "client.") && strings.HasSuffix(m, ".p50_ms") && st.Median > bestV {
			best, bestV = m, st.Median
		}
	}
	return best
}

// compareTo is compare with the reference's value taken from another metric (eager's max
// over the baseline's p50).
func compareTo(row, ref *experiments.Row, metric, refMetric, where string) Case {
	v, _ := stat(row, metric)
	b, _ := stat(ref, refMetric)
	c := Case{Where: where, Params: row.Params, Metric: metric, Unit: row.Metric(metric).Unit, Value: v.Median, Baseline: b.Median,
		Ratio: v.Median / b.Median, CILow: math.NaN(), CIHigh: math.NaN(), Hiccup: math.NaN()}
	if h, ok := stat(ref, "hiccup_max_us"); ok {
		c.Hiccup = h.Median
	}
	if v.N > 1 || b.N > 1 {
		if lo, hi, ok := experiments.BootstrapRatioCI(b.Values, v.Values, experiments.CILevel, bootstrapResamples, bootstrapSeed); ok {
			c.CILow, c.CIHigh = lo, hi
		}
	}
	return c
}

// kvPauseFinding states eager's pause against the keyspace size, per scenario, with a
// power-law fit only where the data can carry one.
func kvPauseFinding(rows []*experiments.Row) string {
	var scenarios []string
	for _, r := range rows {
		if u := r.Params.Value("upgrade"); withUpgrade(r) && r.Params.Value("migration") == "eager" && !slices.Contains(scenarios, u) {
			scenarios = append(scenarios, u)
		}
	}
	if len(scenarios) == 0 {
		return ""
	}
	var parts []string
	for _, sc := range scenarios {
		var xs, ys []float64
		var pts []string
		for _, r := range rows {
			if r.Params.Value("upgrade") != sc || r.Params.Value("migration") != "eager" {
				continue
			}
			st, ok := stat(r, "upgrade.pause_ms")
			if !ok {
				continue
			}
			x := num(r.Params.Value("preload"))
			xs, ys = append(xs, x), append(ys, st.Median)
			pts = append(pts, fmt.Sprintf("%s ms at %s keys", fmtNum(st.Median), fmtNum(x)))
		}
		if len(xs) == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("scenario %s: %s; %s", sc, strings.Join(pts, ", "), kvFitText(xs, ys)))
	}
	if len(parts) == 0 {
		return ""
	}
	return "**Finding.** Eager migration's pause (server-side, upgrade.pause_ms, medians) against the keyspace size — " + strings.Join(parts, "; ") + "."
}

// kvFitText is the fit of pause against size, or why there is none: it needs at least
// kvFitMinSizes distinct sizes spanning kvFitMinDecades decades, and an R² of kvFitMinR2.
func kvFitText(xs, ys []float64) string {
	distinct := map[float64]bool{}
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, x := range xs {
		if positive(x) && positive(ys[i]) {
			distinct[x] = true
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	if len(distinct) < kvFitMinSizes {
		return fmt.Sprintf("no fit: %d size(s) with a pause, a fit needs at least %d", len(distinct), kvFitMinSizes)
	}
	if dec := math.Log10(hi / lo); dec < kvFitMinDecades {
		return fmt.Sprintf("no fit: the sizes span %.1f decades, a fit needs %.1f", dec, kvFitMinDecades)
	}
	f, ok := fitPower(xs, ys)
	if !ok {
		return "no fit"
	}
	if f.R2 < kvFitMinR2 {
		return fmt.Sprintf("no fit: a power law fits with R² %.2f only (at least %.1f needed)", f.R2, kvFitMinR2)
	}
	return "fit pause = " + f.String() + " ms"
}

// kvPeerClaims compare the servers without an upgrade: stm against redis-server on GET and
// SET without pipelining, and stm against stm-plain (the cost of being upgradable).
func kvPeerClaims(rows []*experiments.Row) ([]Claim, bool) {
	rows = slices.DeleteFunc(slices.Clone(rows), withUpgrade)
	by := func(b string) []*experiments.Row {
		return slices.DeleteFunc(slices.Clone(rows), func(r *experiments.Row) bool { return r.Params.Value("backend") != b })
	}
	// A peer row matches a dustm row whatever the server's own settings; a stm-plain row
	// matches only the stm row of the same settings (processors, preload, …).
	match := func(r *experiments.Row, in []*experiments.Row, ignore []string) *experiments.Row {
		for _, o := range in {
			if sameBut(o.Params, r.Params, ignore) {
				return o
			}
		}
		return nil
	}
	var out []Claim
	redis, plain := by("redis"), by("stm-plain")
	peer := Claim{Claim: "dustm kv serve --backend stm serves GET and SET at at least 0.8× redis-server's requests per second without pipelining",
		Rule: fmt.Sprintf("per configuration without pipelining, the client's requests per second on stm over redis-server's; holds when the "+
			"ratio's 95%% interval reaches above %s", fmtNum(kvPeerTolerance))}
	cost := Claim{Claim: "stm within 10% of stm-plain in the steady state (the cost of being upgradable)",
		Rule: fmt.Sprintf("per configuration and test, the client's requests per second on stm over stm-plain; holds when the ratio's 95%% "+
			"interval reaches above %s", fmtNum(costTolerance))}
	for _, r := range by("stm") {
		w := label(r.Params, varying(rows, "backend"))
		if w == "" {
			w = "all runs"
		}
		if ref := match(r, redis, kvServerKeys); ref != nil {
			for _, t := range []string{"GET", "SET"} {
				m := "client." + t + ".rps"
				if _, ok := stat(r, m); !ok {
					continue
				}
				if _, ok := stat(ref, m); !ok {
					continue
				}
				c := compare(r, ref, m, w)
				c.Verdict = verdictOf(c.high() > kvPeerTolerance)
				if r.Params.Value("pipeline") != "1" {
					c.Verdict = "(" + c.Verdict + ")"
				}
				peer.Cases = append(peer.Cases, c)
			}
		}
		if ref := match(r, plain, []string{"backend"}); ref != nil {
			var samples []experiments.Sample
			samples = append(samples, r.Samples...)
			for _, t := range experiments.KVTestNames(samples) {
				m := "client." + t + ".rps"
				if _, ok := stat(ref, m); !ok {
					continue
				}
				c := compare(r, ref, m, w+", "+t)
				c.Verdict = verdictOf(c.high() > costTolerance)
				cost.Cases = append(cost.Cases, c)
			}
		}
	}
	for _, c := range []*Claim{&peer, &cost} {
		if len(c.Cases) > 0 {
			decide(c)
			out = append(out, *c)
		}
	}
	return out, len(out) > 0
}

// kvPositionNote says where in the client's run the upgrades committed (upgrade.
// client_position, 0 its start, 1 its end), and warns of configurations whose upgrade fell
// outside it: their client numbers do not measure the upgrade.
func kvPositionNote(rows []*experiments.Row) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	var outside []string
	for _, r := range rows {
		st, ok := stat(r, "upgrade.client_position")
		if !ok {
			continue
		}
		lo, hi = min(lo, st.Min), max(hi, st.Max)
		if st.Min < 0 || st.Max > 1 {
			outside = append(outside, r.Config)
		}
	}
	if math.IsInf(lo, 1) {
		return ""
	}
	s := fmt.Sprintf("The upgrades committed between %.0f%% and %.0f%% of the client's run (upgrade.client_position).", 100*lo, 100*hi)
	if len(outside) > 0 {
		s += fmt.Sprintf(" **In %d configuration(s) some upgrade fell outside the client's run (%s): the client's numbers there do not "+
			"measure it; give the client more requests or request the upgrade earlier (upgrade-at).**", len(outside), strings.Join(outside, "; "))
	}
	return s
}

// kvHowMeasured describes kv runs for the report, with the tools' versions the runs
// recorded ("" without kv runs).
func kvHowMeasured(f *experiments.Folder) string {
	var versions []string
	for _, r := range f.Runs {
		if r.Record == nil || r.Info.Kind != experiments.KindKV {
			continue
		}
		version, _ := r.Record.Config.Get("version")
		server, _ := r.Record.Config.Get("server_version")
		for _, v := range []string{version, server} {
			if v != "" && !slices.Contains(versions, v) {
				versions = append(versions, v)
			}
		}
	}
	if len(versions) == 0 {
		return ""
	}
	return "Kv runs start the server (`dustm kv serve` on a free port of 127.0.0.1, or redis-server as the peer) in a fresh " +
		"process, wait until it answers PING, drive it with redis-benchmark (" + strings.Join(versions, "; ") + "; each run's " +
		"exact command line is in its `client.json`), then stop the server with SIGTERM; the client's own report (`client.csv`: " +
		"per test requests per second, min, p50, p95, p99 and max latency) is kept beside the server's result and series. " +
		"The claims are checked on the client's numbers; the server's series shows when things happened. "
}
