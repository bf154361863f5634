package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"dustm/experiments"
	"dustm/plots"
)

// runPlot is `dustm plot PATH…`: for results folders, the figures (PNG and SVG), summary.csv
// and REPORT.md from the files in each (a damaged run is skipped with a warning naming the file
// and what is wrong; a summary that would count fewer successful runs than the one there is not
// written, --force writes it); for runs named one by one (a `dustm bench --json` file beside
// its --series, or a run's folder), the figures of that run or, for several, of all of them
// overlaid.
func runPlot(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("plot", stdout, "usage: dustm plot [flags] PATH…\n",
		"A results folder: draws every figure its results support into PATH/figures (PNG and SVG),",
		"rewrites PATH/summary.csv and PATH/summary-long.csv and writes PATH/REPORT.md. Runs (a dustm",
		"bench --json file with its --series, or a run's folder): draws the figures of the run (its",
		"throughput and latency over time too), or of all the runs named overlaid.\n")
	first := fs.Bool("first", false, "draw time series from each configuration's first repetition instead of the median of each interval")
	force := fs.Bool("force", false, "rewrite summary.csv and REPORT.md even when they would count fewer successful runs than the ones there")
	only := fs.StringSlice("only", nil, "draw only these figures (comma-separated; "+fmt.Sprint(experiments.FigureNames())+", or those the experiment declares)")
	out := fs.StringP("out", "o", "", "write the figures into this folder (default: a results folder's figures/, or figures/ beside the first run)")
	if help, err := parseFlags(fs, args, noEmptyValues); help || err != nil {
		return err
	}
	if err := checkFiguresFolder(*out); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return usageErrorf("which results folder or run? (e.g. results/quick/20260101-120000, or r.json from dustm bench --json r.json --series r.jsonl)")
	}
	folders, runs, err := plotPaths(fs.Args())
	if err != nil {
		return err
	}
	o := plots.Options{First: *first}
	if len(runs) > 0 {
		return plotRuns(runs, *out, o, *only, stdout, stderr)
	}
	for _, dir := range folders {
		if err := plotFolder(dir, *out, len(folders) > 1, *force, o, *only, stdout, stderr); err != nil {
			return fmt.Errorf("%s: %w", dir, err)
		}
	}
	return nil
}

// plotPaths sorts the paths named into results folders and runs (not both).
func plotPaths(paths []string) (folders, runs []string, err error) {
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			return nil, nil, usageErrorf("%v", notExist(p, err))
		}
		if _, err := os.Stat(filepath.Join(p, experiments.ManifestFile)); err != nil {
			runs = append(runs, p)
			continue
		}
		if _, err := experiments.ReadManifest(p); err != nil {
			return nil, nil, usageErrorf("%v", err)
		}
		folders = append(folders, p)
	}
	if len(folders) > 0 && len(runs) > 0 {
		return nil, nil, usageErrorf("name either results folders or runs, not both (%s is a results folder, %s is not)", folders[0], runs[0])
	}
	return folders, runs, nil
}

// plotRuns draws the runs named one by one (a series file stands for its result) into out,
// by default figures/ beside the first.
func plotRuns(runs []string, out string, o plots.Options, only []string, stdout, stderr io.Writer) error {
	for i, p := range runs {
		res, series, err := plots.SeriesResult(p)
		if err != nil {
			return usageErrorf("%v", err)
		}
		if series {
			fmt.Fprintf(stderr, "%s is the run's time series: drawing its result, %s\n", p, res)
			runs[i] = res
		}
	}
	f, err := plots.LooseFolder(runs)
	if err != nil {
		return usageErrorf("%v; %s is neither a results folder (it has no %s) nor a dustm bench run (a --json file, or a run's folder)",
			err, runs[0], experiments.ManifestFile)
	}
	if out == "" {
		base := runs[0]
		if st, err := os.Stat(base); err == nil && !st.IsDir() {
			base = filepath.Dir(base)
		}
		out = filepath.Join(base, plots.FiguresDir)
	}
	return drawn(stdout, out, f, o, only)
}

// plotFolder redraws a results folder: everything (summaries, figures, REPORT.md; force:
// even over ones that count more runs), or with --only or --out just the figures named, into
// out (a subfolder per results folder, several).
func plotFolder(dir, out string, several, force bool, o plots.Options, only []string, stdout, stderr io.Writer) error {
	if len(only) == 0 && out == "" {
		_, err := draw(dir, false, force, o, stdout, stderr)
		return err
	}
	f, err := experiments.LoadFolder(dir)
	if err != nil {
		return err
	}
	switch {
	case out == "":
		out = filepath.Join(dir, plots.FiguresDir)
	case several:
		out = filepath.Join(out, filepath.Base(dir))
	}
	return drawn(stdout, out, f, o, only)
}

// checkFiguresFolder refuses an --out that cannot be a folder (a file, a path through a
// file, a name too long) before anything is drawn; one that does not exist yet is made.
func checkFiguresFolder(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENAMETOOLONG):
		return usageErrorf("--out: %s: a name in this path is too long (a file system takes at most 255 bytes a name)", dir)
	case errors.Is(err, syscall.ENOTDIR):
		return usageErrorf("--out: %s: a part of this path is a file, not a folder", dir)
	case err != nil:
		return usageErrorf("--out: %v", err)
	case !st.IsDir():
		return usageErrorf("--out: %s exists and is a file, not a folder: name the folder for the figures", dir)
	}
	return nil
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

// drawn draws a folder's figures into dir and says what it drew and what it could not.
func drawn(stdout io.Writer, dir string, f *experiments.Folder, o plots.Options, only []string) error {
	names := experiments.FigureNames()
	if f.Manifest != nil {
		for _, d := range f.Manifest.Definition.Declared {
			names = append(names, d.Name)
		}
	}
	for _, n := range only {
		if !slices.Contains(names, n) {
			return usageErrorf("--only: unknown figure %q (accepted: %v)", n, names)
		}
	}
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
