package experiments_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

func parse(t *testing.T, s string) *experiments.Experiment {
	t.Helper()
	e, err := experiments.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSummaryStatistics(t *testing.T) {
	dir := t.TempDir()
	e := parse(t, `{"name": "s", "repetitions": 6, "axes": {"backend": ["coarse", "stm"], "threads": [1, 2]},
		"fixed": {"size": "small", "length": 1}}`)
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}, "backend=coarse", "threads=2"); err != nil {
		t.Fatal(err)
	}
	_, sum, err := experiments.WriteSummary(dir)
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
	if r.Runs != 6 || !within(st.Median, base*1.015, 1e-9) || !within(st.Min, base*0.99, 1e-9) || !within(st.Max, base*1.04, 1e-9) {
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

	// A compacted folder reads the same, and its runs still count as complete.
	saved, _, err := experiments.Compact(dir)
	if err != nil || saved <= 0 {
		t.Fatalf("compact: %d %v", saved, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "main", "backend=stm,threads=2", "rep-1", "result.json.gz")); err != nil {
		t.Error(err)
	}
	b2, _ := os.ReadFile(filepath.Join(dir, experiments.SummaryFile))
	if _, _, err := experiments.WriteSummary(dir); err != nil {
		t.Fatal(err)
	}
	if b3, _ := os.ReadFile(filepath.Join(dir, experiments.SummaryFile)); string(b3) != string(b2) {
		t.Error("the summary changed after compacting")
	}
	s, _ := experiments.Open(dir)
	r2, _, _ := fakeRunner(t)
	if o, err := r2.Run(t.Context(), s); err != nil || o.Done != 18 || o.Kept != 6 || o.Ran != 0 {
		t.Errorf("resume of a compacted folder: %+v %v", o, err)
	}
}

