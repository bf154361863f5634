package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

// badInput is one bad command line: the exit status and the words its message must contain
// (those that start with "!" it must not contain).
// outputs are the paths (relative to the fixture folder, prefixes of folders) the command may
// create or replace; for bad input, none.
type badInput struct {
	what    string
	args    []string
	code    int
	want    []string
	outputs []string
}

// badInputs is every kind of bad input that issue 12 found answered badly (and the cases
// around them). The table in the issue's note is generated from it: DUSTM_BADINPUT_TABLE=FILE
// go test ./cmd/dustm -run TestBadInput writes it as Markdown.
func badInputs() []badInput {
	return []badInput{
		// Result files.
		{"--json names a folder", []string{"bench", "--json", "adir"}, 2, []string{"--json: adir: is a directory"}, nil},
		{"--series names a folder", []string{"bench", "--series", "adir"}, 2, []string{"--series: adir: is a directory"}, nil},
		{"--json in a missing folder", []string{"bench", "--json", "nodir/r.json"}, 2, []string{"folder nodir does not exist"}, nil},
		{"--gobench names a folder", []string{"bench", "--gobench", "adir"}, 2, []string{"--gobench: adir: is a directory"}, nil},
		{"--json and --gobench one file", []string{"bench", "--json", "r.txt", "--gobench", "r.txt"}, 2, []string{"both write to r.txt"}, nil},
		{"--json and --series both stdout", []string{"bench", "--json", "-", "--series", "-"}, 2, []string{"--json and --series both write to -"}, nil},
		{"--json and --cpuprofile one file", []string{"bench", "--json", "r.json", "--cpuprofile", "./r.json"}, 2, []string{"both write to r.json"}, nil},
		{"--json empty", []string{"bench", "--json="}, 2, []string{"--json: empty file name"}, nil},
		{"--cpuprofile names a folder", []string{"bench", "--cpuprofile", "adir"}, 2, []string{"--cpuprofile: adir: is a directory"}, nil},
		{"--json a FIFO without a reader", []string{"bench", "--size", "tiny", "-l", "0.05", "--json", "fifo"}, 2, []string{"fifo: is a FIFO without a reader", "start the reader first"}, nil},

		{"--out names a file", []string{"experiment", "quick", "--out", "file.txt"}, 2, []string{"--out: file.txt exists and is a file, not a folder"}, nil},
		{"--out names a results folder", []string{"experiment", "quick", "--out", "res"}, 2, []string{"res exists and is not empty (to continue the sweep there, use --resume res)"}, nil},
		{"merge -o names a file", []string{"experiment", "merge", "-o", "file.txt", "res"}, 2, []string{"file.txt exists and is a file, not a folder"}, nil},

		// Bounds: checked before anything is built, with the accepted range.
		{"too many threads", []string{"bench", "-t", "100000000"}, 2, []string{"threads must be at least 1 and at most 1024 (got 100000000)"}, nil},
		{"no threads", []string{"bench", "-t", "0"}, 2, []string{"at least 1 and at most 1024"}, nil},
		{"too many ops", []string{"bench", "--ops", "10000000000"}, 2, []string{"at most 1000000000 per thread"}, nil},
		{"no ops", []string{"bench", "--ops", "0"}, 2, []string{"--ops must be at least 1"}, nil},
		{"-l NaN", []string{"bench", "-l", "NaN"}, 2, []string{`"NaN" is not a number of seconds`, "2500ms"}, nil},
		{"-l 1e300", []string{"bench", "-l", "1e300"}, 2, []string{`"1e300" seconds is out of range (accepted: between 10ms and 1000000s)`}, nil},
		{"-l 1e-9", []string{"bench", "-l", "1e-9"}, 2, []string{`"1e-9" is out of range (accepted: between 10ms and 1000000s)`}, nil},
		{"-l negative", []string{"bench", "-l", "-3"}, 2, []string{`"-3" is out of range`}, nil},
		{"-l not a duration", []string{"bench", "-l", "5 minutes"}, 2, []string{"neither seconds nor a duration"}, nil},
		{"--interval 1ns", []string{"bench", "--interval", "1ns"}, 2, []string{`"1ns" is out of range (accepted: between 1ms and 3600s)`}, nil},
		{"--upgrade-at negative", []string{"bench", "--upgrade-at", "-5s"}, 2, []string{`"-5s" is out of range (accepted: between 0s and 1000000s)`}, nil},
		{"--upgrade-at past the end", []string{"bench", "-g", "stm", "--upgrade", "dates", "--upgrade-at", "20"}, 2, []string{"--upgrade-at 20s is not within the run's length 10s"}, nil},
		{"--sweepers 0", []string{"bench", "-g", "stm", "--upgrade", "dates", "--migration", "lazy+sweep", "--sweepers", "0"}, 2, []string{"--sweepers must be at least 1 and at most 1024 (got 0)"}, nil},
		{"--sweepers 5000", []string{"bench", "-g", "stm", "--upgrade", "dates", "--migration", "lazy+sweep", "--sweepers", "5000"}, 2, []string{"at most 1024 (got 5000)"}, nil},
		{"--sweepers without lazy+sweep", []string{"bench", "-g", "stm", "--upgrade", "dates", "--sweepers", "2"}, 2, []string{"--sweepers applies only with --migration lazy+sweep"}, nil},
		{"repetitions 1e11 in a dry run", []string{"experiment", "quick", "--set", "repetitions=100000000000", "--dry-run"}, 2, []string{`--set repetitions: "100000000000" is not a whole number from 1 to 1000`}, nil},
		{"repetitions 1e6 in a file", []string{"experiment", "-f", "reps.json", "--dry-run"}, 2, []string{"reps.json: repetitions must be at least 1 and at most 1000 (got 1000000)"}, nil},
		{"400 configurations × 1000", []string{"experiment", "-f", "big.json", "--set", "repetitions=1000", "-n"}, 2, []string{"400 configurations × 1000 repetitions = 400000 runs (accepted: at most 100000 runs)"}, nil},
		{"a part of 110000 combinations", []string{"experiment", "-f", "huge.json", "-n"}, 2, []string{"110000 combinations of its values; at most 100000 per part"}, nil},
		{"--set threads beyond the bound", []string{"experiment", "quick", "--set", "threads=5000", "-n"}, 2, []string{`threads: bad value "5000": out of range (accepted: a whole number from 1 to 1024)`}, nil},
		{"--set length NaN", []string{"experiment", "quick", "--set", "length=NaN", "-n"}, 2, []string{`length: bad value "NaN": "NaN" is not a number of seconds`}, nil},
		{"--set interval 1ns", []string{"experiment", "quick", "--set", "interval=1ns", "-n"}, 2, []string{`"1ns" is out of range (accepted: between 1ms and 3600s)`}, nil},
		{"--timeout negative", []string{"experiment", "quick", "--timeout", "-5s"}, 2, []string{`"-5s" is out of range (accepted: between 1s and 1000000s)`}, nil},
		{"--set timeout 0", []string{"experiment", "quick", "--set", "timeout=0", "-n"}, 2, []string{`--set timeout: "0" is out of range`}, nil},
		{"--shard 0/2", []string{"experiment", "quick", "--shard", "0/2", "-n"}, 2, []string{"shards count from 1 to 2"}, nil},
		{"demo with one account", []string{"demo", "--accounts", "1"}, 2, []string{"--accounts must be between 2 and 10000000 (got 1)"}, nil},
		{"demo with 100000 threads", []string{"demo", "-t", "100000"}, 2, []string{"between 1 and 1024 (got 100000)"}, nil},
		{"demo -l 0", []string{"demo", "-l", "0"}, 2, []string{`"0" is out of range (accepted: between 10ms and 1000000s)`}, nil},

		// Silent defaults and garbled messages.
		{`"threads": [] in a file`, []string{"experiment", "-f", "empty-threads.json", "-n"}, 2, []string{"part main: threads has no values"}, nil},
		{"a bare JSON array as experiment", []string{"experiment", "-f", "array.json", "-n"}, 2, []string{"expected one JSON object", "got a JSON array"}, nil},
		{"a string for a number in a file", []string{"experiment", "-f", "string-reps.json", "-n"}, 2, []string{"repetitions: expected a number, got a JSON string"}, nil},
		{"an experiment file that does not exist", []string{"experiment", "-f", "nosuch.json"}, 2, []string{"nosuch.json: no such file"}, nil},
		{"an experiment file that is a folder", []string{"experiment", "-f", "adir"}, 2, []string{"adir is a folder, not an experiment file"}, nil},
		{"merg for merge", []string{"experiment", "merg", "res"}, 2, []string{`unknown experiment "merg"`, `did you mean "merge"?`}, nil},
		{"an unknown experiment", []string{"experiment", "nosuch"}, 2, []string{`unknown experiment "nosuch" (built-in:`, "merge, summary, compact, gobench"}, nil},
		{"--set an unknown key", []string{"experiment", "quick", "--set", "bakend=stm"}, 2, []string{`unknown key "bakend" (accepted: repetitions, timeout, backend`}, nil},
		{"--retry-failed without --resume", []string{"experiment", "quick", "--retry-failed"}, 2, []string{"--retry-failed goes with --resume DIR"}, nil},
		{"--resume a folder that does not exist", []string{"experiment", "--resume", "nosuch"}, 2, []string{"--resume: nosuch does not exist"}, nil},
		{"summary of nothing", []string{"experiment", "summary"}, 2, []string{"summary takes one results folder", "usage: dustm experiment summary DIR"}, nil},
		{"summary of a folder that does not exist", []string{"experiment", "summary", "nosuch"}, 2, []string{"nosuch does not exist"}, nil},
		{"compact of a file", []string{"experiment", "compact", "file.txt"}, 2, []string{"file.txt is a file, not a results folder"}, nil},
		{"compare an unknown metric", []string{"compare", "--metrics", "throughputt", "res", "res"}, 2, []string{`unknown metric "throughputt" (accepted: all, or a metric of these results: throughput,`}, nil},
		{"compare an unknown key", []string{"compare", "--a", "bakend=stm", "res", "res"}, 2, []string{`--a "bakend=stm": bakend is not a key of A's runs (keys: backend,`}, nil},
		{"compare with a missing side", []string{"compare", "res", "nosuch"}, 2, []string{"B: nosuch does not exist"}, nil},
		{"plot a path that does not exist", []string{"plot", "/nonexistent"}, 2, []string{"/nonexistent does not exist"}, nil},
		{"plot a file", []string{"plot", "file.txt"}, 2, []string{"file.txt is neither a results folder"}, nil},
		{"plot a damaged manifest", []string{"plot", "badmanifest"}, 2, []string{"badmanifest/manifest.json is damaged: the JSON ends early"}, nil},
		{"plot a folder whose runs/ is gone", []string{"plot", "norun"}, 1, []string{"not overwritten with fewer runs", "norun/runs does not exist", "left as they are"}, nil},
		{"plot a folder with a truncated result.json", []string{"plot", "badresult"}, 1, []string{"warning: badresult/runs/", "result.json: not a readable result", "not overwritten with fewer runs: badresult/summary.csv counts 4 successful runs, the folder now has 3"}, nil},
		{"plot a folder with a truncated series", []string{"plot", "badseries"}, 0, []string{"warning: badseries/runs/", "series.jsonl:1: not a series line"},
			[]string{"badseries/summary.csv", "badseries/summary-long.csv", "badseries/REPORT.md", "badseries/figures"}},

		// Conventions.
		{"dustm alone", nil, 2, []string{"usage: dustm <command>", "experiment merge"}, nil},
		{"an unknown command", []string{"nosuch"}, 2, []string{`unknown command "nosuch"`}, nil},
		{"the reference's -s", []string{"bench", "-s", "stmbench7.impl.jvstm.JVSTMInitializer"}, 2, []string{"-s (the Java reference's STM class) has no equivalent", "-g stm"}, nil},
		{"an unknown workload", []string{"bench", "-w", "x"}, 2, []string{"accepted: r, rw, w, ro"}, nil},
		{"an unknown backend", []string{"bench", "-g", "fine"}, 2, []string{"accepted: coarse, medium, none, stm, stm-plain"}, nil},
		{"an unknown flag", []string{"bench", "--no-such-flag"}, 2, []string{"unknown flag: --no-such-flag"}, nil},
		{"version with an argument", []string{"version", "extra"}, 2, []string{`dustm version: takes no arguments (got ["extra"])`}, nil},
		{"help of an unknown command", []string{"help", "nosuch"}, 2, []string{`dustm help: unknown command "nosuch" (commands: bench,`}, nil},

		// Issue 20: messages and exit statuses. Experiment files are read strictly.
		{"a key given twice in a file", []string{"experiment", "-f", "dup.json", "-n"}, 2, []string{`dup.json: key "repetitions" is given twice (the second at line 1, column 33)`, "give each key once"}, nil},
		{"a key given twice under fixed", []string{"experiment", "-f", "dup-fixed.json", "-n"}, 2, []string{`fixed: key "threads" is given twice`}, nil},
		{"a key in another case", []string{"experiment", "-f", "case.json", "-n"}, 2, []string{`key "FIXED" is spelled "fixed": keys are matched exactly, in lower case (at line 1, column 15)`}, nil},
		{"a stray } after the object", []string{"experiment", "-f", "stray.json", "-n"}, 2, []string{`more after the end of the JSON value at line 1, column 39: "}"`, "a file holds one JSON object"}, nil},
		{"a UTF-8 byte-order mark", []string{"experiment", "-f", "bom.json", "-n"}, 2, []string{"starts with a UTF-8 byte-order mark (bytes EF BB BF)", "save it as UTF-8 without a BOM", "!ï"}, nil},
		{"a 300-character name in a dry run", []string{"experiment", "-f", "long.json", "-n"}, 2, []string{"is 300 characters long (accepted: at most 100; it names the results folder)"}, nil},
		{"a 300-character name", []string{"experiment", "-f", "long.json"}, 2, []string{"is 300 characters long (accepted: at most 100"}, nil},
		{"--set with no part before the dot", []string{"experiment", "quick", "--set", ".threads=2", "-n"}, 2, []string{`--set ".threads=2": expected key=… or part.key=…`, "parts: upgrade, overhead"}, nil},
		{"--shard=", []string{"experiment", "quick", "--shard=", "-n"}, 2, []string{"--shard: empty value: give one, or leave the flag out"}, nil},
		{"--out=", []string{"experiment", "quick", "--out="}, 2, []string{"--out: empty value"}, nil},
		{"--shard 3/3 of 2 configurations", []string{"experiment", "-f", "two.json", "--shard", "3/3", "-o", "s33"}, 2, []string{"--shard 3/3: experiment two: shard 3/3 selects none of the 2 configurations (at most 2 shards: 1/2 … 2/2)"}, nil},
		{"--shard 3/3 of 2 configurations, dry run", []string{"experiment", "-f", "two.json", "--shard", "3/3", "-n"}, 2, []string{"selects none of the 2 configurations"}, nil},
		{"shard 5/2 in a manifest", []string{"experiment", "--resume", "shard5of2"}, 2, []string{"shard5of2/manifest.json is damaged: its shard is 5/2 (a shard is i/n with 1 <= i <= n <= 10000)"}, nil},
		{"merge A A", []string{"experiment", "merge", "-o", "mergeaa", "shard1", "shard1"}, 2, []string{"shard1 is given twice; shard 2/2 is missing (1 of the 2 configurations): name each shard's folder once"}, nil},
		{"merge A ./A", []string{"experiment", "merge", "-o", "mergeaa", "shard1", "./shard1"}, 2, []string{"shard1 and ./shard1 are the same folder"}, nil},
		{"merge a folder that does not exist", []string{"experiment", "merge", "-o", "m", "nosuch"}, 2, []string{"nosuch does not exist"}, nil},
		{"merge -o of 300 characters", []string{"experiment", "merge", "-o", strings.Repeat("x", 300), "shard1"}, 2, []string{"a name in this path is too long (a file system takes at most 255 bytes a name)", "!stat "}, nil},
		{"merge -o through a file", []string{"experiment", "merge", "-o", "file.txt/m", "shard1"}, 2, []string{"file.txt/m: a part of this path is a file, not a folder"}, nil},
		{"experiment -o of 300 characters", []string{"experiment", "quick", "-o", strings.Repeat("x", 300)}, 2, []string{"a name in this path is too long"}, nil},
		{"plot -o a file", []string{"plot", "-o", "file.txt", "res"}, 2, []string{"--out: file.txt exists and is a file, not a folder"}, nil},
		{"plot -o of 300 characters", []string{"plot", "-o", strings.Repeat("x", 300), "res"}, 2, []string{"--out: xxx", "a name in this path is too long"}, nil},
		{"plot a compacted folder with a damaged .gz", []string{"plot", "badgz"}, 1, []string{"warning: badgz/runs/", "result.json.gz: a damaged gzip file: it ends early (cut short); the run counts as failed",
			"the warnings above name the damaged files"}, nil},
		{"plot a folder whose run's folder is gone", []string{"plot", "gonerun"}, 1, []string{"runs no longer readable: main/workload=w (2 of 2); their folders under gonerun/runs are gone", "!see the warnings"}, nil},
		{"summary.csv is a folder", []string{"experiment", "summary", "sumdir"}, 1, []string{"writing sumdir/summary.csv: it is a folder, where a file belongs", "!.tmp-"}, nil},
		{"a run killed by SIGKILL", []string{"experiment", "-f", "killed.json", "-o", "killed", "--no-plot"}, 1, []string{"failed: killed by SIGKILL (killed)",
			"1 of 1 runs failed (why: above, and in the failed.json of each failed run under killed/runs)", "!exit status -1", "!REPORT.md"}, []string{"killed"}},
		{"a failed run in a shard", []string{"experiment", "-f", "fail.json", "--shard", "1/2", "-o", "shardfail"}, 1, []string{"failed: exit status 1: dustm bench: a failure on purpose",
			"1 of 1 runs failed (why: above", "!REPORT.md"}, []string{"shardfail"}},
	}
}

