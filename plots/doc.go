// Package plots draws paper-style figures from experiments' results and writes each results
// folder's REPORT.md.
//
// Design: a builder per kind of figure turns one part of a loaded results folder into a
// Figure, which is plain data (panels of lines, error bars, vertical marks or grouped bars,
// with titles, labelled axes and units); only Figure.Plots turns that data into gonum/plot
// plots, and Save writes them as PNG and SVG. Tests check the data a figure shows against its
// input, not pixels. Builders decide from the results alone which figures a part supports
// (an upgrade timeline needs runs with an upgrade and time series, throughput against threads
// needs two thread counts, …), so any experiment, built-in or not, gets every figure that
// makes sense for it; the package knows nothing of how the results were produced.
//
// Figures: the upgrade timeline (throughput and max/p99 latency over time across an upgrade,
// per scenario, one line per migration strategy, the upgrade's instants marked), the state
// migration (objects converted and heap over time), throughput against threads, the overhead
// of upgrade support (stm against stm-plain), the upgrade pause against the size of the
// structure and against the share of objects whose type changes (log scales), latency
// percentile curves on a "nines" scale, and the micro-benchmarks.
package plots
