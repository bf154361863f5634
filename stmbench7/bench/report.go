package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"

	"dustm/stmbench7"
)

// The text report reproduces the reference's stdout (Benchmark.java, version 1.2) line by line,
// so that `diff` against a Java run shows only the numbers, and the few places where a Go
// name stands for a Java class. dustm's own additions come after the reference's last line.

// refSyncName is the reference's SynchronizationType name of a method.
func refSyncName(backend string) string {
	if n, ok := map[string]string{"coarse": "LOCK_COARSE", "medium": "LOCK_MEDIUM", "stm-plain": "STM"}[backend]; ok {
		return n
	}
	return strings.ToUpper(backend)
}

func isSTM(backend string) bool { return strings.HasPrefix(backend, "stm") }

func printLine(w io.Writer, ch byte) {
	fmt.Fprintln(w, strings.Repeat(string(ch), 79))
}

func printSection(w io.Writer, title string) {
	printLine(w, '-')
	fmt.Fprintln(w, title)
	printLine(w, '-')
}

// formatDouble formats like Java's String.format("%3.2f", x): two decimals, rounded half up
// on the shortest decimal representation of x (Java rounds the digits of Double.toString,
// not the exact binary value), "NaN" and "Infinity" for the special values.
func formatDouble(x float64) string {
	switch {
	case math.IsNaN(x):
		return "NaN"
	case math.IsInf(x, 1):
		return "Infinity"
	case math.IsInf(x, -1):
		return "-Infinity"
	}
	// The shortest decimal, exactly; FloatString rounds its halves away from zero (HALF_UP).
	r, _ := new(big.Rat).SetString(strconv.FormatFloat(math.Abs(x), 'f', -1, 64))
	if math.Signbit(x) {
		return "-" + r.FloatString(2)
	}
	return r.FloatString(2)
}

// writeHeader prints what the reference prints before the run: the banner, the parameters
// and the operation ratios.
func writeHeader(w io.Writer, cfg *Config, mix *stmbench7.Mix) {
	printLine(w, '=')
	fmt.Fprint(w, `The STMBench7 Benchmark (Go port, dustm)
A benchmark for comparing synchronization techniques
Version: 1.0(15.02.2011)
More information: http://lpd.epfl.ch/site/research/tmeval
Copyright (C) 2006-2008 LPD, I&C, EPFL (http://lpd.epfl.ch)
Implemented by Michal Kapalka (http://kapalka.eu)
Updated by Vincent Gramoli for compliance with the VELOX stack
`)
	printLine(w, '=')
	fmt.Fprintln(w)

	printSection(w, "Benchmark parameters")
	fmt.Fprintf(w, "Number of threads: %d\n", cfg.Threads)
	if cfg.Ops > 0 {
		fmt.Fprintf(w, "Length: %d ops per thread\n", cfg.Ops) // the INESC variant's wording
	} else {
		fmt.Fprintf(w, "Length: %s s\n", strconv.FormatFloat(cfg.Length.Seconds(), 'f', -1, 64))
	}
	fmt.Fprintf(w, "Workload: %s\n", cfg.Workload.RefName())
	fmt.Fprintf(w, "Synchronization method: %s\n", refSyncName(cfg.Backend))
	fmt.Fprintf(w, "Long traversals %s\n", enabled(!cfg.NoTraversals))
	fmt.Fprintf(w, "Structural modification operations %s\n", enabled(!cfg.NoSMs))
	// The reference names the four factory classes of the method; the Go port has one
	// backend value instead.
	impl := "dustm/stmbench7." + cfg.Backend
	for _, f := range []string{"DesignObjFactory", "BackendFactory", "OperationExecutorFactory", "ThreadFactory"} {
		fmt.Fprintf(w, "%s: %s\n", f, impl)
	}
	fmt.Fprintf(w, "Sequential replay %s\n", enabled(cfg.SeqReplay))
	if isSTM(cfg.Backend) {
		fmt.Fprintf(w, "STM-specific parameters: --stm-commit %s\n\n", cfg.STMCommit)
	} else {
		fmt.Fprint(w, "STM-specific parameters: none\n\n")
	}

	fmt.Fprintln(w, "Operation ratios [%]:")
	for t := range stmbench7.OpType(stmbench7.NumOpTypes) {
		fmt.Fprintf(w, "%23s: %s\n", t, formatDouble(mix.TypeShare(t)*100))
	}
	fmt.Fprintln(w)
}

func enabled(on bool) string { return map[bool]string{true: "enabled", false: "disabled"}[on] }

// writeTTCHistograms prints the reference's TTC histograms (--ttc-histograms).
func writeTTCHistograms(w io.Writer, c *collector) {
	printSection(w, "TTC histograms")
	var b strings.Builder
	for op := range stmbench7.OpID(stmbench7.NumOps) {
		b.Reset()
		fmt.Fprintf(&b, "TTC histogram for %v:", op)
		counts := ttcHistogram(c.cum[op].hist)
		for i, n := range counts {
			fmt.Fprintf(&b, " %d,%d", stmbench7.TTCLabel(i), n)
		}
		fmt.Fprintln(w, b.String())
	}
	fmt.Fprintln(w)
}

