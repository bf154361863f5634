// Package experiments runs named experiments: matrices of `dustm bench` configurations (and
// of the STM's Go micro-benchmarks), each configuration repeated in fresh processes, with
// the results kept in a folder that summaries, figures and comparisons read.
//
// Design:
//
//   - An Experiment has parts; a part is a matrix: every key (an experiment setting, such
//     as backend, threads or migration; see Keys) has one or more values, and the part's
//     configurations are the cartesian product, less the combinations that make no sense
//     (an upgrade without the stm backend, the unsynchronized backend with several threads)
//     and with the settings that do not apply dropped (the commit algorithm of a lock
//     backend, the migration strategy without an upgrade). One table in params.go knows
//     every key: its default, its accepted values and the flags it becomes. Experiments are
//     defined in Go (builtin.go) or in a JSON file of the same shape (experiments/examples);
//     `--set key=value,…` overrides any key.
//   - A configuration is named by the values of its part's axes ("backend=stm,threads=2"),
//     so its folder, runs/PART/SLUG/rep-N, is the same in every session of the sweep: a
//     resumed sweep skips the runs whose results are complete, and shards of a sweep merge.
//   - The Runner executes each run as a fresh process of the same binary (`dustm bench`
//     with --json and --series into the run's folder; stdout and stderr kept), repetitions
//     interleaved (the first of every configuration, then the second, …) so that slow
//     drifts of the machine spread evenly. A failed run is recorded (failed.json: exit
//     status, error, the end of its error output) and the sweep goes on; flags the bench
//     binary does not know are caught before anything runs. A cancelled sweep interrupts the
//     current run, which then reruns on resume; nothing measured is deleted (an earlier
//     attempt's files move to previous/).
//   - A session holds an advisory lock on its folder (LockFile, naming its process), which
//     each run's process inherits: a second sweep, resume or compact there is refused
//     (ErrBusy). On Linux a run dies with its sweep (the parent-death signal) and has its own
//     process group, so that it is interrupted by its sweep alone. A run counts for its
//     configuration only when its run.json and its result say they are that configuration's
//     (check.go): a resume runs any other again, naming the difference, and the loaders skip
//     it with a warning; --resume refuses an experiment.json edited since the sweep started.
//   - Micro parts compile the benchmarks' test binary once (go test -c) and run it once per
//     repetition; the output stays in Go benchmark format, for benchstat.
//   - Kv parts (kv.go, kvrun.go) start a key-value server in a fresh process (`dustm kv serve`,
//     or redis-server as the peer) in a process group of its own, wait until it answers PING,
//     drive it with redis-benchmark, then SIGTERM it so that it writes its result; the
//     client's own report (client.csv, parsed into client.json with its command line and
//     version) is what the claims are checked on. A cancelled sweep stops the client and the
//     server in that order; the kernel kills both if the runner dies.
//   - Summaries are per configuration: median, minimum, maximum, and from 6 repetitions the
//     distribution-free 95% confidence interval of the median (benchstat's, from
//     golang.org/x/perf/benchmath), for every value of the runs' records (record.Record: a
//     metric and its unit, meaning and better direction come from the records, by name; a kv
//     run's server and client records are joined, a micro run's output read as one). Compare matches two
//     folders' configurations and tests each difference with the Mann-Whitney U test or a
//     bootstrap interval of the ratio of medians.
//
// The package knows nothing of drawing: package plots reads what it loads.
package experiments
