package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"dustm/measure"
	"dustm/record"
	"dustm/stmbench7"
	"dustm/stmbench7/jrand"
	"dustm/upgrade"
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
func Run(ctx context.Context, cfg Config, stdout, stderr io.Writer) (*Result, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	params, _ := stmbench7.ParseSize(cfg.Size) // Validate checked it
	mix := cfg.mix()
	var enabled [stmbench7.NumOps]bool
	for op := range stmbench7.OpID(stmbench7.NumOps) {
		enabled[op] = mix.OpProbability(op) > 0
	}

	// Create the result files first, so that a bad path fails before the setup.
	env := CollectEnv(time.Now())
	var jsonFile, seriesFile, goBenchFile *pendingFile
	var traces []*tracer
	committed := false
	defer func() {
		if !committed {
			for _, f := range []*pendingFile{jsonFile, seriesFile, goBenchFile} {
				if f != nil {
					f.Abort()
				}
			}
			abortTraces(traces)
		}
	}()
	var err error
	if cfg.JSONPath != "" {
		if jsonFile, err = createPending(cfg.JSONPath, cfg.stdoutFiles(stdout)); err != nil {
			return nil, fmt.Errorf("result file: %w", err)
		}
	}
	if cfg.SeriesPath != "" {
		if seriesFile, err = createPending(cfg.SeriesPath, cfg.stdoutFiles(stdout)); err != nil {
			return nil, fmt.Errorf("series file: %w", err)
		}
	}
	if cfg.GoBenchPath != "" {
		if goBenchFile, err = createPending(cfg.GoBenchPath, cfg.stdoutFiles(stdout)); err != nil {
			return nil, fmt.Errorf("the Go benchmark file: %w", err)
		}
	}
	if traces, err = createTraces(cfg.TracePath, cfg.Threads); err != nil {
		return nil, err
	}

	backend, err := cfg.newBackend(cfg.Backend)
	if err != nil {
		return nil, err
	}
	defer backend.Close()
	if m := backend.MaxThreads(); m > 0 && cfg.Threads > m {
		return nil, invalidf("synchronization method %s supports at most %d thread(s) (got %d)", cfg.Backend, m, cfg.Threads)
	}

	prober, _ := backend.(stmbench7.Prober)
	if cfg.Probe && prober == nil {
		return nil, invalidf("--probe: synchronization method %s has no probe transaction (it synchronizes nothing; use coarse, medium, stm or stm-plain)", cfg.Backend)
	}

	writeHeader(stdout, &cfg, mix)

	// The collector's settings apply to the build already: the heap the run starts with is
	// the one they shaped.
	gogc, memLimit, restoreGC := applyGCSettings(&cfg)
	defer restoreGC()

	// The calibration runs before the build, with the run's runtime settings, on a process
	// that does nothing else: the floor the run's probes are judged against.
	var cal *CalibrationResult
	if cfg.Calibration = cfg.CalibrationLength(); cfg.Calibration > 0 {
		fmt.Fprintf(stderr, "Calibrating: the platform probe alone for %s...\n", fmtSeconds(cfg.Calibration))
		cal = measure.Calibrate(ctx, cfg.Calibration, cfg.probeInterval(), cfg.Threads)
		fmt.Fprintf(stderr, "Idle platform: oversleep max %.2f ms, p99 %.2f ms over %d sleeps.\n", cal.MaxUs/1e3, cal.P99Us/1e3, cal.Count)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("interrupted before the run started: %w", err)
		}
	}

	fmt.Fprintln(stderr, "Setup start...")
	setupRand := jrand.New(SetupSeed)
	t0 := time.Now()
	s, err := backend.Build(params, &setupRand)
	if err != nil {
		return nil, fmt.Errorf("building the structure: %w", err)
	}
	buildS := time.Since(t0).Seconds()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Fprintf(stderr, "Setup completed in %.2f s (heap %.1f MiB).\n", buildS, float64(ms.HeapAlloc)/(1<<20))

	res := &Result{
		Config:              cfg.toJSON(params),
		Env:                 env,
		BuildS:              buildS,
		HeapBytesAfterBuild: ms.HeapAlloc,
		Calibration:         cal,
	}
	res.Config.GOGC, res.Config.MemoryLimit = gogc, memLimit
	var runErrs []error
	if cfg.Check {
		fmt.Fprintln(stderr, "Checking invariants (initial data structure)...")
		if err := cfg.checkInvariants(s, backend, true); err != nil {
			return nil, fmt.Errorf("%w on the initial structure: %v", ErrCheckFailed, err)
		}
		res.Check = &CheckResult{Initial: "ok"}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted before the run started: %w", err)
	}

	if _, ok := backend.(stmbench7.Upgrader); cfg.Upgrade != "" && !ok {
		return nil, invalidf("--upgrade: synchronization method %s cannot be upgraded (use -g stm)", cfg.Backend)
	}
	r := newRunner(&cfg, mix, backend, s, &enabled, seriesFile, stderr)
	for i, t := range traces {
		r.workers[i].trace = t
	}
	if cfg.Probe {
		r.probeFn = prober.NewProbe(s)
		if r.probeFn == nil {
			return nil, invalidf("--probe: synchronization method %s has no probe transaction", cfg.Backend)
		}
		r.probe = measure.NewRec()
	}
	fmt.Fprintln(stderr, "\nBenchmark started.")
	start := time.Now()
	elapsed, interrupted, opErr := r.run(ctx, start)
	fmt.Fprintln(stderr, "Benchmark completed.")
	runtime.GC() // after the timed phase: the live heap at the end, without garbage
	var endMS runtime.MemStats
	runtime.ReadMemStats(&endMS)
	res.HeapBytesAtEnd = endMS.HeapAlloc
	if interrupted {
		fmt.Fprintln(stderr, "Interrupted: reporting what was measured.")
	}

	elapsedS := elapsed.Seconds()
	c := r.col
	ok, failed := int64(0), int64(0)
	for op := range stmbench7.OpID(stmbench7.NumOps) {
		a := &c.cum[op]
		ok += a.ok
		failed += a.failed
	}
	cats := c.categories()
	res.Categories = make(map[string]OpResult, stmbench7.NumOpTypes)
	var all agg
	for t := range cats {
		res.Categories[stmbench7.OpType(t).String()] = opResult(&cats[t])
		all.add(cats[t].ok, cats[t].failed, cats[t].maxNs)
		all.merge(cats[t].hist, newHist)
	}
	res.All = ptr(opResult(&all))
	res.All.Percentiles = percentileCurve(&all)
	gaps := allGaps(r.workers, elapsed)
	res.MaxGapMs = ptr(float64(maxGap(gaps)) / 1e6)
	res.Window = r.tm.windowResult(r.workers)
	if r.upg != nil {
		okTotal, _ := c.totals()
		res.Upgrade = r.upg.result(elapsed, okTotal, gaps)
	}
	res.ElapsedS = elapsedS
	res.Successful, res.Failed = ok, failed
	res.Throughput = float64(ok) / elapsedS
	res.ThroughputWithFailed = float64(ok+failed) / elapsedS
	res.Interrupted = interrupted
	res.STM = backend.Stats()
	interval := cfg.probeInterval()
	res.Hiccup = r.hiccup.Result(interval)
	if r.probe != nil {
		res.Probe = r.probe.Result(interval)
	}
	res.Runtime = measure.RuntimeSince(r.rtStart, r.rtEnd)
	res.Ticks = r.ticks
	if opErr != nil {
		res.Error = opErr.Error()
		runErrs = append(runErrs, opErr)
	}

	if cfg.Check {
		fmt.Fprintln(stderr, "Checking invariants (final data structure)...")
		res.Check.Final = "ok"
		if err := cfg.checkInvariants(s, backend, false); err != nil {
			res.Check.Final = err.Error()
			runErrs = append(runErrs, fmt.Errorf("%w on the final structure: %v", ErrCheckFailed, err))
		}
	}
	if cfg.SeqReplay {
		res.Replay = replay(&cfg, mix, params, r.workers, backend, s, r.upg.steps(), stderr)
		if !res.Replay.Passed {
			runErrs = append(runErrs, fmt.Errorf("%w: %s", ErrReplayMismatch, res.Replay.summary()))
		}
	}

	// The files first, then the report: the files are what a closed or broken stdout must
	// not cost. The series first, then the document that describes the run.
	var fileErrs []error
	if seriesFile != nil {
		if r.seriesErr != nil { // a series with a hole is not kept
			seriesFile.Abort()
			fileErrs = append(fileErrs, r.seriesErr)
		} else {
			fileErrs = append(fileErrs, seriesFile.Commit())
		}
	}
	fileErrs = append(fileErrs, commitTraces(traces)...)
	if jsonFile != nil {
		fileErrs = append(fileErrs, jsonFile.writeRecord(res.Record()))
	}
	if goBenchFile != nil {
		fileErrs = append(fileErrs, goBenchFile.writeGoBench(res))
	}
	committed = true
	if cfg.TTCHistograms {
		writeTTCHistograms(stdout, c)
	}
	writeResults(stdout, mix, c, elapsedS)
	writeExtras(stdout, res)
	return res, errors.Join(append(runErrs, fileErrs...)...)
}

