package plots

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
	"dustm/record"
	"dustm/stmbench7"
)

// everything is an experiment that supports every figure, with 3 repetitions so that the
// medians are the fake's formulas.
const everything = `{
	"name": "everything", "repetitions": 3,
	"figures": ["upgrade-timeline", "upgrade-migration", "throughput-threads", "latency-percentiles", "overhead", "pause-size", "pause-fraction", "micro"],
	"parts": [
		{"name": "upgrade", "axes": {"upgrade": ["none", "atomic-point", "composite-stats"], "migration": ["lazy", "eager"]},
		 "fixed": {"backend": "stm", "threads": 2, "size": "small", "length": 1}},
		{"name": "threads", "axes": {"backend": ["coarse", "stm"], "threads": [1, 2, 4], "workload": ["r", "w"]},
		 "fixed": {"size": "small", "length": 1}},
		{"name": "overhead", "axes": {"backend": ["stm-plain", "stm"], "workload": ["r", "rw"]}, "fixed": {"size": "small", "length": 1}},
		{"name": "pause", "axes": {"size": ["tiny", "small", "medium"], "upgrade": ["atomic-point", "composite-stats"], "migration": ["eager", "lazy"]},
		 "fixed": {"length": 1}},
		{"name": "micro", "kind": "micro", "axes": {"cpu": [1, 2]}}
	]}`

func fixture(t *testing.T, def string, fail ...string) (string, *experiments.Folder, *analysis.Summary) {
	t.Helper()
	e, err := experiments.Parse(strings.NewReader(def))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "results")
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{Source: "built-in"}, fail...); err != nil {
		t.Fatal(err)
	}
	f, s, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return dir, f, s
}

func figuresByName(t *testing.T, f *experiments.Folder, s *analysis.Summary, o Options) (map[string]*Figure, []Skipped) {
	t.Helper()
	figs, skipped, err := Figures(f, s, o)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]*Figure{}
	for _, fig := range figs {
		if m[fig.Name] != nil {
			t.Errorf("two figures named %s", fig.Name)
		}
		m[fig.Name] = fig
		if fig.Title == "" || fig.Caption == "" {
			t.Errorf("%s: no title or caption", fig.Name)
		}
		for _, pn := range fig.Panels {
			if pn.Title == "" || (pn.Bars == nil && (pn.XLabel == "" || pn.YLabel == "")) || (pn.Bars != nil && pn.YLabel == "") {
				t.Errorf("%s: panel %q lacks a title or an axis label", fig.Name, pn.Title)
			}
		}
	}
	return m, skipped
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func series(t *testing.T, pn Panel, label string) Series {
	t.Helper()
	for _, s := range pn.Series {
		if s.Label == label {
			return s
		}
	}
	var labels []string
	for _, s := range pn.Series {
		labels = append(labels, s.Label)
	}
	t.Fatalf("panel %q has no series %q (has %q)", pn.Title, label, labels)
	return Series{}
}

func medianOverReps(reps int, f func(rep int) float64) float64 {
	var vs []float64
	for r := 1; r <= reps; r++ {
		vs = append(vs, f(r))
	}
	return analysis.Median(vs)
}

