package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"time"

	"dustm/internal/outfile"
	"dustm/measure"
	"dustm/stmbench7"
	"dustm/stmbench7/jrand"
)

// Errors a completed run can end with (besides a backend's own errors). The result and the
// files are written all the same.
var (
	ErrCheckFailed    = errors.New("invariant check failed")
	ErrReplayMismatch = errors.New("sequential replay found a difference")
	ErrPanic          = errors.New("operation panicked")
)

// Run executes one benchmark run as cfg describes: it prints the reference's report on
// stdout and progress on stderr, writes the result files, and returns the result. When ctx
// is cancelled during the run, the workers stop at their next operation boundary and the
// run is reported as far as it went (Result.Interrupted); cancelled earlier, Run returns
// ctx's error and nothing is written. A run that measured something returns its Result even
// when it also returns an error (an operation's unexpected error, a failed check or replay).
//
// A run passes through stages, each a method of run below: open the outputs, build, check,
// measure, check again and replay, write the files, report.
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &run{cfg: &cfg, stdout: stdout, stderr: stderr, mix: cfg.mix(), env: CollectEnv(time.Now())}
	r.params, _ = stmbench7.ParseSize(cfg.Size) // Validate checked it
	out, err := openOutputs(&cfg, stdout)
	if err != nil {
		return nil, err
	}
	defer out.abort() // a no-op for the files written
	defer r.close()
	if err := r.build(ctx); err != nil {
		return nil, err
	}
	if err := r.checkBefore(ctx); err != nil {
		return nil, err
	}
	m, err := r.measure(ctx, out)
	if err != nil {
		return nil, err
	}
	r.summarize(m)
	errs := append(r.checkAfter(m), out.write(r.res, m.seriesErr)...)
	r.report(m)
	return r.res, errors.Join(errs...)
}

// run is one run's state as it passes through the stages.
type run struct {
	cfg            *Config
	stdout, stderr io.Writer
	mix            *stmbench7.Mix
	params         stmbench7.Params
	env            Env

	backend   stmbench7.Backend
	s         *stmbench7.Structure
	restoreGC func()
	res       *Result // from the build on
}

func (r *run) close() {
	if r.restoreGC != nil {
		r.restoreGC()
	}
	if r.backend != nil {
		r.backend.Close()
	}
}

// outputs are the run's files. They are created before anything is built, so that a bad
// path fails first, and committed once the run is measured (aborted otherwise).
type outputs struct {
	json, series, goBench *outfile.File
	traces                []*tracer
}

func openOutputs(cfg *Config, stdout io.Writer) (*outputs, error) {
	o := &outputs{}
	for _, f := range []struct {
		path, what string
		p          **outfile.File
	}{{cfg.JSONPath, "result file", &o.json}, {cfg.SeriesPath, "series file", &o.series}, {cfg.GoBenchPath, "the Go benchmark file", &o.goBench}} {
		if f.path == "" {
			continue
		}
		var err error
		if *f.p, err = outfile.Create(f.path, cmp.Or(cfg.FilesStdout, stdout)); err != nil {
			o.abort()
			return nil, fmt.Errorf("%s: %w", f.what, err)
		}
	}
	var err error
	if o.traces, err = createTraces(cfg.TracePath, cfg.Threads); err != nil {
		o.abort()
		return nil, err
	}
	return o, nil
}

func (o *outputs) abort() {
	for _, f := range []*outfile.File{o.json, o.series, o.goBench} {
		if f != nil {
			f.Abort()
		}
	}
	abortTraces(o.traces)
}

// write commits the files: the series first (a series with a hole is not kept), then the
// document that describes the run. The files come before the report: they are what a closed
// or broken stdout must not cost.
func (o *outputs) write(res *Result, seriesErr error) []error {
	var errs []error
	if o.series != nil && seriesErr != nil {
		o.series.Abort()
		errs = append(errs, seriesErr)
	} else if o.series != nil {
		errs = append(errs, o.series.Commit())
	}
	errs = append(errs, commitTraces(o.traces)...)
	if o.json != nil {
		errs = append(errs, commitWith(o.json, func(w io.Writer) error { return writeRecord(w, res.Record()) }))
	}
	if o.goBench != nil {
		errs = append(errs, commitWith(o.goBench, func(w io.Writer) error { return writeGoBench(w, res) }))
	}
	return errs
}

