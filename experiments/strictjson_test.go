package experiments

import (
	"bytes"
	"compress/gzip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Every experiment-file reader refuses what encoding/json lets pass silently, and says
// where: a key twice, a key in another case, data after the object, a byte-order mark.
func TestStrictExperimentFiles(t *testing.T) {
	for _, c := range []struct{ doc, want string }{
		{`{"name": "x", "repetitions": 1, "repetitions": 2, "fixed": {"threads": 1}}`, `key "repetitions" is given twice (the second at line 1, column 33)`},
		{"{\"name\": \"x\",\n  \"fixed\": {\"threads\": 1,\n    \"threads\": 2}}", `fixed: key "threads" is given twice (the second at line 3, column 5)`},
		{`{"name": "x", "parts": [{"name": "a", "fixed": {"size": "tiny"}}, {"name": "b", "axes": {"seed": [1], "seed": [2]}}]}`, `parts[1].axes: key "seed" is given twice`},
		{`{"name": "x", "FIXED": {"threads": 1}}`, `key "FIXED" is spelled "fixed": keys are matched exactly, in lower case (at line 1, column 15)`},
		{`{"name": "x", "parts": [{"Name": "a", "fixed": {"size": "tiny"}}]}`, `parts[0]: key "Name" is spelled "name"`},
		{`{"name": "x", "fixed": {"threads": 1}}}`, `more after the end of the JSON value at line 1, column 39: "}"`},
		{`{"name": "x", "fixed": {"threads": 1}} {"name": "y"}`, `more after the end of the JSON value at line 1, column 40: "{\"name\": \"y\"}"`},
		{"\xEF\xBB\xBF" + `{"name": "x", "fixed": {"threads": 1}}`, "starts with a UTF-8 byte-order mark (bytes EF BB BF)"},
		{`{"name": "x", "fixed": {"threads": 1}`, "the JSON ends early"},
		{``, "the JSON ends early"},
		{`{"name": "x", "axes": {"threads": ` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}}`, "nested more than 200 levels deep"},
	} {
		_, err := Parse(strings.NewReader(c.doc))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%.60q: got %v, want %q", c.doc, err, c.want)
		}
	}
	// What is strict is still what was accepted: the examples, built-ins and a definition
	// written back all read (TestExamplesParse, TestBuiltinsAreValid); spacing is free.
	if _, err := Parse(strings.NewReader("\n\t{ \"name\" : \"x\" , \"fixed\" : { \"threads\" : 1 } }\n\n")); err != nil {
		t.Error(err)
	}
}

// A manifest is read as strictly, and one whose shard is out of range is damaged.
func TestStrictManifest(t *testing.T) {
	e, err := Parse(strings.NewReader(`{"name": "x", "repetitions": 1, "axes": {"threads": [1, 2]}, "fixed": {"size": "tiny"}}`))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "r")
	if _, err := Create(dir, e, CreateOptions{Shard: Shard{Index: 1, Count: 2}}); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, ManifestFile)
	orig, _ := os.ReadFile(p)
	for _, c := range []struct{ from, to, want string }{
		{`"index": 1`, `"index": 5`, "its shard is 5/2 (a shard is i/n with 1 <= i <= n <= 10000)"},
		{`"count": 2`, `"count": 0`, "its shard is 1/0"},
		{`"index": 1`, `"index": 1, "index": 2`, `shard: key "index" is given twice`},
		{`"experiment": "x"`, `"Experiment": "x"`, `key "Experiment" is spelled "experiment"`},
		{`"count": 2`, `"count": 3`, ""}, // 1/3 of two configurations: selects one
	} {
		os.WriteFile(p, bytes.Replace(orig, []byte(c.from), []byte(c.to), 1), 0o644)
		_, err := Open(dir)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%s → %s: got %v, want %q", c.from, c.to, err, c.want)
		}
	}
	os.WriteFile(p, bytes.Replace(orig, []byte(`"index": 1,
    "count": 2`), []byte(`"index": 3,
    "count": 3`), 1), 0o644)
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "shard 3/3 selects none of the 2 configurations") {
		t.Errorf("shard 3/3 of 2 configurations: %v", err)
	}
}

// A compressed file that does not decompress is named, .gz and all, with what is wrong.
func TestDamagedGzipNamed(t *testing.T) {
	dir := t.TempDir()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(`{"t_s": 0.1, "values": {"ops": 10}}` + "\n" + `{"t_s": 0.2, "values": {"ops": 10}}` + "\n"))
	zw.Close()
	good := z.Bytes()
	for _, c := range []struct {
		data []byte
		want string
	}{
		{good[:len(good)-6], "series.jsonl.gz: a damaged gzip file: it ends early (cut short)"},
		{[]byte("not gzip at all, but long enough"), "series.jsonl.gz: a damaged gzip file: it is not gzip data"},
		{append(append([]byte{}, good[:len(good)-8]...), 1, 2, 3, 4, 5, 6, 7, 8), "series.jsonl.gz: a damaged gzip file: its checksum does not match"},
	} {
		p := filepath.Join(dir, SeriesFile)
		os.WriteFile(p+".gz", c.data, 0o644)
		_, err := (&RunData{seriesPath: p}).Series()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Count(err.Error(), "series.jsonl") != 1 {
			t.Errorf("got %v, want %q", err, c.want)
		}
	}
}

// A run killed by a signal is reported by the signal's name, not as exit status -1.
func TestHowEndedNamesTheSignal(t *testing.T) {
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	cmd.Process.Kill()
	cmd.Wait()
	if got := howEnded(cmd.ProcessState, "Benchmark started."); !strings.HasPrefix(got, "killed by SIGKILL (killed), not by this sweep") ||
		!strings.HasSuffix(got, "the last line it printed: Benchmark started.") {
		t.Errorf("SIGKILL: %q", got)
	}
	cmd = exec.Command("sh", "-c", "exit 3")
	cmd.Run()
	if got := howEnded(cmd.ProcessState, "boom"); got != "exit status 3: boom" {
		t.Errorf("exit 3: %q", got)
	}
}