// logEntry is one executed operation, for the sequential replay.
type logEntry struct {
	at     stmbench7.Serial
	result int
	op     stmbench7.OpID
	failed bool
}

// worker is one benchmark thread.
type worker struct {
	id    int
	rng   jrand.Rand
	exec  stmbench7.Worker
	mix   *stmbench7.Mix
	rec   *recorder
	tm    *timing
	win   window     // latency of the operations completing in the window
	idle  idleSpans  // when this worker completed nothing for longer than gapThreshold
	log   []logEntry // with SeqReplay: every operation, in execution order
	keep  bool       // keep the log
	trace *tracer    // with TracePath: this thread's trace
}

// loop runs operations until stop is set or, with limit > 0, limit operations are done. An
// error other than an operation's failure ends the loop and is returned, and so does a panic
// in an operation (the reference's RuntimeError, e.g. a document text that a race has
// corrupted): the run then stops and reports what it measured instead of crashing. The
// backends release their locks on the way out (deferred unlocks, rolled-back transactions).
func (w *worker) loop(stop *atomic.Bool, limit int64) (err error) {
	var op stmbench7.OpID
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("thread %d, operation %v: %w: %v\n%s", w.id, op, ErrPanic, p, debug.Stack())
		}
	}()
	for n := int64(0); limit <= 0 || n < limit; n++ {
		if stop.Load() {
			return nil
		}
		// The reference's draw: one nextDouble() against the CDF, then the operation draws
		// its own choices from the same generator.
		op = w.mix.Pick(w.rng.Float64())
		t0 := time.Now()
		result, at, err := w.exec.Execute(op, &w.rng)
		end := time.Now()
		ns := int64(end.Sub(t0))
		failed := false
		if err != nil {
			// A conversion that failed during a lazy upgrade fails the operation that
			// triggered it, like any failed operation (the object stays convertible).
			var ce *upgrade.ConversionError
			if !errors.Is(err, stmbench7.ErrOperationFailed) && !errors.As(err, &ce) {
				return fmt.Errorf("thread %d, operation %v: %w", w.id, op, err)
			}
			failed, result = true, 0
		}
		w.rec.record(op, ns, failed)
		w.tm.completed(end.Sub(w.tm.start), ns, failed, &w.idle, &w.win)
		if w.keep {
			w.log = append(w.log, logEntry{at: at, result: result, op: op, failed: failed})
		}
		if w.trace != nil {
			w.trace.add(TraceEntry{Index: n, Op: op, Result: result, Failed: failed})
		}
	}
	return nil
}

