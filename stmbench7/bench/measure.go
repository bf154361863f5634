package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"dustm/internal/outfile"
	"dustm/measure"
	"dustm/record"
	"dustm/stmbench7"
	"dustm/stmbench7/jrand"
	"dustm/upgrade"
)

// The measure stage: the workers run operations while the probes measure responsiveness, a
// ticker closes the series' intervals, and the upgrade (if any) is requested at its time.

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
	win   agg        // latency of the operations completing in the window
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
	series  *outfile.File // nil without --series
	seriesW *record.SeriesWriter
	stderr  io.Writer
	backend stmbench7.Backend
	tm      *timing
	upg     *upgradeRun // nil without --upgrade

	// The probes: the responsiveness probe (nil without --probe: probeFn nil) and the
	// platform probe, with their results; the runtime during the timed phase.
	probeFn             func(k uint64) error
	probe, hiccup       *measure.Probe
	probeRes, hiccupRes *ProbeResult
	runtime             *measure.Runtime

	prevAborts     uint64
	prevFG, prevSW int64

	prevT        time.Duration // end of the previous interval
	prevOK       int64         // for the progress line's current throughput
	prevProgress time.Duration
	seriesErr    error
	ticks        []record.Tick // the series' values, kept for the record

	// What run measured: the elapsed time (from before the first worker starts to after the
	// last one ends, as the reference), whether ctx cut the run short, and the first
	// worker's error.
	elapsed     time.Duration
	interrupted bool
	opErr       error
	errOnce     sync.Once
}

func newRunner(cfg *Config, mix *stmbench7.Mix, b stmbench7.Backend, s *stmbench7.Structure, series *outfile.File, stderr io.Writer) *runner {
	var enabled [stmbench7.NumOps]bool
	for op := range stmbench7.OpID(stmbench7.NumOps) {
		enabled[op] = mix.OpProbability(op) > 0
	}
	r := &runner{cfg: cfg, col: newCollector(cfg.Threads, &enabled), series: series, stderr: stderr,
		backend: b, tm: newTiming()}
	if series != nil {
		r.seriesW = record.NewSeriesWriter(series)
	}
	r.workers = make([]*worker, cfg.Threads)
	for i := range r.workers {
		r.workers[i] = &worker{id: i, rng: jrand.New(cfg.ThreadSeed(i)), exec: b.NewWorker(s, i), mix: mix,
			rec: r.col.recs[i], tm: r.tm, win: newWindow(), keep: cfg.SeqReplay}
	}
	return r
}

// run starts the workers at start and stops them when the length is over, every worker has
// done its operations, a worker met an error, or ctx is cancelled.
func (r *runner) run(ctx context.Context, start time.Time) {
	r.tm.begin(start)
	r.upg = newUpgradeRun(r.cfg, r.backend, start, r.stderr)
	at := r.cfg.upgradeAt()
	if r.upg == nil && at > 0 {
		r.tm.openWindow(at) // the baseline: the same window as an upgraded run's
	}
	r.startProbes(start)
	runtimeEnd := measure.StartRuntime()
	var stop atomic.Bool
	done := r.startWorkers(&stop)
	upgraded := make(chan struct{})
	go func() {
		defer close(upgraded)
		if r.upg != nil {
			r.upg.run(ctx, at, done, r.tm.openWindow, func() int64 { ok, _ := r.col.totals(); return ok })
		}
	}()
	quit, ticking := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ticking)
		r.tickLoop(start, quit, done)
	}()
	r.interrupted = r.wait(ctx, done)
	stop.Store(true)
	<-done
	r.elapsed = time.Since(start)
	r.runtime = runtimeEnd()
	r.stopProbes()
	close(quit)
	<-ticking
	<-upgraded
	// The last, partial interval.
	r.col.tick()
	r.emit(r.elapsed)
	r.col.final()
}

// startProbes starts the platform probe and the responsiveness probe (with --probe) from
// start.
func (r *runner) startProbes(start time.Time) {
	interval := r.cfg.probeInterval()
	r.hiccup = measure.StartHiccup(interval, r.cfg.Threads)
	if r.probeFn != nil {
		r.probe = measure.StartProbe(start, interval, r.cfg.Threads, r.probeFn)
	}
}

// stopProbes stops the probes and keeps their results; their last interval is still to close.
func (r *runner) stopProbes() {
	r.hiccupRes = r.hiccup.Stop()
	if r.probe != nil {
		r.probeRes = r.probe.Stop()
	}
}

// startWorkers starts the workers; the channel returned is closed when they are all done. The
// first error of a worker stops them all.
func (r *runner) startWorkers(stop *atomic.Bool) <-chan struct{} {
	var wg sync.WaitGroup
	for _, w := range r.workers {
		wg.Go(func() {
			if err := w.loop(stop, r.cfg.Ops); err != nil {
				r.errOnce.Do(func() { r.opErr = err })
				stop.Store(true)
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	return done
}

// wait waits until the workers are done, the length is over or ctx is cancelled, and
// reports the last.
func (r *runner) wait(ctx context.Context, done <-chan struct{}) (interrupted bool) {
	var timeout <-chan time.Time
	if r.cfg.Ops <= 0 {
		t := time.NewTimer(r.cfg.Length)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-done:
	case <-timeout:
	case <-ctx.Done():
		return true
	}
	return false
}

// tickLoop closes an interval every cfg.Interval and prints progress, until quit is closed.
// Once the workers are done it only waits: the last interval ends at the elapsed time, which
// the caller measures after done is closed, so no interval may end later than that.
func (r *runner) tickLoop(start time.Time, quit, done <-chan struct{}) {
	interval := time.NewTicker(r.cfg.Interval)
	defer interval.Stop()
	progress := time.NewTicker(cmp.Or(r.cfg.ProgressEvery, time.Second))
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
			r.col.tick()
			r.emit(t)
		case <-progress.C:
			r.progress(time.Since(start))
		}
	}
}

// emit closes the probes' interval and writes the series line of the interval that ends at t
// (after the collector's tick).
func (r *runner) emit(t time.Duration) {
	tk := r.tickAt(t, r.series != nil)
	r.ticks = append(r.ticks, record.Tick{T: tk.T, Values: tk.Values})
	if r.series == nil || r.seriesErr != nil {
		return
	}
	err := r.seriesW.Write(tk)
	if err == nil {
		err = r.series.Flush()
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
