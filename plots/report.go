package plots

import (
	"bytes"
	"cmp"
	_ "embed"
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
	"text/template"
	"time"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/internal/outfile"
	"dustm/record"
)

// FiguresDir is the folder of a results folder that holds its figures.
const FiguresDir = "figures"

// ReportFile is the report of a results folder.
const ReportFile = "REPORT.md"

// Written is what Write wrote.
type Written struct {
	Folder  *experiments.Folder
	Figures []*Figure
	Files   []string // the figures' files
	Skipped []Skipped
	Report  string
	// Findings are the claims checked, as REPORT.md opens with them.
	Findings []Finding
}

// Write draws every figure a results folder's results support into its figures/ (PNG and
// SVG; figures of an earlier drawing that no longer apply are removed), and writes its
// REPORT.md, from the folder and its summary (analysis.WriteSummary).
func Write(f *experiments.Folder, s *analysis.Summary, o Options) (*Written, error) {
	figs, skipped, err := Figures(f, s, o)
	if err != nil {
		return nil, err
	}
	w := &Written{Folder: f, Figures: figs, Skipped: skipped}
	fdir := filepath.Join(f.Dir, FiguresDir)
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
	if err := Report(&buf, f, s, figs, skipped); err != nil {
		return nil, err
	}
	w.Report = filepath.Join(f.Dir, ReportFile)
	if err := outfile.WriteFile(w.Report, buf.Bytes(), nil); err != nil {
		return nil, err
	}
	return w, nil
}

//go:embed report.md.tmpl
var reportText string

// reportTemplate is REPORT.md's layout; the data it is given is computed below.
func reportTemplate() *template.Template {
	return template.Must(template.New("report").Funcs(template.FuncMap{
		"join": strings.Join, "ruleText": ruleText, "ratio": fmtRatio, "ci": Case.ciText, "value": Case.fmtValue,
		"hiccup": func(v float64) string { return fmtUnit(v, "µs") },
		"set":    func(b *bool) bool { return b != nil && *b }, "duration": sessionsDuration,
		"headline": func(f *Figure) bool {
			return f.Name == "upgrade-headline" || strings.HasSuffix(f.Name, "-upgrade-headline")
		},
	}).Parse(reportText))
}

// reportData is what REPORT.md shows, computed from the folder.
type reportData struct {
	Name, Description, KV     string
	Manifest                  *experiments.Manifest
	Findings                  []Finding
	MultiPart, MultiTable     bool
	Resamples, FitSizes       int
	FitDecades, FitR2         float64
	Figures                   []*Figure
	Reps, OK, Failed, Missing int
	Parts                     []partText
	NotDrawn, Bad             []string
	Metrics                   []record.Metric
	Tables                    []resultTable
}

type partText struct {
	Name, Description, Kind, Axes, Fixed string
	Configs                              int
}

type resultTable struct {
	Part string
	Head []string
	Rows [][]string
	CI   bool
}

// Report writes a results folder's REPORT.md: the findings, what was measured and how, on
// what, the figures, the tables (medians and spread), the failed runs, and how to reproduce
// it.
func Report(w io.Writer, f *experiments.Folder, s *analysis.Summary, figs []*Figure, skipped []Skipped) error {
	m := f.Manifest
	d := reportData{Name: m.Experiment, Description: m.Description, KV: kvHowMeasured(f), Findings: ComputeFindings(f, s),
		MultiPart: len(f.Parts()) > 1, MultiTable: len(m.Definition.Parts) > 1, Resamples: bootstrapResamples,
		FitSizes: fitMinSizes, FitDecades: fitMinDecades, FitR2: fitMinR2, Figures: figs, Reps: m.Definition.Reps(), Manifest: m}
	for _, r := range f.Runs {
		switch {
		case r.OK():
			d.OK++
		case !r.Interrupted(): // an interrupted run runs again on resume: it is missing
			d.Failed++
			d.Bad = append(d.Bad, fmt.Sprintf("`%s/%s` rep %d: %s (%s)", r.Info.Part, r.Info.Config, r.Info.Rep, failureLine(r), r.Info.Status))
		}
	}
	for _, r := range s.Rows {
		if _, micro := r.Params.Get("benchmark"); !micro {
			d.Missing += r.Missing
		}
	}
	for _, part := range m.Definition.Parts {
		d.Parts = append(d.Parts, partOf(f, part))
	}
	for _, sk := range skipped {
		drawn := slices.ContainsFunc(figs, func(f *Figure) bool { return f.Name == sk.Figure || strings.HasSuffix(f.Name, "-"+sk.Figure) })
		if slices.Contains(m.Definition.Figures, sk.Figure) && !drawn {
			d.NotDrawn = append(d.NotDrawn, fmt.Sprintf("`%s` (part `%s`): %s", sk.Figure, sk.Part, sk.Reason))
		}
	}
	d.Tables, d.Metrics = resultTables(f, s)
	return reportTemplate().Execute(w, d)
}

