package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"dustm/internal/duration"
	"dustm/internal/outfile"
	"dustm/stm"
	"dustm/stmbench7"
	"dustm/stmbench7/bench"
	"dustm/upgrade"

	"github.com/spf13/pflag"
)

// runBench is `dustm bench`: one STMBench7 run, with the reference's options and ours. The
// first SIGINT or SIGTERM ends the run cleanly (the report and the result files cover what was
// measured); a second one kills the process.
func runBench(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // restore the default handling: the next signal kills
	}()
	return runBenchContext(ctx, args, stdout, stderr)
}

// startCPUProfile starts writing a CPU profile of the run to path ("" for none; written as
// the result files are, see package outfile) and returns the function that stops it.
func startCPUProfile(path string, stdout io.Writer) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := outfile.Create(path, stdout)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Abort()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Commit()
	}, nil
}

func runBenchContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, prof, help, err := parseBenchFlags(args, stdout)
	if err != nil || help {
		return err
	}
	// A result file on stdout ("-") makes stdout that one document: the report goes to
	// stderr with the progress.
	report := stdout
	if outfile.IsStdout(cfg.JSONPath) || outfile.IsStdout(cfg.SeriesPath) || outfile.IsStdout(prof) {
		report, cfg.FilesStdout = stderr, stdout
	}
	stopProfile, err := startCPUProfile(prof, stdout)
	if err != nil {
		if errors.Is(err, outfile.ErrPath) {
			return usageErrorf("%v", strings.Replace(err.Error(), outfile.ErrPath.Error()+": ", "", 1))
		}
		return err
	}
	res, err := bench.Run(ctx, cfg, report, stderr)
	if perr := stopProfile(); err == nil && perr != nil {
		err = perr
	}
	switch {
	case errors.Is(err, outfile.ErrPath):
		return usageErrorf("%v", strings.Replace(err.Error(), outfile.ErrPath.Error()+": ", "", 1))
	case errors.Is(err, bench.ErrInvalidConfig):
		return usageErrorf("%v", strings.TrimPrefix(err.Error(), bench.ErrInvalidConfig.Error()+": "))
	case err != nil:
		return err
	case res.Interrupted:
		return fmt.Errorf("interrupted after %.2f s; the report and result files cover that time", res.ElapsedS)
	}
	return nil
}

