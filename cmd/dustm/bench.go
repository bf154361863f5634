package main

import (
	"context"
	"fmt"
	"io"
	"runtime/pprof"
	"runtime/trace"
	"strconv"

	"github.com/spf13/pflag"

	"dustm/internal/outfile"
	"dustm/stmbench7/bench"
)

// startCPUProfile starts writing a CPU profile of the run to path ("" for none; written as
// the result files are, see package outfile) and returns the function that stops it.
func startCPUProfile(path string, stdout io.Writer) (func() error, error) {
	return startRecording("--cpuprofile", path, stdout, pprof.StartCPUProfile, pprof.StopCPUProfile)
}

// startTrace is startCPUProfile for a Go execution trace (go tool trace): what every
// goroutine and the collector did, when, to the microsecond.
func startTrace(path string, stdout io.Writer) (func() error, error) {
	return startRecording("--trace", path, stdout, trace.Start, trace.Stop)
}

// startRecording starts a runtime recording into the file of flag (path "" for none) and
// returns the function that stops it and keeps the file.
func startRecording(flag, path string, stdout io.Writer, start func(io.Writer) error, stop func()) (func() error, error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := outfile.Create(path, stdout)
	if err != nil {
		return nil, usageIf(fmt.Errorf("%s: %w", flag, err), outfile.ErrPath)
	}
	if err := start(f); err != nil {
		f.Abort()
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	return func() error {
		stop()
		return f.Commit()
	}, nil
}

// runBenchContext is `dustm bench`: one STMBench7 run, with the reference's options and ours.
// When ctx ends (the first SIGINT or SIGTERM) the run ends cleanly: the report and the result
// files cover what was measured.
func runBenchContext(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, prof, help, err := parseBenchFlags(args, stdout)
	if err != nil || help {
		return err
	}
	// A result file on stdout ("-") makes stdout that one document: the report goes to
	// stderr with the progress.
	report := stdout
	if outfile.IsStdout(cfg.JSONPath) || outfile.IsStdout(cfg.SeriesPath) || outfile.IsStdout(cfg.GoBenchPath) || outfile.IsStdout(prof) {
		report, cfg.FilesStdout = stderr, stdout
	}
	stopProfile, err := startCPUProfile(prof, stdout)
	if err != nil {
		return err
	}
	res, err := bench.Run(ctx, cfg, report, stderr)
	if perr := stopProfile(); err == nil && perr != nil {
		err = perr
	}
	switch {
	case err != nil:
		return usageIf(err, outfile.ErrPath, bench.ErrInvalidConfig)
	case res.Interrupted:
		return fmt.Errorf("interrupted after %.2f s; the report and result files cover that time", res.ElapsedS)
	}
	return nil
}

// parseBenchFlags turns the command line into a run's configuration; help reports --help
// (printed on stdout). The settings' flags come from the table of package settings; the
// ones defined here are about the process (--cpuprofile), not the run.
func parseBenchFlags(args []string, stdout io.Writer) (cfg bench.Config, cpuProfile string, help bool, err error) {
	cfg = bench.DefaultConfig()
	fs := newFlagSet("bench", stdout, "usage: dustm bench [flags]\n",
		"Runs STMBench7 and prints the reference's report on stdout, progress on stderr.",
		"The reference's -s (its STM class) is -g stm or -g stm-plain here, with --stm-commit.\n")
	bench.AddFlags(fs, &cfg.Settings)
	fs.StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the run (setup included) to this file, for go tool pprof")
	if help, err := parseFlags(fs, args, noArgs); help || err != nil {
		return cfg, "", help, err
	}
	if err := checkBenchFlags(fs, &cfg, cpuProfile); err != nil {
		return cfg, "", false, err
	}
	// A run with an upgrade is about what clients wait for: it probes unless told not to.
	if cfg.Upgrade != "" && !fs.Changed("probe") {
		cfg.Probe = true
	}
	cfg.Args = append([]string{"dustm", "bench"}, args...)
	return cfg, cpuProfile, false, usageIf(cfg.Validate(), bench.ErrInvalidConfig)
}

// checkBenchFlags refuses what the settings' own checks cannot see: flags given explicitly
// with their "default" zero value, conflicting flags, and output paths.
func checkBenchFlags(fs *pflag.FlagSet, cfg *bench.Config, cpuProfile string) error {
	// The settings' zero values mean "the default" (Ops: run for the length; Sweepers: one;
	// GOMAXPROCS: the process's): a flag given explicitly must say something else.
	switch {
	case fs.Changed("ops") && fs.Changed("length"):
		return usageErrorf("--ops and -l/--length both given: a run is either a number of operations per thread or a length of time")
	case fs.Changed("ops") && cfg.Ops < 1:
		return usageErrorf("--ops must be at least 1 (got %d)", cfg.Ops)
	case fs.Changed("sweepers") && cfg.Sweepers < 1:
		return usageErrorf("--sweepers must be at least 1 and at most %d (got %d)", bench.MaxSweepers, cfg.Sweepers)
	case fs.Changed("gomaxprocs") && (cfg.GOMAXPROCS < 1 || cfg.GOMAXPROCS > bench.MaxProcs):
		return usageErrorf("--gomaxprocs must be at least 1 and at most %d (got %d)", bench.MaxProcs, cfg.GOMAXPROCS)
	case cfg.TracePath != "" && outfile.IsStdout(cfg.TracePath):
		return usageErrorf("--trace %s: a trace is a file (one per thread with several threads), not standard output", cfg.TracePath)
	}
	outputs := []output{{"--json", cfg.JSONPath}, {"--series", cfg.SeriesPath}, {"--gobench", cfg.GoBenchPath}, {"--cpuprofile", cpuProfile}}
	if err := checkOutputs(fs, append(outputs, output{"--trace", cfg.TracePath})); err != nil {
		return err
	}
	return checkTraceFiles(cfg.TracePath, cfg.Threads, outputs)
}

// output is a result file a command writes: the flag that names it and its path ("" when
// not given).
type output struct{ flag, path string }

// checkOutputs refuses, before anything runs, an output flag given empty, a path that
// package outfile would refuse, and two flags that name one file.
func checkOutputs(fs *pflag.FlagSet, outs []output) error {
	var flags, paths []string
	for _, o := range outs {
		if fs.Changed(o.flag[2:]) && o.path == "" {
			return usageErrorf("%s: empty file name", o.flag)
		}
		if o.path != "" {
			if err := outfile.Check(o.path); err != nil {
				return usageIf(fmt.Errorf("%s: %w", o.flag, err), outfile.ErrPath)
			}
		}
		flags, paths = append(flags, o.flag), append(paths, o.path)
	}
	return usageIf(outfile.Distinct(flags, paths), outfile.ErrPath)
}

// checkTraceFiles refuses a trace of several threads (one file per thread, FILE.i) whose
// target is not a regular file, or one of whose files is another output.
func checkTraceFiles(trace string, threads int, others []output) error {
	if trace == "" || threads <= 1 {
		return nil
	}
	if err := bench.CheckTrace(trace, threads); err != nil {
		return usageIf(err, bench.ErrInvalidConfig)
	}
	for i := range threads {
		name := bench.TraceFile(trace, threads, i)
		for _, o := range others {
			if o.path != "" && outfile.Distinct([]string{o.flag, "--trace (thread " + strconv.Itoa(i) + ")"}, []string{o.path, name}) != nil {
				return usageErrorf("%s and --trace both write to %s (the trace of thread %d with %d threads): give each its own file", o.flag, o.path, i, threads)
			}
		}
	}
	return nil
}
