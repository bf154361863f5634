package experiments

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"dustm/record"
)

// The fuzz tests below run their seeds as unit tests under `go test`; `go test -fuzz
// FuzzParse ./experiments` (and so on) explores further. Each checks that bad input is an
// error, never a panic, and that nothing it accepts is unbounded: an accepted experiment
// expands within MaxConfigurations and MaxRuns.

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		`{"name": "x", "axes": {"threads": [1, 2]}, "fixed": {"size": "tiny", "length": 0.5}}`,
		`{"name": "x", "repetitions": 2, "timeout": "2m", "parts": [{"name": "a", "axes": {"backend": ["coarse", "stm"]}},
			{"name": "b", "kind": "micro", "fixed": {"package": "stm", "benchtime": "100x"}}]}`,
		`{"name": "x", "axes": {"threads": []}}`,
		`[1, 2]`,
		`{"name": "x", "repetitions": 1000000}`,
		`{"name": "x", "axes": {"upgrade": ["dates"], "upgrade-at": [20], "length": 10}}`,
		`{"name": "x", "fixed": {"threads": [1]}}`,
		`{"name": "x", "timeout": "-5s", "axes": {"seed": [1]}}`,
		`{"name": "x", "axes": {"interval": ["1ns"]}}`,
		`{"name": "x", "axes": {"threads": [1e300]}}`,
		`{"name":`,
		``,
		// Strictness (issue 20): a key twice, a key in another case, data after the object, a BOM.
		`{"name": "x", "repetitions": 1, "repetitions": 2, "fixed": {"threads": 1}}`,
		`{"name": "x", "parts": [{"name": "a", "axes": {"seed": [1], "seed": [2]}}]}`,
		`{"name": "x", "FIXED": {"threads": 1}}`,
		`{"name": "x", "fixed": {"threads": 1}}}`,
		"\xEF\xBB\xBF" + `{"name": "x", "fixed": {"threads": 1}}`,
		`{"name": "x", "axes": {"threads": [[[[1]]]]}}`,
	} {
		f.Add([]byte(s))
	}
	fields := map[string]bool{}
	jsonFieldNames(reflect.TypeFor[fileExperiment](), fields)
	f.Fuzz(func(t *testing.T, data []byte) {
		e, err := Parse(bytes.NewReader(data))
		if err != nil {
			return
		}
		// What is accepted is one valid JSON object, without a BOM or anything after it,
		// whose keys are the format's own, spelled as the format spells them.
		var top map[string]json.RawMessage
		if bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) || json.Unmarshal(data, &top) != nil {
			t.Fatalf("accepted what is not one JSON object: %q", data)
		}
		for k := range top {
			if !fields[k] {
				t.Fatalf("accepted the key %q", k)
			}
		}
		for _, bad := range [][]byte{append(bytes.Clone(data), '}'), append([]byte("\xEF\xBB\xBF"), data...)} {
			if _, err := Parse(bytes.NewReader(bad)); err == nil {
				t.Fatalf("accepted %q", bad)
			}
		}
		configs, _, err := e.Expand()
		if err != nil {
			return
		}
		if len(configs) > MaxConfigurations || len(configs)*e.Reps() > MaxRuns {
			t.Fatalf("accepted %d configurations × %d repetitions", len(configs), e.Reps())
		}
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatalf("an accepted experiment does not encode: %v", err)
		}
		if _, err := Parse(bytes.NewReader(b)); err != nil {
			t.Fatalf("an accepted experiment does not read back: %v\n%s", err, b)
		}
	})
}

func FuzzSet(f *testing.F) {
	for _, s := range []string{"threads=1,2", "repetitions=5", "repetitions=100000000000", "timeout=10m", "timeout=-5s",
		"upgrade.migration=lazy,eager", "bakend=stm", "length=NaN", "length=1e300", "threads=5000", "seed=" + string(make([]byte, 3)),
		"=", ".", "a.b.c=d", "interval=1ns", "sweepers=0", "upgrade-at=0.5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, name := range []string{"quick", "upgrade-latency"} {
			e, err := Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			e = e.Clone()
			if err := e.Set(s); err != nil {
				continue
			}
			if configs, _, err := e.Expand(); err == nil && len(configs)*e.Reps() > MaxRuns {
				t.Fatalf("--set %q: %d runs accepted", s, len(configs)*e.Reps())
			}
		}
	})
}

// jsonFieldNames are the keys a struct's JSON form takes.
func jsonFieldNames(t reflect.Type, into map[string]bool) {
	types := map[string]reflect.Type{}
	jsonFields(t, types)
	for k := range types {
		into[k] = true
	}
}

func writeTemp(t *testing.T, name string, data []byte) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func FuzzReadResult(f *testing.F) {
	for _, s := range []string{
		`{"schema": 3, "app": "stmbench7", "config": {"threads": "2", "backend": "stm"}, "values": {"throughput": 10},
			"metrics": [{"name": "throughput", "unit": "op/s", "doc": "d", "better": 1}]}`,
		`{"schema": 3, "config": {"a": "1", "a": "2"}}`,
		`{"schema": 2, "elapsed_s": 1, "categories": {}}`,
		`{"schema": 3, "values": {"x": "y"}}`,
		`[]`,
		`{"elap`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := readRecord(writeTemp(t, ResultFile, data))
		if err != nil {
			return
		}
		r.Names()
		ParamsOf(r)
	})
}

func FuzzReadSeries(f *testing.F) {
	for _, s := range []string{
		`{"t_s": 0.1, "values": {"ops": 10, "throughput": 100, "cat.OPERATION.ops": 10}, "hists": {"all": "x"}}` + "\n" +
			`{"t_s": 0.2, "values": {"ops": 5}, "events": [{"name": "committed", "t_s": 0.15}]}` + "\n",
		"\n\n",
		`{"t_s": 0.1, "values": {"ops": 10` + "\n",
		`{"t_s": "x"}`,
		`[1]` + "\n" + `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := &RunData{seriesPath: writeTemp(t, SeriesFile, data)}
		s, err := r.Series()
		if err != nil {
			return
		}
		for _, tk := range s {
			record.Merge(tk.Hists["all"])
		}
	})
}
