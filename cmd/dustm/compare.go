package main

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"dustm/analysis"
	"dustm/experiments"
)

// runCompare is `dustm compare A B`: two results folders (or configurations' folders, or
// result files) side by side, per metric, with a test of whether each difference is larger
// than the noise.
func runCompare(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("compare", stdout, "usage: dustm compare [flags] A B\n",
		"A and B are results folders, configurations' or runs' folders inside one, or result JSON files of",
		"`dustm bench --json`. Configurations are matched by their settings (leaving out those that are the",
		"same throughout each side but differ between them: what is compared). Per metric: both medians,",
		"B/A, and whether the difference exceeds the noise. --csv leaves values that do not exist empty.\n")
	asCSV := fs.Bool("csv", false, "write CSV instead of a table")
	test := fs.String("test", analysis.TestMannWhitney, "how to tell a difference from noise: mann-whitney (U test) or bootstrap (interval of the ratio of medians)")
	alpha := fs.Float64("alpha", 0.05, "significance level")
	metrics := fs.StringSlice("metrics", nil, "metrics to compare (default: the main ones both sides have; all: every one)")
	var where [2][]string // A's --a and B's --b
	fs.StringArrayVar(&where[0], "a", nil, "keep only A's runs with this setting, key=value (repeatable); e.g. A and B the same folder, --a backend=stm-plain --b backend=stm")
	fs.StringArrayVar(&where[1], "b", nil, "keep only B's runs with this setting, key=value (repeatable)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return usageErrorf("compare takes two results (got %d)", fs.NArg())
	}
	var sides [2]*experiments.Folder
	for i, side := range []string{"A", "B"} {
		f, err := experiments.LoadAny(fs.Arg(i))
		if err != nil {
			return usageErrorf("%s: %v", side, notExist(fs.Arg(i), err))
		}
		printWarnings(stderr, f)
		if err := keepRuns(f, side, where[i]); err != nil {
			return err
		}
		sides[i] = f
	}
	a, b := sides[0], sides[1]
	c, err := analysis.Compare(a, b, analysis.CompareOptions{Test: *test, Alpha: *alpha, Metrics: *metrics})
	if err != nil {
		return usageIf(err, experiments.ErrInvalid)
	}
	if *asCSV {
		return writeComparisonCSV(stdout, c)
	}
	return writeComparison(stdout, fs.Arg(0), fs.Arg(1), c)
}

// notExist says plainly that a path does not exist.
func notExist(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s does not exist", path)
	}
	return err
}

// fmtFloat writes v with digits significant digits, "-" when it does not exist.
func fmtFloat(v float64, digits int) string { return cmp.Or(csvFloat(v, digits), "-") }

// keepRuns keeps the runs of a folder whose settings match every key=value.
func keepRuns(f *experiments.Folder, side string, where []string) error {
	if len(where) == 0 {
		return nil
	}
	var keys []string
	for _, r := range f.Runs {
		for _, p := range r.Info.Params {
			if !slices.Contains(keys, p.Key) {
				keys = append(keys, p.Key)
			}
		}
	}
	for _, w := range where {
		k, _, ok := strings.Cut(w, "=")
		if !ok {
			return usageErrorf("--%s %q: expected key=value", strings.ToLower(side), w)
		}
		if !slices.Contains(keys, k) {
			return usageErrorf("--%s %q: %s is not a key of %s's runs (keys: %s)", strings.ToLower(side), w, k, side, strings.Join(keys, ", "))
		}
	}
	runs := slices.DeleteFunc(slices.Clone(f.Runs), func(r *experiments.RunData) bool {
		return slices.ContainsFunc(where, func(w string) bool {
			k, v, _ := strings.Cut(w, "=")
			got, _ := r.Info.Params.Get(k)
			return got != v
		})
	})
	if len(runs) == 0 {
		return usageErrorf("no run of %s has %s", side, strings.Join(where, " "))
	}
	f.Runs = runs
	return nil
}