func TestUpgradeTimeline(t *testing.T) {
	_, f, s := fixture(t, everything)
	figs, _ := figuresByName(t, f, s, Options{})
	fig := figs["upgrade-upgrade-timeline"]
	if fig == nil || len(fig.Panels) != 4 || fig.Cols != 2 {
		t.Fatalf("timeline %+v", fig)
	}
	tp, lat := fig.Panels[0], fig.Panels[1]
	if !strings.Contains(tp.Title, "atomic-point") || !strings.Contains(fig.Panels[2].Title, "composite-stats") || !lat.LogY {
		t.Errorf("panels %q %q %q", tp.Title, lat.Title, fig.Panels[2].Title)
	}
	p := experimentstest.FakeParams{Backend: "stm", Commit: "lockfree", Workload: "r", Size: "small", Threads: 2, Length: 1,
		Upgrade: "atomic-point", Migration: "eager", Interval: 0.1}
	_, first := experimentstest.Fake(p, 1)
	eager := series(t, tp, "eager")
	if len(eager.X) != len(first) {
		t.Fatalf("%d points, want %d intervals", len(eager.X), len(first))
	}
	for i := range eager.X {
		want := medianOverReps(3, func(rep int) float64 { _, sr := experimentstest.Fake(p, rep); return sr[i].Values["throughput"] / 1e3 })
		if !near(eager.Y[i], want) || !near(eager.X[i], first[i].T) {
			t.Errorf("eager interval %d: (%v, %v), want (%v, %v)", i, eager.X[i], eager.Y[i], first[i].T, want)
		}
	}
	// The eager run stops the world in the interval of the upgrade: no throughput, the pause
	// as its maximum latency.
	if eager.Y[5] != 0 {
		t.Errorf("eager throughput at the upgrade %v", eager.Y[5])
	}
	emax := series(t, lat, "eager max")
	if want := experimentstest.FakeMaxUs(p) / 1e3; !near(slices.Max(emax.Y), want) {
		t.Errorf("eager max latency %v ms, want %v", slices.Max(emax.Y), want)
	}
	if s := series(t, lat, "eager p99"); !s.Dashed {
		t.Error("p99 is not dashed")
	}
	base := series(t, tp, "no upgrade")
	if base.Color != colorBlack || eager.Color == base.Color {
		t.Errorf("colours: baseline %d, eager %d", base.Color, eager.Color)
	}
	// The upgrade's instants, per strategy.
	var kinds []string
	for _, m := range tp.Marks {
		if m.Color == eager.Color {
			kinds = append(kinds, m.Kind)
			if m.Kind == "requested" && !near(m.X, 0.5) {
				t.Errorf("requested at %v", m.X)
			}
		}
	}
	if !slices.Equal(kinds, []string{"requested", "committed", "migrated"}) {
		t.Errorf("eager marks %v", kinds)
	}
	if !strings.Contains(fig.Caption, "median over the repetitions") {
		t.Errorf("caption %q", fig.Caption)
	}
	// First repetition only.
	figs, _ = figuresByName(t, f, s, Options{First: true})
	eager1 := series(t, figs["upgrade-upgrade-timeline"].Panels[0], "eager")
	if !near(eager1.Y[0], first[0].Values["throughput"]/1e3) || !strings.Contains(figs["upgrade-upgrade-timeline"].Caption, "first repetition") {
		t.Errorf("first repetition: %v", eager1.Y[0])
	}
	// The migration figure: every object converted at the end.
	mig := figs["upgrade-upgrade-migration"]
	conv := series(t, mig.Panels[0], "lazy")
	if last := conv.Y[len(conv.Y)-1]; !near(last, 100) {
		t.Errorf("converted at the end %v%%", last)
	}
}

func TestThroughputThreads(t *testing.T) {
	_, f, s := fixture(t, everything)
	figs, _ := figuresByName(t, f, s, Options{})
	fig := figs["threads-throughput-threads"]
	if fig == nil || len(fig.Panels) != 2 {
		t.Fatalf("figure %+v", fig)
	}
	for pi, wl := range []string{"r", "w"} {
		pn := fig.Panels[pi]
		if !strings.Contains(pn.Title, "-w "+wl) {
			t.Errorf("panel %d title %q", pi, pn.Title)
		}
		for _, backend := range []string{"coarse", "stm"} {
			sr := series(t, pn, backend)
			if !slices.Equal(sr.X, []float64{1, 2, 4}) {
				t.Errorf("%s x %v", backend, sr.X)
			}
			for i, th := range sr.X {
				p := experimentstest.FakeParams{Backend: strings.Fields(backend)[0], Commit: "lockfree", Workload: wl, Size: "small", Threads: int(th)}
				base := experimentstest.FakeThroughput(p) / 1e3
				if !near(sr.Y[i], base) || !near(sr.YLow[i], base*0.99) || !near(sr.YHigh[i], base*1.01) {
					t.Errorf("%s %s t=%v: %v [%v, %v], want %v", wl, backend, th, sr.Y[i], sr.YLow[i], sr.YHigh[i], base)
				}
			}
		}
	}
}

