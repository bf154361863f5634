package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/spf13/pflag"

	"dustm/experiments"
	"dustm/plots"
)

// runPlot is `dustm plot PATH…`: for results folders, the figures (PNG and SVG), summary.csv
// and REPORT.md from the files in each; for runs named one by one (a `dustm bench --json`
// file beside its --series, or a run's folder), the figures of that run or, for several, of
// all of them overlaid.
func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("plot", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	first := fs.Bool("first", false, "draw time series from each configuration's first repetition instead of the median of each interval")
	only := fs.StringSlice("only", nil, "draw only these figures (comma-separated; "+fmt.Sprint(experiments.FigureNames())+")")
	out := fs.StringP("out", "o", "", "write the figures into this folder (default: a results folder's figures/, or figures/ beside the first run)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: dustm plot [flags] PATH…")
		fmt.Fprintln(stderr)
		fmt.Fprintln(stderr, "A results folder: draws every figure its results support into PATH/figures (PNG and SVG),")
		fmt.Fprintln(stderr, "rewrites PATH/summary.csv and writes PATH/REPORT.md. Runs (a dustm bench --json file with its")
		fmt.Fprintln(stderr, "--series, or a run's folder): draws the figures of the run, or of all the runs named overlaid.")
		fmt.Fprintln(stderr)
		fs.PrintDefaults()
	}
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf("which results folder or run? (e.g. results/quick/20260101-120000, or r.json from dustm bench --json r.json --series r.jsonl)")
	}
	for _, n := range *only {
		if !slices.Contains(experiments.FigureNames(), n) {
			return usageErrorf("--only: unknown figure %q (accepted: %v)", n, experiments.FigureNames())
		}
	}
	var folders, runs []string
	for _, p := range fs.Args() {
		if _, err := os.Stat(p); err != nil {
			return usageErrorf("%s: no such file or folder", p)
		}
		if _, err := os.Stat(filepath.Join(p, experiments.ManifestFile)); err == nil {
			folders = append(folders, p)
		} else {
			runs = append(runs, p)
		}
	}
	if len(folders) > 0 && len(runs) > 0 {
		return usageErrorf("name either results folders or runs, not both (%s is a results folder, %s is not)", folders[0], runs[0])
	}
	o := plots.Options{First: *first}
	if len(runs) > 0 {
		f, err := plots.LooseFolder(runs)
		if err != nil {
			return usageErrorf("%v", err)
		}
		dir := *out
		if dir == "" {
			base := runs[0]
			if st, err := os.Stat(base); err == nil && !st.IsDir() {
				base = filepath.Dir(base)
			}
			dir = filepath.Join(base, plots.FiguresDir)
		}
		return drawn(stdout, dir, f, o, *only)
	}
	for _, dir := range folders {
		if len(*only) > 0 || *out != "" {
			f, err := experiments.LoadFolder(dir)
			if err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			to := *out
			if to == "" {
				to = filepath.Join(dir, plots.FiguresDir)
			} else if len(folders) > 1 {
				to = filepath.Join(to, filepath.Base(dir))
			}
			if err := drawn(stdout, to, f, o, *only); err != nil {
				return fmt.Errorf("%s: %w", dir, err)
			}
			continue
		}
		w, err := plots.Write(dir, o)
		if err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
		reportWritten(stdout, w)
	}
	return nil
}

// drawn draws a folder's figures into dir and says what it drew and what it could not.
func drawn(stdout io.Writer, dir string, f *experiments.Folder, o plots.Options, only []string) error {
	files, skipped, err := plots.DrawFigures(f, o, only, dir)
	if err != nil {
		return err
	}
	for _, p := range files {
		fmt.Fprintf(stdout, "figure: %s\n", p)
	}
	for _, sk := range skipped {
		fmt.Fprintf(stdout, "not drawn: %s: %s\n", sk.Figure, sk.Reason)
	}
	if len(files) == 0 {
		return fmt.Errorf("no figure could be drawn from %d run(s)", len(f.Runs))
	}
	return nil
}
