package experiments_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dustm/experiments"
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

func hasParams(ps experiments.Params, kv ...string) bool {
	for i := 0; i < len(kv); i += 2 {
		if v, ok := ps.Get(kv[i]); !ok || v != kv[i+1] {
			return false
		}
	}
	return true
}
