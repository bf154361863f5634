// Package bench runs STMBench7: it builds the structure, runs worker threads over a
// synchronization backend, measures every operation and reports the results as the reference
// Java runner does (a text report on stdout, progress on stderr), plus machine-readable
// results (one JSON document per run and a JSON-lines time series).
//
// Design:
//
//   - Run passes a run through stages (run.go): open the outputs, build (backend, runtime
//     settings, calibration, structure), check, measure (measure.go: workers, probes, ticker,
//     upgrade), check again and replay, write the files, report. A Config is a run: its
//     Settings, what a user sets (one row each in SettingsTable: field, flag, record pair,
//     experiment key, default, accepted values, help), and its Hooks, what a caller injects
//     into the stages.
//   - Each worker owns a java.util.Random-compatible generator, its backend Worker and a
//     recorder: one HdrHistogram per operation (nanoseconds, three significant digits) that
//     only the worker touches until it stops, plus the current interval's counters and
//     per-category histograms, under a mutex of its own that only the collector ever contends
//     for. The hot path shares nothing with other workers.
//   - The collector ticks every interval: it swaps each worker's interval set for an empty
//     spare (O(1) under the worker's mutex), then adds the swapped-out set to the cumulative
//     counts and the interval view, outside any worker's lock. One spare serves all workers,
//     since it is recycled worker by worker. At the end the per-operation histograms of all
//     workers are merged for the report.
//   - Timing wraps Backend.Execute from the outside (a decorator), so backends never see
//     measurement code. The reference's millisecond TTC report is derived from the histograms.
//   - Result files are opened before the setup through package internal/outfile (written
//     atomically, "-" is Config.FilesStdout); the series is written line by line during the
//     run. Every count and duration of a Config has a bound (MaxThreads, MaxOps, MinLength…)
//     that Validate checks.
//     A cancelled context (Ctrl-C) stops the workers at their next operation boundary and the
//     run is reported as far as it went.
//   - With SeqReplay, workers log every operation with its serialization point; afterwards the
//     log is replayed in serial order on a fresh structure with the single-threaded backend,
//     and the final structures are compared (spec §8, which the reference ships disabled).
package bench
