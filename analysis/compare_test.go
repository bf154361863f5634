package analysis_test

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

func TestCompareKnownAnswers(t *testing.T) {
	root := t.TempDir()
	mk := func(name, backend string, reps int) *experiments.Folder {
		d := filepath.Join(root, name)
		e := experimentstest.Parse(t, `{"name": "c", "repetitions": `+string(rune('0'+reps))+`, "axes": {"workload": ["r", "w"]},
			"fixed": {"backend": "`+backend+`", "size": "small", "threads": 2, "length": 1}}`)
		if _, err := experimentstest.WriteFolder(d, e, experiments.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		f, err := experiments.LoadAny(d)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	a, b := mk("plain", "stm-plain", 6), mk("stm", "stm", 6)
	c, err := analysis.Compare(a, b, analysis.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Differing) != 1 || c.Differing[0] != (analysis.KeyDiff{Key: "backend", A: "stm-plain", B: "stm"}) {
		t.Errorf("differing %v", c.Differing)
	}
	var seen int
	for _, r := range c.Rows {
		if r.Metric != "throughput" {
			continue
		}
		seen++
		// stm is 0.95 × stm-plain at every repetition; the samples do not overlap
		// (95000 × 1.04 < 100000 × 0.99), so the exact p is 2/C(12,6).
		if !experimentstest.Within(r.Ratio, 0.95, 1e-9) || math.Abs(r.P-2.0/924) > 1e-12 || !r.Significant || r.Verdict != "B smaller" || r.NA != 6 {
			t.Errorf("%s: %+v", r.Config, r)
		}
	}
	if seen != 2 {
		t.Errorf("%d throughput rows, want one per workload", seen)
	}
	if c.Rows[0].Config != "workload=r" {
		t.Errorf("first row %q", c.Rows[0].Config)
	}
	// A folder against itself: no difference anywhere.
	same, err := analysis.Compare(a, a, analysis.CompareOptions{Metrics: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range same.Rows {
		if r.Significant || (r.Ratio != 1 && !math.IsNaN(r.Ratio)) {
			t.Errorf("self comparison: %+v", r)
		}
	}
	// Bootstrap: the interval of the ratio is around 0.95 and excludes 1.
	bs, err := analysis.Compare(a, b, analysis.CompareOptions{Test: analysis.TestBootstrap, Metrics: []string{"throughput"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range bs.Rows {
		if !r.Significant || r.CILow > 0.95 || r.CIHigh < 0.95 || r.CIHigh >= 1 {
			t.Errorf("bootstrap %+v", r)
		}
	}
	// With 3 repetitions Mann-Whitney cannot reach α = 0.05: it says so.
	few, err := analysis.Compare(mk("plain3", "stm-plain", 3), mk("stm3", "stm", 3), analysis.CompareOptions{Metrics: []string{"throughput"}})
	if err != nil {
		t.Fatal(err)
	}
	if few.Rows[0].Verdict != "too few runs" || len(few.Notes) == 0 || !strings.Contains(few.Notes[0], "smallest possible p-value is 0.1") {
		t.Errorf("few runs: %+v %v", few.Rows[0], few.Notes)
	}
	// Two single runs (result files) of different configurations pair up.
	ra, _ := experiments.LoadAny(filepath.Join(root, "plain", "runs", "main", "workload=w", "rep-1", "result.json"))
	rb, _ := experiments.LoadAny(filepath.Join(root, "stm", "runs", "main", "workload=r", "rep-1", "result.json"))
	one, err := analysis.Compare(ra, rb, analysis.CompareOptions{Metrics: []string{"throughput"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Rows) != 1 || !experimentstest.Within(one.Rows[0].Ratio, 0.95/0.6, 1e-9) || len(one.Differing) != 2 {
		t.Errorf("single runs: %+v %v", one.Rows, one.Differing)
	}
	// A configuration's folder inside a results folder loads only its runs.
	cf, err := experiments.LoadAny(filepath.Join(root, "stm", "runs", "main", "workload=r"))
	if err != nil || len(cf.Runs) != 6 {
		t.Errorf("configuration folder: %v", err)
	}
	if _, err := analysis.Compare(a, b, analysis.CompareOptions{Test: "t-test"}); err == nil || !strings.Contains(err.Error(), "accepted: mann-whitney, bootstrap") {
		t.Errorf("bad test: %v", err)
	}
}