// fmtCompact writes a value with 4 significant digits, and a k, M or G suffix from 10000 on.
func fmtCompact(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return fmtFloat(v/1e9, 4) + "G"
	case a >= 1e6:
		return fmtFloat(v/1e6, 4) + "M"
	case a >= 1e4:
		return fmtFloat(v/1e3, 4) + "k"
	}
	return fmtFloat(v, 4)
}

func writeComparison(w io.Writer, nameA, nameB string, c *analysis.Comparison) error {
	var da, db []string
	kv := func(k, v string) string {
		if v == "" {
			return k + " unset"
		}
		return k + "=" + v
	}
	for _, d := range c.Differing {
		da = append(da, kv(d.Key, d.A))
		db = append(db, kv(d.Key, d.B))
	}
	side := func(name string, diff []string) string {
		if len(diff) == 0 {
			return name
		}
		return name + "  (" + strings.Join(diff, ", ") + ")"
	}
	fmt.Fprintf(w, "A: %s\nB: %s\n", side(nameA, da), side(nameB, db))
	fmt.Fprintf(w, "test: %s\n\n", c.Method)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	stat := "p"
	if c.Test == analysis.TestBootstrap {
		stat = "B/A interval"
	}
	fmt.Fprintf(tw, "config\tmetric\tn A\tn B\tmedian A\tmedian B\tB/A\t%s\tverdict\t\n", stat)
	for _, r := range c.Rows {
		cfg := cmp.Or(r.Config, "(all)")
		st := fmtFloat(r.P, 2)
		if c.Test == analysis.TestBootstrap {
			st = fmtFloat(r.CILow, 3) + "–" + fmtFloat(r.CIHigh, 3)
		}
		verdict := r.Verdict
		if r.Judgement != "" { // the metric's definition says which way is better
			verdict += " (" + r.Judgement + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t\n", cfg, r.Metric, r.NA, r.NB,
			fmtCompact(r.MedianA), fmtCompact(r.MedianB), fmtFloat(r.Ratio, 3), st, verdict)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(c.OnlyA) > 0 {
		fmt.Fprintf(w, "\nonly in A: %s\n", strings.Join(c.OnlyA, " | "))
	}
	if len(c.OnlyB) > 0 {
		fmt.Fprintf(w, "only in B: %s\n", strings.Join(c.OnlyB, " | "))
	}
	for _, n := range c.Notes {
		fmt.Fprintf(w, "\nnote: %s\n", n)
	}
	fmt.Fprintln(w, "\nverdict: ~ = within the noise; B larger / B smaller = significant at α; too few runs = no difference could be significant")
	return nil
}

// csvFloat writes a value for CSV: empty when it does not exist (NaN, ±Inf), so that a
// numeric column stays numeric for pandas and R.
func csvFloat(v float64, digits int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', digits, 64)
}

func writeComparisonCSV(w io.Writer, c *analysis.Comparison) error {
	cw := csv.NewWriter(w)
	fmtFloat := csvFloat
	cw.Write([]string{"config", "metric", "n_a", "n_b", "median_a", "median_b", "ratio_b_a", "p_value", "ratio_ci_low", "ratio_ci_high", "significant", "verdict", "test", "alpha"})
	for _, r := range c.Rows {
		cw.Write([]string{r.Config, r.Metric, strconv.Itoa(r.NA), strconv.Itoa(r.NB), fmtFloat(r.MedianA, 10), fmtFloat(r.MedianB, 10),
			fmtFloat(r.Ratio, 10), fmtFloat(r.P, 6), fmtFloat(r.CILow, 6), fmtFloat(r.CIHigh, 6), strconv.FormatBool(r.Significant),
			r.Verdict, c.Test, strconv.FormatFloat(c.Alpha, 'g', -1, 64)})
	}
	cw.Flush()
	return cw.Error()
}
