package experiments

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"dustm/record"
)

// microPackage is where a micro package's sources are, relative to the repository root,
// and its -bench pattern when the part gives none.
func microPackage(pkg string) (dir, bench string) {
	if pkg == "peers" {
		return filepath.Join("bench", "peers"), "Peers" // a nested module
	}
	return "stm", "."
}

// microArgs are the test binary's flags for one run: one count, the fresh process being the
// repetition.
func microArgs(ps Params) []string {
	_, def := microPackage(ps.Value("package"))
	pattern := cmp.Or(ps.Value("bench"), def)
	return []string{"-test.run", "^$", "-test.bench", pattern, "-test.benchmem",
		"-test.cpu", ps.Value("cpu"), "-test.count", "1", "-test.benchtime", ps.Value("benchtime")}
}

// microBinary compiles a package's test binary once per session (go test -c), so that every
// repetition is a fresh process of the same binary.
func (ss *session) microBinary(ctx context.Context, pkg string) microBinary {
	if b, ok := ss.binaries[pkg]; ok {
		return b
	}
	b := ss.compile(ctx, pkg)
	if ctx.Err() == nil { // a compilation cut short by the sweep's end is not a result
		ss.binaries[pkg] = b
	}
	return b
}

func (ss *session) compile(ctx context.Context, pkg string) microBinary {
	goTool := ss.r.GoTool
	if goTool == "" {
		p, err := exec.LookPath("go")
		if err != nil {
			return microBinary{err: errors.New("the micro-benchmarks need the Go toolchain, and `go` is not in PATH")}
		}
		goTool = p
	}
	root, err := repoRoot(ss.r.Workdir)
	if err != nil {
		return microBinary{err: err}
	}
	sub, _ := microPackage(pkg)
	dir := filepath.Join(root, sub)
	bin := filepath.Join(ss.tmp, pkg+".test")
	fmt.Fprintf(ss.out, "  compiling the %s benchmarks (go test -c in %s)\n", pkg, dir)
	cmd := exec.CommandContext(ctx, goTool, "test", "-c", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = ss.r.Env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return microBinary{err: fmt.Errorf("compiling the %s benchmarks failed: %v\n%s", pkg, err, tailString(string(out)))}
	}
	return microBinary{path: bin, dir: dir}
}

// repoRoot finds the dustm source tree from dir upwards.
func repoRoot(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && dustmModuleRE.Match(b) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("the micro-benchmarks need the dustm source tree, and %s is not inside it (run from the repository)", dir)
		}
	}
}

// dustmModuleRE matches the go.mod of the dustm module.
var dustmModuleRE = regexp.MustCompile(`(?m)^\s*module\s+"?dustm"?\s*(//.*)?$`)

// microMetrics are the metrics of a line of Go benchmark output, per benchmark: a micro
// run's record holds "BENCH-PROCS.ns_per_op" for each of its benchmarks.
func microMetrics() []record.Metric {
	return []record.Metric{
		{Name: "{}.ns_per_op", Unit: "ns", Doc: "time per operation of the micro-benchmark {}", Better: record.Lower},
		{Name: "{}.ops_per_s", Unit: "op/s", Doc: "operations per second of the micro-benchmark {} (1e9 / ns_per_op)", Better: record.Higher},
		{Name: "{}.bytes_per_op", Unit: "B", Doc: "bytes allocated per operation of the micro-benchmark {}", Better: record.Lower},
		{Name: "{}.allocs_per_op", Doc: "allocations per operation of the micro-benchmark {}", Better: record.Lower},
	}
}

var benchLineRE = regexp.MustCompile(`^Benchmark(\S+)\s+(\d+)\s+(.*)$`)
var procsRE = regexp.MustCompile(`^(.*)-(\d+)$`)

// ParseBenchText reads Go benchmark output (the format benchstat reads) as a record: per
// benchmark line its metrics (microMetrics), the configuration lines (goos: …) as its
// environment, and the benchmarks in their order as its "benchmarks" setting. It has no
// values when the output has no benchmark line.
func ParseBenchText(b []byte) *record.Record {
	rec := &record.Record{Schema: record.Schema, App: "micro", Values: map[string]float64{}}
	defs := microMetrics()
	for _, d := range defs { // the samples' names, one benchmark's each
		rec.Metrics = append(rec.Metrics, record.Metric{Name: strings.TrimPrefix(d.Name, "{}."), Unit: d.Unit,
			Doc: strings.ReplaceAll(d.Doc, " {}", ""), Better: d.Better})
	}
	var names []string
	for line := range strings.SplitSeq(string(b), "\n") {
		line = strings.TrimSpace(line)
		if k, v, ok := strings.Cut(line, ": "); ok && !strings.ContainsAny(k, " \t") && !strings.HasPrefix(line, "Benchmark") {
			rec.Env = append(rec.Env, record.Pair{Key: k, Value: v})
			continue
		}
		m := benchLineRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		name := m[1]
		if procsRE.FindStringSubmatch(name) == nil {
			name += "-1" // GOMAXPROCS 1 has no suffix
		}
		fields := strings.Fields(m[3])
		for i := 0; i+1 < len(fields); i += 2 {
			x, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			switch fields[i+1] {
			case "ns/op":
				rec.SetFamily(defs[0], name, x)
				if x > 0 {
					rec.SetFamily(defs[1], name, 1e9/x)
				}
			case "B/op":
				rec.SetFamily(defs[2], name, x)
			case "allocs/op":
				rec.SetFamily(defs[3], name, x)
			}
		}
		if _, ok := rec.Values[name+".ns_per_op"]; ok && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	rec.Config = record.Config{{Key: "benchmarks", Value: strings.Join(names, " ")}}
	return rec
}

// readMicroRun reads a micro run's output as a record.
func readMicroRun(dir string) (*record.Record, error) {
	b, err := record.ReadFile(filepath.Join(dir, BenchTextFile))
	if err != nil {
		return nil, err
	}
	rec := ParseBenchText(b)
	if len(rec.Values) == 0 {
		return nil, errors.New("no benchmark results in " + BenchTextFile)
	}
	return rec, nil
}