func TestMergeShards(t *testing.T) {
	root := t.TempDir()
	e := parse(t, `{"name": "m", "repetitions": 2, "axes": {"threads": [1, 2, 3]}, "fixed": {"size": "tiny", "length": 1}}`)
	var dirs []string
	for i := 1; i <= 2; i++ {
		d := filepath.Join(root, "shard", string(rune('0'+i)))
		if _, err := experimentstest.WriteFolder(d, e, experiments.CreateOptions{Shard: experiments.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	dest := filepath.Join(root, "merged")
	s, notes, err := experiments.Merge(dest, dirs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 || len(s.Runs) != 6 || s.Manifest.Shard != nil || len(s.Manifest.MergedFrom) != 2 {
		t.Errorf("merged %+v %v", s.Manifest, notes)
	}
	f, sum, err := experiments.WriteSummary(dest)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != 6 || len(sum.Rows) != 3 {
		t.Errorf("%d runs, %d rows", len(f.Runs), len(sum.Rows))
	}
	for _, r := range sum.Rows {
		if r.Runs != 2 || r.Missing != 0 {
			t.Errorf("row %s: %d runs, %d missing", r.Config, r.Runs, r.Missing)
		}
	}
	// A shard alone reports the runs of its configurations only as missing.
	_, one, _ := experiments.WriteSummary(dirs[0])
	for _, r := range one.Rows {
		if r.Runs != 2 {
			t.Errorf("shard 1 row %s: %d runs", r.Config, r.Runs)
		}
	}

	// A shard merged alone is said to lack the other; a folder given twice is refused.
	_, notes, err = experiments.Merge(filepath.Join(root, "half"), dirs[:1], nil)
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "shard 2/2 is missing (1 of the 3 configurations): the merged folder has no runs of them") {
		t.Errorf("merging shard 1/2 alone: %v %q", err, notes)
	}
	_, _, err = experiments.Merge(filepath.Join(root, "twice"), []string{dirs[0], dirs[0]}, nil)
	if !errors.Is(err, experiments.ErrInvalid) || !strings.Contains(err.Error(), "is given twice; shard 2/2 is missing") {
		t.Errorf("merging a folder twice: %v", err)
	}
	// Different commits or experiments are refused.
	other := filepath.Join(root, "other")
	if _, err := experimentstest.WriteFolder(other, parse(t, `{"name": "n", "fixed": {"size": "tiny"}}`), experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := experiments.Merge(filepath.Join(root, "x"), []string{dirs[0], other}, nil); err == nil || !strings.Contains(err.Error(), "different experiments") {
		t.Errorf("merging different experiments: %v", err)
	}
	m, _ := experiments.ReadManifest(dirs[1])
	m.Env.GitCommit = "0123abc"
	b, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(dirs[1], experiments.ManifestFile), b, 0o644)
	if _, _, err := experiments.Merge(filepath.Join(root, "y"), dirs, nil); err == nil || !strings.Contains(err.Error(), "different commits") {
		t.Errorf("merging different commits: %v", err)
	}
}

func TestCompareKnownAnswers(t *testing.T) {
	root := t.TempDir()
	mk := func(name, backend string, reps int) *experiments.Folder {
		d := filepath.Join(root, name)
		e := parse(t, `{"name": "c", "repetitions": `+string(rune('0'+reps))+`, "axes": {"workload": ["r", "w"]},
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
	c, err := experiments.Compare(a, b, experiments.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Differing) != 1 || c.Differing[0] != (experiments.KeyDiff{Key: "backend", A: "stm-plain", B: "stm"}) {
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
		if !within(r.Ratio, 0.95, 1e-9) || math.Abs(r.P-2.0/924) > 1e-12 || !r.Significant || r.Verdict != "B smaller" || r.NA != 6 {
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
	same, err := experiments.Compare(a, a, experiments.CompareOptions{Metrics: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range same.Rows {
		if r.Significant || (r.Ratio != 1 && !math.IsNaN(r.Ratio)) {
			t.Errorf("self comparison: %+v", r)
		}
	}
	// Bootstrap: the interval of the ratio is around 0.95 and excludes 1.
	bs, err := experiments.Compare(a, b, experiments.CompareOptions{Test: experiments.TestBootstrap, Metrics: []string{"throughput"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range bs.Rows {
		if !r.Significant || r.CILow > 0.95 || r.CIHigh < 0.95 || r.CIHigh >= 1 {
			t.Errorf("bootstrap %+v", r)
		}
	}
	// With 3 repetitions Mann-Whitney cannot reach α = 0.05: it says so.
	few, err := experiments.Compare(mk("plain3", "stm-plain", 3), mk("stm3", "stm", 3), experiments.CompareOptions{Metrics: []string{"throughput"}})
	if err != nil {
		t.Fatal(err)
	}
	if few.Rows[0].Verdict != "too few runs" || len(few.Notes) == 0 || !strings.Contains(few.Notes[0], "smallest possible p-value is 0.1") {
		t.Errorf("few runs: %+v %v", few.Rows[0], few.Notes)
	}
	// Two single runs (result files) of different configurations pair up.
	ra, _ := experiments.LoadAny(filepath.Join(root, "plain", "runs", "main", "workload=w", "rep-1", "result.json"))
	rb, _ := experiments.LoadAny(filepath.Join(root, "stm", "runs", "main", "workload=r", "rep-1", "result.json"))
	one, err := experiments.Compare(ra, rb, experiments.CompareOptions{Metrics: []string{"throughput"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Rows) != 1 || !within(one.Rows[0].Ratio, 0.95/0.6, 1e-9) || len(one.Differing) != 2 {
		t.Errorf("single runs: %+v %v", one.Rows, one.Differing)
	}
	// A configuration's folder inside a results folder loads only its runs.
	cf, err := experiments.LoadAny(filepath.Join(root, "stm", "runs", "main", "workload=r"))
	if err != nil || len(cf.Runs) != 6 {
		t.Errorf("configuration folder: %v", err)
	}
	if _, err := experiments.Compare(a, b, experiments.CompareOptions{Test: "t-test"}); err == nil || !strings.Contains(err.Error(), "accepted: mann-whitney, bootstrap") {
		t.Errorf("bad test: %v", err)
	}
}
