package plots

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// kvUpgradeFixture is a kv-upgrade on the fake server (experimentstest): eager's pause is
// 1 µs a key (10 ms to 10 s over these sizes: a power law of exponent 1), the client's max
// is the pause plus 1 ms under eager, 2.2 ms under lazy against 2 ms without an upgrade, and
// its p50 0.3 ms.
const kvUpgradeFixture = `{
	"name": "kv-upgrade", "repetitions": 3,
	"parts": [{"name": "main", "kind": "kv",
		"axes": {"preload": [SIZES], "upgrade": ["none", "expiry"], "migration": ["lazy", "eager"]},
		"fixed": {"backend": "stm", "upgrade-at": 1, "interval": "500ms"}}]}`

func TestKVFindingsAndFigures(t *testing.T) {
	dir, f, s := fixture(t, strings.ReplaceAll(kvUpgradeFixture, "SIZES", "10000, 100000, 1000000, 10000000"))
	fds := ComputeFindings(f, s)
	lazy := claimOf(t, fds, "lazy and lazy+sweep")
	if lazy.Verdict != Holds || len(lazy.Cases) != 8 { // 4 sizes × (max, p99)
		t.Errorf("lazy: %q, %d cases (%s)", lazy.Verdict, len(lazy.Cases), lazy.Measured)
	}
	if c := lazy.Cases[0]; c.Metric != "client.max_ms" || !near(c.Ratio, 1.1) {
		t.Errorf("lazy's first case %+v, want client.max_ms at 1.1×", c)
	}
	eager := claimOf(t, fds, "eager migration")
	if eager.Verdict != Holds {
		t.Errorf("eager: %q (%s)", eager.Verdict, eager.Measured)
	}
	decided := 0
	for _, c := range eager.Cases {
		if !strings.HasPrefix(c.Verdict, "(") {
			decided++
			// 10 s + 1 ms over 0.3 ms
			if c.Params.Value("preload") != "10000000" || !near(c.Ratio, 10001/0.3) {
				t.Errorf("deciding eager case %+v", c)
			}
		}
	}
	if decided != 1 {
		t.Errorf("%d deciding eager cases, want the largest size's", decided)
	}
	if c := claimOf(t, fds, "eager migration's pause"); len(c.Evidence) != 1 || !strings.Contains(c.Evidence[0], "fit ") ||
		!strings.Contains(c.Evidence[0], "n^1.00 (R² 1.00, 4 points") {
		t.Errorf("no fit of the pause in %+v", c)
	}
	// The fake's eager upgrade of 10M keys commits after the client's run (10 s pause).
	if c := claimOf(t, fds, "every upgrade commits inside"); c.Verdict != DoesNotHold ||
		!strings.Contains(strings.Join(c.Evidence, ""), "outside in 1 configuration(s): upgrade=expiry,migration=eager,preload=10000000") {
		t.Errorf("no warning of the upgrade outside the client's run in %+v", c)
	}
	w, err := Write(f, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"kv-timeline", "kv-pause-size"} {
		for _, ext := range []string{".png", ".svg"} {
			if st, err := os.Stat(filepath.Join(dir, "figures", name+ext)); err != nil || st.Size() == 0 {
				t.Errorf("figure %s%s: %v", name, ext, err)
			}
		}
	}
	report, err := os.ReadFile(w.Report)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"client.max_ms", "a key-value server driven by redis-benchmark", "lazy and lazy+sweep"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	figs, _ := figuresByName(t, f, s, Options{})
	tl := figs["kv-timeline"]
	if tl == nil || len(tl.Panels) != 12 || len(tl.Panels[0].Marks) == 0 || tl.Panels[0].Series[0].Label != "no upgrade" {
		t.Errorf("kv-timeline %+v", tl)
	}
}

func TestKVPauseWithoutFit(t *testing.T) {
	_, f, s := fixture(t, strings.ReplaceAll(kvUpgradeFixture, "SIZES", "100000, 1000000, 10000000"))
	if c := claimOf(t, ComputeFindings(f, s), "eager migration's pause"); c.Verdict != NotMeasured ||
		!strings.Contains(strings.Join(c.Evidence, ""), "no fit: 3 size(s), from 100k to 10M, 2.0 decades: a fit needs at least 4") {
		t.Errorf("pause without a fit: %+v", c)
	}
	if got, ok := fitText([]float64{1e5, 2e5, 4e5, 8e5}, []float64{1, 2, 4, 8}); ok || !strings.Contains(got, "0.9 decades") {
		t.Errorf("narrow sizes: %q", got)
	}
	if got, ok := fitText([]float64{1e3, 1e4, 1e5, 1e6}, []float64{5, 1, 9, 2}); ok || !strings.Contains(got, "R²") {
		t.Errorf("scattered pauses: %q", got)
	}
}

func TestKVPeers(t *testing.T) {
	_, f, s := fixture(t, `{"name": "kv-peers", "repetitions": 3, "kind": "kv",
		"axes": {"backend": ["redis", "stm", "stm-plain", "mutex"], "pipeline": [1, 16]},
		"fixed": {"tests": "set+get+incr"}}`)
	fds := ComputeFindings(f, s)
	peer := claimOf(t, fds, "dustm kv serve --backend stm serves GET and SET")
	if peer.Verdict != Holds || len(peer.Cases) != 4 || !near(peer.Cases[0].Ratio, 70.0/80) {
		t.Errorf("peer claim %+v", peer)
	}
	cost := claimOf(t, fds, "stm within 10% of stm-plain")
	if cost.Verdict != Holds || len(cost.Cases) != 6 || !strings.Contains(cost.Measured, ".rps") {
		t.Errorf("cost claim %+v", cost)
	}
	figs, skipped := figuresByName(t, f, s, Options{})
	p := figs["kv-peers"]
	if p == nil {
		t.Fatalf("no kv-peers figure: %+v", skipped)
	}
	if len(p.Panels) != 6 || len(p.Panels[0].Bars.Series) != 4 || p.Panels[0].Bars.Series[0].Label != "redis-server" ||
		len(p.Panels[0].Bars.Groups) != 3 || !near(p.Panels[0].Bars.Series[0].Y[0], 80) {
		t.Errorf("kv-peers %+v", p.Panels[0])
	}
}
