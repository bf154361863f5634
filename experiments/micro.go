package experiments

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// microPackageDir is where a micro package's sources are, relative to the repository root.
func microPackageDir(pkg string) string {
	if pkg == "peers" {
		return filepath.Join("bench", "peers") // a nested module
	}
	return "stm"
}

// microDefaultBench is the -bench pattern of a package when the part gives none.
func microDefaultBench(pkg string) string {
	if pkg == "peers" {
		return "Peers"
	}
	return "."
}

// microArgs are the test binary's flags for one run: one count, the fresh process being the
// repetition.
func microArgs(ps Params) []string {
	pattern := ps.Value("bench")
	if pattern == "" {
		pattern = microDefaultBench(ps.Value("package"))
	}
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
	dir := filepath.Join(root, microPackageDir(pkg))
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
		if b, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil {
			if bytes.HasPrefix(bytes.TrimSpace(b), []byte("module dustm\n")) || modulePath(b) == "dustm" {
				return d, nil
			}
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("the micro-benchmarks need the dustm source tree, and %s is not inside it (run from the repository)", dir)
		}
	}
}

func modulePath(gomod []byte) string {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// MicroBenchmark is one line of Go benchmark output.
type MicroBenchmark struct {
	Name       string  // without "Benchmark" and the GOMAXPROCS suffix: "Peers/dustm-lock/ro10"
	Procs      int     // GOMAXPROCS (the -N suffix; 1 without one)
	Iterations int64   //
	NsPerOp    float64 // ns/op
	BytesPerOp float64 // B/op (-1 when not reported)
	AllocsOp   float64 // allocs/op (-1 when not reported)
}

var benchLineRE = regexp.MustCompile(`^Benchmark(\S+)\s+(\d+)\s+(.*)$`)
var procsRE = regexp.MustCompile(`^(.*)-(\d+)$`)

// ParseBenchText reads the results of Go benchmark output (the format benchstat reads).
func ParseBenchText(b []byte) []MicroBenchmark {
	var out []MicroBenchmark
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		m := benchLineRE.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		mb := MicroBenchmark{Name: m[1], Procs: 1, BytesPerOp: -1, AllocsOp: -1}
		if pm := procsRE.FindStringSubmatch(m[1]); pm != nil {
			mb.Name = pm[1]
			mb.Procs, _ = strconv.Atoi(pm[2])
		}
		mb.Iterations, _ = strconv.ParseInt(m[2], 10, 64)
		fields := strings.Fields(m[3])
		ok := false
		for i := 0; i+1 < len(fields); i += 2 {
			x, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				continue
			}
			switch fields[i+1] {
			case "ns/op":
				mb.NsPerOp, ok = x, true
			case "B/op":
				mb.BytesPerOp = x
			case "allocs/op":
				mb.AllocsOp = x
			}
		}
		if ok {
			out = append(out, mb)
		}
	}
	return out
}
