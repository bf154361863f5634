package record

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLookupFamily(t *testing.T) {
	defs := []Metric{
		{Name: "cat.{}.max_us", Unit: "µs", Doc: "maximum latency of category {}", Better: Lower},
		{Name: "cat.x.max_us", Unit: "µs", Doc: "exact"},
	}
	m, ok := Lookup(defs, "cat.Trav.max_us")
	if !ok || m.Doc != "maximum latency of category Trav" || m.Better != Lower {
		t.Fatalf("family: %+v %v", m, ok)
	}
	if m, _ := Lookup(defs, "cat.x.max_us"); m.Doc != "exact" {
		t.Fatalf("an exact name must win over a family: %+v", m)
	}
	for _, n := range []string{"cat.a.b.max_us", "cat..max_us", "cat.max_us", "other"} {
		if _, ok := Lookup(defs, n); ok {
			t.Errorf("%q matched", n)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	r := &Record{App: "test", Config: Config{{"z", "1"}, {"a", "x y"}}}
	r.Set(Metric{Name: "throughput", Unit: "op/s", Doc: "d", Better: Higher}, 12.5)
	r.SetFamily(Metric{Name: "cat.{}.ops", Doc: "ops of {}"}, "T1", 3)
	r.SetFamily(Metric{Name: "cat.{}.ops", Doc: "ops of {}"}, "T2", 4)
	p := filepath.Join(t.TempDir(), "r.json")
	if err := Write(p, r, nil); err != nil {
		t.Fatal(err)
	}
	got, err := Read(p)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config.String() != "z=1 a=x y" || got.Values["cat.T2.ops"] != 4 || len(got.Metrics) != 2 {
		t.Fatalf("round trip: %+v", got)
	}
	if n := got.Names(); len(n) != 3 || n[0] != "throughput" || n[1] != "cat.T1.ops" {
		t.Fatalf("names: %v", n)
	}
}

func TestConfigRejectsDuplicates(t *testing.T) {
	var c Config
	if err := json.Unmarshal([]byte(`{"a":"1","a":"2"}`), &c); err == nil {
		t.Fatal("a duplicate key was accepted")
	}
	c, err := ConfigFromJSON([]byte(`{"t":2,"b":true,"s":"x","l":[1,2]}`))
	if err != nil || c.String() != "t=2 b=true s=x l=[1,2]" {
		t.Fatalf("%v %v", c, err)
	}
}

func TestJoin(t *testing.T) {
	a := &Record{App: "kv", Config: Config{{"backend", "stm"}}, Error: "a"}
	a.Set(Metric{Name: "throughput", Doc: "server"}, 1)
	b := &Record{App: "redis-benchmark", Config: Config{{"backend", "x"}, {"version", "7"}}, Interrupted: true}
	b.Set(Metric{Name: "throughput", Doc: "client"}, 2)
	b.Set(Metric{Name: "client.rps", Doc: "rps"}, 3)
	j := Join(a, nil, b)
	if j.App != "kv" || j.Config.String() != "backend=stm version=7" || j.Values["throughput"] != 1 || j.Values["client.rps"] != 3 ||
		len(j.Metrics) != 2 || j.Metrics[0].Doc != "server" || j.Error != "a" || !j.Interrupted || j.Schema != Schema {
		t.Fatalf("joined %+v", j)
	}
}

// Open reads a file, a .gz named as such, or path.gz in place of a missing path; a damaged
// gzip file is named in the error.
func TestOpenMaybeGzipped(t *testing.T) {
	dir := t.TempDir()
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	w.Write([]byte("hello"))
	w.Close()
	os.WriteFile(filepath.Join(dir, "a"), []byte("plain"), 0o644)
	os.WriteFile(filepath.Join(dir, "b.gz"), z.Bytes(), 0o644)
	os.WriteFile(filepath.Join(dir, "c.gz"), z.Bytes()[:z.Len()/2], 0o644)
	for name, want := range map[string]string{"a": "plain", "b.gz": "hello", "b": "hello"} {
		if b, err := ReadFile(filepath.Join(dir, name)); err != nil || string(b) != want {
			t.Errorf("%s: %q %v, want %q", name, b, err, want)
		}
	}
	if _, err := ReadFile(filepath.Join(dir, "c")); err == nil || !strings.Contains(err.Error(), "c.gz: a damaged gzip file: it ends early") {
		t.Errorf("a cut gzip file: %v", err)
	}
	if _, err := ReadFile(filepath.Join(dir, "none")); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "none") {
		t.Errorf("a missing file: %v", err)
	}
}
