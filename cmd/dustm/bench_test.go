package main

import (
	"bytes"
	"context"
	"dustm/record"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every bad command line exits with status 2 and a message that says what is accepted.
func TestBenchFlagErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-t", "0"}, "at least 1"},
		{[]string{"-t", "x"}, `invalid argument "x"`},
		{[]string{"-g", "none", "-t", "2"}, "none supports only 1 thread"},
		{[]string{"-g", "fine"}, "accepted: coarse, medium, none, stm, stm-plain"},
		{[]string{"-w", "x"}, "accepted: r, rw, w, ro"},
		{[]string{"--size", "colossal"}, "accepted: tiny, small, medium, big, huge, giant"},
		{[]string{"--stm-commit", "2pl"}, "accepted: lock, lockfree"},
		{[]string{"--ops", "10", "-l", "5"}, "--ops and -l/--length both given"},
		{[]string{"--ops", "0"}, "--ops must be at least 1"},
		{[]string{"-l", "0"}, `"0" is out of range (accepted: between 10ms and 1000000s)`},
		{[]string{"-l", "-3"}, `"-3" is out of range (accepted: between 10ms and 1000000s)`},
		{[]string{"--interval", "0s"}, `"0s" is out of range (accepted: between 1ms and 3600s)`},
		{[]string{"--interval", "-1s"}, `"-1s" is out of range`},
		{[]string{"--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"extra"}, "unexpected arguments"},
		{[]string{"--upgrade", "nope", "-g", "stm"}, "accepted: atomic-point, chain, composite-stats, dates, document-lines"},
		{[]string{"--upgrade", "dates", "-g", "coarse"}, "--upgrade needs -g stm"},
		{[]string{"--upgrade", "dates", "-g", "stm", "--migration", "immediate"}, "accepted: lazy, eager, lazy+sweep"},
		{[]string{"--upgrade", "dates", "-g", "stm", "--sweepers", "2"}, "--sweepers applies only with --migration lazy+sweep"},
		{[]string{"--upgrade", "dates", "-g", "stm", "--upgrade-at", "20s"}, "not within the run's length"},
		{[]string{"--upgrade", "dates", "-g", "stm", "--ops", "100"}, "give --upgrade-at"},
		{[]string{"--migration", "eager"}, "need --upgrade"},
		{[]string{"--upgrade-at", "-1s"}, `"-1s" is out of range (accepted: between 0s and 1000000s)`},
	} {
		var stdout, stderr bytes.Buffer
		code := dispatch(append([]string{"bench"}, c.args...), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("bench %q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("bench %q wrote to stdout: %q", c.args, stdout.String())
		}
	}
}

func TestBenchHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"bench", "--help"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, f := range []string{"--threads", "--length", "--workload", "--sync", "--no-traversals", "--no-sms",
		"--ttc-histograms", "--seq-replay", "--seed", "--thread-seeds", "--check", "--size", "--stm-commit",
		"--json", "--series", "--interval", "--ops"} {
		if !strings.Contains(stdout.String(), f) {
			t.Errorf("help lacks %s", f)
		}
	}
	var help bytes.Buffer
	dispatch([]string{"help"}, &help, &stderr)
	if !strings.Contains(help.String(), "bench") {
		t.Error("`dustm help` does not list bench")
	}
}

func TestBenchDefaults(t *testing.T) {
	cfg, _, help, err := parseBenchFlags(nil, new(bytes.Buffer))
	if err != nil || help {
		t.Fatal(err, help)
	}
	if cfg.Threads != 1 || cfg.Length != 10*time.Second || cfg.Workload.String() != "r" || cfg.Backend != "coarse" ||
		cfg.Size != "big" || cfg.Seed != 3 || cfg.ThreadSeeds || cfg.STMCommit.String() != "lockfree" ||
		cfg.Interval != 100*time.Millisecond || cfg.Ops != 0 || cfg.NoTraversals || cfg.NoSMs {
		t.Errorf("defaults %+v", cfg)
	}
	cfg, _, _, err = parseBenchFlags([]string{"--ops", "5"}, new(bytes.Buffer))
	if err != nil || cfg.Ops != 5 {
		t.Errorf("--ops alone: %v, %d", err, cfg.Ops)
	}
}

// A short real run on the tiny structure, with every output.
func TestBenchEndToEnd(t *testing.T) {
	dir := t.TempDir()
	jsonPath, seriesPath := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.jsonl")
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"bench", "--size", "tiny", "-t", "2", "-l", "0.3", "-w", "rw", "--check",
		"--seq-replay", "--ttc-histograms", "--json", jsonPath, "--series", seriesPath, "--interval", "50ms"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}
	out := stdout.String()
	for _, s := range []string{"Number of threads: 2\n", "Length: 0.3 s\n", "Workload: READ_WRITE\n",
		"Synchronization method: LOCK_COARSE\n", "TTC histogram for SM8:", "Total throughput:", "Elapsed time:",
		"Sequential replay: passed", "Invariant check: initial ok, final ok"} {
		if !strings.Contains(out, s) {
			t.Errorf("stdout lacks %q", s)
		}
	}
	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	res, err := record.Read(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if threads, _ := res.Config.Get("threads"); res.Values["replay.passed"] != 1 || res.Values["check.passed"] != 1 || threads != "2" {
		t.Errorf("result %s", b)
	}
	var args []string
	if a, _ := res.Config.Get("args"); json.Unmarshal([]byte(a), &args) != nil || len(args) < 3 || args[2] != "--size" {
		t.Errorf("args %v", args)
	}
	series, err := os.ReadFile(seriesPath)
	if err != nil || bytes.Count(series, []byte("\n")) < 3 {
		t.Errorf("series %q, %v", series, err)
	}
	es, _ := os.ReadDir(dir)
	if len(es) != 2 {
		t.Errorf("%d files in the output directory", len(es))
	}
}

func TestBenchOpsMode(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "r.json")
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"bench", "--size", "tiny", "-t", "3", "--ops", "200", "-g", "medium",
		"--no-traversals", "--thread-seeds", "--json", jsonPath}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	res, err := record.Read(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if n := res.Values["successful"] + res.Values["failed"]; n != 600 {
		t.Errorf("%v operations, want 3 × 200", n)
	}
	var seeds []int64
	if s, _ := res.Config.Get("seeds"); json.Unmarshal([]byte(s), &seeds) != nil || len(seeds) != 3 || seeds[0] == seeds[1] {
		t.Errorf("seeds %v", seeds)
	}
}

