package experiments_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dustm/experiments"
	"dustm/experiments/experimentstest"
	"dustm/record"
)

// A loose record reads as a folder of one run: its values, its configuration as the run's
// settings, and the series of the same name beside it.
func TestLoadResultFile(t *testing.T) {
	dir := t.TempDir()
	rec := &record.Record{App: "stmbench7", Config: record.Config{{Key: "backend", Value: "stm"}, {Key: "threads", Value: "2"}}}
	rec.Set(record.Metric{Name: "throughput", Unit: "op/s", Doc: "d", Better: record.Higher}, 1234)
	if err := record.Write(filepath.Join(dir, "r.json"), rec, nil); err != nil {
		t.Fatal(err)
	}
	tick := `{"t_s": 0.1, "values": {"ops": 5, "throughput": 50}, "events": [{"name": "committed", "t_s": 0.05}]}` + "\n"
	os.WriteFile(filepath.Join(dir, "r.jsonl"), []byte(tick), 0o644)
	f, err := experiments.LoadAny(filepath.Join(dir, "r.json"))
	if err != nil {
		t.Fatal(err)
	}
	r := f.Runs[0]
	if !r.OK() || r.Record.Values["throughput"] != 1234 || !hasParams(r.Info.Params, "backend", "stm", "threads", "2") || !r.HasSeries() {
		t.Fatalf("run %+v", r)
	}
	s, err := r.Series()
	if err != nil || len(s) != 1 || s[0].Values["ops"] != 5 || s[0].Events[0].Name != "committed" {
		t.Errorf("series %+v %v", s, err)
	}
	os.WriteFile(filepath.Join(dir, "old.json"), []byte(`{"elapsed_s": 1, "categories": {}}`), 0o644)
	if _, err := experiments.LoadAny(filepath.Join(dir, "old.json")); err == nil || !strings.Contains(err.Error(), "convert-results") {
		t.Errorf("a result of an older schema: %v", err)
	}
}

// addMadeUp gives every successful run of a folder a metric no code knows: made_up_ms.
func addMadeUp(t *testing.T, dir string, v float64) {
	t.Helper()
	paths, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "rep-*", experiments.ResultFile))
	for _, p := range paths {
		rec, err := record.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		rec.Set(record.Metric{Name: "made_up_ms", Unit: "ms", Doc: "a metric made up by the test", Better: record.Lower}, v)
		if err := record.Write(p, rec, nil); err != nil {
			t.Fatal(err)
		}
	}
}

// A metric added to a run's record arrives, with its unit and direction, in the summary,
// both CSVs, the comparison and the Go benchmark file, with no other edit.
func TestMadeUpMetricArrivesEverywhere(t *testing.T) {
	e := parse(t, `{"name": "m", "repetitions": 6, "axes": {"backend": ["stm"]}, "fixed": {"size": "tiny", "length": 1}}`)
	a, b := t.TempDir(), t.TempDir()
	for i, dir := range []string{a, b} {
		if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		addMadeUp(t, dir, float64(10-5*i))
	}
	fa, sum, err := experiments.WriteSummary(a)
	if err != nil {
		t.Fatal(err)
	}
	if m := sum.Metric("made_up_ms"); m.Unit != "ms" || m.Better != record.Lower || m.Doc == "" {
		t.Errorf("definition %+v", m)
	}
	if st := sum.Rows[0].Stats["made_up_ms"]; st.N != 6 || st.Median != 10 {
		t.Errorf("stat %+v", st)
	}
	for file, want := range map[string]string{experiments.SummaryFile: "made_up_ms_median", experiments.SummaryLongFile: "made_up_ms,median,10"} {
		if b, _ := os.ReadFile(filepath.Join(a, file)); !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", file, want)
		}
	}
	fb, err := experiments.LoadFolder(b)
	if err != nil {
		t.Fatal(err)
	}
	c, err := experiments.Compare(fa, fb, experiments.CompareOptions{Metrics: []string{"made_up_ms"}})
	if err != nil || len(c.Rows) != 1 || c.Rows[0].Verdict != "B smaller" || c.Rows[0].Judgement != "better" || c.Rows[0].Unit != "ms" {
		t.Fatalf("compare %+v %v", c, err)
	}
	var buf bytes.Buffer
	if _, err := experiments.WriteGoBench(&buf, fa); err != nil || !strings.Contains(buf.String(), "10 made_up_ms") ||
		!strings.Contains(buf.String(), "Unit made_up_ms better=lower") {
		t.Errorf("go bench output lacks made_up_ms (%v):\n%.2000s", err, buf.String())
	}
}

func hasParams(ps experiments.Params, kv ...string) bool {
	for i := 0; i < len(kv); i += 2 {
		if v, ok := ps.Get(kv[i]); !ok || v != kv[i+1] {
			return false
		}
	}
	return true
}
