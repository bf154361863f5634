package plots

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"dustm/experiments"
	"dustm/internal/outfile"
)

// FiguresDir is the folder of a results folder that holds its figures.
const FiguresDir = "figures"

// ReportFile is the report of a results folder.
const ReportFile = "REPORT.md"

// Written is what Write wrote.
type Written struct {
	Folder  *experiments.Folder
	Summary *experiments.Summary
	Figures []*Figure
	Files   []string // the figures' files
	Skipped []Skipped
	Report  string
	// Findings are the parts' findings, as REPORT.md opens with them.
	Findings []Findings
}

// Write summarizes a results folder (summary.csv), draws every figure its results support
// into figures/ (PNG and SVG; figures of an earlier drawing that no longer apply are
// removed), and writes REPORT.md.
func Write(dir string, o Options) (*Written, error) {
	f, s, err := experiments.WriteSummaryWith(dir, experiments.SummaryOptions{Force: o.Force})
	if err != nil {
		if f != nil && len(f.Warnings) > 0 {
			return &Written{Folder: f}, err
		}
		return nil, err
	}
	figs, skipped, err := Figures(f, s, o)
	if err != nil {
		return nil, err
	}
	w := &Written{Folder: f, Summary: s, Figures: figs, Skipped: skipped}
	fdir := filepath.Join(dir, FiguresDir)
	if err := os.MkdirAll(fdir, 0o755); err != nil {
		return nil, err
	}
	// Figures are independent: draw them on every core.
	files := make([][]string, len(figs))
	errs := make([]error, len(figs))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, fig := range figs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			files[i], errs[i] = fig.Save(fdir, "png", "svg")
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, fs := range files {
		w.Files = append(w.Files, fs...)
	}
	if old, err := os.ReadDir(fdir); err == nil {
		for _, e := range old {
			p := filepath.Join(fdir, e.Name())
			if ext := filepath.Ext(p); (ext == ".png" || ext == ".svg") && !slices.Contains(w.Files, p) {
				os.Remove(p)
			}
		}
	}
	w.Findings = ComputeFindings(f, s)
	var buf bytes.Buffer
	Report(&buf, f, s, figs, skipped)
	w.Report = filepath.Join(dir, ReportFile)
	if err := outfile.WriteFile(w.Report, buf.Bytes(), nil); err != nil {
		return nil, err
	}
	return w, nil
}

