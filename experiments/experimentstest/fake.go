// Package experimentstest provides what tests of experiments and their consumers need: a
// fake `dustm bench` that writes deterministic, plausible result files (upgrade fields
// included) without running the benchmark, and folders of such results.
//
// The fake's numbers follow fixed formulas (FakeThroughput, …) so that tests know the
// answers: repetition r multiplies throughput by 1 + (r-2)/100, so the median of 3
// repetitions is the formula's value.
package experimentstest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
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

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/experiments"
	"dustm/record"
	"dustm/stmbench7"
	"dustm/stmbench7/bench"
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
	Threads   int
	Length    float64
	Workload  string
	Backend   string
	Commit    string
	Size      string
	Upgrade   string
	Migration string
	UpgradeAt float64 // 0: half the length
	Interval  float64
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
	set, code := fakeFlags(args, stderr)
	if code >= 0 {
		return code
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
	interrupted := false
	d, err := time.ParseDuration(os.Getenv(EnvSleep))
	if cond := os.Getenv(EnvSleepIf); err == nil && (cond == "" || strings.Contains(joined, cond)) {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			interrupted = true
		}
		stop()
	}
	rep := 2 // the repetition, from the run's folder (rep-N)
	fmt.Sscanf(filepath.Base(filepath.Dir(set.JSONPath)), "rep-%d", &rep)
	res, series := fakeBench(set, rep)
	if set.UpgradeDryRun && set.Upgrade != "" && set.Upgrade != "none" {
		fakeRecord{res}.setAll("upgrade.", fakeValue{"dry_run_s", "s", record.Lower, 0.01}, fakeValue{"dry_run_failures", "", record.Lower, 0})
	}
	if interrupted {
		res.Interrupted = true
		series = series[:len(series)/3]
	}
	fmt.Fprintf(stdout, "Benchmark parameters: fake %s\n", joined)
	fmt.Fprintf(stdout, "Throughput: %.1f op/s\n", res.Values["throughput"])
	if err := writeRun(set.JSONPath, set.SeriesPath, res, series); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	if interrupted {
		fmt.Fprintln(stderr, "dustm bench: interrupted")
		return 1
	}
	return 0
}

// fakeFlags parses dustm bench's flags (from the same table), less those EnvMissing names;
// code is the exit status when the fake ends here, -1 otherwise.
func fakeFlags(args []string, stderr io.Writer) (set bench.Settings, code int) {
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	set = bench.DefaultSettings()
	bench.AddFlags(fs, &set)
	var missing []string
	for m := range strings.SplitSeq(os.Getenv(EnvMissing), ",") {
		if f := fs.Lookup(strings.TrimPrefix(strings.TrimSpace(m), "--")); f != nil {
			f.Hidden = true
			missing = append(missing, f.Name)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return set, 0
		}
		fmt.Fprintf(stderr, "dustm bench: %v\n", err)
		return set, 2
	}
	for _, name := range missing {
		if fs.Changed(name) {
			fmt.Fprintf(stderr, "dustm bench: unknown flag: --%s\n", name)
			return set, 2
		}
	}
	return set, -1
}

