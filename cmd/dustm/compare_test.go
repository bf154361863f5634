package main

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"

	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

// fakeFolders writes two results folders of the fake bench that differ only in the backend:
// stm is 0.95 × stm-plain at every repetition.
func fakeFolders(t *testing.T, reps string) (a, b string) {
	t.Helper()
	root := t.TempDir()
	for i, backend := range []string{"stm-plain", "stm"} {
		e, err := experiments.Parse(strings.NewReader(`{"name": "c", "repetitions": ` + reps + `, "axes": {"workload": ["r", "w"]},
			"fixed": {"backend": "` + backend + `", "size": "small", "threads": 2, "length": 1}}`))
		if err != nil {
			t.Fatal(err)
		}
		d := filepath.Join(root, backend)
		if _, err := experimentstest.WriteFolder(d, e, experiments.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			a = d
		} else {
			b = d
		}
	}
	return a, b
}

func TestCompareTable(t *testing.T) {
	a, b := fakeFolders(t, "6")
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"compare", a, b}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"A: " + a + "  (backend=stm-plain)", "B: " + b + "  (backend=stm)",
		"test: Mann-Whitney U test, two-sided, α = 0.05",
		"workload=r", "throughput", "0.95", "0.0022", "B smaller",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// CSV: one row per configuration and metric, with the known answers.
	stdout.Reset()
	if code := dispatch([]string{"compare", "--csv", "--metrics", "throughput", a, b}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	recs, err := csv.NewReader(&stdout).ReadAll()
	if err != nil || len(recs) != 3 {
		t.Fatalf("csv: %v %v", recs, err)
	}
	if strings.Join(recs[0][:8], ",") != "config,metric,n_a,n_b,median_a,median_b,ratio_b_a,p_value" {
		t.Errorf("header %v", recs[0])
	}
	r := recs[1]
	if r[0] != "workload=r" || r[1] != "throughput" || r[2] != "6" || r[6] != "0.95" || r[7] != "0.0021645" || r[10] != "true" || r[11] != "B smaller" {
		t.Errorf("row %v", r)
	}
	// The bootstrap says which test it used.
	stdout.Reset()
	if code := dispatch([]string{"compare", "--test", "bootstrap", "--metrics", "throughput", a, b}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stdout.String(), "percentile bootstrap, 10000 resamples") || !strings.Contains(stdout.String(), "B smaller") {
		t.Errorf("bootstrap:\n%s", stdout.String())
	}
}

// Two groups of one folder: --a and --b select their runs.
func TestCompareWithinAFolder(t *testing.T) {
	_, b := fakeFolders(t, "6")
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"compare", "--a", "workload=r", "--b", "workload=w", "--metrics", "throughput", b, b}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	// w is 0.6 × r (the fake's workload factors).
	if out := stdout.String(); !strings.Contains(out, "(workload=r)") || !strings.Contains(out, " 0.6 ") || !strings.Contains(out, "B smaller") {
		t.Errorf("output:\n%s", out)
	}
	stderr.Reset()
	if code := dispatch([]string{"compare", "--a", "workload=x", b, b}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "no run of A has workload=x") {
		t.Errorf("bad filter: %d %s", code, stderr.String())
	}
}

func TestCompareFewRuns(t *testing.T) {
	a, b := fakeFolders(t, "3")
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"compare", "--metrics", "throughput", a, b}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	if !strings.Contains(stdout.String(), "too few runs") || !strings.Contains(stdout.String(), "smallest possible p-value is 0.1") {
		t.Errorf("output:\n%s", stdout.String())
	}
}

func TestCompareBadInput(t *testing.T) {
	a, _ := fakeFolders(t, "1")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{a}, "compare takes two results (got 1)"},
		{[]string{a, "/no/such/dir"}, "B: /no/such/dir does not exist"},
		{[]string{"--test", "t", a, a}, "accepted: mann-whitney, bootstrap"},
		{[]string{"--alpha", "2", a, a}, "alpha must be between 0 and 1"},
		{[]string{t.TempDir(), a}, "neither a results folder"},
	} {
		var stdout, stderr bytes.Buffer
		code := dispatch(append([]string{"compare"}, c.args...), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("compare %q: exit %d, %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}

func TestPlotCommand(t *testing.T) {
	a, _ := fakeFolders(t, "2")
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"plot", "--first", a}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "figures: 1 in "+filepath.Join(a, "figures")) {
		t.Errorf("stdout:\n%s", stdout.String())
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "which results folder or run?"},
		{[]string{t.TempDir()}, "is neither a results folder"},
		{[]string{"--only", "bogus", a}, `unknown figure "bogus"`},
		{[]string{"--bogus", a}, "unknown flag: --bogus"},
	} {
		stderr.Reset()
		if code := dispatch(append([]string{"plot"}, c.args...), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("plot %q: exit %d, %q", c.args, code, stderr.String())
		}
	}
}

// dustm experiment gobench writes what benchstat compares: one line per run, the backends
// telling the two folders apart.
func TestExperimentGoBench(t *testing.T) {
	a, b := fakeFolders(t, "3")
	for _, dir := range []string{a, b} {
		var stdout, stderr bytes.Buffer
		if code := dispatch([]string{"experiment", "gobench", dir}, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		lines := 0
		for _, l := range strings.Split(stdout.String(), "\n") {
			if strings.HasPrefix(l, "BenchmarkSTMBench7/backend="+filepath.Base(dir)+"/") && strings.Contains(l, " ns/op\t") {
				lines++
			}
		}
		if lines != 6 { // 2 workloads × 3 repetitions
			t.Errorf("%s: %d benchmark lines in\n%s", dir, lines, stdout.String())
		}
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"experiment", "gobench"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "gobench takes one results folder") {
		t.Errorf("no folder: exit %d, %s", code, stderr.String())
	}
}