// writeResults prints the reference's results: detailed, sample errors, summary, totals.
func writeResults(w io.Writer, mix *stmbench7.Mix, c *collector, elapsedS float64) {
	printSection(w, "Detailed results")
	for op := range stmbench7.OpID(stmbench7.NumOps) {
		a := &c.cum[op]
		fmt.Fprintf(w, "Operation %4s:   successful = %d\tmaxttc = %d\tfailed = %d\n",
			op, a.ok, stmbench7.RefMaxTTC(a.maxNs), a.failed)
	}
	fmt.Fprintln(w)

	printSection(w, "Sample errors (operation ratios [%])")
	cats := c.categories()
	var totalOK, totalFailed int64
	for t := range cats {
		totalOK += cats[t].ok
		totalFailed += cats[t].failed
	}
	totalError, totalTError := 0.0, 0.0
	for t := range stmbench7.OpType(stmbench7.NumOpTypes) {
		a := &cats[t]
		expected := mix.TypeShare(t) * 100
		real := float64(a.ok) / float64(totalOK) * 100
		e := math.Abs(real - expected)
		tReal := float64(a.ok+a.failed) / float64(totalOK+totalFailed) * 100
		tErr := math.Abs(tReal - expected)
		fmt.Fprintf(w, "%23s:  expected = %s\tsuccessful = %s\terror = %s\t(total = %s\terror = %s)\n",
			t, formatDouble(expected), formatDouble(real), formatDouble(e),
			formatDouble(tReal), formatDouble(tErr))
		totalError += e
		totalTError += tErr
	}
	fmt.Fprintln(w)

	printSection(w, "Summary results")
	for t := range stmbench7.OpType(stmbench7.NumOpTypes) {
		a := &cats[t]
		fmt.Fprintf(w, "%23s:  successful = %d\tmaxttc = %d\tfailed = %d\ttotal = %d\n",
			t, a.ok, stmbench7.RefMaxTTC(a.maxNs), a.failed, a.ok+a.failed)
	}
	fmt.Fprintln(w)

	fmt.Fprintf(w, "Total sample error: %s%% (%s%% including failed)\n", formatDouble(totalError), formatDouble(totalTError))
	fmt.Fprintf(w, "Total throughput: %s op/s (%s op/s including failed)\n",
		formatDouble(float64(totalOK)/elapsedS), formatDouble(float64(totalOK+totalFailed)/elapsedS))
	fmt.Fprintf(w, "Elapsed time: %s s\n", formatDouble(elapsedS))
}

// writeExtras prints dustm's additions after the reference's report: setup, latency
// percentiles per category, the backend's counters, the checks.
func writeExtras(w io.Writer, res *Result) {
	fmt.Fprintln(w)
	printSection(w, "dustm")
	fmt.Fprintf(w, "Structure: %s, built in %.3f s, heap after build %.1f MiB\n",
		res.Config.Size, res.BuildS, float64(res.HeapBytesAfterBuild)/(1<<20))
	if res.Config.ThreadSeeds {
		fmt.Fprintf(w, "Seeds: per thread %v (from --seed %d)\n", res.Config.Seeds, res.Config.Seed)
	} else {
		fmt.Fprintf(w, "Seeds: %d for every thread\n", res.Config.Seed)
	}
	if res.Interrupted {
		fmt.Fprintln(w, "Run interrupted: the results cover the time it ran.")
	}
	fmt.Fprintln(w, "Latency of successful operations [us]:")
	for t := range stmbench7.OpType(stmbench7.NumOpTypes) {
		r, ok := res.Categories[t.String()]
		if !ok || r.Successful == 0 {
			continue
		}
		fmt.Fprintf(w, "%23s:  p50 = %.1f\tp99 = %.1f\tp99.9 = %.1f\tmax = %.1f\n",
			t, r.P50Us, r.P99Us, r.P999Us, r.MaxUs)
	}
	if res.MaxGapMs != nil {
		fmt.Fprintf(w, "Longest time with no operation completing: %.1f ms\n", *res.MaxGapMs)
	}
	if win := res.Window; win != nil {
		fmt.Fprintf(w, "Window %.2f–%.2f s: %d operations, max latency %.1f us, p99 %.1f us\n",
			win.StartS, win.EndS, win.Ops, win.MaxUs, win.P99Us)
	}
	if u := res.Upgrade; u != nil {
		u.Report(w)
	}
	if res.STM != nil {
		if b, err := json.Marshal(res.STM); err == nil {
			fmt.Fprintf(w, "Backend counters: %s\n", b)
		}
	}
	if res.Check != nil {
		fmt.Fprintf(w, "Invariant check: initial %s", res.Check.Initial)
		if res.Check.Final != "" {
			fmt.Fprintf(w, ", final %s", res.Check.Final)
		}
		fmt.Fprintln(w)
	}
	if rp := res.Replay; rp != nil {
		if rp.Passed {
			fmt.Fprintf(w, "Sequential replay: passed (%d operations replayed in %.2f s; final structures identical)\n",
				rp.Operations, rp.DurationS)
		} else {
			fmt.Fprintf(w, "Sequential replay: FAILED after %d of the logged operations\n", rp.Operations)
			if rp.Error != "" {
				fmt.Fprintf(w, "  error: %s\n", rp.Error)
			}
			if rp.Mismatch != "" {
				fmt.Fprintf(w, "  %s\n", rp.Mismatch)
			}
			if len(rp.Differences) > 0 {
				fmt.Fprintln(w, "  the final structures differ (a: the run's, b: the replay's):")
			}
			for _, d := range rp.Differences {
				fmt.Fprintf(w, "  %s\n", d)
			}
		}
	}
	if res.Error != "" {
		fmt.Fprintf(w, "Run stopped by an error: %s\n", res.Error)
	}
}
