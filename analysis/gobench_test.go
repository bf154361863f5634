package analysis_test

import (
	"bytes"
	"testing"

	"golang.org/x/perf/benchfmt"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

// A folder's Go benchmark file has one line per successful run, which benchfmt reads, named by
// the configuration's settings.
func TestWriteGoBench(t *testing.T) {
	dir := t.TempDir()
	e := experimentstest.Parse(t, `{"name": "g", "repetitions": 3, "axes": {"backend": ["coarse", "stm"], "threads": [1, 2]},
		"fixed": {"size": "small", "length": 1}}`)
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}, "backend=coarse", "threads=2"); err != nil {
		t.Fatal(err)
	}
	f, err := experiments.LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := analysis.WriteGoBench(&buf, f)
	if err != nil || n != 9 { // 4 configurations × 3, less the 3 failed runs
		t.Fatalf("%d lines (%v)", n, err)
	}
	r := benchfmt.NewReader(&buf, "g.txt")
	names := map[string]int{}
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			names[string(rec.Name.Full())]++
			if rec.Iters <= 0 || len(rec.Values) < 2 {
				t.Errorf("%s: %d iterations, %v", rec.Name.Full(), rec.Iters, rec.Values)
			}
		case *benchfmt.SyntaxError:
			t.Fatal(rec)
		}
	}
	want := "STMBench7/backend=stm/commit=lockfree/workload=r/threads=2/size=small/traversals=on/sms=off/upgrade=none/length=1/interval=100ms/seed=3/thread-seeds=off/check=off/replay=off"
	if len(names) != 3 || names[want] != 3 {
		t.Errorf("names %v, want 3 of them, with 3 of %s", names, want)
	}
}
