// Package plots draws paper-style figures from experiments' results and writes each results
// folder's REPORT.md.
//
// Design: every figure is a projection of a part's summary rows (golang.org/x/perf's
// benchproc is the model): a view of rows is filtered by configuration values, grouped by
// keys into labelled groups, sorted, and projected onto lines (x a configuration value or a
// metric, y a metric's median with its minimum and maximum) or grouped bars, metrics taken by
// name with their units from their definitions in the records. Figures over time read the
// runs' series of ticks (record.Tick) by value name, as the median over the repetitions
// interval by interval, and merge the ticks' histograms for coarser windows. A Figure is
// plain data (panels of lines, error bars, marks or bars, with titles and labelled axes);
// only Figure.Save turns it into gonum/plot plots and writes PNG and SVG, so tests
// check data, not pixels. Builders decide from the results alone which figures a part
// supports, so any experiment gets every figure that makes sense for it; an experiment may
// also declare figures as data (experiments.DeclaredFigure), drawn by the same projection.
package plots
