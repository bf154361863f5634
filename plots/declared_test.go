package plots

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/record"
)

// A figure declared as data draws a metric no code knows (made_up_ms) by name, with its unit
// from its definition on the axis and its meaning in the caption, from the configurations its
// selection picks; one whose selection picks nothing is skipped, and REPORT.md says why.
func TestDeclaredFigureDrawsAMadeUpMetric(t *testing.T) {
	dir, _, _ := fixture(t, `{"name": "declared", "repetitions": 3,
		"figures": ["latency-percentiles",
			{"name": "made-up", "title": "A made-up metric against threads", "x": "threads", "y": ["made_up_ms", "throughput"], "where": {"backend": "stm"}},
			{"name": "nowhere", "x": "threads", "y": ["made_up_ms"], "where": {"backend": "medium"}}],
		"axes": {"backend": ["coarse", "stm"], "threads": [1, 2, 4]}, "fixed": {"size": "tiny", "length": 1}}`)
	paths, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "rep-*", experiments.ResultFile))
	threads := regexp.MustCompile(`threads=(\d+)`)
	for _, p := range paths {
		rec, err := record.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		rec.Set(record.Metric{Name: "made_up_ms", Unit: "ms", Doc: "a metric made up by the test", Better: record.Lower},
			10*num(threads.FindStringSubmatch(p)[1]))
		if err := record.Write(p, rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	f, s, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	figs, skipped := figuresByName(t, f, s, Options{})
	fig := figs["made-up"]
	if fig == nil || fig.Title != "A made-up metric against threads" || len(fig.Panels) != 2 {
		t.Fatalf("declared figure %+v (skipped %+v)", fig, skipped)
	}
	pn := fig.Panels[0]
	if pn.YLabel != "made_up_ms (ms)" || pn.XLabel != "threads" || fig.Panels[1].YLabel != "throughput (op/s)" {
		t.Errorf("axes %q, %q; %q", pn.XLabel, pn.YLabel, fig.Panels[1].YLabel)
	}
	// Only stm's runs are selected: nothing else varies, so one line.
	if sr := series(t, pn, "median, min–max"); len(pn.Series) != 1 || !slices.Equal(sr.X, []float64{1, 2, 4}) || !slices.Equal(sr.Y, []float64{10, 20, 40}) {
		t.Errorf("series %+v", pn.Series)
	}
	for _, want := range []string{"made_up_ms and throughput against threads where backend=stm", "made_up_ms: a metric made up by the test"} {
		if !strings.Contains(fig.Caption, want) {
			t.Errorf("caption %q lacks %q", fig.Caption, want)
		}
	}
	const why = "no configuration where backend=medium has made_up_ms"
	if !slices.Contains(skipped, Skipped{Figure: "nowhere", Part: "main", Reason: why}) {
		t.Errorf("skipped %+v", skipped)
	}
	w, err := Write(f, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	report, _ := os.ReadFile(w.Report)
	if !strings.Contains(string(report), "`nowhere` (part `main`): "+why) || !slices.Contains(w.Files, filepath.Join(dir, FiguresDir, "made-up.svg")) {
		t.Errorf("REPORT.md or the files lack the declared figures: %q\n%s", w.Files, report)
	}
}
