package analysis

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"dustm/experiments"
	"dustm/internal/outfile"
	"dustm/record"
)

// Row is one configuration's summary (one benchmark's, for micro parts).
type Row struct {
	Part   string
	Config string // see Sample.Config
	Params experiments.Params
	Runs   int // successful runs
	Failed int // failed or interrupted runs
	// Missing is the runs the sweep plans that have not run (yet).
	Missing int
	Stats   map[string]Stat
	Samples []Sample
}

// Summary is the per-configuration statistics of a folder.
type Summary struct {
	Rows    []*Row
	Metrics []string // every metric of any row, in order (see metricSet)
	Keys    []string // every parameter key of any row, in order
	defs    *metricSet
}

// Metric is the definition of a metric, as the runs' records give it (only the name when
// none defines it).
func (s *Summary) Metric(name string) record.Metric {
	if s.defs == nil {
		return record.Metric{Name: name}
	}
	m, _ := record.Lookup(s.defs.defs, name)
	return m
}

// Summarize computes per configuration the median, minimum, maximum and (from 6 repetitions)
// the 95% confidence interval of the median of every metric, in the matrix's order.
func Summarize(f *experiments.Folder) *Summary {
	samples := Samples(f)
	for _, r := range f.Runs {
		// A damaged series is named now, as the figures will leave it out.
		if r.OK() && r.HasSeries() {
			if _, err := r.Series(); err != nil {
				f.Warn("%v; the run's time series is left out of the figures", err)
			}
		}
	}
	s := &Summary{}
	s.defs, s.Metrics = metricsOf(samples)
	rows := rowIndex{s: s, byKey: map[string]*Row{}}
	// Rows in the matrix's order, so that configurations without a successful run show too
	// (those of the folder's shard).
	for _, c := range f.Configs {
		if c.Kind != experiments.KindMicro && (f.Manifest.Shard == nil || f.Manifest.Shard.Contains(c.Index)) {
			rows.get(c.Part, c.Slug, c.Params)
		}
	}
	for _, smp := range samples {
		r := rows.get(smp.Part, smp.Config, smp.Params)
		r.Samples = append(r.Samples, smp)
		r.Runs++
	}
	rows.countFailed(f.Runs)
	s.countMissing(f)
	s.sortMicro()
	s.computeStats()
	return s
}

type rowIndex struct {
	s     *Summary
	byKey map[string]*Row
}

func (x rowIndex) get(part, config string, ps experiments.Params) *Row {
	k := part + "\x00" + config
	if r, ok := x.byKey[k]; ok {
		return r
	}
	r := &Row{Part: part, Config: config, Params: ps, Stats: map[string]Stat{}}
	x.byKey[k] = r
	x.s.Rows = append(x.s.Rows, r)
	return r
}

// countFailed counts the failed runs; a failed micro run counts for each of its
// configuration's benchmarks.
func (x rowIndex) countFailed(runs []*experiments.RunData) {
	for _, run := range runs {
		// An interrupted run is not a failure: it runs again on resume, and counts as
		// missing until then (as the command line counts it).
		if run.OK() || run.Interrupted() {
			continue
		}
		var rows []*Row
		if run.Info.Kind == experiments.KindMicro {
			for _, r := range x.s.Rows {
				if r.Part == run.Info.Part && strings.HasPrefix(r.Config, run.Info.Config+"/") {
					rows = append(rows, r)
				}
			}
		}
		if len(rows) == 0 {
			rows = []*Row{x.get(run.Info.Part, run.Info.Config, run.Info.Params)}
		}
		for _, r := range rows {
			r.Failed++
		}
	}
}

// countMissing counts the runs the sweep plans that have not run (yet).
func (s *Summary) countMissing(f *experiments.Folder) {
	if f.Manifest == nil {
		return
	}
	reps := f.Manifest.Definition.Reps()
	planned := map[string]bool{}
	for _, c := range f.Configs {
		if f.Manifest.Shard == nil || f.Manifest.Shard.Contains(c.Index) {
			planned[c.Part+"\x00"+c.Slug] = true
		}
	}
	for _, r := range s.Rows {
		if planned[r.configKey()] {
			r.Missing = max(0, reps-r.Runs-r.Failed)
		}
	}
}

// sortMicro puts micro rows after their configuration, in the order the benchmarks ran.
func (s *Summary) sortMicro() {
	order := map[string]int{}
	for i, r := range s.Rows {
		if _, ok := order[r.configKey()]; !ok {
			order[r.configKey()] = i
		}
	}
	slices.SortStableFunc(s.Rows, func(a, b *Row) int { return order[a.configKey()] - order[b.configKey()] })
}