// build creates the backend and, after the calibration, the structure, under the run's
// runtime settings: the heap the run starts with is the one they shaped.
func (r *run) build(ctx context.Context) error {
	cfg := r.cfg
	var err error
	if r.backend, err = cfg.newBackend(cfg.Backend); err != nil {
		return err
	}
	if m := r.backend.MaxThreads(); m > 0 && cfg.Threads > m {
		return invalidf("synchronization method %s supports at most %d thread(s) (got %d)", cfg.Backend, m, cfg.Threads)
	}
	if _, ok := r.backend.(stmbench7.Prober); cfg.Probe && !ok {
		return invalidf("--probe: synchronization method %s has no probe transaction (it synchronizes nothing; use coarse, medium, stm or stm-plain)", cfg.Backend)
	}
	writeHeader(r.stdout, cfg, r.mix)
	gogc, memLimit, restore := applyGCSettings(cfg)
	r.restoreGC = restore
	cal, err := r.calibrate(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintln(r.stderr, "Setup start...")
	setupRand := jrand.New(SetupSeed)
	t0 := time.Now()
	if r.s, err = r.backend.Build(r.params, &setupRand); err != nil {
		return fmt.Errorf("building the structure: %w", err)
	}
	buildS, heap := time.Since(t0).Seconds(), measure.LiveHeap()
	fmt.Fprintf(r.stderr, "Setup completed in %.2f s (heap %.1f MiB).\n", buildS, float64(heap)/(1<<20))
	r.res = &Result{Config: cfg.resolve(r.params), Env: r.env, BuildS: buildS, HeapBytesAfterBuild: heap, Calibration: cal}
	r.res.Config.GOGC, r.res.Config.MemoryLimit = gogc, memLimit
	return nil
}

// applyGCSettings applies c's runtime settings (the collector's, GOMAXPROCS) to the process
// and returns the collector's in effect (GOGC: -1 for off; memory limit: 0 for none) and the
// function that restores the previous ones.
func applyGCSettings(c *Config) (gogc int, memLimit int64, restore func()) {
	prevGOGC := debug.SetGCPercent(100)   // reading it means setting it: set back below
	prevLimit := debug.SetMemoryLimit(-1) // a negative limit only reads
	prevProcs := runtime.GOMAXPROCS(0)
	gogc, memLimit = prevGOGC, prevLimit
	if c.GOGC != KeepGOGC {
		gogc = c.GOGC
	}
	debug.SetGCPercent(gogc)
	if c.MemoryLimit != KeepMemoryLimit {
		memLimit = cmp.Or(c.MemoryLimit, math.MaxInt64) // 0: no limit
		debug.SetMemoryLimit(memLimit)
	}
	if c.GOMAXPROCS > 0 {
		runtime.GOMAXPROCS(c.GOMAXPROCS)
	}
	if memLimit == math.MaxInt64 {
		memLimit = 0
	}
	return max(gogc, -1), memLimit, func() {
		debug.SetGCPercent(prevGOGC)
		debug.SetMemoryLimit(prevLimit)
		runtime.GOMAXPROCS(prevProcs)
	}
}

// calibrate runs the platform probe alone, before the build, with the run's runtime
// settings, on a process that does nothing else: the floor the run's probes are judged
// against.
func (r *run) calibrate(ctx context.Context) (*measure.Calibration, error) {
	if r.cfg.Calibration = r.cfg.CalibrationLength(); r.cfg.Calibration <= 0 {
		return nil, nil
	}
	fmt.Fprintf(r.stderr, "Calibrating: the platform probe alone for %s...\n", fmtSeconds(r.cfg.Calibration))
	cal := measure.Calibrate(ctx, r.cfg.Calibration, r.cfg.probeInterval(), r.cfg.Threads)
	fmt.Fprintf(r.stderr, "Idle platform: oversleep max %.2f ms, p99 %.2f ms over %d sleeps.\n", cal.MaxUs/1e3, cal.P99Us/1e3, cal.Count)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted before the run started: %w", err)
	}
	return cal, nil
}

// checkBefore checks the initial structure, and that the run may start.
func (r *run) checkBefore(ctx context.Context) error {
	if r.cfg.Check {
		fmt.Fprintln(r.stderr, "Checking invariants (initial data structure)...")
		if err := r.cfg.checkInvariants(r.s, r.backend, true); err != nil {
			return fmt.Errorf("%w on the initial structure: %v", ErrCheckFailed, err)
		}
		r.res.Check = &CheckResult{Initial: "ok"}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("interrupted before the run started: %w", err)
	}
	if _, ok := r.backend.(stmbench7.Upgrader); r.cfg.Upgrade != "" && !ok {
		return invalidf("--upgrade: synchronization method %s cannot be upgraded (use -g stm)", r.cfg.Backend)
	}
	return nil
}