func TestOverheadBars(t *testing.T) {
	_, f, s := fixture(t, everything)
	figs, _ := figuresByName(t, f, s, Options{})
	fig := figs["overhead-overhead"]
	if fig == nil || fig.Panels[0].Bars == nil {
		t.Fatalf("figure %+v", fig)
	}
	b := fig.Panels[0].Bars
	if !slices.Equal(b.Groups, []string{"-w r", "-w rw"}) || b.Series[0].Label != "stm-plain" || b.Series[1].Label != "stm" {
		t.Fatalf("bars %+v", b)
	}
	for gi, wl := range []string{"r", "rw"} {
		for si, backend := range []string{"stm-plain", "stm"} {
			want := experimentstest.FakeThroughput(experimentstest.FakeParams{Backend: backend, Workload: wl, Size: "small", Threads: 1}) / 1e3
			if !near(b.Series[si].Y[gi], want) || !near(b.Series[si].YHigh[gi], want*1.01) {
				t.Errorf("%s %s: %v, want %v", wl, backend, b.Series[si].Y[gi], want)
			}
		}
	}
	if !strings.Contains(fig.Caption, "-w r -5.0%") {
		t.Errorf("caption %q", fig.Caption)
	}
}

func TestPauseFigures(t *testing.T) {
	_, f, s := fixture(t, everything)
	figs, _ := figuresByName(t, f, s, Options{})
	size := figs["pause-pause-size"]
	if size == nil || !size.Panels[0].LogX || !size.Panels[0].LogY {
		t.Fatalf("pause-size %+v", size)
	}
	sr := series(t, size.Panels[0], "atomic-point eager")
	for i, sz := range []string{"tiny", "small", "medium"} {
		ps, err := stmbench7.ParseSize(sz)
		if err != nil {
			t.Fatal(err)
		}
		wantX := experimentstest.StructureObjects(ps)
		wantY := experimentstest.FakePauseMs(experimentstest.FakeParams{Upgrade: "atomic-point", Migration: "eager", Size: sz})
		if !near(sr.X[i], wantX) || !near(sr.Y[i], wantY) {
			t.Errorf("%s: (%v, %v), want (%v, %v)", sz, sr.X[i], sr.Y[i], wantX, wantY)
		}
	}
	if !strings.Contains(size.Panels[1].Title, "second after the upgrade") || !strings.Contains(size.Panels[0].Title, "request to the commit") {
		t.Errorf("latency panel %q", size.Panels[1].Title)
	}
	frac := figs["pause-pause-fraction"]
	if frac == nil {
		t.Fatal("no pause-fraction figure")
	}
	sr = series(t, frac.Panels[0], "medium eager")
	ps, err := stmbench7.ParseSize("medium")
	if err != nil {
		t.Fatal(err)
	}
	total := experimentstest.StructureObjects(ps)
	wantX := []float64{float64(ps.NumCompPerModule) / total, float64(ps.NumCompPerModule*ps.NumAtomicPerComp) / total}
	if len(sr.X) != 2 || !near(sr.X[0], wantX[0]) || !near(sr.X[1], wantX[1]) {
		t.Errorf("fractions %v, want %v", sr.X, wantX)
	}
}

func TestLatencyPercentiles(t *testing.T) {
	_, f, s := fixture(t, everything)
	figs, _ := figuresByName(t, f, s, Options{})
	fig := figs["overhead-latency-percentiles"]
	if fig == nil || len(fig.Panels) != 1 {
		t.Fatalf("figure %+v", fig)
	}
	pn := fig.Panels[0]
	sr := series(t, pn, "stm -w rw")
	// The fake's curve: p0 1 µs, p50 10, p90 50, p99 100, p99.9 400, max 1000.
	wantY := []float64{1, 10, 50, 100, 400, 1000}
	wantX := []float64{0, nines(50), 1, 2, 3, 4}
	if len(sr.X) != 6 {
		t.Fatalf("points %v %v", sr.X, sr.Y)
	}
	for i := range wantX {
		if !near(sr.X[i], wantX[i]) || !near(sr.Y[i], wantY[i]) {
			t.Errorf("point %d: (%v, %v), want (%v, %v)", i, sr.X[i], sr.Y[i], wantX[i], wantY[i])
		}
	}
	if l := pn.XTicks[len(pn.XTicks)-1]; l.Label != "max" || l.Value != 4 || pn.XTicks[2].Label != "99" {
		t.Errorf("ticks %v", pn.XTicks)
	}
}

