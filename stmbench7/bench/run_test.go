package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"dustm/record"
	"dustm/stmbench7"
)

// readJSON decodes a result file into a generic map, so the test sees the file's field names.
func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func readSeries(t *testing.T, path string) []map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []map[string]any
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s line %d: %v", path, len(lines)+1, err)
		}
		lines = append(lines, m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}

// dirNames lists a directory, so tests can see that no temporary file was left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// checkResultFiles checks the record and the series of a run against its result.
func checkResultFiles(t *testing.T, res *Result, jsonPath, seriesPath string) {
	t.Helper()
	rec, err := record.Read(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if rec.App != "stmbench7" {
		t.Errorf("app %q", rec.App)
	}
	for _, k := range []string{"threads", "length_s", "ops", "workload", "backend", "size", "long_traversals",
		"structural_modifications", "seed", "thread_seeds", "seeds", "setup_seed", "stm_commit", "ttc_histograms",
		"seq_replay", "check", "interval_s", "args"} {
		if _, ok := rec.Config.Get(k); !ok {
			t.Errorf("config: no %q", k)
		}
	}
	for _, k := range []string{"git_commit", "go_version", "gomaxprocs", "num_cpu", "cpu_model", "hostname", "start_time"} {
		if _, ok := rec.Env.Get(k); !ok {
			t.Errorf("env: no %q", k)
		}
	}
	if st, _ := rec.Env.Get("start_time"); st != "" {
		if _, err := time.Parse(time.RFC3339, st); err != nil {
			t.Errorf("start_time: %v", err)
		}
	}
	if c, _ := rec.Env.Get("git_commit"); c == "" {
		t.Error("empty git_commit")
	}
	v := rec.Values
	for _, k := range []string{"elapsed_s", "throughput", "throughput_with_failed", "build_s", "heap_bytes_after_build", "successful", "failed"} {
		if _, ok := v[k]; !ok {
			t.Errorf("record: no %q", k)
		}
	}
	for name := range v {
		if _, ok := rec.Metric(name); !ok {
			t.Errorf("value %s has no definition", name)
		}
	}
	var succ, failed float64
	for ty := range stmbench7.OpType(stmbench7.NumOpTypes) {
		p := "cat." + ty.String() + "."
		succ += v[p+"ops"]
		failed += v[p+"failed"]
		if v[p+"ops"] > 0 && !(v[p+"p50_us"] <= v[p+"p99_us"] && v[p+"max_us"] > 0) {
			t.Errorf("%v: inconsistent latencies %v %v %v", ty, v[p+"p50_us"], v[p+"p99_us"], v[p+"max_us"])
		}
	}
	if int64(succ) != res.Successful || int64(failed) != res.Failed || v["successful"] != succ {
		t.Errorf("categories sum to %v/%v, result says %d/%d", succ, failed, res.Successful, res.Failed)
	}
	if got := v["throughput"]; got != res.Throughput {
		t.Errorf("throughput %v in the file, %v in the result", got, res.Throughput)
	}

	lines, err := record.ReadSeriesFile(seriesPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) == 0 { // how many depends on the scheduler (a loaded machine ticks late); not none
		t.Fatal("no series line")
	}
	prev, sumOps, sumFailed := 0.0, 0.0, 0.0
	for i, l := range lines {
		for _, k := range []string{"ops", "failed", "throughput", "total_ops", "total_failed", "max_us", "p99_us", "hiccup_max_us"} {
			if _, ok := l.Values[k]; !ok {
				t.Errorf("line %d: no %q", i+1, k)
			}
		}
		for name := range l.Values {
			if _, ok := rec.Metric(name); !ok {
				t.Errorf("tick value %s has no definition in the record", name)
			}
		}
		if l.T <= prev && i > 0 {
			t.Errorf("line %d: t_s %v after %v", i+1, l.T, prev)
		}
		prev = l.T
		sumOps += l.Values["ops"]
		sumFailed += l.Values["failed"]
		if l.Values["total_ops"] != sumOps || l.Values["total_failed"] != sumFailed {
			t.Errorf("line %d: totals %v/%v, running sums %v/%v", i+1, l.Values["total_ops"], l.Values["total_failed"], sumOps, sumFailed)
		}
		for ty := range stmbench7.OpType(stmbench7.NumOpTypes) {
			for _, f := range []string{"max_us", "p99_us", "ops", "failed"} {
				if _, ok := l.Values["cat."+ty.String()+"."+f]; !ok {
					t.Errorf("line %d: no %v.%s", i+1, ty, f)
				}
			}
		}
	}
	if int64(sumOps) != res.Successful || int64(sumFailed) != res.Failed {
		t.Errorf("series sums %v/%v, result %d/%d", sumOps, sumFailed, res.Successful, res.Failed)
	}
	if last := lines[len(lines)-1].T; last != res.ElapsedS {
		t.Errorf("last interval ends at %v, run elapsed %v", last, res.ElapsedS)
	}
}

func TestRunFake(t *testing.T) {
	dir := t.TempDir()
	b := newFake("stm")
	cfg := fakeConfig(b)
	cfg.Threads = 4
	cfg.JSONPath = filepath.Join(dir, "run.json")
	cfg.SeriesPath = filepath.Join(dir, "run.jsonl")
	cfg.Check = true
	cfg.TTCHistograms = true
	cfg.Args = []string{"dustm", "bench", "-t", "4"}
	var stdout, stderr bytes.Buffer
	res, err := Run(context.Background(), cfg, &stdout, &stderr)
	if err != nil {
		t.Fatalf("Run: %v\n%s", err, stderr.String())
	}
	if !b.closed {
		t.Error("backend not closed")
	}
	if res.ElapsedS < cfg.Length.Seconds() {
		t.Errorf("elapsed %v s, shorter than the length %v", res.ElapsedS, cfg.Length)
	}
	if res.Successful == 0 || res.Failed == 0 {
		t.Errorf("successful %d, failed %d: the fake fails one operation in ten", res.Successful, res.Failed)
	}
	if res.Interrupted || res.Error != "" {
		t.Errorf("interrupted %v, error %q", res.Interrupted, res.Error)
	}
	if res.Check == nil || res.Check.Initial != "ok" || res.Check.Final != "ok" {
		t.Errorf("check %+v", res.Check)
	}
	if res.STM == nil {
		t.Error("the backend's stats are missing")
	}
	checkResultFiles(t, res, cfg.JSONPath, cfg.SeriesPath)
	if names := dirNames(t, dir); !slices.Equal(names, []string{"run.json", "run.jsonl"}) {
		t.Errorf("directory holds %q", names)
	}
	out := stdout.String()
	for _, s := range []string{"Benchmark parameters", "Operation ratios [%]:", "TTC histograms", "Detailed results",
		"Sample errors (operation ratios [%])", "Summary results", "Total sample error:", "Total throughput:",
		"Elapsed time:", "Invariant check: initial ok, final ok"} {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q", s)
		}
	}
	if !strings.Contains(stderr.String(), "op/s now") {
		t.Errorf("no progress line on stderr:\n%s", stderr.String())
	}
}

