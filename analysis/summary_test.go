package analysis_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
	"dustm/record"
)

func TestSummaryStatistics(t *testing.T) {
	dir := t.TempDir()
	e := experimentstest.Parse(t, `{"name": "s", "repetitions": 6, "axes": {"backend": ["coarse", "stm"], "threads": [1, 2]},
		"fixed": {"size": "small", "length": 1}}`)
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}, "backend=coarse", "threads=2"); err != nil {
		t.Fatal(err)
	}
	_, sum, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Rows) != 4 {
		t.Fatalf("%d rows", len(sum.Rows))
	}
	r := sum.Row("main", "backend=stm,threads=2")
	base := experimentstest.FakeThroughput(experimentstest.FakeParams{Backend: "stm", Commit: "lockfree", Workload: "r", Size: "small", Threads: 2})
	st := r.Stats["throughput"]
	// Repetitions 1…6 multiply by 0.99 … 1.04: the median is base × 1.015; the 95% interval
	// of 6 samples is [min, max].
	if r.Runs != 6 || !experimentstest.Within(st.Median, base*1.015, 1e-9) || !experimentstest.Within(st.Min, base*0.99, 1e-9) || !experimentstest.Within(st.Max, base*1.04, 1e-9) {
		t.Errorf("throughput %+v, base %v", st, base)
	}
	if !st.HasCI || st.CILow != st.Min || st.CIHigh != st.Max {
		t.Errorf("interval [%v, %v]", st.CILow, st.CIHigh)
	}
	if got := r.Stats["stm.conflict_aborts_per_commit"].Median; got <= 0 {
		t.Errorf("aborts per commit %v", got)
	}
	if r := sum.Row("main", "backend=coarse,threads=2"); r == nil || r.Runs != 0 || r.Failed != 6 {
		t.Errorf("failed row %+v", r)
	}
	// The CSV has every metric's five columns and one row per configuration.
	b, _ := os.ReadFile(filepath.Join(dir, experiments.SummaryFile))
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 5 {
		t.Errorf("%d lines", len(lines))
	}
	for _, col := range []string{"all.max_us_median", "window.max_us_ci95_high", "cat.OPERATION_RO.p99_us_min", "structure.objects_median", "recovery_s_median"} {
		if !strings.Contains(lines[0], col) {
			t.Errorf("no column %s", col)
		}
	}

	// A compacted folder reads the same (experiments' TestResumeCompacted: and its runs still
	// count as complete).
	saved, _, err := experiments.Compact(dir)
	if err != nil || saved <= 0 {
		t.Fatalf("compact: %d %v", saved, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "main", "backend=stm,threads=2", "rep-1", "result.json.gz")); err != nil {
		t.Error(err)
	}
	b2, _ := os.ReadFile(filepath.Join(dir, experiments.SummaryFile))
	if _, _, err := analysis.WriteSummary(dir, analysis.SummaryOptions{}); err != nil {
		t.Fatal(err)
	}
	if b3, _ := os.ReadFile(filepath.Join(dir, experiments.SummaryFile)); string(b3) != string(b2) {
		t.Error("the summary changed after compacting")
	}
}

// TestNothingRead: a folder whose runs are all damaged is an error, not an empty summary.
func TestNothingRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	e := experimentstest.Parse(t, `{"name": "two", "repetitions": 1, "axes": {"backend": ["coarse", "stm"]}, "fixed": {"size": "tiny", "length": 0.3}}`)
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"backend=coarse", "backend=stm"} {
		os.WriteFile(filepath.Join(dir, "runs", "main", c, "rep-1", experiments.ResultFile), []byte(`{"elapsed_s": `), 0o644)
	}
	_, _, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	if !errors.Is(err, analysis.ErrNothingRead) || !strings.Contains(err.Error(), "2 runs of "+dir+" are damaged") {
		t.Errorf("err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, experiments.SummaryFile)); err == nil {
		t.Error("an empty summary was written")
	}
}

// addMadeUp gives every successful run of a folder a metric no code knows: made_up_ms.
func addMadeUp(t *testing.T, dir string, v float64) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "rep-*", experiments.ResultFile))
	for _, p := range paths {
		rec, err := record.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		rec.Set(record.Metric{Name: "made_up_ms", Unit: "ms", Doc: "a metric made up by the test", Better: record.Lower}, v)
		if err := record.Write(p, rec, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// A metric added to a run's record arrives, with its unit and direction, in the summary,
// both CSVs, the comparison and the Go benchmark file, with no other edit.
func TestMadeUpMetricArrivesEverywhere(t *testing.T) {
	e := experimentstest.Parse(t, `{"name": "m", "repetitions": 6, "axes": {"backend": ["stm"]}, "fixed": {"size": "tiny", "length": 1}}`)
	a, b := t.TempDir(), t.TempDir()
	for i, dir := range []string{a, b} {
		if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		addMadeUp(t, dir, float64(10-5*i))
	}
	fa, sum, err := analysis.WriteSummary(a, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if m := sum.Metric("made_up_ms"); m.Unit != "ms" || m.Better != record.Lower || m.Doc == "" {
		t.Errorf("definition %+v", m)
	}
	if st := sum.Rows[0].Stats["made_up_ms"]; st.N != 6 || st.Median != 10 {
		t.Errorf("stat %+v", st)
	}
	for file, want := range map[string]string{experiments.SummaryFile: "made_up_ms_median", experiments.SummaryLongFile: "made_up_ms,median,10"} {
		if b, _ := os.ReadFile(filepath.Join(a, file)); !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", file, want)
		}
	}
	fb, err := experiments.LoadFolder(b)
	if err != nil {
		t.Fatal(err)
	}
	c, err := analysis.Compare(fa, fb, analysis.CompareOptions{Metrics: []string{"made_up_ms"}})
	if err != nil || len(c.Rows) != 1 || c.Rows[0].Verdict != "B smaller" || c.Rows[0].Judgement != "better" || c.Rows[0].Unit != "ms" {
		t.Fatalf("compare %+v %v", c, err)
	}
	var buf bytes.Buffer
	if _, err := analysis.WriteGoBench(&buf, fa); err != nil || !strings.Contains(buf.String(), "10 made_up_ms") ||
		!strings.Contains(buf.String(), "Unit made_up_ms better=lower") {
		t.Errorf("go bench output lacks made_up_ms (%v):\n%.2000s", err, buf.String())
	}
}
