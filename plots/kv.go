package plots

import (
	"fmt"
	"slices"
	"strings"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/record"
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
	return []builder{{"kv-timeline", kvTimeline}, {"kv-pause-size", kvPauseSize}, {"kv-peers", kvPeers}}
}

// kvTimeline draws the client-visible latency over time across the upgrade, from the
// server's series: per scenario (and whatever else varies but the strategy) a row of three
// panels, the per-interval max and p99 latency and the probe's max, one line per strategy and
// the run without an upgrade in black, with the upgrade's instants marked.
func kvTimeline(c *ctx) (*Figure, string, error) {
	rows := c.rows.not("backend", "redis")
	ups := rows.where(withUpgrade)
	if len(ups) == 0 {
		return nil, "no run with an upgrade", nil
	}
	fig := &Figure{Title: c.title + "Latency across the upgrade, interval by interval (the server's series)", Cols: 3}
	const xl = "time since the server was ready (s)"
	for gi, g := range ups.by(varying(ups, "migration", "sweepers")...) {
		suffix := strings.TrimSuffix(": "+g.label, ": ")
		pns := []Panel{
			{Title: "commands' max latency" + suffix, XLabel: xl, YLabel: c.axis("max", "max_us", 1e-3, true), LogY: true, Legend: gi == 0},
			{Title: "commands' p99 latency" + suffix, XLabel: xl, YLabel: c.axis("p99", "p99_us", 1e-3, true), LogY: true},
			{Title: "responsiveness probe's max" + suffix, XLabel: xl, YLabel: c.axis("probe max", "probe_max_us", 1e-3, true), LogY: true},
		}
		lines := g.rows
		if base := baselineOf(g.rows[0], rows); base != nil {
			lines = append(view{base}, lines...)
		}
		for _, r := range lines {
			runs := c.ticks(r)
			name, col := val(r, "migration"), strategyColor(r.Params)
			if noUpgrade(r) {
				name = "no upgrade"
			}
			for i, m := range []string{"max_us", "p99_us", "probe_max_us"} {
				t, y := aggregate(runs, func(t record.Tick) (float64, bool) { v, ok := t.Values[m]; return v / 1e3, ok && v > 0 })
				if len(t) == 0 {
					continue
				}
				pns[i].Series = append(pns[i].Series, Series{Label: name, X: t, Y: y, Color: col})
				if withUpgrade(r) {
					pns[i].Marks = append(pns[i].Marks, upgradeMarks(r, runs, col)...)
				}
			}
		}
		if len(pns[0].Series) > 0 {
			if len(pns[2].Series) == 0 { // keep the grid: an empty panel says the probe was off
				pns[2].Title += " (no probe in the series)"
			}
			fig.Panels = append(fig.Panels, pns...)
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

// kvPauseSize draws the upgrade's pause (server-side) and the client's max latency against
// the keyspace size, one line per scenario and strategy.
func kvPauseSize(c *ctx) (*Figure, string, error) {
	rows := c.rows.where(withUpgrade)
	if len(rows) == 0 {
		return nil, "no run with an upgrade", nil
	}
	if len(rows.values("preload")) < 2 {
		return nil, "fewer than two keyspace sizes (preload)", nil
	}
	return against{title: "The upgrade's pause against the keyspace size", xLabel: "keys (log)", x: key("preload"), except: []string{"preload"}, log: true,
		ys: []yAxis{{title: "the upgrade's pause (server)", what: "pause", metric: "upgrade.pause_ms", scale: 1,
			keep: func(r *analysis.Row) bool { st, ok := stat(r, "upgrade.pause_ms"); return ok && st.Median > 0 }},
			{title: "the client's max latency (redis-benchmark)", what: "max latency", metric: "client.max_ms", scale: 1}},
		caption: func(keys []string) string {
			return fmt.Sprintf("The upgrade's pause as the server measured it (upgrade.pause_ms: the longest time without any command "+
				"completing around the upgrade) and the client's maximum latency over its whole run, against the preloaded keys, one line per %s; "+
				"both axes logarithmic; points are the %s, bars span the minimum and maximum.", strings.Join(keys, " × "), c.repsNote(rows))
		}}.figure(c, rows), "", nil
}

// kvPeers draws, per pipelining depth, bars of requests per second, p99 and max latency per
// test, one bar per server.
func kvPeers(c *ctx) (*Figure, string, error) {
	rows := c.rows.where(noUpgrade)
	if len(rows.values("backend")) < 2 {
		return nil, "needs runs of at least two servers (backend) without an upgrade", nil
	}
	var runs []*experiments.RunData
	for _, r := range rows {
		for _, smp := range r.Samples {
			runs = append(runs, smp.Run)
		}
	}
	tests := experiments.KVTestNames(runs)
	if len(tests) == 0 {
		return nil, "no client report (redis-benchmark's tests) among the runs", nil
	}
	keys := varying(rows, kvServerKeys...)
	backend := func(r *analysis.Row) string { return val(r, "backend") }
	fig := &Figure{Title: c.title + "dustm kv serve against redis-server, on redis-benchmark", Cols: 3}
	for gi, g := range rows.by(keys...) {
		for _, m := range []struct {
			field, title string
			scale        float64
		}{{"rps", "requests per second", 1e-3}, {"p99_ms", "p99 latency", 1}, {"max_ms", "max latency", 1}} {
			b := bars(g.rows, []string{"redis", "stm", "stm-plain", "mutex"}, backend, slices.Clone(tests), nil,
				func(t string) string { return "client." + t + "." + m.field }, m.scale)
			for i := range b.Series {
				b.Series[i].Label = strings.Replace(b.Series[i].Label, "redis", "redis-server", 1)
			}
			fig.Panels = append(fig.Panels, Panel{Title: m.title + strings.TrimSuffix(": "+g.label, ": "), Bars: b,
				YLabel: c.axis(m.title, "client."+tests[0]+"."+m.field, m.scale, false), Legend: gi == 0 && m.field == "rps", LogY: m.field == "max_ms"})
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
		if r.Record == nil || r.Record.App != "kv" && r.Record.App != "redis-benchmark" {
			continue
		}
		for _, key := range []string{"version", "server_version"} {
			if v, _ := r.Record.Config.Get(key); v != "" && !slices.Contains(versions, v) {
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
