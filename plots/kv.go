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
				get func(*experiments.SeriesPoint) (float64, bool)
			}{
				{&maxP, func(p *experiments.SeriesPoint) (float64, bool) {
					return ptr(p.MaxUs) / 1e3, p.MaxUs != nil && *p.MaxUs > 0
				}},
				{&p99P, func(p *experiments.SeriesPoint) (float64, bool) {
					return ptr(p.P99Us) / 1e3, p.P99Us != nil && *p.P99Us > 0
				}},
				{&probeP, func(p *experiments.SeriesPoint) (float64, bool) {
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

// kvHowMeasured describes kv runs for the report, with the tools' versions the runs
// recorded ("" without kv runs).
func kvHowMeasured(f *experiments.Folder) string {
	var versions []string
	for _, r := range f.Runs {
		if r.KV == nil {
			continue
		}
		for _, v := range []string{r.KV.Client.Version, r.KV.Client.ServerVersion} {
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
