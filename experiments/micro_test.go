package experiments_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dustm/experiments"
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
	bs := experiments.ParseBenchText([]byte(out))
	if len(bs) != 3 {
		t.Fatalf("%d results: %+v", len(bs), bs)
	}
	want := []experiments.MicroBenchmark{
		{Name: "Peers/dustm-lock/ro10", Procs: 1, Iterations: 2000, NsPerOp: 243.4, BytesPerOp: 0, AllocsOp: 0},
		{Name: "Peers/dustm-lock/inc2", Procs: 2, Iterations: 2000, NsPerOp: 749.7, BytesPerOp: 104, AllocsOp: 2},
		{Name: "ReadOnly10/lock", Procs: 16, Iterations: 1000000, NsPerOp: 51, BytesPerOp: -1, AllocsOp: -1},
	}
	for i := range want {
		if bs[i] != want[i] {
			t.Errorf("result %d: %+v, want %+v", i, bs[i], want[i])
		}
	}
}

// A micro part compiles the STM's benchmarks once and runs them once per repetition.
func TestRunnerMicro(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles the stm package's tests")
	}
	dir := filepath.Join(t.TempDir(), "out")
	e := parse(t, `{"name": "m", "repetitions": 2, "kind": "micro",
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
	_, sum, err := experiments.WriteSummary(dir)
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