// writeRun writes a record and its series where they are asked for ("" for not).
func writeRun(jsonPath, seriesPath string, rec *record.Record, series []record.Tick) error {
	if seriesPath != "" {
		f, err := os.Create(seriesPath)
		if err != nil {
			return err
		}
		w := record.NewSeriesWriter(f)
		for _, t := range series {
			w.Write(t)
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if jsonPath != "" {
		return record.Write(jsonPath, rec, nil)
	}
	return nil
}

// fakeBench is the record and series of a fake bench run with its settings as dustm bench
// records them.
func fakeBench(set bench.Settings, rep int) (*record.Record, []record.Tick) {
	res, series := Fake(paramsOf(set), rep)
	res.Config = set.Pairs()
	return res, series
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

// StructureObjects is the number of design objects of a structure, as dustm bench counts
// them (structure.objects).
func StructureObjects(p stmbench7.Params) float64 {
	comp := p.InitialTotalCompParts()
	return float64(2 + p.InitialTotalComplexAssemblies() + p.InitialTotalBaseAssemblies() + 2*comp + comp*p.NumAtomicPerComp)
}

// fakeRecord sets a record's values with definitions of the producer's shape.
type fakeRecord struct{ *record.Record }

// fakeValue is a value and its definition's unit and direction.
type fakeValue struct {
	n, unit string
	better  record.Better
	v       float64
}

// setAll sets PREFIX+name of every value.
func (r fakeRecord) setAll(prefix string, vs ...fakeValue) {
	for _, v := range vs {
		r.Set(record.Metric{Name: prefix + v.n, Unit: v.unit, Doc: "the fake's " + prefix + v.n, Better: v.better}, v.v)
	}
}

// totals sets the run's counts of operations over secs seconds.
func (r fakeRecord) totals(ops, secs float64) {
	r.setAll("", fakeValue{"throughput", "op/s", record.Higher, ops / secs}, fakeValue{"throughput_with_failed", "op/s", record.Higher, ops / secs},
		fakeValue{"successful", "op", record.Higher, ops}, fakeValue{"failed", "op", record.Lower, 0})
}

// category sets the values of an operation category (cat.NAME.…).
func (r fakeRecord) category(name string, ops, mx, p99, p50 float64) {
	for _, v := range []fakeValue{{"ops", "op", record.Higher, ops}, {"failed", "op", record.Lower, 0}, {"max_us", "µs", record.Lower, mx},
		{"p99_us", "µs", record.Lower, p99}, {"p50_us", "µs", record.Lower, p50}} {
		r.SetFamily(record.Metric{Name: "cat.{}." + v.n, Unit: v.unit, Doc: "the fake's " + v.n + " of {}", Better: v.better}, name, v.v)
	}
}

// latency sets PREFIX.max_us, p99, p999, p50 and mean.
func (r fakeRecord) latency(prefix string, mx float64) {
	r.setAll(prefix, []fakeValue{{"max_us", "µs", record.Lower, mx}, {"p99_us", "µs", record.Lower, 100}, {"p999_us", "µs", record.Lower, 400},
		{"p50_us", "µs", record.Lower, 10}, {"mean_us", "µs", record.Lower, 15}}...)
	if prefix == "all." { // the percentile curve: p0 1 µs, p50 10, p90 50, p99 100, p99.9 400, max
		for seg, us := range map[string]float64{"p0": 1, "p50": 10, "p90": 50, "p99": 100, "p99_9": 400, "p100": mx} {
			r.SetFamily(record.Metric{Name: "all.curve.{}_us", Unit: "µs", Doc: "latency at percentile {}", Better: record.Lower}, seg, us)
		}
	}
}

// Fake returns the record and series of a run: the values dustm bench records, from the
// fake's formulas.
func Fake(p FakeParams, rep int) (*record.Record, []record.Tick) {
	if p.Interval <= 0 {
		p.Interval = 0.1
	}
	p.Threads = max(p.Threads, 1)
	if p.UpgradeAt <= 0 {
		p.UpgradeAt = p.Length / 2
	}
	tput := FakeThroughput(p) * RepFactor(rep)
	total := int64(tput * p.Length)
	r := fakeRecord{&record.Record{Schema: record.Schema, App: "stmbench7", Env: record.Config{{Key: "goos", Value: "linux"}, {Key: "goarch", Value: "amd64"},
		{Key: "cpu", Value: "fake CPU"}, {Key: "go", Value: "go-fake"}}}}
	f := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	r.Config = record.Config{{Key: "backend", Value: p.Backend}, {Key: "workload", Value: p.Workload}, {Key: "threads", Value: strconv.Itoa(p.Threads)},
		{Key: "size", Value: p.Size}, {Key: "upgrade", Value: p.Upgrade}, {Key: "migration", Value: p.Migration}, {Key: "length", Value: f(p.Length)}}
	r.totals(float64(total), p.Length)
	r.latency("all.", FakeMaxUs(p))
	gap := 0.5
	upgrading := p.Upgrade != "" && p.Upgrade != "none"
	if upgrading {
		gap = math.Max(gap, FakePauseMs(p))
	}
	r.setAll("", []fakeValue{{"probe_max_us", "µs", record.Lower, FakeMaxUs(p) + 50}, {"probe_p99_us", "µs", record.Lower, 300},
		{"probe_p999_us", "µs", record.Lower, 600}, {"hiccup_max_us", "µs", record.Lower, 200}, {"gc_cpu_fraction", "", record.Lower, 0.05},
		{"alloc_mb_per_s", "MB/s", record.Lower, 1024 / p.Length}, {"max_gap_ms", "ms", record.Lower, gap},
		{"window.max_us", "µs", record.Lower, map[bool]float64{true: FakeMaxUs(p), false: 1000}[upgrading && p.Migration == "eager"]},
		{"window.p99_us", "µs", record.Lower, 100}, {"window.ops", "op", record.Higher, float64(int64(tput))}}...)
	committed, migrated := fakeUpgrade(r, p, tput)
	series := fakeSeries(p, tput, committed, migrated)
	dip := series[int(p.UpgradeAt/p.Interval)]
	recovery, lost := 0.0, 0.0
	if upgrading { // the interval of the request loses operations; the next ones are back to the level
		recovery, lost = dip.T-p.UpgradeAt, float64(int64(tput*p.Interval))-dip.Values["ops"]
	}
	r.setAll("", fakeValue{"recovery_s", "s", record.Lower, recovery}, fakeValue{"ops_lost", "op", record.Lower, lost})
	size, _ := stmbench7.ParseSize(p.Size)
	r.setAll("", []fakeValue{{"gc_pause_max_us", "µs", record.Lower, 150}, {"sched_latency_max_us", "µs", record.Lower, 0},
		{"elapsed_s", "s", record.Neither, p.Length}, {"build_s", "s", record.Lower, 0.01}, {"heap_bytes_after_build", "B", record.Lower, 1 << 20},
		{"structure.objects", "objects", record.Neither, StructureObjects(size)}}...)
	for c, share := range fakeShares() {
		r.category(c, float64(int64(share*float64(total))), FakeMaxUs(p), 100, 10)
	}
	if (p.Backend == "stm" || p.Backend == "stm-plain") && total > 0 {
		for k, v := range map[string]float64{"read_only_commits": float64(total) * 0.8, "read_write_commits": float64(total) * 0.2,
			"inevitable_commits": 0, "aborts_read_conflict": 10, "aborts_validation": 90, "gc.passes": 5, "conflict_aborts_per_commit": 100 / float64(total)} {
			r.setAll("stm.", fakeValue{k, "", record.Neither, v})
		}
	}
	return r.Record, series
}

// fakeShares are the categories' shares of the operations.
func fakeShares() map[string]float64 {
	return map[string]float64{"OPERATION_RO": 0.45, "SHORT_TRAVERSAL_RO": 0.35, "OPERATION": 0.1, "SHORT_TRAVERSAL": 0.1}
}

// fakeUpgrade sets the upgrade's values; it returns when it committed and migrated (-1
// without an upgrade).
func fakeUpgrade(r fakeRecord, p FakeParams, tput float64) (committed, migrated float64) {
	if p.Upgrade == "" || p.Upgrade == "none" {
		return -1, -1
	}
	objects := float64(FakeObjects(p.Upgrade, p.Size))
	committed = p.UpgradeAt + FakePauseMs(p)/1e3
	migrated = committed + map[string]float64{"lazy": 3, "lazy+sweep": 2}[p.Migration]*p.Interval
	stopped, sweeper := 0.0, 0.0
	switch p.Migration {
	case "eager":
		stopped = objects
	case "lazy+sweep":
		sweeper = float64(int64(objects) / 2)
	}
	size, _ := stmbench7.ParseSize(p.Size)
	r.setAll("upgrade.", []fakeValue{{"pause_ms", "ms", record.Lower, FakePauseMs(p)}, {"world_stop_ms", "ms", record.Lower, map[bool]float64{true: FakePauseMs(p)}[stopped > 0]},
		{"commit_delay_ms", "ms", record.Lower, (committed - p.UpgradeAt) * 1e3}, {"migration_s", "s", record.Lower, migrated - committed},
		{"objects", "objects", record.Neither, objects}, {"fraction_changed", "", record.Neither, objects / StructureObjects(size)},
		{"objects_converted", "objects", record.Neither, objects}, {"conversions_foreground", "objects", record.Neither, objects - stopped - sweeper},
		{"conversions_sweeper", "objects", record.Neither, sweeper}, {"conversions_stopped", "objects", record.Neither, stopped},
		{"conversion_failures", "", record.Lower, 0}, {"throughput_before", "op/s", record.Higher, tput},
		{"throughput_after", "op/s", record.Higher, tput}, {"throughput_ratio", "", record.Higher, 1}, {"complete", "", record.Neither, 1},
		{"failed", "", record.Lower, 0}, {"pinned_s", "s", record.Lower, migrated - committed}, {"requested_s", "s", record.Neither, p.UpgradeAt},
		{"committed_s", "s", record.Neither, committed}, {"migrated_s", "s", record.Neither, migrated}}...)
	if stopped > 0 {
		r.setAll("upgrade.", fakeValue{"us_per_object", "µs", record.Lower, FakePauseMs(p) * 1e3 / stopped})
	}
	return committed, migrated
}

// fakeSeries is one tick per interval; with an upgrade, the interval of the request loses
// half its operations (eager: all of them) and sees the pause as its maximum latency.
func fakeSeries(p FakeParams, tput, committed, migrated float64) []record.Tick {
	h := hdrhistogram.New(1, 10_000_000_000, 3)
	for _, us := range []int64{1, 10, 10, 10, 10, 10, 50, 50, 50, 100, 400} {
		h.RecordValue(us * 1000)
	}
	hist := record.Encode(h)
	var series []record.Tick
	n := int(math.Round(p.Length / p.Interval))
	var totalOps, converted float64
	objects := float64(FakeObjects(p.Upgrade, p.Size))
	for i := range n {
		t0, t1 := float64(i)*p.Interval, float64(i+1)*p.Interval
		ops, mx := float64(int64(tput*p.Interval)), 1000.0
		tk := record.Tick{T: t1, Values: map[string]float64{}, Hists: map[string]string{"all": hist}}
		if committed >= 0 {
			for _, e := range []record.Event{{Name: "requested", T: p.UpgradeAt}, {Name: "committed", T: committed}, {Name: "migrated", T: migrated}} {
				if e.T >= t0 && e.T < t1 {
					tk.Events = append(tk.Events, e)
				}
			}
			if p.UpgradeAt >= t0 && p.UpgradeAt < t1 {
				ops = map[bool]float64{true: 0, false: float64(int64(ops) / 2)}[p.Migration == "eager"]
				mx = map[bool]float64{true: FakeMaxUs(p), false: mx}[p.Migration == "eager"]
			}
			if t1 > committed {
				converted = objects
				if t1 < migrated {
					converted = float64(int64(objects * (t1 - committed) / (migrated - committed)))
				}
			}
			tk.Values["converted_total"] = converted
		}
		totalOps += ops
		maps.Copy(tk.Values, map[string]float64{"ops": ops, "total_ops": totalOps, "throughput": ops / p.Interval, "max_us": mx, "p99_us": 100,
			"probe_max_us": mx + 50, "probe_p99_us": 300, "probe_count": float64(int64(p.Interval * 1000)), "hiccup_max_us": 200, "heap_bytes": 1 << 20})
		for c, share := range fakeShares() {
			tk.Values["cat."+c+".ops"], tk.Values["cat."+c+".max_us"], tk.Values["cat."+c+".p99_us"] = float64(int64(share*ops)), mx, 100
		}
		series = append(series, tk)
	}
	return series
}

// settingsOf reads an experiment configuration through the table of package settings, as
// dustm bench's flags would set them.
func settingsOf(ps experiments.Params) bench.Settings {
	s := bench.DefaultSettings()
	for _, p := range ps {
		if row, ok := bench.LookupSetting(p.Key); ok {
			_ = row.SetKey(&s, p.Value) // the experiment checked the value
		}
	}
	return s
}

// paramsOf is what the fake reads of a run's settings.
func paramsOf(s bench.Settings) FakeParams {
	return FakeParams{
		Threads: s.Threads, Length: s.Length.Seconds(), Workload: s.Workload.String(), Backend: s.Backend,
		Commit: s.STMCommit.String(), Size: s.Size, Upgrade: cmp.Or(s.Upgrade, "none"), Migration: s.Migration.String(),
		UpgradeAt: s.UpgradeAt.Seconds(), Interval: s.Interval.Seconds(),
	}
}

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
		failed := len(fail) > 0 && !slices.ContainsFunc(fail, func(f string) bool {
			k, v, _ := strings.Cut(f, "=")
			return run.Config.Params.Value(k) != v
		})
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
			res, series := fakeBench(settingsOf(run.Config.Params), run.Rep)
			if err := writeRun(filepath.Join(rd, experiments.ResultFile), filepath.Join(rd, experiments.SeriesFile), res, series); err != nil {
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
