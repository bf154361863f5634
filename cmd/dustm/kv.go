package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"runtime"
	"runtime/debug"
	"time"

	"dustm/internal/duration"
	"dustm/internal/outfile"
	"dustm/kv"
	"dustm/record"
	"dustm/stmbench7/bench"
	"dustm/upgrade"
)

// runKV is `dustm kv` without its one subcommand, serve (which dispatch runs): help or a
// usage error.
func runKV(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
		fmt.Fprintln(stdout, "usage: dustm kv serve [flags]   (dustm kv serve --help lists the flags)")
		return nil
	}
	return usageErrorf("usage: dustm kv serve [flags] (the one subcommand of kv is serve)")
}

type kvFlags struct {
	addr, json, series, gogc, cpuprofile, trace string
	procs                                       int
	cfg                                         kv.Config
	migration                                   string
}

func parseKVFlags(args []string, stdout io.Writer) (*kvFlags, bool, error) {
	f := &kvFlags{}
	fs := newFlagSet("kv serve", stdout)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:6380", "listen on HOST:PORT (port 0: any free port, printed on the ready line)")
	fs.StringVar(&f.cfg.Backend, "backend", "stm", "the keyspace's synchronization: "+kv.BackendNames())
	fs.IntVar(&f.cfg.Preload, "preload", 0, fmt.Sprintf("keys filled before listening (0 to %d): strings key:%%012d, and 2.5%% each of hashes, lists, sets and sorted sets", kv.MaxPreload))
	fs.Int64Var(&f.cfg.MaxBulk, "max-bulk", 512<<20, "the longest bulk argument accepted, in bytes (Redis's proto-max-bulk-len)")
	fs.StringVar(&f.cfg.Upgrade, "upgrade", "", "upgrade the server while it runs (stm backend): "+kv.ScenarioNames())
	fs.StringVar(&f.migration, "migration", "lazy", "the upgrade's migration: "+upgrade.StrategyNames())
	fs.Var(duration.NewValue(&f.cfg.UpgradeAt, 0, duration.Range{Min: 0, Max: 24 * time.Hour}), "upgrade-at", "when to upgrade, after the server is ready (required with --upgrade)")
	fs.IntVar(&f.cfg.Sweepers, "sweepers", 1, "background sweepers of lazy+sweep")
	fs.BoolVar(&f.cfg.UpgradeDryRun, "upgrade-dry-run", false, "convert every object on a snapshot first; give up (still version 1) if one fails")
	fs.StringVar(&f.json, "json", "", "write the run's result (JSON) here when the server stops")
	fs.StringVar(&f.series, "series", "", "write one JSON line per interval here")
	fs.Var(duration.NewValue(&f.cfg.Interval, time.Second, duration.Range{Min: 10 * time.Millisecond, Max: time.Hour}), "interval", "the series' interval")
	fs.BoolVar(&f.cfg.Probe, "probe", false, "run the responsiveness probe (on by default with --upgrade)")
	fs.IntVar(&f.procs, "gomaxprocs", 0, "GOMAXPROCS for the server (0: the runtime's)")
	fs.StringVar(&f.gogc, "gogc", "", "GOGC for the server: a percentage or off (default: the environment's)")
	fs.StringVar(&f.cpuprofile, "cpuprofile", "", "write a CPU profile of the server's run here")
	fs.StringVar(&f.trace, "trace", "", "write a Go execution trace of the server's run here, for go tool trace (a few MB a second under load)")
	help, err := parseFlags(fs, args, noArgs)
	if help || err != nil {
		return f, help, err
	}
	if f.cfg.Migration, err = upgrade.ParseStrategy(f.migration); err != nil {
		return f, false, usageErrorf("--migration %q: accepted %s", f.migration, upgrade.StrategyNames())
	}
	switch {
	case f.cfg.Upgrade != "" && !fs.Changed("upgrade-at"):
		return f, false, usageErrorf("--upgrade needs --upgrade-at (when to upgrade after the server is ready, e.g. 5 or 5s)")
	case f.cfg.Upgrade == "" && (fs.Changed("upgrade-at") || fs.Changed("migration")):
		return f, false, usageErrorf("--upgrade-at and --migration need --upgrade")
	case f.procs < 0 || f.procs > bench.MaxProcs:
		return f, false, usageErrorf("--gomaxprocs must be at least 1 and at most %d (got %d)", bench.MaxProcs, f.procs)
	}
	return f, false, checkOutputs(fs, []output{{"--json", f.json}, {"--series", f.series}, {"--cpuprofile", f.cpuprofile}, {"--trace", f.trace}})
}

// runKVServe runs the server until ctx ends. ready, when not nil, receives the address once
// the server listens (for tests).
func runKVServe(ctx context.Context, args []string, stdout, stderr io.Writer, ready chan<- string) error {
	start := time.Now()
	f, help, err := parseKVFlags(args, stdout)
	if help || err != nil {
		return err
	}
	if f.gogc != "" {
		n, err := bench.ParseGOGC(f.gogc)
		if err != nil {
			return usageErrorf("--gogc: %v", err)
		}
		defer debug.SetGCPercent(debug.SetGCPercent(n))
	}
	if f.procs > 0 {
		defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(f.procs))
	}
	var series *outfile.File
	if f.series != "" {
		if series, err = outfile.Create(f.series, stdout); err != nil {
			return fmt.Errorf("--series: %w", err)
		}
		defer series.Abort()
		f.cfg.Series = series
	}
	stopProfile, err := startCPUProfile(f.cpuprofile, stdout)
	if err != nil {
		return err
	}
	stopTrace, err := startTrace(f.trace, stdout)
	if err != nil {
		stopProfile()
		return err
	}
	srv, err := kv.New(f.cfg)
	if err != nil {
		return usageIf(err, kv.ErrConfig)
	}
	defer srv.Close()
	srv.MeasurePreload()
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return fmt.Errorf("--addr %s: %w", f.addr, err)
	}
	fmt.Fprintf(stderr, "dustm kv: ready on %s (backend=%s, keys=%d)\n", ln.Addr(), f.cfg.Backend, f.cfg.Preload)
	if ready != nil {
		ready <- ln.Addr().String()
	}
	serveErr := srv.Serve(ctx, ln)
	if err := stopProfile(); err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := stopTrace(); err != nil {
		return fmt.Errorf("--trace: %w", err)
	}
	if series != nil {
		if err := series.Commit(); err != nil {
			return fmt.Errorf("--series: %w", err)
		}
	}
	if f.json != "" {
		if err := record.Write(f.json, srv.Record(start), stdout); err != nil {
			return fmt.Errorf("--json: %w", err)
		}
	}
	return serveErr
}