// runner is the concurrent phase of a run.
type runner struct {
	cfg     *Config
	col     *collector
	workers []*worker
	series  *pendingFile
	stderr  io.Writer
	backend stmbench7.Backend
	tm      *timing
	upg     *upgradeRun // nil without --upgrade

	// The probes: the responsiveness probe (nil without --probe) and the platform probe.
	probeFn        func(k uint64) error
	probe, hiccup  *measure.Rec
	rtStart, rtEnd measure.Snapshot // the runtime's metrics at the timed phase's start and end

	prevAborts     uint64
	prevFG, prevSW int64

	prevT        time.Duration // end of the previous interval
	prevOK       int64         // for the progress line's current throughput
	prevProgress time.Duration
	seriesErr    error
	ticks        []record.Tick // the series' values, kept for the record
}

func newRunner(cfg *Config, mix *stmbench7.Mix, b stmbench7.Backend, s *stmbench7.Structure,
	enabled *[stmbench7.NumOps]bool, series *pendingFile, stderr io.Writer) *runner {
	r := &runner{cfg: cfg, col: newCollector(cfg.Threads, enabled), series: series, stderr: stderr,
		backend: b, tm: newTiming(), hiccup: measure.NewRec()}
	r.workers = make([]*worker, cfg.Threads)
	for i := range r.workers {
		r.workers[i] = &worker{
			id:   i,
			rng:  jrand.New(cfg.ThreadSeed(i)),
			exec: b.NewWorker(s, i),
			mix:  mix,
			rec:  r.col.recs[i],
			tm:   r.tm,
			win:  newWindow(),
			keep: cfg.SeqReplay,
		}
	}
	return r
}

