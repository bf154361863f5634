// Package analysis holds the passes over a results folder's records (golang.org/x/perf's
// benchproc and benchstat are the model): Samples filters the successful runs and projects
// each onto its configuration's settings and values by metric name; Summarize groups them by
// configuration into the median, extremes and benchstat's confidence interval of every metric
// (WriteSummary writes summary.csv and summary-long.csv); Compare matches the configurations
// of two folders and tells a difference from noise; WriteGoBench writes the runs for
// benchstat. A metric's unit and direction come from its definition in the records, so a new
// metric needs no edit here. Package experiments produces the folders; package plots draws
// figures and findings from a Summary.
package analysis