// snapshot records every entry under root: its type and mode, and for files their size and
// modification time.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	m := map[string]string{}
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		st, err := os.Lstat(p)
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		m[rel] = fmt.Sprintf("%v %d %d", st.Mode(), st.Size(), st.ModTime().UnixNano())
		if st.IsDir() { // a folder's time changes with its entries, which are compared
			m[rel] = st.Mode().String()
		}
		return nil
	})
	return m
}

func badInputFixtures(t *testing.T, root string) {
	t.Helper()
	mk := func(name, text string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(root, "adir"), 0o755)
	mk("file.txt", "not a folder\n")
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Fatal(err)
	}
	mk("reps.json", `{"name": "x", "repetitions": 1000000, "axes": {"threads": [1, 2]}}`)
	mk("empty-threads.json", `{"name": "x", "axes": {"threads": []}}`)
	mk("array.json", `[{"name": "x"}]`)
	mk("string-reps.json", `{"name": "x", "repetitions": "3", "axes": {"threads": [1]}}`)
	seq := func(from, n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = from + i
		}
		return out
	}
	big, _ := json.Marshal(map[string]any{"name": "big", "axes": map[string]any{"threads": seq(1, 10), "seed": seq(0, 40)}})
	mk("big.json", string(big))
	huge, _ := json.Marshal(map[string]any{"name": "huge", "axes": map[string]any{"threads": seq(1, 100), "seed": seq(0, 100), "length": seq(1, 11)}})
	mk("huge.json", string(huge))

	e, err := experiments.Parse(strings.NewReader(`{"name": "f", "repetitions": 2, "axes": {"workload": ["r", "w"]},
		"fixed": {"backend": "stm", "size": "small", "threads": 2, "length": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"res", "norun", "badmanifest", "badresult", "badseries"} {
		dir := filepath.Join(root, name)
		if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := analysis.WriteSummary(dir, analysis.SummaryOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Rename(filepath.Join(root, "norun", "runs"), filepath.Join(root, "norun", "runs.gone")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(root, "badmanifest", experiments.ManifestFile), []byte(`{"experiment": "f", "defin`), 0o644)
	truncate := func(folder, file string) {
		matches, _ := filepath.Glob(filepath.Join(root, folder, "runs", "*", "*", "rep-1", file))
		if len(matches) == 0 {
			t.Fatalf("no %s in %s", file, folder)
		}
		if err := os.Truncate(matches[0], 60); err != nil {
			t.Fatal(err)
		}
	}
	truncate("badresult", experiments.ResultFile)
	truncate("badseries", experiments.SeriesFile)
	issue20Fixtures(t, root, e)
}

// issue20Fixtures are the files of the cases of issue 20: experiment files that JSON reads
// but a person did not mean, and results folders with a damaged compressed file, a run gone,
// a shard of a manifest out of range, a summary.csv that cannot be replaced.
func issue20Fixtures(t *testing.T, root string, e *experiments.Experiment) {
	t.Helper()
	mk := func(name, text string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	mk("dup.json", `{"name": "d", "repetitions": 1, "repetitions": 2, "fixed": {"threads": 1}}`)
	mk("dup-fixed.json", `{"name": "d", "fixed": {"threads": 1, "threads": 2}}`)
	mk("case.json", `{"name": "d", "FIXED": {"threads": 1}}`)
	mk("stray.json", `{"name": "d", "fixed": {"threads": 1}}}`)
	mk("bom.json", "\xEF\xBB\xBF"+`{"name": "d", "fixed": {"threads": 1}}`)
	mk("long.json", `{"name": "`+strings.Repeat("a", 300)+`", "fixed": {"threads": 1}}`)
	mk("two.json", `{"name": "two", "repetitions": 1, "axes": {"threads": [1, 2]}, "fixed": {"size": "tiny", "length": 0.05}}`)
	// The runs of these two are the test binary acting as dustm bench (badInputChild): a
	// seed of 9 kills itself, a seed of 8 fails.
	mk("killed.json", `{"name": "killed", "repetitions": 1, "fixed": {"seed": 9, "size": "tiny", "length": 0.05}}`)
	mk("fail.json", `{"name": "fail", "repetitions": 1, "axes": {"threads": [1, 2]}, "fixed": {"seed": 8, "size": "tiny", "length": 0.05}}`)

	folder := func(name string, o experiments.CreateOptions) string {
		dir := filepath.Join(root, name)
		if _, err := experimentstest.WriteFolder(dir, e, o); err != nil {
			t.Fatal(err)
		}
		if _, _, err := analysis.WriteSummary(dir, analysis.SummaryOptions{}); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	folder("shard1", experiments.CreateOptions{Shard: experiments.Shard{Index: 1, Count: 2}})
	dir := folder("shard5of2", experiments.CreateOptions{Shard: experiments.Shard{Index: 1, Count: 2}})
	b, err := os.ReadFile(filepath.Join(dir, experiments.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["shard"] = map[string]int{"index": 5, "count": 2}
	b, _ = json.Marshal(m)
	mk(filepath.Join("shard5of2", experiments.ManifestFile), string(b))

	dir = folder("badgz", experiments.CreateOptions{})
	if _, _, err := experiments.Compact(dir); err != nil {
		t.Fatal(err)
	}
	gz, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "rep-1", experiments.ResultFile+".gz"))
	if len(gz) == 0 || os.Truncate(gz[0], 30) != nil {
		t.Fatalf("no result.json.gz to damage in %s", dir)
	}
	dir = folder("gonerun", experiments.CreateOptions{})
	if err := os.RemoveAll(filepath.Join(dir, "runs", "main", "workload=w")); err != nil {
		t.Fatal(err)
	}
	dir = folder("sumdir", experiments.CreateOptions{})
	os.Remove(filepath.Join(dir, experiments.SummaryFile))
	os.MkdirAll(filepath.Join(dir, experiments.SummaryFile, "x"), 0o755)
}

// envBadInputChild makes the test binary, started as a sweep's run by TestBadInput, a fake
// dustm bench (experimentstest's) that is killed by SIGKILL (--seed 9) or fails (--seed 8).
const envBadInputChild = "DUSTM_TEST_BADINPUT_CHILD"

// badInputChild is TestMain's: whether this process is such a run, and its exit status.
func badInputChild(args []string) (int, bool) {
	if os.Getenv(envBadInputChild) != "1" {
		return 0, false
	}
	line := " " + strings.Join(args, " ") + " "
	switch {
	case strings.Contains(line, " --seed 9 "):
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	case strings.Contains(line, " --seed 8 "):
		fmt.Fprintln(os.Stderr, "dustm bench: a failure on purpose")
		return 1, true
	}
	return experimentstest.FakeMain(args, os.Stdout, os.Stderr), true
}

// TestBadInput runs every bad input of badInputs in-process, in a folder of fixtures: each
// exits with its status and a message with its words, without a panic or a stack trace, and
// creates or replaces no file but its named outputs.
func TestBadInput(t *testing.T) {
	t.Setenv(envBadInputChild, "1")
	t.Setenv("GORACE", os.Getenv("GORACE")+" atexit_sleep_ms=0") // a race-enabled run exits at once
	root := t.TempDir()
	badInputFixtures(t, root)
	t.Chdir(root)
	var table strings.Builder
	table.WriteString("| # | input | command | exit | message |\n|---|---|---|---|---|\n")
	cases := badInputs()
	if len(cases) < 40 {
		t.Errorf("only %d bad inputs", len(cases))
	}
	for i, c := range cases {
		before := snapshot(t, root)
		var stdout, stderr bytes.Buffer
		code := func() (code int) {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("%s: dustm %q panicked: %v", c.what, c.args, r)
					code = -1
				}
			}()
			return dispatch(c.args, &stdout, &stderr)
		}()
		msg := stderr.String()
		if code != c.code {
			t.Errorf("%s: dustm %q exited %d, want %d; stderr:\n%s", c.what, c.args, code, c.code, msg)
		}
		for _, w := range c.want {
			if not, ok := strings.CutPrefix(w, "!"); ok && strings.Contains(msg, not) {
				t.Errorf("%s: dustm %q: stderr has %q:\n%s", c.what, c.args, not, msg)
			} else if !ok && !strings.Contains(msg, w) {
				t.Errorf("%s: dustm %q: stderr lacks %q:\n%s", c.what, c.args, w, msg)
			}
		}
		for _, bad := range []string{"panic", "goroutine ", "runtime error", "fileExperiment", "experiments.", "Go value", "cannot unmarshal"} {
			if strings.Contains(msg, bad) {
				t.Errorf("%s: dustm %q: stderr shows %q:\n%s", c.what, c.args, bad, msg)
			}
		}
		if c.code == 2 && stdout.Len() > 0 && len(c.args) > 0 {
			t.Errorf("%s: dustm %q wrote to stdout: %q", c.what, c.args, stdout.String())
		}
		after := snapshot(t, root)
		for p := range mergeKeys(before, after) {
			if before[p] == after[p] || slices.ContainsFunc(c.outputs, func(o string) bool { return p == o || strings.HasPrefix(p, o+"/") }) {
				continue
			}
			switch {
			case before[p] == "":
				t.Errorf("%s: dustm %q created %s", c.what, c.args, p)
			case after[p] == "":
				t.Errorf("%s: dustm %q removed %s", c.what, c.args, p)
			default:
				t.Errorf("%s: dustm %q replaced %s (%s → %s)", c.what, c.args, p, before[p], after[p])
			}
		}
		lines := strings.Split(strings.TrimSpace(msg), "\n")
		if len(lines) > 3 {
			lines = append(lines[:3], "…")
		}
		line := strings.Join(lines, " / ")
		if r := []rune(line); len(r) > 320 {
			line = string(r[:320]) + "…"
		}
		fmt.Fprintf(&table, "| %d | %s | `dustm %s` | %d | %s |\n", i+1, c.what, strings.Join(c.args, " "), code,
			strings.ReplaceAll(line, "|", `\|`))
	}
	if p := os.Getenv("DUSTM_BADINPUT_TABLE"); p != "" {
		if err := os.WriteFile(p, []byte(table.String()), 0o644); err != nil {
			t.Error(err)
		}
	}
}

func mergeKeys(a, b map[string]string) map[string]bool {
	m := map[string]bool{}
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return m
}

// Every command's --help goes to stdout and exits 0, as `dustm --help` does.
func TestHelpOnStdout(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"demo", "--help"}, {"bench", "--help"}, {"experiment", "--help"},
		{"experiment", "merge", "--help"}, {"experiment", "summary", "--help"}, {"experiment", "compact", "-h"},
		{"plot", "--help"}, {"compare", "--help"}, {"--version"}} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != 0 || stdout.Len() == 0 || stderr.Len() != 0 {
			t.Errorf("dustm %q: exit %d, stdout %d bytes, stderr %q", args, code, stdout.Len(), stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	dispatch([]string{"--version"}, &stdout, &stderr)
	if !strings.HasPrefix(stdout.String(), "dustm ") || !strings.Contains(stdout.String(), "revision ") {
		t.Errorf("--version: %q", stdout.String())
	}
	stdout.Reset()
	dispatch([]string{"help"}, &stdout, &stderr)
	for _, sub := range []string{"experiment merge", "experiment summary", "experiment compact"} {
		if !strings.Contains(stdout.String(), sub) {
			t.Errorf("the top-level help lacks %s", sub)
		}
	}
}