// run starts the workers at start and stops them when the length is over, every worker has
// done its operations, a worker met an error, or ctx is cancelled. It returns the elapsed
// time (from before the first worker starts to after the last one ends, as the reference),
// whether ctx cut the run short, and a worker's error.
func (r *runner) run(ctx context.Context, start time.Time) (time.Duration, bool, error) {
	r.tm.begin(start)
	var err error
	if r.upg, err = newUpgradeRun(r.cfg, r.backend, start, r.stderr); err != nil {
		return 0, false, err
	}
	at := r.cfg.upgradeAt()
	if r.upg == nil && at > 0 {
		r.tm.openWindow(at) // the baseline: the same window as an upgraded run's
	}
	var stop atomic.Bool
	var errOnce sync.Once
	var opErr error
	var wg sync.WaitGroup
	// The probes run until the workers are done (quitProbes), from the same start.
	quitProbes := make(chan struct{})
	var probes sync.WaitGroup
	interval := r.cfg.probeInterval()
	kernel := measure.KernelSleep(r.cfg.Threads)
	probes.Go(func() { measure.RunHiccup(interval, r.hiccup, quitProbes, kernel) })
	if r.probe != nil {
		probes.Go(func() { measure.RunProbe(start, interval, r.probeFn, r.probe, quitProbes, kernel) })
	}
	r.rtStart = measure.ReadRuntime()
	for _, w := range r.workers {
		wg.Go(func() {
			if err := w.loop(&stop, r.cfg.Ops); err != nil {
				errOnce.Do(func() { opErr = err })
				stop.Store(true)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	upgraded := make(chan struct{})
	if r.upg != nil {
		go func() {
			defer close(upgraded)
			r.upg.run(ctx, at, done, r.tm.openWindow, func() int64 { ok, _ := r.col.totals(); return ok })
		}()
	} else {
		close(upgraded)
	}

	quit := make(chan struct{})
	ticking := make(chan struct{})
	go func() {
		defer close(ticking)
		r.tickLoop(start, quit, done)
	}()

	var timeout <-chan time.Time
	if r.cfg.Ops <= 0 {
		t := time.NewTimer(r.cfg.Length)
		defer t.Stop()
		timeout = t.C
	}
	interrupted := false
	select {
	case <-done:
	case <-timeout:
	case <-ctx.Done():
		interrupted = true
	}
	stop.Store(true)
	<-done
	elapsed := time.Since(start)
	r.rtEnd = measure.ReadRuntime()
	close(quitProbes)
	probes.Wait()
	close(quit)
	<-ticking
	<-upgraded
	// The last, partial interval.
	r.tick()
	r.emit(elapsed)
	r.col.final()
	return elapsed, interrupted, opErr
}

// tickLoop closes an interval every cfg.Interval and prints progress, until quit is closed.
// Once the workers are done it only waits: the last interval ends at the elapsed time, which
// the caller measures after done is closed, so no interval may end later than that.
func (r *runner) tickLoop(start time.Time, quit, done <-chan struct{}) {
	interval := time.NewTicker(r.cfg.Interval)
	defer interval.Stop()
	every := r.cfg.ProgressEvery
	if every == 0 {
		every = time.Second
	}
	progress := time.NewTicker(every)
	defer progress.Stop()
	for {
		select {
		case <-quit:
			return
		case <-interval.C:
			t := time.Since(start)
			if closed(done) { // then t may be later than the elapsed time
				<-quit
				return
			}
			// A tick this close to the end of a timed run would leave a last interval of a
			// few operations (the timer and the ticker fire together), whose rates and maxima
			// are noise and draw a fake dip: the last interval absorbs it instead.
			if r.cfg.Ops <= 0 && r.cfg.Length-t < r.cfg.Interval/2 {
				continue
			}
			r.tick()
			r.emit(t)
		case <-progress.C:
			r.progress(time.Since(start))
		}
	}
}

// tick closes an interval of the workers' measurements and of the probes'.
func (r *runner) tick() {
	r.col.tick()
	r.hiccup.Tick()
	if r.probe != nil {
		r.probe.Tick()
	}
}

// emit writes the series line of the interval that ends at t (after a tick).
func (r *runner) emit(t time.Duration) {
	tk := r.tickAt(t, r.series != nil)
	r.ticks = append(r.ticks, record.Tick{T: tk.T, Values: tk.Values})
	if r.series == nil || r.seriesErr != nil {
		return
	}
	b, err := json.Marshal(tk)
	if err == nil {
		b = append(b, '\n')
		if _, err = r.series.w.Write(b); err == nil {
			err = r.series.Flush()
		}
	}
	if err != nil {
		r.seriesErr = fmt.Errorf("writing the series: %w", err)
	}
}

// progress prints one progress line on stderr.
func (r *runner) progress(t time.Duration) {
	ok, failed := r.col.totals()
	now := 0.0
	if d := (t - r.prevProgress).Seconds(); d > 0 {
		now = float64(ok-r.prevOK) / d
	}
	r.prevOK, r.prevProgress = ok, t
	fmt.Fprintf(r.stderr, "[%6.1f s] %d operations (%d failed), %.0f op/s now, %.0f op/s overall\n",
		t.Seconds(), ok+failed, failed, now, float64(ok)/t.Seconds())
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

func ptr[T any](v T) *T { return &v }