func TestMicroBars(t *testing.T) {
	_, f, s := fixture(t, everything)
	figs, _ := figuresByName(t, f, s, Options{})
	fig := figs["micro-micro"]
	if fig == nil || len(fig.Panels) != 2 {
		t.Fatalf("figure %+v", fig)
	}
	b := fig.Panels[0].Bars
	if !strings.HasSuffix(fig.Panels[0].Title, "ro10") || !slices.Equal(b.Groups, []string{"GOMAXPROCS=1", "GOMAXPROCS=2"}) {
		t.Fatalf("panel %q groups %v", fig.Panels[0].Title, b.Groups)
	}
	for _, bs := range b.Series {
		for g, procs := range []int{1, 2} {
			want := experimentstest.FakeNsPerOp(bs.Label, "ro10", procs)
			if !near(bs.Y[g], want) {
				t.Errorf("%s procs %d: %v, want %v", bs.Label, procs, bs.Y[g], want)
			}
		}
	}
}

func TestSkippedFigures(t *testing.T) {
	_, f, s := fixture(t, `{"name": "plain", "repetitions": 1, "axes": {"workload": ["r", "w"]}, "fixed": {"size": "tiny", "length": 1}}`)
	figs, skipped := figuresByName(t, f, s, Options{})
	if len(figs) != 1 || figs["latency-percentiles"] == nil {
		t.Errorf("figures %v", figs)
	}
	reasons := map[string]string{}
	for _, sk := range skipped {
		reasons[sk.Figure] = sk.Reason
	}
	if reasons["upgrade-timeline"] != "no run with an upgrade" || reasons["throughput-threads"] != "fewer than two thread counts" {
		t.Errorf("reasons %v", reasons)
	}
}

func TestOlderResults(t *testing.T) {
	// Records without the latency of all operations together (as the first binaries wrote
	// none): the percentile figure falls back to the categories.
	dir, _, _ := fixture(t, `{"name": "old", "repetitions": 2, "axes": {"threads": [1, 2]}, "fixed": {"size": "tiny", "length": 1}}`)
	files, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "*", "result.json"))
	for _, p := range files {
		rec, err := record.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		for name := range rec.Values {
			if strings.HasPrefix(name, "all.") || strings.HasPrefix(name, "window.") {
				delete(rec.Values, name)
			}
		}
		if err := record.Write(p, rec, nil); err != nil {
			t.Fatal(err)
		}
	}
	f, s, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	figs, _ := figuresByName(t, f, s, Options{})
	fig := figs["latency-percentiles"]
	if fig == nil || len(fig.Panels) != 4 || !strings.Contains(fig.Caption, "each category") {
		t.Fatalf("figure %+v", fig)
	}
	sr := series(t, fig.Panels[0], "t=1")
	if len(sr.X) != 3 || sr.Y[2] != 1000 { // p50, p99, max: what a record has of a category
		t.Errorf("points %v %v", sr.X, sr.Y)
	}
}

