// Package experiments orchestrates: an experiment's matrix becomes configurations, each
// repeated in fresh processes, and every run leaves its records in a results folder.
//
//   - An Experiment (builtin.go, or a JSON file of the same shape) has parts; a part is a
//     matrix of keys (params.go: one table knows every key, its values and its flags; kv.go
//     the key-value server's). Expand takes the cartesian product, less the combinations
//     that make no sense, and names each configuration by its axes' values, so that its
//     folder, runs/PART/SLUG/rep-N, is the same in every session: a sweep resumes, and its
//     shards merge (merge.go).
//   - The Runner runs each run as a process of its own (`dustm bench`, `go test -bench`,
//     `dustm kv serve` or redis-server driven by redis-benchmark), repetitions interleaved,
//     under the folder's lock (lock.go), which each run inherits. A failed run is recorded
//     (failed.json) and the sweep goes on; a cancelled one leaves the folder resumable, and a
//     run counts only when its run.json and result are its configuration's (check.go).
//   - The loaders (results.go, kvresult.go) give one record per run; summaries,
//     comparisons, figures and findings are passes over them, in packages analysis and plots.
package experiments
