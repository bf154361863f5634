package plots

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

// upgradeFixture is an upgrade experiment on the fake bench: the fake's eager pause is 1 µs
// per object converted, on top of a maximum latency of 1 ms, so on the medium size eager
// atomic-point (10,000 atomic parts) raises the maximum 11×, eager composite-stats (500
// composite parts) 1.5×, and lazy leaves it as it is.
const upgradeFixture = `{
	"name": "upgrade-latency", "repetitions": 3,
	"parts": [{"name": "main", "axes": {"upgrade": ["none", "atomic-point", "composite-stats"], "migration": ["lazy", "eager"]},
		"fixed": {"backend": "stm", "threads": 2, "size": "SIZE", "length": 1}}]}`

// csvMedians reads summary.csv: per configuration, metric → median.
func csvMedians(t *testing.T, dir string) map[string]map[string]float64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, experiments.SummaryFile))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]float64{}
	for _, rec := range recs[1:] {
		m := map[string]float64{}
		for i, h := range recs[0] {
			if name, ok := strings.CutSuffix(h, "_median"); ok && rec[i] != "" {
				v, err := strconv.ParseFloat(rec[i], 64)
				if err != nil {
					t.Fatalf("%s: %v", h, err)
				}
				m[name] = v
			}
		}
		out[rec[1]] = m
	}
	return out
}

func claimOf(t *testing.T, fds []Finding, prefix string) Finding {
	t.Helper()
	return claimIn(t, fds, "", prefix)
}

// claimIn is the finding of a claim in a part ("" any).
func claimIn(t *testing.T, fds []Finding, part, prefix string) Finding {
	t.Helper()
	for _, fd := range fds {
		if strings.HasPrefix(fd.Claim.Text, prefix) && (part == "" || fd.Part == part) {
			return fd
		}
	}
	t.Fatalf("no claim %q in part %q in %+v", prefix, part, fds)
	return Finding{}
}