func TestWriteFilesAndReport(t *testing.T) {
	dir, f, s := fixture(t, everything, "backend=coarse", "threads=4", "workload=w")
	w, err := Write(f, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Figures) < 12 || len(w.Files) != 2*len(w.Figures) {
		t.Errorf("%d figures, %d files", len(w.Figures), len(w.Files))
	}
	for _, p := range w.Files {
		b, err := os.ReadFile(p)
		if err != nil || len(b) < 1000 {
			t.Errorf("%s: %v, %d bytes", p, err, len(b))
			continue
		}
		switch filepath.Ext(p) {
		case ".png":
			if !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
				t.Errorf("%s is not a PNG", p)
			}
		case ".svg":
			if !bytes.Contains(b[:min(len(b), 400)], []byte("<svg")) {
				t.Errorf("%s is not an SVG", p)
			}
		}
	}
	report, err := os.ReadFile(filepath.Join(dir, ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	r := string(report)
	for _, want := range []string{
		"# Experiment `everything`", "## How it was measured", "fresh process", "## What ran", "**Part `threads`**",
		"![threads: Throughput against threads](figures/threads-throughput-threads.png)", "## Results", "### Part `pause`",
		"| backend | workload | threads | runs | throughput (op/s) | all.max_us |", "(3 failed)", "## Failed runs",
		"`threads/backend=coarse,workload=w,threads=4` rep 1: fake failure (failed)", "### Metrics", "`upgrade.pause_ms`: ",
		"go run ./cmd/dustm experiment everything", "median (minimum–maximum)",
	} {
		if !strings.Contains(r, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
}

func TestRedrawRemovesStaleFigures(t *testing.T) {
	dir, f, s := fixture(t, `{"name": "plain", "repetitions": 1, "axes": {"workload": ["r", "w"]}, "fixed": {"size": "tiny", "length": 1}}`)
	if err := os.MkdirAll(filepath.Join(dir, FiguresDir), 0o755); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, FiguresDir, "stale.png")
	os.WriteFile(stale, []byte("x"), 0o644)
	w, err := Write(f, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); err == nil || len(w.Files) != 2 {
		t.Errorf("a stale figure was kept (%v)", w.Files)
	}
}

func TestFmtNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1.5: "1.5", 0.05: "0.05", 999: "999", 12345: "12.3k", 123456: "123k", 1.5e6: "1.5M", 2.5e9: "2.5G", 10000: "10k", 12000000: "12M", 1e-7: "1e-07"} {
		if got := fmtNum(v); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", v, got, want)
		}
	}
}

// Degenerate figures are drawn without a panic: no panels, panels without data, log axes
// with zeros only.
func TestDegenerateFigures(t *testing.T) {
	dir := t.TempDir()
	figs := []*Figure{
		{Name: "empty"},
		{Name: "nodata", Panels: []Panel{{Title: "x", LogY: true, Series: []Series{{Label: "zeros", X: []float64{1, 2}, Y: []float64{0, 0}}}}}},
		{Name: "nanbars", Panels: []Panel{{Title: "b", LogY: true, Bars: &Bars{Groups: []string{"g"}, Series: []BarSeries{newBarSeries("s", 0, 1)}}}}},
		{Name: "marks", Panels: []Panel{{Title: "m", Marks: []Mark{{X: 5, Kind: "committed"}}, Series: []Series{{X: []float64{1}, Y: []float64{math.NaN()}}}}}},
	}
	for _, f := range figs {
		if _, err := f.Save(dir, "png", "svg"); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
	if _, err := figs[1].Save(dir, "gif"); err == nil || !strings.Contains(err.Error(), "accepted: png, svg") {
		t.Errorf("unknown format: %v", err)
	}
}

func TestCoarsen(t *testing.T) {
	_, series := experimentstest.Fake(experimentstest.FakeParams{Backend: "stm", Threads: 2, Size: "small", Length: 4,
		Upgrade: "atomic-point", Migration: "eager", Interval: 0.01}, 1)
	c := coarsen(series, 0.1)
	if len(c) < 38 || len(c) > 41 {
		t.Fatalf("%d intervals of 0.1 s from %d of 0.01 s", len(c), len(series))
	}
	var ops, opsC float64
	mx, mxC := 0.0, 0.0
	for i := range series {
		ops += series[i].Values["ops"]
		mx = max(mx, series[i].Values["max_us"])
	}
	for i := range c {
		opsC += c[i].Values["ops"]
		mxC = max(mxC, c[i].Values["max_us"])
	}
	if ops != opsC || mx != mxC || c[len(c)-1].T != series[len(series)-1].T {
		t.Errorf("coarsened: %v ops (want %v), max %v (want %v), ends at %v (want %v)", opsC, ops, mxC, mx, c[len(c)-1].T, series[len(series)-1].T)
	}
	if same := coarsen(c, 0.1); len(same) != len(c) {
		t.Errorf("a series already 0.1 s coarse became %d intervals from %d", len(same), len(c))
	}
}

// A run named alone, without an upgrade, gets its throughput and latency over time from its
// series; a results folder of such runs does not (TestSkippedFigures).
func TestLooseRunTimeline(t *testing.T) {
	dir, _, _ := fixture(t, `{"name": "plain", "repetitions": 1, "axes": {"workload": ["r", "w"]}, "fixed": {"size": "tiny", "length": 1}}`)
	runs, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "*", "result.json"))
	if len(runs) != 2 {
		t.Fatalf("runs %v", runs)
	}
	f, err := LooseFolder(runs)
	if err != nil {
		t.Fatal(err)
	}
	s := analysis.Summarize(f)
	figs, _ := figuresByName(t, f, s, Options{})
	fig := figs["upgrade-timeline"]
	if fig == nil || len(fig.Panels) != 2 || !strings.Contains(fig.Title, "over time") {
		t.Fatalf("timeline %+v", fig)
	}
	for _, name := range []string{"-w r", "-w w"} {
		if tp := series(t, fig.Panels[0], name); len(tp.X) == 0 || tp.Y[0] <= 0 {
			t.Errorf("%s: throughput %v", name, tp.Y)
		}
		series(t, fig.Panels[1], name+" max")
	}
}

