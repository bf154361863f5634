package analysis

import (
	"cmp"
	"fmt"
	"io"
	"strconv"
	"strings"

	"dustm/experiments"
	"dustm/record"
)

// WriteGoBench writes the folder's successful bench and kv runs in the Go benchmark format
// (golang.org/x/perf/benchfmt), one line per run, so that benchstat compares two such files
// of any two sets of runs and groups them by key (-col threads):
//
//	BenchmarkSTMBench7/backend=stm/.../threads=2/... N X ns/op V1 NAME1 V2 NAME2 …
//
// named by the configuration's settings; N is the successful operations (1 when the run
// has none), ns/op the time per successful operation over all the threads, and then every
// value of the record, its unit the metric's name; a "Unit NAME better=higher|lower" line
// says which way each metric is better, from its definition. It returns the number of
// lines. Micro runs are left out: their outputs (experiments.BenchTextFile) are Go benchmark output
// already.
func WriteGoBench(w io.Writer, f *experiments.Folder) (int, error) {
	n := 0
	var b strings.Builder
	units := map[string]bool{}
	for _, r := range f.Runs {
		if !r.OK() || r.Info.Kind == experiments.KindMicro {
			continue
		}
		if n == 0 {
			for _, p := range r.Record.Env {
				fmt.Fprintf(&b, "%s: %s\n", strings.ToLower(strings.ReplaceAll(p.Key, " ", "-")), p.Value)
			}
		}
		writeGoBenchLine(&b, r, units)
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("%s has no successful bench runs to write", f.Dir)
	}
	_, err := io.WriteString(w, b.String())
	return n, err
}

func writeGoBenchLine(b *strings.Builder, r *experiments.RunData, units map[string]bool) {
	rec := r.Record
	for _, name := range rec.Names() {
		if m, ok := rec.Metric(name); ok && m.Better != record.Neither && !units[name] {
			units[name] = true
			fmt.Fprintf(b, "Unit %s better=%s\n", name, map[record.Better]string{record.Higher: "higher", record.Lower: "lower"}[m.Better])
		}
	}
	b.WriteString("Benchmark" + cmp.Or(map[string]string{"stmbench7": "STMBench7", "kv": "KV", "redis-benchmark": "KV"}[rec.App], rec.App))
	for _, p := range r.Info.Params {
		// benchfmt splits a name at "/" and a line at spaces.
		fmt.Fprintf(b, "/%s=%s", p.Key, strings.NewReplacer("/", "_", " ", "_", "\t", "_").Replace(p.Value))
	}
	ops := rec.Values["successful"]
	fmt.Fprintf(b, "\t%d", max(int64(ops), 1))
	if el := rec.Values["elapsed_s"]; ops > 0 && el > 0 {
		b.WriteString("\t" + strconv.FormatFloat(el*1e9/ops, 'g', 6, 64) + " ns/op")
	}
	for _, name := range rec.Names() {
		b.WriteString("\t" + strconv.FormatFloat(rec.Values[name], 'g', 6, 64) + " " + name)
	}
	b.WriteByte('\n')
}