// TestFindingsEqualSummary checks that every number of the findings is the summary.csv's:
// each case's value and reference are the medians of its configuration and of the run without
// an upgrade, and the ratio is theirs; and that the report and the terminal carry them.
func TestFindingsEqualSummary(t *testing.T) {
	dir, f, s := fixture(t, strings.ReplaceAll(upgradeFixture, "SIZE", "medium"))
	med := csvMedians(t, dir)
	fds := ComputeFindings(f, s)
	n := 0
	for _, name := range []string{"lazy migration", "an immediate"} {
		c := claimOf(t, fds, name)
		if len(c.Cases) == 0 {
			t.Fatalf("%s: no cases", name)
		}
		for _, cs := range c.Cases {
			row := s.Rows[0]
			for _, r := range s.Rows {
				if slices.Equal(r.Params, cs.Params) {
					row = r
				}
			}
			base := baselineOf(row, s.Rows)
			want, wantBase := med[row.Config][cs.Metric], med[base.Config][cs.Metric]
			if !near(cs.Value, want) || !near(cs.Baseline, wantBase) || !near(cs.Ratio, want/wantBase) {
				t.Errorf("%s %s: value %v, reference %v, ratio %v; summary.csv: %v, %v, %v", cs.Where, cs.Metric, cs.Value, cs.Baseline, cs.Ratio, want, wantBase, want/wantBase)
			}
			if !near(cs.Hiccup, med[base.Config]["hiccup_max_us"]) {
				t.Errorf("%s: hiccup %v, summary.csv %v", cs.Where, cs.Hiccup, med[base.Config]["hiccup_max_us"])
			}
			n++
		}
		// The fixture has the probe: it decides, all operations are shown beside.
		if c.Cases[0].Metric != "probe_max_us" || c.Cases[1].Metric != "all.max_us" {
			t.Errorf("%s: metrics %s, %s; want the probe's first, then all operations'", name, c.Cases[0].Metric, c.Cases[1].Metric)
		}
	}
	if n != 8 { // 2 scenarios × 2 strategies × 2 metrics
		t.Errorf("%d cases, want 8", n)
	}
	w, err := Write(f, s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	report, err := os.ReadFile(w.Report)
	if err != nil {
		t.Fatal(err)
	}
	atomic := med["upgrade=atomic-point,migration=eager"]["probe_max_us"] / med["upgrade=none"]["probe_max_us"]
	for _, want := range []string{"## Findings", "| claim | verdict | the figure that decides it |", "**holds only when upgrade is atomic-point**",
		"| atomic-point | `probe_max_us` | ", fmtRatio(atomic) + "×"} {
		if !strings.Contains(string(report), want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	if i, j := strings.Index(string(report), "## Findings"), strings.Index(string(report), "## How it was measured"); i < 0 || i > j {
		t.Error("REPORT.md does not open with its findings")
	}
	text := strings.Join(FindingsText(w.Findings), "\n")
	if !strings.Contains(text, "holds only when upgrade is atomic-point") || !strings.Contains(text, fmtRatio(atomic)+"×") {
		t.Errorf("the terminal's findings lack the verdict or the ratio:\n%s", text)
	}
}

// TestFindingsVerdicts feeds fixtures where the claims hold and where they do not.
func TestFindingsVerdicts(t *testing.T) {
	// small: eager converts 1000 atomic parts (2×) or 50 composite parts: far from 10×.
	_, f, s := fixture(t, strings.ReplaceAll(upgradeFixture, "SIZE", "small"))
	fds := ComputeFindings(f, s)
	if c := claimOf(t, fds, "an immediate"); c.Verdict != DoesNotHold {
		t.Errorf("eager on the small structure: verdict %q, want %q (%s)", c.Verdict, DoesNotHold, c.Measured)
	}
	if c := claimOf(t, fds, "lazy migration"); c.Verdict != Holds {
		t.Errorf("lazy: verdict %q, want %q (%s)", c.Verdict, Holds, c.Measured)
	}
	if c := claimOf(t, fds, "being upgradable"); c.Verdict != NotMeasured {
		t.Errorf("cost without stm-plain runs: verdict %q, want %q", c.Verdict, NotMeasured)
	}
	// A claim that does not hold: the lazy runs' maximum made 5× the reference's.
	for _, r := range s.Rows {
		if r.Params.Value("migration") == "lazy" {
			for _, m := range []string{"probe_max_us", "all.max_us"} {
				st := r.Stats[m]
				for i := range st.Values {
					st.Values[i] *= 5
				}
				r.Stats[m] = analysis.StatOf(st.Values)
			}
		}
	}
	if c := claimOf(t, ComputeFindings(f, s), "lazy migration"); c.Verdict != DoesNotHold {
		t.Errorf("lazy at 5× the reference: verdict %q, want %q", c.Verdict, DoesNotHold)
	}
}

// TestFindingsOthers checks the findings of the other kinds of experiment and the cost
// claim. The pause part has 3 sizes: it says why there is no fit rather than fitting.
func TestFindingsOthers(t *testing.T) {
	_, f, s := fixture(t, everything)
	fds := ComputeFindings(f, s)
	if c := claimIn(t, fds, "threads", "the fastest"); !strings.Contains(c.Measured, "the best") || !strings.Contains(c.Measured, "-w r: ") || !strings.Contains(c.Measured, "-w w: ") {
		t.Errorf("fastest: %+v", c)
	}
	if c := claimIn(t, fds, "threads", "the STM (stm"); len(c.Cases) != 2 || c.Verdict != Reported || !strings.Contains(c.Measured, "throughput") {
		t.Errorf("scaling: %+v", c)
	}
	var overhead []Finding
	for _, fd := range fds {
		if fd.Part == "overhead" {
			overhead = append(overhead, fd)
		}
	}
	if len(overhead) != 1 || len(overhead[0].Cases) != 2 || overhead[0].Verdict == NotMeasured {
		t.Errorf("overhead claims: %+v", overhead)
	}
	if c := claimIn(t, fds, "pause", "an eager upgrade"); len(c.Evidence) != 2 || !strings.Contains(c.Evidence[0], "upgrade.us_per_object") ||
		!strings.Contains(c.Evidence[0], "no fit: 3 size(s)") || c.Verdict != NotMeasured {
		t.Errorf("pause finding: %+v", c)
	}
	if c := claimIn(t, fds, "micro", "the fastest of ours"); len(c.Cases) == 0 || c.Cases[0].Ratio != 2 {
		t.Errorf("micro finding: %+v", c)
	}
}

func TestFitPower(t *testing.T) {
	xs := []float64{1e3, 1e4, 1e5}
	ys := []float64{2, 20, 200} // y = 0.002·x
	f, ok := fitPower(xs, ys)
	if !ok || !near(f.B, 1) || !near(f.A, 0.002) || !near(f.Inverse(2000), 1e6) || f.R2 < 0.999999 {
		t.Errorf("fit %+v", f)
	}
	if _, ok := fitPower([]float64{5, 5}, []float64{1, 2}); ok {
		t.Error("a fit through one x")
	}
}

// TestLooseRuns draws a single run and an overlay of runs named one by one, with --only.
func TestLooseRuns(t *testing.T) {
	dir := t.TempDir()
	var paths []string
	for _, m := range []string{"lazy", "eager"} {
		res, series := experimentstest.Fake(experimentstest.FakeParams{Backend: "stm", Threads: 2, Size: "small", Length: 4,
			Upgrade: "atomic-point", Migration: m, Interval: 0.01}, 1)
		p := filepath.Join(dir, m+".json")
		writeJSONFile(t, p, res)
		var b bytes.Buffer
		for _, pt := range series {
			line, _ := json.Marshal(pt)
			b.Write(append(line, '\n'))
		}
		if err := os.WriteFile(filepath.Join(dir, m+".jsonl"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	f, err := LooseFolder(paths[:1])
	if err != nil {
		t.Fatal(err)
	}
	files, _, err := DrawFigures(f, Options{}, nil, filepath.Join(dir, "one"))
	if err != nil || !slices.Contains(files, filepath.Join(dir, "one", "upgrade-headline.png")) {
		t.Errorf("one run: %v, %v", files, err)
	}
	f, err = LooseFolder(paths)
	if err != nil {
		t.Fatal(err)
	}
	files, _, err = DrawFigures(f, Options{}, []string{"upgrade-headline"}, filepath.Join(dir, "both"))
	if err != nil || len(files) != 2 {
		t.Fatalf("overlay: %v, %v", files, err)
	}
	s := analysis.Summarize(f)
	figs, _, _ := Figures(f, s, Options{})
	for _, fig := range figs {
		if fig.Name == "upgrade-headline" && len(fig.Panels) != 2 {
			t.Errorf("overlay headline: %d panels, want one per strategy", len(fig.Panels))
		}
	}
}

func writeJSONFile(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLegendsAndLooks checks every figure of the fixtures: each line's colour is in the
// figure's legend under its label, and no two lines of a panel with different labels look
// alike (colour, pattern and width), however many lines there are.
func TestLegendsAndLooks(t *testing.T) {
	for _, def := range []string{everything, strings.ReplaceAll(upgradeFixture, "SIZE", "small"),
		`{"name": "many", "repetitions": 1, "parts": [{"name": "main", "axes": {"upgrade": ["none", "atomic-point", "composite-stats", "dates"],
			"migration": ["lazy", "lazy+sweep", "eager"], "sms": ["off", "on"]}, "fixed": {"backend": "stm", "size": "small", "length": 1}}]}`} {
		_, f, s := fixture(t, def)
		figs, _ := figuresByName(t, f, s, Options{})
		for name, fig := range figs {
			legend := map[string]legendEntry{}
			colors := map[int]bool{}
			for _, e := range fig.legend() {
				legend[e.label] = e
				colors[e.color] = true
			}
			for _, pn := range fig.Panels {
				type look struct {
					color, dash  int
					dashed, thin bool
				}
				seen := map[look]string{}
				for _, sr := range pn.Series {
					if sr.Label == "" || len(sr.X) == 0 {
						continue
					}
					// A panel without a legend of its own (a timeline's latency beside its
					// throughput) labels its lines "lazy max": the colour must be the legend's.
					if e, ok := legend[sr.Label]; (ok && e.color != sr.Color) || !colors[sr.Color] {
						t.Errorf("%s, panel %q: line %q (colour %d) not in the legend", name, pn.Title, sr.Label, sr.Color)
					}
					l := look{sr.Color, sr.Dash, sr.Dashed, sr.Thin}
					if o, ok := seen[l]; ok && o != sr.Label {
						t.Errorf("%s, panel %q: %q and %q look alike", name, pn.Title, o, sr.Label)
					}
					seen[l] = sr.Label
				}
			}
		}
	}
}