func TestSeriesResult(t *testing.T) {
	dir := t.TempDir()
	tick := `{"t_s": 0.1, "values": {"ops": 3}}` + "\n"
	os.WriteFile(filepath.Join(dir, "r.jsonl"), []byte(tick+tick), 0o644)
	os.WriteFile(filepath.Join(dir, "r.json"), []byte("{\n}\n"), 0o644)
	if res, ok, err := SeriesResult(filepath.Join(dir, "r.jsonl")); err != nil || !ok || res != filepath.Join(dir, "r.json") {
		t.Errorf("r.jsonl: %q %v %v", res, ok, err)
	}
	if res, ok, err := SeriesResult(filepath.Join(dir, "r.json")); err != nil || ok || res != filepath.Join(dir, "r.json") {
		t.Errorf("r.json: %q %v %v", res, ok, err)
	}
	os.Rename(filepath.Join(dir, "r.jsonl"), filepath.Join(dir, "s.jsonl"))
	_, ok, err := SeriesResult(filepath.Join(dir, "s.jsonl"))
	if !ok || err == nil || !strings.Contains(err.Error(), "s.jsonl is a time series") || !strings.Contains(err.Error(), "s.json") {
		t.Errorf("a series without its result: %v %v", ok, err)
	}
}

// A coarser window's p99 is that of the merged histograms, not the largest of the ticks'.
func TestCoarsenMergesHistograms(t *testing.T) {
	var ticks []record.Tick
	all := hdrhistogram.New(1, 1e9, 3)
	for i := range 10 {
		h := hdrhistogram.New(1, 1e9, 3)
		n := 100
		if i == 3 {
			n = 1 // one slow operation in a tick of its own: its p99 is its maximum
		}
		for range n {
			v := int64(1000)
			if i == 3 {
				v = 5e6
			}
			h.RecordValue(v)
			all.RecordValue(v)
		}
		ticks = append(ticks, record.Tick{T: 0.01 * float64(i+1), Values: map[string]float64{"ops": float64(n), "max_us": float64(h.Max()) / 1e3,
			"p99_us": float64(h.ValueAtQuantile(99)) / 1e3}, Hists: map[string]string{"all": record.Encode(h)}})
	}
	c := coarsen(ticks, 0.1)
	if len(c) != 1 {
		t.Fatalf("%d windows", len(c))
	}
	if got, want := c[0].Values["p99_us"], float64(all.ValueAtQuantile(99))/1e3; got != want || got >= 5000 {
		t.Errorf("p99 %v µs, want %v (the merged histograms')", got, want)
	}
	if c[0].Values["max_us"] < 5000 || c[0].Values["ops"] != 901 {
		t.Errorf("window %v", c[0].Values)
	}
}