// failureLine is the first line of why a run failed.
func failureLine(r *experiments.RunData) string {
	why := cmp.Or(r.Problem, r.Info.Error)
	if why == "" && r.Failure != nil {
		why = r.Failure.Error
	}
	line, _, _ := strings.Cut(why, "\n")
	return strings.TrimSpace(line)
}

// partOf describes a part: its axes with their values, and the settings every run shares.
func partOf(f *experiments.Folder, part experiments.Part) partText {
	t := partText{Name: part.Name, Description: part.Description, Kind: map[experiments.Kind]string{experiments.KindBench: "STMBench7 runs",
		experiments.KindMicro: "Go micro-benchmarks", experiments.KindKV: "a key-value server driven by redis-benchmark"}[part.Kind]}
	var axes, fixed []string
	for _, c := range f.Configs {
		if c.Part != part.Name {
			continue
		}
		t.Configs++
		for _, prm := range c.Params {
			if kv := "`" + prm.Key + "=" + prm.Value + "`"; !slices.Contains(c.Axes, prm.Key) && !slices.Contains(fixed, kv) {
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
	t.Axes, t.Fixed = strings.Join(axes, " × "), strings.Join(fixed, ", ")
	return t
}

// resultTables are each part's table of medians, and the definitions of the metrics shown.
func resultTables(f *experiments.Folder, s *analysis.Summary) ([]resultTable, []record.Metric) {
	shown := map[string]bool{}
	var tables []resultTable
	for _, part := range f.Manifest.Definition.Parts {
		rows := partRows(s, part.Name)
		if len(rows) == 0 {
			continue
		}
		keys := partAxes(f, part.Name)
		if part.Kind == experiments.KindMicro {
			keys = append(keys, "benchmark", "procs")
		}
		metrics := tableMetrics(rows)
		t := resultTable{Part: part.Name, Head: append(slices.Clone(keys), "runs"),
			CI: slices.ContainsFunc(rows, func(r *analysis.Row) bool { return r.Runs >= 6 })}
		for _, mt := range metrics {
			shown[mt] = true
			h := mt
			if u := s.Metric(mt).Unit; u != "" && !timeUnit(u) { // cells of times carry their unit
				h += " (" + u + ")"
			}
			t.Head = append(t.Head, h)
		}
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
				cells = append(cells, cell(s, r, mt))
			}
			t.Rows = append(t.Rows, cells)
		}
		tables = append(tables, t)
	}
	var defs []record.Metric
	for _, n := range slices.DeleteFunc(slices.Clone(s.Metrics), func(m string) bool { return !shown[m] }) {
		defs = append(defs, s.Metric(n))
	}
	return tables, defs
}

// sessionsDuration is the sessions' running time in all.
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

func partRows(s *analysis.Summary, part string) []*analysis.Row {
	return slices.DeleteFunc(slices.Clone(s.Rows), func(r *analysis.Row) bool { return r.Part != part })
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
func tableMetrics(rows []*analysis.Row) []string {
	want := []string{"client.rps", "client.p99_ms", "client.max_ms", "throughput", "all.max_us", "all.p99_us", "max_gap_ms", "upgrade.pause_ms", "window.max_us",
		"upgrade.migration_s", "recovery_s", "ns_per_op", "bytes_per_op", "allocs_per_op"}
	upgrade := slices.ContainsFunc(rows, func(r *analysis.Row) bool { return !noUpgrade(r) })
	var out []string
	for _, m := range want {
		if !upgrade && (m == "recovery_s" || m == "window.max_us") {
			continue
		}
		if slices.ContainsFunc(rows, func(r *analysis.Row) bool { _, ok := r.Stats[m]; return ok }) {
			out = append(out, m)
		}
	}
	return out
}

// cell formats a row's statistic: median (min–max), and the 95% interval when there is one.
func cell(s *analysis.Summary, r *analysis.Row, metric string) string {
	st, ok := r.Stats[metric]
	if !ok || st.N == 0 {
		return "–"
	}
	f := func(v float64) string { return fmtUnit(v, s.Metric(metric).Unit) }
	out := f(st.Median)
	if st.N > 1 {
		out += " (" + f(st.Min) + "–" + f(st.Max) + ")"
	}
	if st.HasCI && (st.CILow != st.Min || st.CIHigh != st.Max) {
		out += "; CI " + f(st.CILow) + "–" + f(st.CIHigh)
	}
	return out
}

func timeUnit(u string) bool { return u == "ns" || u == "µs" || u == "ms" || u == "s" }

// fmtUnit formats a value of a unit compactly (latencies in µs switch to ms, in ms to s).
func fmtUnit(v float64, unit string) string {
	switch next := map[string]string{"µs": "ms", "ms": "s"}[unit]; {
	case math.IsNaN(v):
		return "–"
	case next != "" && math.Abs(v) >= 1000:
		return fmtNum(v/1e3) + " " + next
	case timeUnit(unit):
		return fmtNum(v) + " " + unit
	}
	return fmtNum(v)
}