// configKey names a row's configuration (a micro row's, not its benchmark's) in its part.
func (r *Row) configKey() string {
	slug, _, _ := strings.Cut(r.Config, "/")
	return r.Part + "\x00" + slug
}

// computeStats computes every row's statistics and the summary's keys.
func (s *Summary) computeStats() {
	var ps []experiments.Params
	for _, r := range s.Rows {
		ps = append(ps, r.Params)
		for _, m := range s.Metrics {
			if vals := values(r.Samples, m); len(vals) > 0 {
				r.Stats[m] = StatOf(vals)
			}
		}
	}
	s.Keys = experiments.SettingKeys(ps...)
}

// Row returns the row of a configuration.
func (s *Summary) Row(part, config string) *Row {
	for _, r := range s.Rows {
		if r.Part == part && r.Config == config {
			return r
		}
	}
	return nil
}

// WriteCSV writes one row per configuration: the part, the configuration, every parameter,
// the counts of runs, then for every metric its median, min, max and confidence interval
// (empty when not available).
func (s *Summary) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w) // its errors are bufio's, sticky: Error reports the first
	header := append(append([]string{"part", "config"}, s.Keys...), "runs", "failed", "missing")
	for _, m := range s.Metrics {
		for _, st := range statNames() {
			header = append(header, m+"_"+st)
		}
	}
	cw.Write(header)
	for _, r := range s.Rows {
		rec := append(s.rowKeys(r), strconv.Itoa(r.Runs), strconv.Itoa(r.Failed), strconv.Itoa(r.Missing))
		for _, m := range s.Metrics {
			rec = append(rec, statCells(r.Stats[m])...)
		}
		cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

// statNames are the statistics of a metric the summaries write, as statCells gives them.
func statNames() []string { return []string{"median", "min", "max", "ci95_low", "ci95_high"} }

// statCells are a statistic's cells, empty where not available (no runs with the metric).
func statCells(st Stat) []string {
	if st.N == 0 {
		return make([]string, len(statNames()))
	}
	return []string{num(st.Median), num(st.Min), num(st.Max), num(st.CILow), num(st.CIHigh)}
}

// rowKeys are a row's part, configuration and every parameter's value.
func (s *Summary) rowKeys(r *Row) []string {
	out := []string{r.Part, r.Config}
	for _, k := range s.Keys {
		out = append(out, r.Params.Value(k))
	}
	return out
}

// WriteLongCSV writes the summary in long format, one value a line, for tools that pivot
// (pandas, R): the part, the configuration, every parameter, then metric, statistic and
// value; the statistics are n (successful runs with the metric), median, min, max, ci95_low
// and ci95_high, those not available left out.
func (s *Summary) WriteLongCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write(append(append([]string{"part", "config"}, s.Keys...), "metric", "statistic", "value"))
	for _, r := range s.Rows {
		keys := s.rowKeys(r)
		write := func(metric, stat, value string) {
			if value != "" {
				cw.Write(append(slices.Clone(keys), metric, stat, value))
			}
		}
		write("runs", "count", strconv.Itoa(r.Runs))
		write("failed", "count", strconv.Itoa(r.Failed))
		write("missing", "count", strconv.Itoa(r.Missing))
		for _, m := range s.Metrics {
			if st, ok := r.Stats[m]; ok {
				write(m, "n", strconv.Itoa(st.N))
				for i, v := range statCells(st) {
					write(m, statNames()[i], v)
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', 8, 64)
}

// ErrFewerRuns marks a summary that WriteSummary did not write because it would replace one
// that counts more successful runs: runs were lost or damaged since.
var ErrFewerRuns = errors.New("not overwritten with fewer runs")

// ErrNothingRead marks a folder whose runs are all damaged: there is nothing to summarize,
// and the command that asked says so (exit status 1) instead of writing an empty summary.
var ErrNothingRead = errors.New("nothing could be read")

// SummaryOptions configure WriteSummary.
type SummaryOptions struct {
	// Force writes the summary even when it counts fewer successful runs than the one it
	// replaces.
	Force bool
}

// WriteSummary loads a results folder, writes its summary.csv, its long-format sibling
// summary-long.csv (and micro.txt when it has micro runs), and returns the loaded folder and
// its summary. Unless o.Force, a summary.csv that counts more successful runs than the
// folder now holds (a runs/ folder gone, runs damaged) is left as it is, and the error wraps
// ErrFewerRuns: nothing is overwritten by less.
func WriteSummary(dir string, o SummaryOptions) (*experiments.Folder, *Summary, error) {
	f, err := experiments.LoadFolder(dir)
	if err != nil {
		return nil, nil, err
	}
	s := Summarize(f)
	if f.Damaged > 0 && s.successful() == 0 {
		return f, s, fmt.Errorf("%w: %d runs of %s are damaged or not the folder's, and no run is complete (see the warnings); nothing is written",
			ErrNothingRead, f.Damaged, dir)
	}
	summary := filepath.Join(dir, experiments.SummaryFile)
	if old := summaryRuns(summary); !o.Force && sum(old) > s.successful() {
		return f, s, fmt.Errorf("%w: %s counts %d successful runs, the folder now has %d readable ones (%s); "+
			"%s, %s and REPORT.md are left as they are (--force rewrites them)", ErrFewerRuns,
			summary, sum(old), s.successful(), fewerWhy(dir, f, s, old), experiments.SummaryFile, experiments.SummaryLongFile)
	}
	// Both files are made and their paths checked before either is written, so that a path
	// one of them cannot take (a folder in its place) leaves the other as it was.
	outs := []struct {
		path  string
		write func(io.Writer) error
		buf   bytes.Buffer
	}{{path: filepath.Join(dir, experiments.SummaryFile), write: s.WriteCSV},
		{path: filepath.Join(dir, experiments.SummaryLongFile), write: s.WriteLongCSV}}
	for i := range outs {
		if err := outs[i].write(&outs[i].buf); err != nil {
			return f, s, err
		}
		if err := outfile.CheckFile(outs[i].path); err != nil {
			return f, s, err
		}
	}
	for i := range outs {
		if err := outfile.WriteFile(outs[i].path, outs[i].buf.Bytes(), nil); err != nil {
			return f, s, err
		}
	}
	return f, s, writeMicro(dir, f)
}

// writeMicro writes micro.txt, every micro run's output in Go benchmark format, or removes it
// when the folder has none.
func writeMicro(dir string, f *experiments.Folder) error {
	var micro bytes.Buffer
	for _, r := range f.Runs {
		if b, err := record.ReadFile(filepath.Join(r.Dir, experiments.BenchTextFile)); r.Info.Kind == experiments.KindMicro && r.OK() && err == nil {
			fmt.Fprintf(&micro, "# %s rep %d\n%s\n", r.Info.Part+"/"+r.Info.Config, r.Info.Rep, bytes.TrimSuffix(b, []byte("\n")))
		}
	}
	path := filepath.Join(dir, experiments.MicroFile)
	if micro.Len() == 0 {
		os.Remove(path)
		return nil
	}
	return outfile.WriteFile(path, micro.Bytes(), nil)
}

// successful is the successful runs the summary counts.
func (s *Summary) successful() int {
	n := 0
	for _, r := range s.Rows {
		n += r.Runs
	}
	return n
}

// fewerWhy says why a folder has fewer successful runs than its summary.csv counts: its
// runs/ is gone, the damaged files the warnings name, or the configurations whose runs'
// folders are gone (there is then no warning to point to).
func fewerWhy(dir string, f *experiments.Folder, s *Summary, old map[string]int) string {
	runs := filepath.Join(dir, "runs")
	if _, err := os.Stat(runs); errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("%s does not exist", runs)
	}
	var gone []string
	for _, r := range s.Rows {
		if n := old[r.Part+"/"+r.Config]; n > r.Runs {
			gone = append(gone, fmt.Sprintf("%s (%d of %d)", r.Part+"/"+r.Config, n-r.Runs, n))
		}
		delete(old, r.Part+"/"+r.Config)
	}
	for id, n := range old {
		if n > 0 {
			gone = append(gone, fmt.Sprintf("%s (%d of %d)", id, n, n))
		}
	}
	slices.Sort(gone)
	if len(gone) > 4 {
		gone = append(gone[:4], fmt.Sprintf("and %d more configurations", len(gone)-4))
	}
	why := "runs no longer readable: " + strings.Join(gone, ", ")
	if len(f.Warnings) > 0 {
		return why + "; the warnings above name the damaged files"
	}
	return why + fmt.Sprintf("; their folders under %s are gone or no longer hold a result", runs)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// summaryRuns reads the successful runs an existing summary.csv counts per configuration
// (PART/CONFIG → its runs column); empty when there is none or it does not read.
func summaryRuns(path string) map[string]int {
	out := map[string]int{}
	b, err := os.ReadFile(path)
	if err != nil {
		return out
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		return out
	}
	col := slices.Index(recs[0], "runs")
	if col < 2 || recs[0][0] != "part" || recs[0][1] != "config" {
		return out
	}
	for _, rec := range recs[1:] {
		if col < len(rec) {
			if v, err := strconv.Atoi(rec[col]); err == nil && v > 0 {
				out[rec[0]+"/"+rec[1]] += v
			}
		}
	}
	return out
}