// Cancelling (what Ctrl-C does) ends the run with status 1 and complete files.
func TestBenchInterrupted(t *testing.T) {
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "r.json")
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(time.Second); cancel() }()
	var stdout, stderr bytes.Buffer
	err := runBenchContext(ctx, []string{"--size", "tiny", "-l", "3600", "--json", jsonPath}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "interrupted") {
		t.Fatalf("error %v", err)
	}
	b, rerr := os.ReadFile(jsonPath)
	if rerr != nil || !bytes.Contains(b, []byte(`"interrupted": true`)) {
		t.Errorf("result %s, %v", b, rerr)
	}
	if !strings.Contains(stdout.String(), "Elapsed time:") {
		t.Error("no report")
	}
	if names, _ := os.ReadDir(dir); len(names) != 1 {
		t.Errorf("files: %v", names)
	}
}

// One duration syntax everywhere: plain seconds or a Go duration.
func TestBenchDurations(t *testing.T) {
	for _, c := range []struct {
		args                        []string
		length, upgradeAt, interval time.Duration
	}{
		{[]string{"-l", "2.5", "--upgrade-at", "0.5", "--interval", "0.05"}, 2500 * time.Millisecond, 500 * time.Millisecond, 50 * time.Millisecond},
		{[]string{"-l", "1m", "--upgrade-at", "1500ms", "--interval", "1s"}, time.Minute, 1500 * time.Millisecond, time.Second},
		{[]string{"--length=3", "--upgrade-at=1", "--interval=200ms"}, 3 * time.Second, time.Second, 200 * time.Millisecond},
	} {
		cfg, _, _, err := parseBenchFlags(c.args, new(bytes.Buffer))
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		if cfg.Length != c.length || cfg.UpgradeAt != c.upgradeAt || cfg.Interval != c.interval {
			t.Errorf("%q: length %v, upgrade-at %v, interval %v", c.args, cfg.Length, cfg.UpgradeAt, cfg.Interval)
		}
	}
}

// A result file named "-" is stdout: the JSON document is all of stdout, the report goes to
// stderr, and no file named "-" appears.
func TestBenchJSONToStdout(t *testing.T) {
	t.Chdir(t.TempDir())
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"bench", "--size", "tiny", "-l", "0.05", "-g", "stm", "--json", "-"}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	var doc map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &doc); err != nil || doc["config"] == nil {
		t.Fatalf("stdout is not the result document: %v\n%s", err, stdout.String())
	}
	if !strings.Contains(stderr.String(), "The STMBench7 Benchmark") {
		t.Errorf("the report is not on stderr:\n%s", stderr.String())
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("files created: %v", entries)
	}
}
