package experiments_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

func TestParseBenchText(t *testing.T) {
	out := `goos: linux
pkg: dustm/bench/peers
BenchmarkPeers/dustm-lock/ro10         	    2000	       243.4 ns/op	       0 B/op	       0 allocs/op
BenchmarkPeers/dustm-lock/inc2-2       	    2000	       749.7 ns/op	     104 B/op	       2 allocs/op
BenchmarkReadOnly10/lock-16            	 1000000	        51 ns/op
--- FAIL: BenchmarkBroken
PASS
`
	rec := experiments.ParseBenchText([]byte(out))
	if b, _ := rec.Config.Get("benchmarks"); b != "Peers/dustm-lock/ro10-1 Peers/dustm-lock/inc2-2 ReadOnly10/lock-16" {
		t.Fatalf("benchmarks %q", b)
	}
	for name, want := range map[string]float64{
		"Peers/dustm-lock/ro10-1.ns_per_op": 243.4, "Peers/dustm-lock/ro10-1.bytes_per_op": 0, "Peers/dustm-lock/ro10-1.allocs_per_op": 0,
		"Peers/dustm-lock/inc2-2.ns_per_op": 749.7, "Peers/dustm-lock/inc2-2.bytes_per_op": 104, "Peers/dustm-lock/inc2-2.allocs_per_op": 2,
		"ReadOnly10/lock-16.ns_per_op": 51, "ReadOnly10/lock-16.ops_per_s": 1e9 / 51,
	} {
		if got, ok := rec.Values[name]; !ok || got != want {
			t.Errorf("%s = %v (%v), want %v", name, got, ok, want)
		}
	}
	if _, ok := rec.Values["ReadOnly10/lock-16.bytes_per_op"]; ok || len(rec.Values) != 10 {
		t.Errorf("values %v: B/op not reported is no value", rec.Values)
	}
	if m, ok := rec.Metric("ReadOnly10/lock-16.ns_per_op"); !ok || m.Unit != "ns" || m.Doc == "" {
		t.Errorf("definition %+v", m)
	}
	if v, _ := rec.Env.Get("pkg"); v != "dustm/bench/peers" {
		t.Errorf("env %v", rec.Env)
	}
}

// A micro part compiles the STM's benchmarks once and runs them once per repetition.
func TestRunnerMicro(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the stm package's tests")
	}
	dir := filepath.Join(t.TempDir(), "out")
	e := experimentstest.Parse(t, `{"name": "m", "repetitions": 2, "kind": "micro",
		"fixed": {"package": "stm", "bench": "ReadOnly10", "benchtime": "200x", "cpu": 1}}`)
	s, err := experiments.Create(dir, e, experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, progress, _ := fakeRunner(t)
	o, err := r.Run(context.Background(), s)
	if err != nil || o.OK != 2 {
		t.Fatalf("outcome %+v %v\n%s", o, err, progress)
	}
	if !strings.Contains(progress.String(), "compiling the stm benchmarks") {
		t.Errorf("progress:\n%s", progress)
	}
	_, sum, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(sum.Rows) != 2 { // ReadOnly10/lock and ReadOnly10/lockfree
		t.Fatalf("%d rows", len(sum.Rows))
	}
	for _, row := range sum.Rows {
		if row.Runs != 2 || row.Stats["ns_per_op"].Median <= 0 || !strings.HasPrefix(row.Params.Value("benchmark"), "ReadOnly10/") {
			t.Errorf("row %s: %+v", row.Config, row.Params)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, experiments.MicroFile))
	if err != nil || strings.Count(string(raw), "BenchmarkReadOnly10/") != 4 {
		t.Errorf("micro.txt:\n%s", raw)
	}

	// Without the Go toolchain the runs fail with a clear error.
	t.Setenv("PATH", "")
	dir2 := filepath.Join(t.TempDir(), "out")
	s2, _ := experiments.Create(dir2, e, experiments.CreateOptions{})
	o, err = r.Run(context.Background(), s2)
	if err != nil || o.Failed != 2 || !strings.Contains(progress.String(), "need the Go toolchain, and `go` is not in PATH") {
		t.Errorf("without go: %+v %v\n%s", o, err, progress)
	}
}
