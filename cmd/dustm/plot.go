package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"dustm/experiments"
	"dustm/plots"
)

// runPlot is `dustm plot DIR…`: the figures (PNG and SVG) of every results folder, its
// summary.csv and its REPORT.md, from the files in it.
func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("plot", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	first := fs.Bool("first", false, "draw time series from each configuration's first repetition instead of the median of each interval")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dustm plot [flags] DIR…")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "Draws every figure a results folder's results support into DIR/figures (PNG and SVG),")
		fmt.Fprintln(stderr, "rewrites DIR/summary.csv and writes DIR/REPORT.md.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf("which results folder? (e.g. results/quick/20260101-120000)")
	}
	for _, dir := range fs.Args() {
		if _, err := os.Stat(filepath.Join(dir, experiments.ManifestFile)); err != nil {
			return usageErrorf("%s is not a results folder (no %s); results folders are made by `dustm experiment`", dir, experiments.ManifestFile)
		}
	}
	for _, dir := range fs.Args() {
		w, err := plots.Write(dir, plots.Options{First: *first})
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		reportWritten(stdout, w)
	}
	return nil
}
