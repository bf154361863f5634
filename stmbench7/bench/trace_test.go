package bench

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"dustm/stmbench7"
)

func readTraceFile(t *testing.T, path string) []TraceEntry {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := stmbench7.ReadTrace(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tr
}

// TestTrace: a run with --trace writes one file per thread (FILE itself with one thread), one
// line per operation in order, and the lines agree with the run's counts; with the default
// seeds every thread's trace of a lock backend equals the one-thread run's, and two backends
// give the same trace.
func TestTrace(t *testing.T) {
	dir := t.TempDir()
	run := func(backend string, threads int, name string) *Result {
		cfg := DefaultConfig()
		cfg.Backend, cfg.Size, cfg.Threads, cfg.Ops = backend, "tiny", threads, 300
		cfg.Workload = stmbench7.WriteDominated
		cfg.TracePath = filepath.Join(dir, name)
		res, err := Run(context.Background(), cfg, new(bytes.Buffer), new(bytes.Buffer))
		if err != nil {
			t.Fatalf("%s: %v", backend, err)
		}
		return res
	}
	res := run("none", 1, "one")
	one := readTraceFile(t, filepath.Join(dir, "one"))
	failed := 0
	for _, e := range one {
		if e.Failed {
			failed++
		}
	}
	if len(one) != 300 || int64(failed) != res.Failed || failed == 0 {
		t.Fatalf("one-thread trace: %d lines, %d failed; the run: %d ok, %d failed",
			len(one), failed, res.Successful, res.Failed)
	}
	run("stm", 1, "stm")
	if stm := readTraceFile(t, filepath.Join(dir, "stm")); !slices.Equal(stm, one) {
		t.Error("stm's one-thread trace differs from none's")
	}
	run("coarse", 2, "two")
	for i := range 2 {
		// Two threads on one structure interleave, so only the first operation is certain.
		tr := readTraceFile(t, TraceFile(filepath.Join(dir, "two"), 2, i))
		if len(tr) != 300 || tr[0] != one[0] {
			t.Errorf("thread %d: %d lines, first %v, want 300 from %v", i, len(tr), tr[0], one[0])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "two")); err == nil {
		t.Error("a two-thread run wrote the plain FILE too")
	}
}

func TestTraceLines(t *testing.T) {
	in := "0 OP5 0\n1 ST1 127373\n2 SM7 FAILED\n3 T2a -4\n"
	tr, err := stmbench7.ReadTrace(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, e := range tr {
		out.WriteString(e.String() + "\n")
	}
	if out.String() != in || !tr[2].Failed || tr[3].Op != stmbench7.T2a || tr[3].Result != -4 {
		t.Errorf("round trip: %q from %+v", out.String(), tr)
	}
	for _, bad := range []string{"1 OP5 0\n", "0 OP5\n", "0 XX1 3\n", "0 OP5 failed\n", "0 OP5 0\n0 OP5 0\n"} {
		if _, err := stmbench7.ReadTrace(strings.NewReader(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// A bad trace path fails before the structure is built and leaves no file behind.
func TestTraceBadPath(t *testing.T) {
	dir := t.TempDir()
	for _, path := range []string{dir, filepath.Join(dir, "missing", "t")} {
		cfg := fakeConfig(newFake("coarse"))
		cfg.TracePath = path
		var stderr bytes.Buffer
		_, err := Run(context.Background(), cfg, new(bytes.Buffer), &stderr)
		if err == nil || !strings.Contains(err.Error(), "trace file") || strings.Contains(stderr.String(), "Setup") {
			t.Errorf("--trace %s: %v (stderr %q)", path, err, stderr.String())
		}
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("left behind: %v", names)
	}
}
