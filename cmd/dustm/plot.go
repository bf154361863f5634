package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"dustm/experiments"
	"dustm/plots"
)

// runPlot is `dustm plot DIR…`: the figures (PNG and SVG) of every results folder, its
// summary.csv and its REPORT.md, from the files in it. A damaged run is skipped with a
// warning naming the file and what is wrong; a summary that would count fewer successful
// runs than the one there is not written (--force writes it).
func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", stdout)
	first := fs.Bool("first", false, "draw time series from each configuration's first repetition instead of the median of each interval")
	force := fs.Bool("force", false, "rewrite summary.csv and REPORT.md even when they would count fewer successful runs than the ones there")
	fs.Usage = func() {
		fmt.Fprintln(stdout, "usage: dustm plot [flags] DIR…")
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, "Draws every figure a results folder's results support into DIR/figures (PNG and SVG),")
		fmt.Fprintln(stdout, "rewrites DIR/summary.csv and DIR/summary-long.csv and writes DIR/REPORT.md.")
		fmt.Fprintln(stdout)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf("which results folder? (e.g. results/quick/20260101-120000)")
	}
	for _, dir := range fs.Args() {
		if err := checkResultsFolder(dir); err != nil {
			return usageErrorf("%v", err)
		}
	}
	for _, dir := range fs.Args() {
		w, err := plots.Write(dir, plots.Options{First: *first, Force: *force})
		if w != nil {
			printWarnings(stderr, w.Folder)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		reportWritten(stdout, w)
	}
	return nil
}

// checkResultsFolder says why dir is not a results folder: it does not exist, it is a file,
// it has no manifest, its manifest is damaged.
func checkResultsFolder(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist", dir)
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%s is a file, not a results folder (results folders are made by `dustm experiment`)", dir)
	}
	_, err = experiments.ReadManifest(dir)
	return err
}

// printWarnings prints the damaged files found in a folder, on stderr.
func printWarnings(stderr io.Writer, f *experiments.Folder) {
	if f == nil {
		return
	}
	for _, w := range f.Warnings {
		fmt.Fprintln(stderr, "warning:", w)
	}
}