// measure runs the workers and the probes (see runner) and measures the live heap after
// them.
func (r *run) measure(ctx context.Context, out *outputs) (*runner, error) {
	m := newRunner(r.cfg, r.mix, r.backend, r.s, out.series, r.stderr)
	for i, t := range out.traces {
		m.workers[i].trace = t
	}
	if r.cfg.Probe {
		if m.probeFn = r.backend.(stmbench7.Prober).NewProbe(r.s); m.probeFn == nil {
			return nil, invalidf("--probe: synchronization method %s has no probe transaction", r.cfg.Backend)
		}
	}
	fmt.Fprintln(r.stderr, "\nBenchmark started.")
	m.run(ctx, time.Now())
	fmt.Fprintln(r.stderr, "Benchmark completed.")
	r.res.HeapBytesAtEnd = measure.LiveHeap()
	if m.interrupted {
		fmt.Fprintln(r.stderr, "Interrupted: reporting what was measured.")
	}
	return m, nil
}

// summarize fills the result with what the workers and the probes measured.
func (r *run) summarize(m *runner) {
	res, c, elapsedS := r.res, m.col, m.elapsed.Seconds()
	for op := range stmbench7.OpID(stmbench7.NumOps) {
		res.Successful += c.cum[op].ok
		res.Failed += c.cum[op].failed
	}
	cats := c.categories()
	res.Categories = make(map[string]OpResult, stmbench7.NumOpTypes)
	var all agg
	for t := range cats {
		res.Categories[stmbench7.OpType(t).String()] = opResult(&cats[t])
		all.add(cats[t].ok, cats[t].failed, cats[t].maxNs)
		all.merge(cats[t].hist, measure.NewHist)
	}
	res.All = new(opResult(&all))
	res.All.Percentiles = percentileCurve(&all)
	gaps := allGaps(m.workers, m.elapsed)
	res.MaxGapMs = new(float64(maxGap(gaps)) / 1e6)
	res.Window = m.tm.windowResult(m.workers)
	if m.upg != nil {
		okTotal, _ := c.totals()
		res.Upgrade = m.upg.result(m.elapsed, okTotal, gaps)
	}
	res.ElapsedS, res.Interrupted = elapsedS, m.interrupted
	res.Throughput = float64(res.Successful) / elapsedS
	res.ThroughputWithFailed = float64(res.Successful+res.Failed) / elapsedS
	res.STM = r.backend.Stats()
	res.Probe, res.Hiccup, res.Runtime = m.probeRes, m.hiccupRes, m.runtime
	res.Ticks = m.ticks
	if m.opErr != nil {
		res.Error = m.opErr.Error()
	}
}

// checkAfter checks the final structure and replays the run sequentially, as set; it returns
// the run's errors.
func (r *run) checkAfter(m *runner) []error {
	var errs []error
	if m.opErr != nil {
		errs = append(errs, m.opErr)
	}
	if r.cfg.Check {
		fmt.Fprintln(r.stderr, "Checking invariants (final data structure)...")
		r.res.Check.Final = "ok"
		if err := r.cfg.checkInvariants(r.s, r.backend, false); err != nil {
			r.res.Check.Final = err.Error()
			errs = append(errs, fmt.Errorf("%w on the final structure: %v", ErrCheckFailed, err))
		}
	}
	if r.cfg.SeqReplay {
		r.res.Replay = replay(r.cfg, r.mix, r.params, m.workers, r.backend, r.s, m.upg.steps(), r.stderr)
		if !r.res.Replay.Passed {
			errs = append(errs, fmt.Errorf("%w: %s", ErrReplayMismatch, r.res.Replay.summary()))
		}
	}
	return errs
}

// report prints the reference's report of the measurements and the extras after it.
func (r *run) report(m *runner) {
	if r.cfg.TTCHistograms {
		writeTTCHistograms(r.stdout, m.col)
	}
	writeResults(r.stdout, r.mix, m.col, m.elapsed.Seconds())
	writeExtras(r.stdout, r.res)
}
