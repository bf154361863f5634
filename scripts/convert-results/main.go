// Command convert-results converts, once, the results committed under a folder (results/ by
// default) from the documents dustm wrote before the run record (schema 1 and 2: a bench
// result, a kv server's result, a kv run's client report, and their series of intervals) to
// records of schema 3 (package dustm/record), in place, keeping a file's gzip compression:
//
//	go run ./scripts/convert-results [results]
//
// The values are those experiments.BenchMetrics and KVMetrics computed from the old documents
// when the harness loaded them (this program holds its own copy of that flattening, so that it
// needs none of the old reading code); the definitions are the producers' (bench.Definitions,
// kv.Definitions, kv.ClientDefinitions). A file already of schema 3 is left as it is. It is a
// one-off program, kept for the record of how the results were converted.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"

	"dustm/kv"
	"dustm/record"
	"dustm/stmbench7/bench"
)

func main() {
	root := "results"
	if len(os.Args) > 2 {
		fmt.Fprintln(os.Stderr, "usage: go run ./scripts/convert-results [FOLDER]")
		os.Exit(2)
	}
	if len(os.Args) == 2 {
		root = os.Args[1]
	}
	n, err := convertAll(root)
	fmt.Fprintf(os.Stderr, "%d runs converted\n", n)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// convertAll converts every run folder under root: a folder with a result.json[.gz] or a
// client.json.
func convertAll(root string) (int, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch d.Name() {
		case "result.json", "result.json.gz", "client.json":
			dir := filepath.Dir(path)
			if len(dirs) == 0 || dirs[len(dirs)-1] != dir {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	var errs []error
	for _, dir := range dirs {
		done, err := convertRun(dir)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", dir, err))
		}
		if done {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// file is a document found in a run folder, gzipped or not.
type file struct {
	path string
	data []byte
}

func find(dir, name string) (*file, error) {
	for _, p := range []string{filepath.Join(dir, name), filepath.Join(dir, name+".gz")} {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(p, ".gz") {
			z, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			var out bytes.Buffer
			if _, err := out.ReadFrom(z); err != nil {
				return nil, fmt.Errorf("%s: %w", p, err)
			}
			b = out.Bytes()
		}
		return &file{p, b}, nil
	}
	return nil, nil
}

// write replaces f with data, gzipped when f was.
func (f *file) write(data []byte) error {
	if strings.HasSuffix(f.path, ".gz") {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		if _, err := z.Write(data); err != nil {
			return err
		}
		if err := z.Close(); err != nil {
			return err
		}
		data = b.Bytes()
	}
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, f.path)
}

func isRecord(data []byte) bool {
	var v struct {
		Schema int `json:"schema"`
	}
	return json.Unmarshal(data, &v) == nil && v.Schema == record.Schema
}

// convertRun converts one run folder's documents.
func convertRun(dir string) (bool, error) {
	res, err := find(dir, "result.json")
	if err != nil {
		return false, err
	}
	ser, err := find(dir, "series.jsonl")
	if err != nil {
		return false, err
	}
	cli, err := find(dir, "client.json")
	if err != nil {
		return false, err
	}
	if (res == nil || isRecord(res.data)) && (cli == nil || isRecord(cli.data)) {
		return false, nil
	}
	var points []seriesPoint
	if ser != nil {
		if points, err = readPoints(ser.data); err != nil {
			return false, fmt.Errorf("%s: %w", ser.path, err)
		}
	}
	var server *kvResult
	if res != nil {
		rec, kvr, err := convertResult(res.data, points)
		if err != nil {
			return false, fmt.Errorf("%s: %w", res.path, err)
		}
		server = kvr
		if err := writeRecord(res, rec); err != nil {
			return false, err
		}
	}
	if cli != nil {
		rec, err := convertClient(cli.data, server)
		if err != nil {
			return false, fmt.Errorf("%s: %w", cli.path, err)
		}
		if err := writeRecord(cli, rec); err != nil {
			return false, err
		}
	}
	if ser != nil {
		if err := writeTicks(ser, points, server != nil); err != nil {
			return false, err
		}
	}
	return true, nil
}

func writeRecord(f *file, rec *record.Record) error {
	b, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	return f.write(append(b, '\n'))
}

func writeTicks(f *file, points []seriesPoint, kv bool) error {
	var b bytes.Buffer
	w := record.NewSeriesWriter(&b)
	for _, p := range points {
		if err := w.Write(p.tick(kv)); err != nil {
			return fmt.Errorf("%s: %w", f.path, err)
		}
	}
	return f.write(b.Bytes())
}

// convertResult converts a bench or a kv server's result; the kv server's old document is
// returned too, for its client's record.
func convertResult(data []byte, points []seriesPoint) (*record.Record, *kvResult, error) {
	var head struct {
		Schema int             `json:"schema_version"`
		Kind   string          `json:"kind"`
		Config json.RawMessage `json:"config"`
		Env    json.RawMessage `json:"env"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, nil, err
	}
	if head.Schema > 2 || head.Schema < 0 {
		return nil, nil, fmt.Errorf("schema_version %d: not a result of schema 1 or 2", head.Schema)
	}
	cfg, err := pairs(head.Config)
	if err != nil {
		return nil, nil, err
	}
	env, err := pairs(head.Env)
	if err != nil {
		return nil, nil, err
	}
	rec := &record.Record{Schema: record.Schema, Config: cfg, Env: env}
	if head.Kind == "kv" {
		var r kvResult
		if err := json.Unmarshal(data, &r); err != nil {
			return nil, nil, err
		}
		rec.App, rec.Values = "kv", kvServerMetrics(&r, points)
		rec.Define(kv.Definitions(), kv.TickNames())
		return rec, &r, nil
	}
	var r result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, nil, err
	}
	if head.Schema == 0 {
		rec.Config = schema1Config(&r, rec.Config)
	}
	rec.App, rec.Values, rec.Error, rec.Interrupted = "stmbench7", benchMetrics(&r, points), r.Error, r.Interrupted
	rec.Define(bench.Definitions(), bench.TickNames())
	return rec, nil, nil
}

// schema1Config completes the configuration of an early binary's result: the upgrade was named
// only in its measurements, or only on the command line.
func schema1Config(r *result, c record.Config) record.Config {
	if up, _ := c.Get("upgrade"); up != "" {
		return c
	}
	if u := r.Upgrade; u != nil {
		return append(c, record.Pair{Key: "upgrade", Value: u.Scenario}, record.Pair{Key: "migration", Value: u.Strategy},
			record.Pair{Key: "sweepers", Value: fmt.Sprint(u.Sweepers)})
	}
	for i, a := range r.Config.Args {
		v, ok := strings.CutPrefix(a, "--upgrade=")
		if a == "--upgrade" && i+1 < len(r.Config.Args) {
			v, ok = r.Config.Args[i+1], true
		}
		if ok {
			return append(c, record.Pair{Key: "upgrade", Value: v})
		}
	}
	return c
}

// pairs reads a JSON object's members as pairs, arrays and objects as compact JSON text (as
// a run writes them now).
func pairs(obj []byte) (record.Config, error) {
	if len(obj) == 0 {
		return nil, nil // absent
	}
	var b bytes.Buffer
	if err := json.Compact(&b, obj); err != nil {
		return nil, err
	}
	return record.ConfigFromJSON(b.Bytes())
}

// finite drops the values JSON cannot hold.
func finite(m map[string]float64) map[string]float64 {
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k)
		}
	}
	return m
}
