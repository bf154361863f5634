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

	"github.com/spf13/pflag"

	"dustm/stm"
	"dustm/stmbench7"
	"dustm/stmbench7/bench"
	"dustm/upgrade"
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

// startCPUProfile starts writing a CPU profile of the run to path ("" for none) and returns
// the function that stops it.
func startCPUProfile(path string) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}

func runBenchContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, prof, help, err := parseBenchFlags(args, stderr)
	if err != nil || help {
		return err
	}
	stopProfile, err := startCPUProfile(prof)
	if err != nil {
		return err
	}
	res, err := bench.Run(ctx, cfg, stdout, stderr)
	if perr := stopProfile(); err == nil && perr != nil {
		err = perr
	}
	switch {
	case errors.Is(err, bench.ErrInvalidConfig):
		return usageErrorf("%v", strings.TrimPrefix(err.Error(), bench.ErrInvalidConfig.Error()+": "))
	case err != nil:
		return err
	case res.Interrupted:
		return fmt.Errorf("interrupted after %.2f s; the report and result files cover that time", res.ElapsedS)
	}
	return nil
}

// parseBenchFlags turns the command line into a run's configuration; help reports --help.
func parseBenchFlags(args []string, stderr io.Writer) (cfg bench.Config, cpuProfile string, help bool, err error) {
	def := bench.DefaultConfig()
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	threads := fs.IntP("threads", "t", def.Threads, "number of worker threads")
	length := fs.Float64P("length", "l", def.Length.Seconds(), "length of the run, in seconds")
	ops := fs.Int64("ops", 0, "run exactly this many operations per thread instead of a length of time")
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
	jsonPath := fs.String("json", "", "write the results as one JSON document to this file")
	seriesPath := fs.String("series", "", "write a JSON-lines time series (one line per interval) to this file")
	interval := fs.Duration("interval", def.Interval, "interval of the time series")
	trace := fs.String("trace", "", "write every operation, in order, as a line \"INDEX OP RESULT\" (RESULT: FAILED for a failed one)\n"+
		"to this file; with several threads one file per thread, FILE.0, FILE.1, ...")
	upgradeName := fs.String("upgrade", "", "upgrade the running benchmark (-g stm only) with this scenario: "+
		strings.Join(stmbench7.ScenarioNames(), ", "))
	upgradeAt := fs.Duration("upgrade-at", 0, "when to request the upgrade, since the run began (default: half the run's length)")
	migration := fs.String("migration", "lazy", "how objects are migrated: lazy, eager (stop the world) or lazy+sweep")
	sweepers := fs.Int("sweepers", 0, "background sweepers of --migration lazy+sweep (default 1)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run (setup included) to this file, for go tool pprof")
	dryRun := fs.Bool("upgrade-dry-run", false, "before upgrading, convert every object on a snapshot without installing anything, and report failures")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dustm bench [flags]")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Runs STMBench7 and prints the reference's report on stdout, progress on stderr.")
		fmt.Fprintln(stderr)
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
	if *length <= 0 || *length > (1<<63-1)/float64(time.Second) {
		return cfg, "", false, usageErrorf("-l/--length must be a positive number of seconds (got %v)", *length)
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
	cfg.Length = time.Duration(*length * float64(time.Second))
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
	cfg.TracePath = *trace
	cfg.Interval = *interval
	cfg.Upgrade = *upgradeName
	cfg.UpgradeAt = *upgradeAt
	cfg.Migration = strategy
	cfg.Sweepers = *sweepers
	cfg.UpgradeDryRun = *dryRun
	cfg.Args = append([]string{"dustm", "bench"}, args...)
	if err := cfg.Validate(); err != nil {
		return cfg, "", false, usageErrorf("%v", strings.TrimPrefix(err.Error(), bench.ErrInvalidConfig.Error()+": "))
	}
	return cfg, *cpuprofile, false, nil
}
