// Package experimentstest provides what tests of experiments and their consumers need: a
// fake `dustm bench` that writes deterministic, plausible result files (upgrade fields
// included) without running the benchmark, and folders of such results.
//
// The fake's numbers follow fixed formulas (FakeThroughput, …) so that tests know the
// answers: repetition r multiplies throughput by 1 + (r-2)/100, so the median of 3
// repetitions is the formula's value.
package experimentstest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"dustm/experiments"
	"dustm/stm"
	"dustm/stmbench7"
	"dustm/stmbench7/bench"
	"dustm/upgrade"
)

// Environment variables that steer the fake bench.
const (
	// EnvFake, set to 1, makes a test binary's TestMain run FakeMain.
	EnvFake = "DUSTM_FAKE_BENCH"
	// EnvFail: runs whose command line contains this string exit 1.
	EnvFail = "DUSTM_FAKE_FAIL"
	// EnvReject: runs whose command line contains this string exit 2, as for bad input.
	EnvReject = "DUSTM_FAKE_REJECT"
	// EnvSleep: every run sleeps this long before writing (an interrupt ends it early and
	// it writes an interrupted result).
	EnvSleep = "DUSTM_FAKE_SLEEP"
	// EnvSleepIf: only runs whose command line contains this string sleep.
	EnvSleepIf = "DUSTM_FAKE_SLEEP_IF"
	// EnvLog: every run appends its command line to this file.
	EnvLog = "DUSTM_FAKE_LOG"
	// EnvMissing: comma-separated flags the fake does not know (as a binary that predates
	// them): --help leaves them out and using one exits 2.
	EnvMissing = "DUSTM_FAKE_MISSING"
)

// FakeParams are the settings a fake run reads from its flags.
type FakeParams struct {
	Threads    int
	Length     float64
	Workload   string
	Backend    string
	Commit     string
	Size       string
	Traversals bool
	SMs        bool
	Upgrade    string
	Migration  string
	Sweepers   int
	UpgradeAt  float64 // 0: half the length
	Interval   float64
}