// Report writes a results folder's REPORT.md: what was measured and how, on what, the
// figures, the tables (medians and spread), the failed runs, and how to reproduce it.
func Report(w io.Writer, f *experiments.Folder, s *experiments.Summary, figs []*Figure, skipped []Skipped) {
	m := f.Manifest
	def := m.Definition
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# Experiment `%s`\n\n", m.Experiment)
	if m.Description != "" {
		p("%s\n\n", m.Description)
	}
	writeFindings(w, ComputeFindings(f, s), len(f.Parts()))
	// The evidence first: the headline figures right after the findings.
	isHeadline := func(fig *Figure) bool {
		return fig.Name == "upgrade-headline" || strings.HasSuffix(fig.Name, "-upgrade-headline")
	}
	for _, fig := range figs {
		if isHeadline(fig) {
			p("![%s](%s/%s.png)\n\n%s ([SVG](%s/%s.svg))\n\n", fig.Title, FiguresDir, fig.Name, fig.Caption, FiguresDir, fig.Name)
		}
	}
	ok, failed, missing := 0, 0, 0
	for _, r := range f.Runs {
		switch {
		case r.OK():
			ok++
		case !r.Interrupted(): // an interrupted run runs again on resume: it is missing
			failed++
		}
	}
	for _, r := range s.Rows {
		if _, micro := r.Params.Get("benchmark"); !micro {
			missing += r.Missing
		}
	}

	p("## How it was measured\n\n")
	p("Every configuration below ran %d times, each time in a fresh process (a fresh heap and garbage collector), "+
		"the repetitions interleaved (the first run of every configuration, then the second, …) so that slow drifts of the "+
		"machine spread evenly over the configurations. ", def.Reps())
	p("Bench runs are `dustm bench`, the Go port of STMBench7: a structure of assemblies, composite parts and atomic parts " +
		"built before timing, then worker threads running the benchmark's mix of operations for a fixed time, every " +
		"operation's latency recorded in HDR histograms; throughput counts successful operations per second. ")
	if t := kvHowMeasured(f); t != "" {
		p("%s", t)
	}
	p("Tables and figures show the **median** over the repetitions with the **spread** (minimum–maximum); from 6 " +
		"repetitions on they also give the distribution-free 95%% confidence interval of the median (order statistics). " +
		"Every run's files (result JSON, time series, output) are under `runs/`; `summary.csv` has every metric of every " +
		"configuration.\n\n")
	p("%d runs succeeded", ok)
	if failed > 0 {
		p(", %d failed (listed below)", failed)
	}
	if missing > 0 {
		p(", %d have not run (an interrupted sweep: `--resume` completes it)", missing)
	}
	p(".\n\n")

	p("| | |\n|---|---|\n")
	commit := "`" + m.Env.GitCommit + "`"
	if m.Env.GitDirty != nil && *m.Env.GitDirty {
		commit += " (with uncommitted changes)"
	}
	p("| program | dustm at git commit %s, %s, %s/%s |\n", commit, m.Env.GoVersion, m.Env.GOOS, m.Env.GOARCH)
	p("| machine | %s, %d cores (GOMAXPROCS %d), host %s |\n", m.Env.CPUModel, m.Env.NumCPU, m.Env.GOMAXPROCS, m.Env.Hostname)
	p("| created | %s |\n", m.Created)
	if d := sessionsDuration(m.Sessions); d > 0 {
		p("| running time | %s over %d session(s) |\n", d.Round(time.Second), len(m.Sessions))
	}
	p("| definition | %s |\n", sourceText(m))
	if len(m.Overrides) > 0 {
		p("| overrides | `--set %s` |\n", strings.Join(m.Overrides, "` `--set "))
	}
	if m.Shard != nil {
		p("| shard | %s of the matrix |\n", m.Shard)
	}
	if len(m.MergedFrom) > 0 {
		p("| merged from | %d folders |\n", len(m.MergedFrom))
	}
	p("\n")

	p("## What ran\n\n")
	for _, part := range def.Parts {
		p("**Part `%s`**", part.Name)
		if part.Description != "" {
			p(": %s", part.Description)
		}
		p(" (%s).", map[experiments.Kind]string{experiments.KindBench: "STMBench7 runs", experiments.KindMicro: "Go micro-benchmarks",
			experiments.KindKV: "a key-value server driven by redis-benchmark"}[part.Kind])
		var axes, fixed []string
		for _, c := range f.Configs {
			if c.Part != part.Name {
				continue
			}
			for _, prm := range c.Params {
				if slices.Contains(c.Axes, prm.Key) {
					continue
				}
				if kv := "`" + prm.Key + "=" + prm.Value + "`"; !slices.Contains(fixed, kv) {
					fixed = append(fixed, kv)
				}
			}
			for _, k := range c.Axes {
				var vals []string
				for _, o := range f.Configs {
					if v, ok := o.Params.Get(k); ok && o.Part == part.Name && !slices.Contains(vals, v) {
						vals = append(vals, v)
					}
				}
				if a := "`" + k + "` ∈ {" + strings.Join(vals, ", ") + "}"; !slices.Contains(axes, a) {
					axes = append(axes, a)
				}
			}
		}
		n := 0
		for _, c := range f.Configs {
			if c.Part == part.Name {
				n++
			}
		}
		p(" %d configurations", n)
		if len(axes) > 0 {
			p(": %s", strings.Join(axes, " × "))
		}
		p(" (settings that do not apply, such as the commit algorithm of a lock, or a migration strategy without an upgrade, are left out).")
		if len(fixed) > 0 {
			p(" Every run of the part: %s.", strings.Join(fixed, ", "))
		}
		p("\n\n")
	}

	if len(figs) > 0 {
		p("## Figures\n\n")
		for _, fig := range figs {
			if isHeadline(fig) {
				p("### %s\n\nAbove, after the findings.\n\n", fig.Title)
				continue
			}
			p("### %s\n\n![%s](%s/%s.png)\n\n%s ([SVG](%s/%s.svg))\n\n", fig.Title, fig.Title, FiguresDir, fig.Name, fig.Caption, FiguresDir, fig.Name)
		}
	}
	// Expected figures that no part could draw, with each part's reason.
	var notDrawn []string
	for _, sk := range skipped {
		drawn := slices.ContainsFunc(figs, func(f *Figure) bool { return f.Name == sk.Figure || strings.HasSuffix(f.Name, "-"+sk.Figure) })
		if slices.Contains(def.Figures, sk.Figure) && !drawn {
			notDrawn = append(notDrawn, fmt.Sprintf("- `%s` (part `%s`): %s", sk.Figure, sk.Part, sk.Reason))
		}
	}
	if len(notDrawn) > 0 {
		p("Figures the experiment is designed for that these results could not support:\n\n%s\n\n", strings.Join(notDrawn, "\n"))
	}

	p("## Results\n\n")
	shown := map[string]bool{}
	for _, part := range def.Parts {
		rows := partRows(s, part.Name)
		if len(rows) == 0 {
			continue
		}
		keys := partAxes(f, part.Name)
		if part.Kind == experiments.KindMicro {
			keys = append(keys, "benchmark", "procs")
		}
		metrics := tableMetrics(rows)
		if len(def.Parts) > 1 {
			p("### Part `%s`\n\n", part.Name)
		}
		head := append(slices.Clone(keys), "runs")
		for _, mt := range metrics {
			d := s.Metric(mt)
			shown[mt] = true
			h := mt
			if d.Unit != "" && !timeUnit(d.Unit) { // cells of times carry their unit
				h += " (" + d.Unit + ")"
			}
			head = append(head, h)
		}
		p("| %s |\n|%s\n", strings.Join(head, " | "), strings.Repeat("---|", len(head)))
		for _, r := range rows {
			var cells []string
			for _, k := range keys {
				cells = append(cells, r.Params.Value(k))
			}
			runs := fmt.Sprint(r.Runs)
			if r.Failed > 0 {
				runs += fmt.Sprintf(" (%d failed)", r.Failed)
			}
			if r.Missing > 0 {
				runs += fmt.Sprintf(" (%d to run)", r.Missing)
			}
			cells = append(cells, runs)
			for _, mt := range metrics {
				cells = append(cells, cell(r, mt))
			}
			p("| %s |\n", strings.Join(cells, " | "))
		}
		p("\nCells: median (minimum–maximum)")
		if slices.ContainsFunc(rows, func(r *experiments.Row) bool { return r.Runs >= 6 }) {
			p("; from 6 runs the range is also a 95%% confidence interval of the median (up to 7 runs it is exactly the range; " +
				"from 8 on a narrower one, benchstat's, is given as CI)")
		}
		p(".\n\n")
	}
	if len(shown) > 0 {
		p("### Metrics\n\n")
		names := slices.DeleteFunc(slices.Clone(s.Metrics), func(n string) bool { return !shown[n] })
		for _, n := range names {
			d := s.Metric(n)
			p("- `%s`: %s", n, d.Doc)
			if d.Unit != "" {
				p(" (%s)", d.Unit)
			}
			p("\n")
		}
		p("\n")
	}

	var bad []*experiments.RunData
	for _, r := range f.Runs {
		if !r.OK() && !r.Interrupted() {
			bad = append(bad, r)
		}
	}
	if len(bad) > 0 {
		p("## Failed runs\n\n")
		p("A failed run is kept with its output; it is left out of the statistics. `--resume DIR --retry-failed` runs them again.\n\n")
		for _, r := range bad {
			why := r.Info.Error
			if r.Problem != "" {
				why = r.Problem
			}
			if why == "" && r.Failure != nil {
				why = r.Failure.Error
			}
			p("- `%s/%s` rep %d: %s (%s)\n", r.Info.Part, r.Info.Config, r.Info.Rep, strings.TrimSpace(firstLine(why)), r.Info.Status)
		}
		p("\n")
	}

	p("## Reproduce\n\n")
	p("From the repository, at the commit above:\n\n")
	cmd := "go run ./cmd/dustm experiment "
	if m.Source == "built-in" {
		cmd += m.Experiment
		for _, o := range m.Overrides {
			cmd += " --set '" + o + "'"
		}
	} else {
		cmd += "-f " + filepath.Join("<this folder>", experiments.DefinitionFile)
	}
	p("    %s\n\nwrites a new results folder under `results/%s/` and draws its figures. ", cmd, m.Experiment)
	p("`go run ./cmd/dustm plot <this folder>` redraws these figures and this report from the files here; " +
		"`go run ./cmd/dustm compare <this folder> <another>` compares two such folders.\n")
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func sourceText(m *experiments.Manifest) string {
	if m.Source == "built-in" {
		return "the built-in experiment `" + m.Experiment + "` (`experiments/builtin.go`); as run: `experiment.json`"
	}
	return "`" + m.Source + "`; as run: `experiment.json`"
}

func sessionsDuration(ss []experiments.Session) time.Duration {
	var total time.Duration
	for _, s := range ss {
		a, err1 := time.Parse(time.RFC3339, s.Started)
		b, err2 := time.Parse(time.RFC3339, s.Finished)
		if err1 == nil && err2 == nil && b.After(a) {
			total += b.Sub(a)
		}
	}
	return total
}

func partRows(s *experiments.Summary, part string) []*experiments.Row {
	var rows []*experiments.Row
	for _, r := range s.Rows {
		if r.Part == part {
			rows = append(rows, r)
		}
	}
	return rows
}

// partAxes are the keys that vary in a part (from its configurations).
func partAxes(f *experiments.Folder, part string) []string {
	for _, c := range f.Configs {
		if c.Part == part {
			return slices.Clone(c.Axes)
		}
	}
	return nil
}

// tableMetrics picks the metrics a part's table shows: the ones that matter, where present.
func tableMetrics(rows []*experiments.Row) []string {
	want := []string{"client.rps", "client.p99_ms", "client.max_ms", "throughput", "all.max_us", "all.p99_us", "max_gap_ms", "upgrade.pause_ms", "window.max_us",
		"upgrade.migration_s", "recovery_s", "ns_per_op", "bytes_per_op", "allocs_per_op"}
	upgrade := slices.ContainsFunc(rows, func(r *experiments.Row) bool { return !noUpgrade(r) })
	var out []string
	for _, m := range want {
		if !upgrade && (m == "recovery_s" || m == "window.max_us") {
			continue
		}
		if slices.ContainsFunc(rows, func(r *experiments.Row) bool { _, ok := r.Stats[m]; return ok }) {
			out = append(out, m)
		}
	}
	return out
}

// cell formats a row's statistic: median (min–max), and the 95% interval when there is one.
func cell(r *experiments.Row, metric string) string {
	st, ok := r.Stats[metric]
	if !ok || st.N == 0 {
		return "–"
	}
	unit := r.Metric(metric).Unit
	f := func(v float64) string { return fmtUnit(v, unit) }
	s := f(st.Median)
	if st.N > 1 {
		s += " (" + f(st.Min) + "–" + f(st.Max) + ")"
	}
	if st.HasCI && (st.CILow != st.Min || st.CIHigh != st.Max) {
		s += "; CI " + f(st.CILow) + "–" + f(st.CIHigh)
	}
	return s
}

func timeUnit(u string) bool { return u == "ns" || u == "µs" || u == "ms" || u == "s" }

// fmtUnit formats a value of a unit compactly (latencies in µs switch to ms).
func fmtUnit(v float64, unit string) string {
	if math.IsNaN(v) {
		return "–"
	}
	switch unit {
	case "µs":
		if math.Abs(v) >= 1000 {
			return fmtNum(v/1e3) + " ms"
		}
		return fmtNum(v) + " µs"
	case "ms":
		if math.Abs(v) >= 1000 {
			return fmtNum(v/1e3) + " s"
		}
		return fmtNum(v) + " ms"
	case "s":
		return fmtNum(v) + " s"
	case "ns":
		return fmtNum(v) + " ns"
	}
	return fmtNum(v)
}