// parseBenchFlags turns the command line into a run's configuration; help reports --help
// (printed on stdout).
func parseBenchFlags(args []string, stdout io.Writer) (cfg bench.Config, cpuProfile string, help bool, err error) {
	def := bench.DefaultConfig()
	fs := newFlagSet("bench", stdout)
	threads := fs.IntP("threads", "t", def.Threads, fmt.Sprintf("number of worker threads (1 to %d)", bench.MaxThreads))
	var length, interval, upgradeAt time.Duration
	fs.VarP(duration.NewValue(&length, def.Length, duration.Range{Min: bench.MinLength, Max: bench.MaxLength}), "length", "l",
		"length of the run: seconds (2.5) or a duration (2500ms), "+duration.Range{Min: bench.MinLength, Max: bench.MaxLength}.String())
	ops := fs.Int64("ops", 0, fmt.Sprintf("run exactly this many operations per thread (1 to %d) instead of a length of time", bench.MaxOps))
	workload := fs.StringP("workload", "w", def.Workload.String(),
		"workload: r = read-dominated, rw = read-write, w = write-dominated, ro = read-only")
	backend := fs.StringP("sync", "g", def.Backend, "synchronization method: "+strings.Join(stmbench7.BackendNames, ", "))
	noTrav := fs.Bool("no-traversals", false, "do not use long traversals")
	noSMs := fs.Bool("no-sms", false, "do not use structural modification operations")
	ttc := fs.Bool("ttc-histograms", false, "print the TTC histograms")
	replay := fs.Bool("seq-replay", false, "replay the execution in a single thread and compare the structures (checks opacity)")
	check := fs.Bool("check", false, "check the structural invariants before and after the run")
	seed := fs.Int64("seed", def.Seed, "seed of the workers' generators (the structure is always built with seed 3)")
	threadSeeds := fs.Bool("thread-seeds", false,
		"give every thread its own seed, derived from --seed by SplitMix64 (default: all threads use --seed, as the reference)")
	size := fs.String("size", def.Size, "structure size: "+strings.Join(stmbench7.SizeNames(), ", "))
	commit := fs.String("stm-commit", def.STMCommit.String(), "commit algorithm of the STM backends: lock or lockfree")
	jsonPath := fs.String("json", "", "write the results as one JSON document to this file (- for stdout; the report then goes to stderr)")
	seriesPath := fs.String("series", "", "write a JSON-lines time series (one line per interval) to this file (- for stdout)")
	intervalRange := duration.Range{Min: bench.MinInterval, Max: bench.MaxInterval}
	fs.Var(duration.NewValue(&interval, def.Interval, intervalRange), "interval", "interval of the time series, "+intervalRange.String())
	var trace string
	fs.StringVar(&trace, "trace", "", "write every operation, in order, as a line \"INDEX OP RESULT\" (RESULT: FAILED for a failed one)\n"+
		"to this file; with several threads one file per thread, FILE.0, FILE.1, ...")
	upgradeName := fs.String("upgrade", "", "upgrade the running benchmark (-g stm only) with this scenario: "+
		strings.Join(stmbench7.ScenarioNames(), ", "))
	fs.Var(duration.NewValue(&upgradeAt, 0, duration.Range{Max: bench.MaxLength}), "upgrade-at",
		"when to request the upgrade, since the run began: seconds or a duration (default: half the run's length)")
	migration := fs.String("migration", "lazy", "how objects are migrated: lazy, eager (stop the world) or lazy+sweep")
	sweepers := fs.Int("sweepers", 0, fmt.Sprintf("background sweepers of --migration lazy+sweep, 1 to %d (default 1)", bench.MaxSweepers))
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run (setup included) to this file, for go tool pprof")
	dryRun := fs.Bool("upgrade-dry-run", false, "before upgrading, convert every object on a snapshot without installing anything, and report failures")
	rt := addRuntimeFlags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: dustm bench [flags]")
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "Runs STMBench7 and prints the reference's report on stdout, progress on stderr.")
		fmt.Fprintln(stdout, "The reference's -s (its STM class) is -g stm or -g stm-plain here, with --stm-commit.")
		fmt.Fprintln(stdout)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return cfg, "", help, err
	}
	if fs.NArg() > 0 {
		return cfg, "", false, usageErrorf("unexpected arguments %q", fs.Args())
	}
	if fs.Changed("ops") && fs.Changed("length") {
		return cfg, "", false, usageErrorf("--ops and -l/--length both given: a run is either a number of operations per thread or a length of time")
	}
	if fs.Changed("ops") && *ops < 1 {
		return cfg, "", false, usageErrorf("--ops must be at least 1 (got %d)", *ops)
	}
	if fs.Changed("sweepers") && *sweepers < 1 {
		return cfg, "", false, usageErrorf("--sweepers must be at least 1 and at most %d (got %d)", bench.MaxSweepers, *sweepers)
	}
	if trace != "" && outfile.IsStdout(trace) {
		return cfg, "", false, usageErrorf("--trace %s: a trace is a file (one per thread with several threads), not standard output", trace)
	}
	for _, o := range []struct{ flag, path string }{{"--json", *jsonPath}, {"--series", *seriesPath}, {"--cpuprofile", *cpuprofile}, {"--trace", trace}} {
		if fs.Changed(strings.TrimPrefix(o.flag, "--")) && o.path == "" {
			return cfg, "", false, usageErrorf("%s: empty file name", o.flag)
		}
		if o.path != "" {
			if err := outfile.Check(o.path); err != nil {
				return cfg, "", false, usageErrorf("%s: %v", o.flag, strings.TrimPrefix(err.Error(), outfile.ErrPath.Error()+": "))
			}
		}
	}
	if err := outfile.Distinct([]string{"--json", "--series", "--cpuprofile", "--trace"}, []string{*jsonPath, *seriesPath, *cpuprofile, trace}); err != nil {
		return cfg, "", false, usageErrorf("%v", strings.TrimPrefix(err.Error(), outfile.ErrPath.Error()+": "))
	}
	wl, err := stmbench7.ParseWorkload(*workload)
	if err != nil {
		return cfg, "", false, usageErrorf("-w: %v", err)
	}
	algo, err := stm.ParseAlgorithm(*commit)
	if err != nil {
		return cfg, "", false, usageErrorf("--stm-commit: %v", err)
	}
	strategy, err := upgrade.ParseStrategy(*migration)
	if err != nil {
		return cfg, "", false, usageErrorf("--migration: %v", err)
	}

	cfg = def
	cfg.Threads = *threads
	cfg.Length = length
	cfg.Ops = *ops
	cfg.Workload = wl
	cfg.Backend = *backend
	cfg.Size = *size
	cfg.NoTraversals = *noTrav
	cfg.NoSMs = *noSMs
	cfg.TTCHistograms = *ttc
	cfg.SeqReplay = *replay
	cfg.Check = *check
	cfg.Seed = *seed
	cfg.ThreadSeeds = *threadSeeds
	cfg.STMCommit = algo
	cfg.JSONPath = *jsonPath
	cfg.SeriesPath = *seriesPath
	cfg.TracePath = trace
	cfg.Interval = interval
	cfg.Upgrade = *upgradeName
	cfg.UpgradeAt = upgradeAt
	cfg.Migration = strategy
	cfg.Sweepers = *sweepers
	cfg.UpgradeDryRun = *dryRun
	if err := rt.apply(fs, &cfg); err != nil {
		return cfg, "", false, err
	}
	cfg.Args = append([]string{"dustm", "bench"}, args...)
	if err := cfg.Validate(); err != nil {
		return cfg, "", false, usageErrorf("%v", strings.TrimPrefix(err.Error(), bench.ErrInvalidConfig.Error()+": "))
	}
	return cfg, *cpuprofile, false, nil
}