func TestRunOpsPerThread(t *testing.T) {
	b := newFake("coarse")
	cfg := fakeConfig(b)
	cfg.Threads = 3
	cfg.Ops = 1000
	cfg.Length = time.Hour // ignored in ops mode
	var stdout, stderr bytes.Buffer
	res, err := Run(context.Background(), cfg, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Successful + res.Failed; got != 3000 {
		t.Errorf("%d operations, want 3 threads × 1000", got)
	}
	if !strings.Contains(stdout.String(), "Length: 1000 ops per thread\n") {
		t.Error("the parameters do not show the operation count")
	}
}

// Each thread runs exactly the requested number of operations, whatever their outcome.
func TestWorkerOpsLimit(t *testing.T) {
	b := newFake("coarse")
	b.built = true
	mix := stmbench7.NewMix(stmbench7.ReadWrite, true, true)
	var enabled [stmbench7.NumOps]bool
	for op := range enabled {
		enabled[op] = true
	}
	col := newCollector(2, &enabled)
	for i, rec := range col.recs {
		w := &worker{id: i, exec: b.NewWorker(nil, i), mix: mix, rec: rec, tm: newTiming(), win: newWindow()}
		var stop atomic.Bool
		if err := w.loop(&stop, 777); err != nil {
			t.Fatal(err)
		}
		if ok, failed := rec.totals(); ok+failed != 777 {
			t.Errorf("thread %d ran %d operations, want 777", i, ok+failed)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	dir := t.TempDir()
	b := newFake("coarse")
	b.delay = 100 * time.Microsecond
	cfg := fakeConfig(b)
	cfg.Threads = 2
	cfg.Length = time.Hour
	cfg.JSONPath = filepath.Join(dir, "r.json")
	cfg.SeriesPath = filepath.Join(dir, "r.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	seenTemp := make(chan bool, 1)
	go func() {
		time.Sleep(400 * time.Millisecond)
		// Mid-run, the series is being written to a temporary file and nothing is in place.
		temp := false
		for _, n := range dirNames(t, dir) {
			if strings.HasPrefix(n, ".r.jsonl.tmp-") {
				st, err := os.Stat(filepath.Join(dir, n))
				temp = err == nil && st.Size() > 0
			}
			if n == "r.json" || n == "r.jsonl" {
				temp = false
				break
			}
		}
		seenTemp <- temp
		cancel()
	}()
	var stdout, stderr bytes.Buffer
	t0 := time.Now()
	res, err := Run(ctx, cfg, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if time.Since(t0) > 30*time.Second {
		t.Errorf("cancelled run took %v", time.Since(t0))
	}
	if !<-seenTemp {
		t.Error("mid-run, no partial series in a temporary file (or a final file already in place)")
	}
	if !res.Interrupted {
		t.Error("result not marked interrupted")
	}
	if res.ElapsedS > 10 {
		t.Errorf("elapsed %v s", res.ElapsedS)
	}
	checkResultFiles(t, res, cfg.JSONPath, cfg.SeriesPath)
	if names := dirNames(t, dir); !slices.Equal(names, []string{"r.json", "r.jsonl"}) {
		t.Errorf("directory holds %q", names)
	}
	if !strings.Contains(stdout.String(), "Elapsed time:") || !strings.Contains(stdout.String(), "Run interrupted") {
		t.Errorf("no complete report after the interruption:\n%s", stdout.String())
	}
}

func TestRunCancelledBeforeStart(t *testing.T) {
	dir := t.TempDir()
	cfg := fakeConfig(newFake("coarse"))
	cfg.JSONPath = filepath.Join(dir, "r.json")
	cfg.SeriesPath = filepath.Join(dir, "r.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	res, err := Run(ctx, cfg, new(bytes.Buffer), new(bytes.Buffer))
	if !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("Run = %v, %v; want context.Canceled", res, err)
	}
	if names := dirNames(t, dir); len(names) != 0 {
		t.Errorf("files left: %q", names)
	}
}

func TestRunOperationError(t *testing.T) {
	dir := t.TempDir()
	b := newFake("coarse")
	b.fatalAfter = 500
	cfg := fakeConfig(b)
	cfg.Threads = 2
	cfg.Length = time.Hour
	cfg.JSONPath = filepath.Join(dir, "r.json")
	var stdout bytes.Buffer
	res, err := Run(context.Background(), cfg, &stdout, new(bytes.Buffer))
	if !errors.Is(err, errFake) {
		t.Fatalf("Run error %v, want the backend's", err)
	}
	if res == nil || res.Error == "" || res.Successful+res.Failed < 400 {
		t.Fatalf("result %+v", res)
	}
	if m := readJSON(t, cfg.JSONPath); !strings.Contains(m["error"].(string), "fake: broken invariant") {
		t.Errorf("error in the file: %v", m["error"])
	}
	if !strings.Contains(stdout.String(), "Run stopped by an error") {
		t.Error("the report does not show the error")
	}
}

func TestRunOperationPanics(t *testing.T) {
	b := newFake("coarse")
	b.panicAfter = 300
	cfg := fakeConfig(b)
	cfg.Threads = 2
	cfg.Length = time.Hour
	res, err := Run(context.Background(), cfg, new(bytes.Buffer), new(bytes.Buffer))
	if !errors.Is(err, ErrPanic) || !strings.Contains(err.Error(), "fake: corrupted state") {
		t.Fatalf("Run error %v, want the panic", err)
	}
	if res == nil || res.Successful+res.Failed < 250 {
		t.Fatalf("result %+v", res)
	}
}

func TestRunBadPaths(t *testing.T) {
	cfg := fakeConfig(newFake("coarse"))
	cfg.JSONPath = filepath.Join(t.TempDir(), "no", "such", "dir", "r.json")
	if _, err := Run(context.Background(), cfg, new(bytes.Buffer), new(bytes.Buffer)); err == nil {
		t.Error("no error for a result file in a missing directory")
	}
}

func TestRunCheckFails(t *testing.T) {
	cfg := fakeConfig(newFake("coarse"))
	cfg.Check = true
	cfg.check = func(_ *stmbench7.Structure, _ stmbench7.Backend, initial bool) error {
		if initial {
			return nil
		}
		return errors.New("atomic part 7: |x-y| = 3")
	}
	res, err := Run(context.Background(), cfg, new(bytes.Buffer), new(bytes.Buffer))
	if !errors.Is(err, ErrCheckFailed) || res == nil || res.Check.Final == "ok" {
		t.Errorf("Run = %+v, %v", res, err)
	}
}

func TestRunMaxThreads(t *testing.T) {
	b := newFake("none")
	cfg := fakeConfig(b)
	cfg.Backend = "none"
	cfg.Threads = 2
	if _, err := Run(context.Background(), cfg, new(bytes.Buffer), new(bytes.Buffer)); !errors.Is(err, ErrInvalidConfig) {
		t.Errorf("none with 2 threads: %v", err)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) { c.Threads = 0 }, "at least 1"},
		{func(c *Config) { c.Length = 0 }, "length must be positive"},
		{func(c *Config) { c.Ops = -1 }, "ops must be positive"},
		{func(c *Config) { c.Interval = 0 }, "interval must be positive"},
		{func(c *Config) { c.Workload = 9 }, "accepted: r, rw, w, ro"},
		{func(c *Config) { c.Backend = "fine" }, "accepted: coarse, medium, none, stm, stm-plain"},
		{func(c *Config) { c.Backend, c.Threads = "none", 2 }, "only 1 thread"},
		{func(c *Config) { c.Size = "colossal" }, "accepted: tiny, small, medium, big, huge, giant"},
		{func(c *Config) { c.STMCommit = 7 }, "accepted: lock, lockfree"},
		{func(c *Config) { c.Backend, c.Layout = "stm", stmbench7.LayoutField }, "applies only to -g stm-plain (got -g stm)"},
		{func(c *Config) { c.Backend, c.Layout = "stm-plain", 9 }, "accepted: object, field"},
	} {
		cfg := DefaultConfig()
		c.mod(&cfg)
		err := cfg.Validate()
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Validate() = %v, want an error containing %q", err, c.want)
		}
	}
	cfg := DefaultConfig()
	if err := cfg.Validate(); err != nil {
		t.Errorf("default configuration: %v", err)
	}
	cfg.Ops, cfg.Length = 10, 0
	if err := cfg.Validate(); err != nil {
		t.Errorf("ops without length: %v", err)
	}
}

func TestThreadSeeds(t *testing.T) {
	cfg := DefaultConfig()
	for i := range 4 {
		if cfg.ThreadSeed(i) != 3 {
			t.Fatalf("thread %d seed %d; the reference seeds every thread with 3", i, cfg.ThreadSeed(i))
		}
	}
	cfg.ThreadSeeds = true
	seen := map[int64]bool{}
	for i := range 1000 {
		s := cfg.ThreadSeed(i)
		// jrand keeps 48 bits of the seed: they must differ too.
		if seen[s&(1<<48-1)] {
			t.Fatalf("thread %d repeats a seed", i)
		}
		seen[s&(1<<48-1)] = true
		if s != cfg.ThreadSeed(i) {
			t.Fatal("seeds not deterministic")
		}
	}
	// SplitMix64's first output from state 0 is well known.
	cfg.Seed = 0
	if got := uint64(cfg.ThreadSeed(0)); got != 0xe220a8397b1dcdaf {
		t.Errorf("SplitMix64(0) first output %#x", got)
	}
}

// TestSeriesLastIntervalNotAStub checks that a timed run's series does not end with a stub
// interval of a few operations: a tick within half an interval of the end is skipped, so the
// last interval spans at least half an interval (whatever the timing, by construction).
func TestSeriesLastIntervalNotAStub(t *testing.T) {
	dir := t.TempDir()
	b := newFake("stm")
	cfg := fakeConfig(b)
	// The length a whole number of intervals: the ticker's last tick and the timer coincide.
	cfg.Length, cfg.Interval = 200*time.Millisecond, 20*time.Millisecond
	cfg.SeriesPath = filepath.Join(dir, "run.jsonl")
	var stdout, stderr bytes.Buffer
	if _, err := Run(context.Background(), cfg, &stdout, &stderr); err != nil {
		t.Fatalf("Run: %v\n%s", err, stderr.String())
	}
	lines := readSeries(t, cfg.SeriesPath)
	if len(lines) < 3 {
		t.Fatalf("%d series lines", len(lines))
	}
	last, prev := lines[len(lines)-1]["t_s"].(float64), lines[len(lines)-2]["t_s"].(float64)
	if d := last - prev; d < cfg.Interval.Seconds()/2 {
		t.Errorf("the last interval spans %.4f s, less than half the interval (%v): a stub", d, cfg.Interval)
	}
}
