package bench

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"dustm/record"
)

// The Go benchmark format (golang.org/x/perf/benchfmt, what `go test -bench` prints and
// benchstat reads) of a run's headline numbers: one line per run,
//
//	BenchmarkSTMBench7/backend=stm/commit=lockfree/.../threads=2/... N ns/op X op/s ...
//
// named by the run's experiment keys (the settings a result records, see Settings.Recorded),
// so that benchstat compares any two sets of runs, and groups them by key (-col threads), as
// it does golang.org/x/benchmarks' sweet results. N is the successful operations; ns/op is
// the time per successful operation over all the threads (1e9/throughput).

// GoBenchName is the benchmark name of a run with these settings (key=value parts).
func GoBenchName(kvs record.Config) string {
	var b strings.Builder
	b.WriteString("BenchmarkSTMBench7")
	for _, kv := range kvs {
		// benchfmt splits a name at "/" and a line at spaces. (It also reads a final
		// "-digits" as GOMAXPROCS; the last key, replay, is on or off.)
		v := strings.NewReplacer("/", "_", " ", "_", "\t", "_").Replace(kv.Value)
		fmt.Fprintf(&b, "/%s=%s", kv.Key, v)
	}
	return b.String()
}

// WriteGoBenchHeader writes the configuration lines of a Go benchmark file for a run's
// machine (benchfmt applies them to the lines that follow).
func WriteGoBenchHeader(w io.Writer, env Env) error {
	_, err := fmt.Fprintf(w, "goos: %s\ngoarch: %s\npkg: dustm/stmbench7\ncpu: %s\n", env.GOOS, env.GOARCH, env.CPUModel)
	return err
}

// WriteGoBench writes the result's line in the Go benchmark format, under name.
func WriteGoBench(w io.Writer, name string, r *Result) error {
	if r.Successful <= 0 || r.ElapsedS <= 0 {
		return fmt.Errorf("%s: no successful operations to report", name)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s\t%d", name, r.Successful)
	metric := func(v float64, unit string) {
		b.WriteString("\t" + strconv.FormatFloat(v, 'g', 6, 64) + " " + unit)
	}
	metric(r.ElapsedS*1e9/float64(r.Successful), "ns/op")
	metric(r.Throughput, "op/s")
	if a := r.All; a != nil {
		metric(a.P50Us*1e3, "p50-ns")
		metric(a.P99Us*1e3, "p99-ns")
		metric(a.MaxUs*1e3, "max-ns")
	}
	if r.MaxGapMs != nil {
		metric(*r.MaxGapMs*1e6, "max-gap-ns")
	}
	if u := r.Upgrade; u != nil {
		metric(u.PauseMs*1e6, "upgrade-pause-ns")
	}
	if r.HeapBytesAtEnd > 0 {
		metric(float64(r.HeapBytesAtEnd), "heap-B")
	}
	b.WriteByte('\n')
	_, err := io.WriteString(w, b.String())
	return err
}