// runtimeFlags are the run's runtime settings and probes (issue 9): --gogc, --memlimit,
// --probe, --probe-interval.
type runtimeFlags struct {
	gogc, memLimit string
	gomaxprocs     int
	probe          *bool
	probeInterval  time.Duration
}

func addRuntimeFlags(fs *pflag.FlagSet) *runtimeFlags {
	rt := &runtimeFlags{}
	fs.StringVar(&rt.gogc, "gogc", "", "the collector's GOGC for the run (a percentage, or off); default: the GOGC environment variable, else 100")
	fs.StringVar(&rt.memLimit, "memlimit", "", "the runtime's soft memory limit for the run (bytes with a unit, e.g. 4GiB, or off); default: GOMEMLIMIT")
	fs.IntVar(&rt.gomaxprocs, "gomaxprocs", 0, fmt.Sprintf("the processors the run's goroutines share (1 to %d; default: GOMAXPROCS, else the CPUs); a latency run wants more than its workers", bench.MaxProcs))
	rt.probe = fs.Bool("probe", false, "run the responsiveness probe: a tiny read-only transaction every --probe-interval, open loop (default on with --upgrade)")
	fs.Var(duration.NewValue(&rt.probeInterval, bench.DefaultProbeInterval, bench.ProbeIntervalRange), "probe-interval",
		"period of the responsiveness probe and of the platform (hiccup) probe, "+bench.ProbeIntervalRange.String())
	return rt
}

func (rt *runtimeFlags) apply(fs *pflag.FlagSet, cfg *bench.Config) error {
	if fs.Changed("gogc") {
		n, err := bench.ParseGOGC(rt.gogc)
		if err != nil {
			return usageErrorf("--gogc: %v", err)
		}
		cfg.GOGC = n
	}
	if fs.Changed("memlimit") {
		n, err := bench.ParseMemLimit(rt.memLimit)
		if err != nil {
			return usageErrorf("--memlimit: %v", err)
		}
		cfg.MemoryLimit = n
	}
	if fs.Changed("gomaxprocs") {
		if rt.gomaxprocs < 1 || rt.gomaxprocs > bench.MaxProcs {
			return usageErrorf("--gomaxprocs must be at least 1 and at most %d (got %d)", bench.MaxProcs, rt.gomaxprocs)
		}
		cfg.GOMAXPROCS = rt.gomaxprocs
	}
	cfg.ProbeInterval = rt.probeInterval
	// A run with an upgrade is about what clients wait for: it probes unless told not to.
	cfg.Probe = *rt.probe || (cfg.Upgrade != "" && !fs.Changed("probe"))
	return nil
}