// FakeMain is the fake `dustm bench`: args start with "bench"; or the fake `dustm kv serve`
// (FakeKVMain).
func FakeMain(args []string, stdout, stderr io.Writer) int {
	if len(args) >= 2 && args[0] == "kv" && args[1] == "serve" {
		return FakeKVMain(args, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "bench" {
		fmt.Fprintf(stderr, "fake dustm: only bench is faked (got %q)\n", args)
		return 2
	}
	args = args[1:]
	if log := os.Getenv(EnvLog); log != "" {
		if f, err := os.OpenFile(log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
			fmt.Fprintln(f, strings.Join(args, " "))
			f.Close()
		}
	}
	missing := strings.Split(os.Getenv(EnvMissing), ",")
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	// The fake takes dustm bench's flags, from the same table.
	set := bench.DefaultSettings()
	bench.AddFlags(fs, &set)
	for _, m := range missing {
		if name := strings.TrimPrefix(strings.TrimSpace(m), "--"); name != "" {
			if f := fs.Lookup(name); f != nil {
				f.Hidden = true
			}
		}
	}
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dustm bench [flags]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "dustm bench: %v\n", err)
		return 2
	}
	for _, m := range missing {
		if name := strings.TrimPrefix(strings.TrimSpace(m), "--"); name != "" && fs.Changed(name) {
			fmt.Fprintf(stderr, "dustm bench: unknown flag: --%s\n", name)
			return 2
		}
	}
	joined := strings.Join(args, " ")
	if f := os.Getenv(EnvReject); f != "" && strings.Contains(joined, f) {
		fmt.Fprintln(stderr, "dustm bench: fake rejection of "+f)
		return 2
	}
	if f := os.Getenv(EnvFail); f != "" && strings.Contains(joined, f) {
		fmt.Fprintln(stderr, "Setup start...")
		fmt.Fprintln(stderr, "dustm bench: fake failure (the command line contains "+f+")")
		return 1
	}
	if _, err := stmbench7.ParseSize(set.Size); err != nil {
		fmt.Fprintf(stderr, "dustm bench: unknown size %q\n", set.Size)
		return 2
	}
	p := paramsOf(set)
	jsonPath, seriesPath := set.JSONPath, set.SeriesPath
	interrupted := false
	if d, err := time.ParseDuration(os.Getenv(EnvSleep)); err == nil {
		if cond := os.Getenv(EnvSleepIf); cond == "" || strings.Contains(joined, cond) {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			select {
			case <-time.After(d):
			case <-ctx.Done():
				interrupted = true
			}
			stop()
		}
	}
	rep := 2 // the repetition, from the run's folder (rep-N)
	if r, ok := strings.CutPrefix(filepath.Base(filepath.Dir(jsonPath)), "rep-"); ok {
		if n, err := strconv.Atoi(r); err == nil {
			rep = n
		}
	}
	res, series := Fake(p, rep)
	res.Config.Args = append([]string{"dustm", "bench"}, args...)
	res.Config.SeriesPath = seriesPath
	if set.UpgradeDryRun && res.Upgrade != nil {
		res.Upgrade.DryRun = &experiments.DryRun{Step: res.Upgrade.Scenario, Objects: int(res.Upgrade.Objects), DurationS: 0.01}
	}
	if interrupted {
		res.Interrupted = true
		series = series[:len(series)/3]
	}
	fmt.Fprintf(stdout, "Benchmark parameters: fake %s\n", joined)
	fmt.Fprintf(stdout, "Throughput: %.1f op/s\n", res.Throughput)
	if seriesPath != "" {
		if err := writeSeries(seriesPath, series); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if jsonPath != "" {
		if err := writeJSON(jsonPath, res); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if interrupted {
		fmt.Fprintln(stderr, "dustm bench: interrupted")
		return 1
	}
	return 0
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writeSeries(path string, series []experiments.SeriesPoint) error {
	var b strings.Builder
	for _, p := range series {
		line, err := json.Marshal(p)
		if err != nil {
			return err
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// FakeThroughput is the fake's throughput of a configuration before the repetition's
// factor: 100000 op/s × the backend's, the workload's and the size's factors × the threads
// (the locks and none do not scale).
func FakeThroughput(p FakeParams) float64 {
	bf := map[string]float64{"none": 1.2, "coarse": 0.5, "medium": 0.7, "stm-plain": 1.0, "stm": 0.95}[p.Backend]
	if (p.Backend == "stm" || p.Backend == "stm-plain") && p.Commit == "lock" {
		bf *= 0.9
	}
	wf := map[string]float64{"r": 1.0, "rw": 0.8, "w": 0.6, "ro": 1.1}[p.Workload]
	sf := map[string]float64{"tiny": 1.5, "small": 1.0, "medium": 0.6, "big": 0.3}[p.Size]
	scale := float64(p.Threads)
	if p.Backend == "coarse" || p.Backend == "none" {
		scale = 1
	}
	return 100000 * bf * wf * sf * scale
}

// RepFactor is repetition rep's multiplier of the throughput.
func RepFactor(rep int) float64 { return 1 + float64(rep-2)/100 }

// FakeObjects is the number of objects an upgrade scenario changes in a structure.
func FakeObjects(scenario string, size string) int64 {
	ps, _ := stmbench7.ParseSize(size) // an unknown size has no objects
	comp := int64(ps.InitialTotalCompParts())
	atomic := comp * int64(ps.NumAtomicPerComp)
	switch scenario {
	case "composite-stats", "document-lines":
		return comp
	case "dates":
		return atomic + comp + int64(ps.InitialTotalBaseAssemblies()+ps.InitialTotalComplexAssemblies())
	}
	return atomic
}

// FakePauseMs is the fake upgrade's pause: eager converts every object (1 µs each) with the
// world stopped; lazy only commits (0.05 ms).
func FakePauseMs(p FakeParams) float64 {
	if p.Migration == "eager" {
		return float64(FakeObjects(p.Upgrade, p.Size)) * 1e-3
	}
	return 0.05
}

// FakeMaxUs is the fake's maximum latency over the run: 1000 µs / the backend factor, or the
// eager pause when it is longer.
func FakeMaxUs(p FakeParams) float64 {
	base := 1000.0
	if p.Upgrade != "" && p.Upgrade != "none" && p.Migration == "eager" {
		return math.Max(base, FakePauseMs(p)*1e3+base)
	}
	return base
}

// Fake returns the result document and series of a run.
func Fake(p FakeParams, rep int) (*experiments.BenchResult, []experiments.SeriesPoint) {
	if p.Interval <= 0 {
		p.Interval = 0.1
	}
	if p.Threads < 1 {
		p.Threads = 1
	}
	tput := FakeThroughput(p) * RepFactor(rep)
	upgrading := p.Upgrade != "" && p.Upgrade != "none"
	at := p.UpgradeAt
	if at <= 0 {
		at = p.Length / 2
	}
	workload, _ := stmbench7.ParseWorkload(p.Workload) // the fake does not validate: r when unknown
	commit, _ := stm.ParseAlgorithm(p.Commit)          // lockfree when unknown
	res := &experiments.BenchResult{
		Config: experiments.BenchConfig{
			Settings: bench.Settings{
				Threads: p.Threads, Length: seconds(p.Length), Workload: workload, Backend: p.Backend, Size: p.Size,
				UpgradeAt: seconds(at), NoTraversals: !p.Traversals, NoSMs: !p.SMs, Seed: 3, STMCommit: commit,
				Interval: seconds(p.Interval),
			},
			Params: mustSize(p.Size),
		},
		ElapsedS:            p.Length,
		BuildS:              0.01,
		HeapBytesAfterBuild: 1 << 20,
		Categories:          map[string]experiments.OpStats{},
	}
	res.Env.GoVersion, res.Env.GitCommit, res.Env.CPUModel, res.Env.NumCPU = "go-fake", "fake", "fake CPU", 2
	maxUs := FakeMaxUs(p)
	curve := []experiments.Percentile{{P: 0, Us: 1}, {P: 50, Us: 10}, {P: 90, Us: 50}, {P: 99, Us: 100}, {P: 99.9, Us: 400}, {P: 100, Us: maxUs}}
	cats := []string{"OPERATION_RO", "SHORT_TRAVERSAL_RO", "OPERATION", "SHORT_TRAVERSAL", "STRUCTURAL_MODIFICATION", "TRAVERSAL", "TRAVERSAL_RO"}
	shares := map[string]float64{"OPERATION_RO": 0.45, "SHORT_TRAVERSAL_RO": 0.35, "OPERATION": 0.1, "SHORT_TRAVERSAL": 0.1}
	total := int64(tput * p.Length)
	for _, c := range cats {
		n := int64(shares[c] * float64(total))
		st := experiments.OpStats{Successful: n, MaxTTCUs: maxUs, P50Us: 10, P99Us: 100, P999Us: 400, MeanUs: 15, Percentiles: curve}
		if n == 0 {
			st = experiments.OpStats{}
		}
		res.Categories[c] = st
	}
	res.Successful = total
	res.Throughput = float64(total) / p.Length
	res.ThroughputWithFailed = res.Throughput
	res.All = &experiments.OpStats{Successful: total, MaxTTCUs: maxUs, P50Us: 10, P99Us: 100, P999Us: 400, MeanUs: 15, Percentiles: curve}
	// The probe sees what the operations see, slightly later; the platform's own hiccups are
	// a fixed floor below it.
	res.Probe = &experiments.ProbeStats{IntervalUs: 1000, Count: int64(p.Length * 1000), MaxUs: maxUs + 50, P50Us: 60, P99Us: 300, P999Us: 600, MeanUs: 70}
	res.Hiccup = &experiments.ProbeStats{IntervalUs: 1000, Count: int64(p.Length * 1000), MaxUs: 200, P50Us: 55, P99Us: 120, P999Us: 180, MeanUs: 58}
	res.Runtime = &experiments.RuntimeStats{GCCycles: 10, GCCPUFraction: 0.05, GCPauseMaxUs: 150, AllocBytes: 1 << 30, AllocMBPerS: 1024 / p.Length}
	gap := 0.5
	if upgrading {
		gap = math.Max(gap, FakePauseMs(p))
	}
	res.MaxGapMs = &gap
	window := experiments.Window{StartS: at, EndS: at + 1, Ops: int64(tput), MaxUs: 1000, P99Us: 100}
	if upgrading && p.Migration == "eager" {
		window.MaxUs = maxUs
	}
	res.Window = &window
	if p.Backend == "stm" || p.Backend == "stm-plain" {
		res.STM = map[string]any{"read_only_commits": float64(total) * 0.8, "read_write_commits": float64(total) * 0.2,
			"inevitable_commits": 0.0, "aborts_read_conflict": 10.0, "aborts_validation": 90.0,
			"gc": map[string]any{"passes": 5.0}}
	}
	var committed, migrated float64
	if upgrading {
		objects := FakeObjects(p.Upgrade, p.Size)
		committed = at + FakePauseMs(p)/1e3
		migrated = committed
		switch p.Migration {
		case "lazy":
			migrated = committed + 3*p.Interval
		case "lazy+sweep":
			migrated = committed + 2*p.Interval
		}
		m, cm := migrated, committed
		u := &experiments.Upgrade{Scenario: p.Upgrade, Strategy: p.Migration, Sweepers: p.Sweepers, Complete: true,
			RequestedS: at, CommittedS: &cm, MigratedS: &m, Objects: objects, ObjectsConverted: objects, PauseMs: FakePauseMs(p)}
		step := experiments.Migration{Name: p.Upgrade, CommitVersion: 1000, RequestedS: at, CommittedS: committed, MigratedS: &m,
			Complete: true, Objects: objects, PinnedS: migrated - committed}
		switch p.Migration {
		case "eager":
			u.ConversionsStopped, step.Stopped, step.WorldStopMs = objects, objects, FakePauseMs(p)
		case "lazy+sweep":
			u.ConversionsSweeper = objects / 2
			u.ConversionsForeground = objects - objects/2
			step.Sweeper, step.Foreground = u.ConversionsSweeper, u.ConversionsForeground
		default:
			u.ConversionsForeground, step.Foreground = objects, objects
		}
		u.ThroughputBefore, u.ThroughputAfter = tput, tput
		u.Migrations = []experiments.Migration{step}
		res.Config.Upgrade, res.Config.Sweepers = p.Upgrade, p.Sweepers
		res.Config.Migration, _ = upgrade.ParseStrategy(p.Migration)
		res.Upgrade = u
	}

	// The series: one line per interval; with an upgrade, the interval of the commit loses
	// half its operations (eager: all of them) and sees the pause as its maximum latency.
	var series []experiments.SeriesPoint
	n := int(math.Round(p.Length / p.Interval))
	var totalOps int64
	var converted int64
	for i := range n {
		t0, t1 := float64(i)*p.Interval, float64(i+1)*p.Interval
		ops := int64(tput * p.Interval)
		mx, p99 := 1000.0, 100.0
		pt := experiments.SeriesPoint{TS: t1}
		if upgrading {
			if at >= t0 && at < t1 {
				pt.Events = append(pt.Events, experiments.Event{Kind: "requested", Upgrade: p.Upgrade, TS: at})
				if p.Migration == "eager" {
					ops, mx = 0, maxUs
				} else {
					ops /= 2
				}
			}
			if committed >= t0 && committed < t1 {
				pt.Events = append(pt.Events, experiments.Event{Kind: "committed", Upgrade: p.Upgrade, TS: committed})
			}
			if migrated >= t0 && migrated < t1 {
				pt.Events = append(pt.Events, experiments.Event{Kind: "migrated", Upgrade: p.Upgrade, TS: migrated})
			}
			if t1 > committed {
				converted = res.Upgrade.Objects
				if t1 < migrated {
					converted = int64(float64(res.Upgrade.Objects) * (t1 - committed) / (migrated - committed))
				}
			}
			c := converted
			pt.ConvertedTotal = &c
		}
		totalOps += ops
		pt.Ops, pt.TotalOps, pt.Throughput = ops, totalOps, float64(ops)/p.Interval
		pt.MaxUs, pt.P99Us = &mx, &p99
		probeMax, probeP99, probeCount, hiccup := mx+50, 300.0, int64(p.Interval*1000), 200.0
		pt.ProbeMaxUs, pt.ProbeP99Us, pt.ProbeCount, pt.HiccupMaxUs = &probeMax, &probeP99, &probeCount, &hiccup
		heap := uint64(1 << 20)
		pt.HeapBytes = &heap
		pt.Categories = map[string]experiments.SeriesCategory{}
		for _, c := range cats {
			if shares[c] > 0 {
				pt.Categories[c] = experiments.SeriesCategory{Ops: int64(shares[c] * float64(ops)), MaxUs: mx, P99Us: p99}
			}
		}
		series = append(series, pt)
	}
	return res, series
}

// ParamsFromConfig reads the fake's settings from an experiment configuration, through the
// table of package settings as dustm bench's flags would set them.
func ParamsFromConfig(ps experiments.Params) FakeParams {
	s := bench.DefaultSettings()
	for _, p := range ps {
		if row, ok := bench.LookupSetting(p.Key); ok {
			_ = row.SetKey(&s, p.Value) // the experiment checked the value
		}
	}
	return paramsOf(s)
}

// paramsOf is what the fake reads of a run's settings.
func paramsOf(s bench.Settings) FakeParams {
	p := FakeParams{
		Threads: s.Threads, Length: s.Length.Seconds(), Workload: s.Workload.String(), Backend: s.Backend,
		Commit: s.STMCommit.String(), Size: s.Size, Traversals: !s.NoTraversals, SMs: !s.NoSMs,
		Upgrade: s.Upgrade, Migration: s.Migration.String(), Sweepers: max(s.Sweepers, 1),
		UpgradeAt: s.UpgradeAt.Seconds(), Interval: s.Interval.Seconds(),
	}
	if p.Upgrade == "" {
		p.Upgrade = "none"
	}
	return p
}

// seconds converts the fake's seconds to a duration.
func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// WriteFolder creates a results folder for the experiment in dir and fills every run with the
// fake's results, as if the sweep had run; runs whose settings contain every key=value of
// fail are recorded as failed instead. Micro runs get fixed Go benchmark output.
func WriteFolder(dir string, e *experiments.Experiment, o experiments.CreateOptions, fail ...string) (*experiments.Sweep, error) {
	if o.Source == "" {
		o.Source = "experimentstest"
	}
	s, err := experiments.Create(dir, e, o)
	if err != nil {
		return nil, err
	}
	for _, run := range s.Runs {
		rd := s.RunDir(run)
		if err := os.MkdirAll(rd, 0o755); err != nil {
			return nil, err
		}
		info := s.NewRunInfo(run)
		info.Status = experiments.StatusOK
		failed := len(fail) > 0
		for _, f := range fail {
			k, v, _ := strings.Cut(f, "=")
			if run.Config.Params.Value(k) != v {
				failed = false
			}
		}
		switch {
		case failed:
			info.Status, info.ExitCode, info.Error = experiments.StatusFailed, 1, "fake failure"
			b, _ := json.Marshal(experiments.Failure{ExitCode: 1, Error: "fake failure", StderrTail: "boom"})
			if err := os.WriteFile(filepath.Join(rd, experiments.FailedFile), b, 0o644); err != nil {
				return nil, err
			}
		case run.Config.Kind == experiments.KindKV:
			if err := writeFakeKVRun(rd, run.Config.Params, run.Rep); err != nil {
				return nil, err
			}
		case run.Config.Kind == experiments.KindMicro:
			if err := os.WriteFile(filepath.Join(rd, experiments.BenchTextFile), []byte(FakeBenchText(run.Config.Params, run.Rep)), 0o644); err != nil {
				return nil, err
			}
		default:
			res, series := Fake(ParamsFromConfig(run.Config.Params), run.Rep)
			if err := writeJSON(filepath.Join(rd, experiments.ResultFile), res); err != nil {
				return nil, err
			}
			if err := writeSeries(filepath.Join(rd, experiments.SeriesFile), series); err != nil {
				return nil, err
			}
		}
		if err := experiments.WriteRunInfo(rd, info); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// FakeNsPerOp is the fake micro-benchmarks' time per operation of a contender and workload at
// a GOMAXPROCS, before the repetition's factor.
func FakeNsPerOp(impl, workload string, procs int) float64 {
	base := map[string]float64{"dustm-lock": 200, "dustm-lockfree": 220, "anacrolix": 5000, "lukechampine": 1500, "rwmutex": 100}[impl]
	if workload == "inc2" {
		base *= 1.5
	}
	return base / float64(procs)
}

// FakeBenchText is Go benchmark output of bench/peers for a micro configuration.
func FakeBenchText(ps experiments.Params, rep int) string {
	procs, _ := strconv.Atoi(ps.Value("cpu"))
	procs = max(procs, 1)
	var b strings.Builder
	b.WriteString("goos: linux\ngoarch: amd64\npkg: dustm/bench/peers\ncpu: fake CPU\n")
	impls := []string{"dustm-lock", "dustm-lockfree", "anacrolix", "lukechampine", "rwmutex"}
	for _, impl := range impls {
		for _, wl := range []string{"ro10", "inc2"} {
			name := "BenchmarkPeers/" + impl + "/" + wl
			if procs > 1 {
				name += "-" + strconv.Itoa(procs)
			}
			fmt.Fprintf(&b, "%s \t 1000000\t %.1f ns/op\t %d B/op\t %d allocs/op\n", name,
				FakeNsPerOp(impl, wl, procs)*RepFactor(rep), slices.Index(impls, impl)*10, slices.Index(impls, impl))
		}
	}
	b.WriteString("PASS\n")
	return b.String()
}

// mustSize returns the named preset; the fake is only given sizes it checked.
func mustSize(name string) stmbench7.Params {
	p, err := stmbench7.ParseSize(name)
	if err != nil {
		panic(err)
	}
	return p
}
