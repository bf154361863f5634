package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/pprof"
	"strconv"
	"strings"

	"dustm/internal/outfile"
	"dustm/stmbench7/bench"
)

// runBench is `dustm bench`: one STMBench7 run, with the reference's options and ours. The
// first SIGINT or SIGTERM ends the run cleanly (the report and the result files cover what was
// measured); a second one, a second or more later, kills the process (interruptContext). A
// closed stdout does not stop the result files from being written.
func runBench(args []string, stdout, stderr io.Writer) error {
	keepWritingFiles()
	ctx, stop := interruptContext()
	defer stop()
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
	if outfile.IsStdout(cfg.JSONPath) || outfile.IsStdout(cfg.SeriesPath) || outfile.IsStdout(cfg.GoBenchPath) || outfile.IsStdout(prof) {
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
// (printed on stdout). The settings' flags come from the table of package settings; the
// ones defined here are about the process (--cpuprofile), not the run.
func parseBenchFlags(args []string, stdout io.Writer) (cfg bench.Config, cpuProfile string, help bool, err error) {
	cfg = bench.DefaultConfig()
	fs := newFlagSet("bench", stdout)
	bench.AddFlags(fs, &cfg.Settings)
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the run (setup included) to this file, for go tool pprof")
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
	// The settings' zero values mean "the default" (Ops: run for the length; Sweepers: one;
	// GOMAXPROCS: the process's): a flag given explicitly must say something else.
	if fs.Changed("ops") && cfg.Ops < 1 {
		return cfg, "", false, usageErrorf("--ops must be at least 1 (got %d)", cfg.Ops)
	}
	if fs.Changed("sweepers") && cfg.Sweepers < 1 {
		return cfg, "", false, usageErrorf("--sweepers must be at least 1 and at most %d (got %d)", bench.MaxSweepers, cfg.Sweepers)
	}
	if fs.Changed("gomaxprocs") && (cfg.GOMAXPROCS < 1 || cfg.GOMAXPROCS > bench.MaxProcs) {
		return cfg, "", false, usageErrorf("--gomaxprocs must be at least 1 and at most %d (got %d)", bench.MaxProcs, cfg.GOMAXPROCS)
	}
	trace := cfg.TracePath
	if trace != "" && outfile.IsStdout(trace) {
		return cfg, "", false, usageErrorf("--trace %s: a trace is a file (one per thread with several threads), not standard output", trace)
	}
	outputs := []struct{ flag, path string }{{"--json", cfg.JSONPath}, {"--series", cfg.SeriesPath}, {"--gobench", cfg.GoBenchPath},
		{"--cpuprofile", *cpuprofile}, {"--trace", trace}}
	for _, o := range outputs {
		if fs.Changed(strings.TrimPrefix(o.flag, "--")) && o.path == "" {
			return cfg, "", false, usageErrorf("%s: empty file name", o.flag)
		}
		if o.path != "" {
			if err := outfile.Check(o.path); err != nil {
				return cfg, "", false, usageErrorf("%s: %v", o.flag, strings.TrimPrefix(err.Error(), outfile.ErrPath.Error()+": "))
			}
		}
	}
	var flags, paths []string
	for _, o := range outputs {
		flags, paths = append(flags, o.flag), append(paths, o.path)
	}
	if err := outfile.Distinct(flags, paths); err != nil {
		return cfg, "", false, usageErrorf("%v", strings.TrimPrefix(err.Error(), outfile.ErrPath.Error()+": "))
	}
	if err := checkTraceFiles(trace, cfg.Threads, outputs[:len(outputs)-1]); err != nil {
		return cfg, "", false, err
	}
	// A run with an upgrade is about what clients wait for: it probes unless told not to.
	if cfg.Upgrade != "" && !fs.Changed("probe") {
		cfg.Probe = true
	}
	cfg.Args = append([]string{"dustm", "bench"}, args...)
	if err := cfg.Validate(); err != nil {
		return cfg, "", false, usageErrorf("%v", strings.TrimPrefix(err.Error(), bench.ErrInvalidConfig.Error()+": "))
	}
	return cfg, *cpuprofile, false, nil
}

// checkTraceFiles refuses a trace of several threads (one file per thread, FILE.i) whose
// target is not a regular file, or one of whose files is another output.
func checkTraceFiles(trace string, threads int, others []struct{ flag, path string }) error {
	if trace == "" || threads <= 1 {
		return nil
	}
	if err := bench.CheckTrace(trace, threads); err != nil {
		return usageErrorf("%v", strings.TrimPrefix(err.Error(), bench.ErrInvalidConfig.Error()+": "))
	}
	for i := range threads {
		name := bench.TraceFile(trace, threads, i)
		for _, o := range others {
			if o.path == "" {
				continue
			}
			if err := outfile.Distinct([]string{o.flag, "--trace (thread " + strconv.Itoa(i) + ")"}, []string{o.path, name}); err != nil {
				return usageErrorf("%s and --trace both write to %s (the trace of thread %d with %d threads): give each its own file", o.flag, o.path, i, threads)
			}
		}
	}
	return nil
}
