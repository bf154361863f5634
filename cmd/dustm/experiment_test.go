package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

// envAsDustm makes the test binary act as dustm, so that the experiments' runs (fresh
// processes of this executable) run the real `dustm bench`.
const envAsDustm = "DUSTM_TEST_AS_DUSTM"

// asDustm makes the runs of experiments started by the test act as dustm. A race-enabled
// child would sleep a second before exiting: GORACE tells it not to.
func asDustm(t *testing.T) {
	t.Setenv(envAsDustm, "1")
	t.Setenv("GORACE", os.Getenv("GORACE")+" atexit_sleep_ms=0")
}

func TestMain(m *testing.M) {
	if code, ok := badInputChild(os.Args[1:]); ok {
		os.Exit(code)
	}
	if os.Getenv(envAsDustm) == "1" {
		os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// tinyDef is a small experiment of real runs: two parts, an upgrade, a second or so each.
const tinyDef = `{
	"name": "tiny", "repetitions": 1,
	"figures": ["throughput-threads", "upgrade-timeline"],
	"parts": [
		{"name": "threads", "axes": {"backend": ["coarse", "stm"], "threads": [1, 2]},
		 "fixed": {"size": "tiny", "length": 0.3, "traversals": "off", "interval": "50ms"}},
		{"name": "up", "axes": {"upgrade": ["none", "atomic-point"], "migration": ["lazy", "eager"]},
		 "fixed": {"backend": "stm", "threads": 2, "size": "tiny", "length": 0.4, "traversals": "off", "interval": "50ms"}}
	]}`

func writeDef(t *testing.T, def string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "exp.json")
	if err := os.WriteFile(p, []byte(def), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExperimentEndToEnd(t *testing.T) {
	asDustm(t)
	def := writeDef(t, tinyDef)
	dir := filepath.Join(t.TempDir(), "res")
	var stdout, stderr bytes.Buffer
	code := dispatch([]string{"experiment", "-f", def, "-o", dir, "--set", "up.migration=lazy,eager"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d\nstderr:\n%s\nstdout:\n%s", code, stderr.String(), stdout.String())
	}
	if !strings.Contains(stderr.String(), "[7/7] up: upgrade=atomic-point migration=eager rep 1/1 — ETA") {
		t.Errorf("progress:\n%s", stderr.String())
	}
	for _, want := range []string{"results: " + dir, "figures: ", "report:  " + filepath.Join(dir, "REPORT.md")} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	m, err := experiments.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if m.Experiment != "tiny" || m.Source != def || len(m.Overrides) != 1 || m.Env.GoVersion == "" || m.Env.NumCPU == 0 || m.Env.CPUModel == "" {
		t.Errorf("manifest %+v", m)
	}
	// Every run's files, and a real upgrade's measurements in the summary.
	run := filepath.Join(dir, "runs", "up", "upgrade=atomic-point,migration=eager", "rep-1")
	for _, f := range []string{"result.json", "series.jsonl", "stdout.txt", "stderr.txt", "run.json"} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Error(err)
		}
	}
	f, err := os.Open(filepath.Join(dir, "summary.csv"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(f).ReadAll()
	f.Close()
	if err != nil || len(recs) != 8 {
		t.Fatalf("summary.csv: %d records, %v", len(recs), err)
	}
	col := func(name string) int {
		for i, h := range recs[0] {
			if h == name {
				return i
			}
		}
		t.Fatalf("summary.csv has no column %s", name)
		return -1
	}
	for _, r := range recs[1:] {
		if r[col("runs")] != "1" || r[col("throughput_median")] == "" {
			t.Errorf("row %v", r[:4])
		}
		if strings.Contains(r[1], "atomic-point") && (r[col("upgrade.objects_median")] == "" || r[col("upgrade.committed_s_median")] == "") {
			t.Errorf("upgrade row %s lacks the upgrade's measurements", r[1])
		}
	}
	for _, fig := range []string{"threads-throughput-threads", "up-upgrade-timeline", "up-upgrade-migration", "threads-latency-percentiles"} {
		for _, ext := range []string{".png", ".svg"} {
			if st, err := os.Stat(filepath.Join(dir, "figures", fig+ext)); err != nil || st.Size() == 0 {
				t.Errorf("figure %s%s: %v", fig, ext, err)
			}
		}
	}
	report, _ := os.ReadFile(filepath.Join(dir, "REPORT.md"))
	if !strings.Contains(string(report), "![up: Throughput and latency across an upgrade](figures/up-upgrade-timeline.png)") {
		t.Errorf("REPORT.md:\n%.2000s", report)
	}

	// plot redraws from the files; compare reads configurations' folders.
	stdout.Reset()
	if code := dispatch([]string{"plot", dir}, &stdout, &stderr); code != 0 {
		t.Fatalf("plot: exit %d: %s", code, stderr.String())
	}
	stdout.Reset()
	code = dispatch([]string{"compare", filepath.Join(dir, "runs", "threads", "backend=coarse,threads=2"),
		filepath.Join(dir, "runs", "threads", "backend=stm,threads=2")}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "(backend=coarse, commit unset)") || !strings.Contains(stdout.String(), "throughput") {
		t.Errorf("compare: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
}

func TestExperimentInterruptAndResume(t *testing.T) {
	asDustm(t)
	def := writeDef(t, `{"name": "tiny", "repetitions": 2, "axes": {"backend": ["coarse", "stm"], "threads": [1, 2]},
		"fixed": {"size": "tiny", "length": 0.3, "traversals": "off"}}`)
	dir := filepath.Join(t.TempDir(), "res")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout bytes.Buffer
	stderr := &experimentstest.SyncBuffer{}
	go func() {
		for !strings.Contains(stderr.String(), "[3/8]") {
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	err := runExperimentContext(ctx, []string{"-f", def, "-o", dir, "--no-plot"}, &stdout, stderr)
	if err == nil || !strings.Contains(err.Error(), "interrupted; resume with: dustm experiment --resume "+dir) {
		t.Fatalf("err = %v\n%s", err, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "summary.csv")); err != nil {
		t.Errorf("no summary after the interruption: %v", err)
	}
	var out, errOut bytes.Buffer
	if code := dispatch([]string{"experiment", "--resume", dir, "--no-plot"}, &out, &errOut); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "resuming: 2 complete") || strings.Contains(errOut.String(), "[1/8]") {
		t.Errorf("resume progress:\n%s", errOut.String())
	}
	f, err := experiments.LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, r := range f.Runs {
		if r.OK() {
			ok++
		}
	}
	if ok != 8 {
		t.Errorf("%d complete runs after the resume, want 8", ok)
	}
}

func TestExperimentShardsAndMerge(t *testing.T) {
	asDustm(t)
	def := writeDef(t, `{"name": "sh", "repetitions": 1, "axes": {"backend": ["coarse", "stm"], "threads": [1, 2]},
		"fixed": {"size": "tiny", "length": 0.2, "traversals": "off"}}`)
	root := t.TempDir()
	var dirs []string
	for _, sh := range []string{"1/2", "2/2"} {
		d := filepath.Join(root, strings.ReplaceAll(sh, "/", "-"))
		var stdout, stderr bytes.Buffer
		if code := dispatch([]string{"experiment", "-f", def, "--shard", sh, "-o", d}, &stdout, &stderr); code != 0 {
			t.Fatalf("shard %s: exit %d\n%s", sh, code, stderr.String())
		}
		if !strings.Contains(stdout.String(), "merge the shards' folders") {
			t.Errorf("shard stdout:\n%s", stdout.String())
		}
		dirs = append(dirs, d)
	}
	merged := filepath.Join(root, "merged")
	var stdout, stderr bytes.Buffer
	if code := dispatch(append([]string{"experiment", "merge", "-o", merged}, dirs...), &stdout, &stderr); code != 0 {
		t.Fatalf("merge: exit %d\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(merged, "figures", "throughput-threads.png")); err != nil {
		t.Errorf("merged figures: %v\n%s", err, stdout.String())
	}
	f, err := experiments.LoadFolder(merged)
	if err != nil || len(f.Runs) != 4 {
		t.Errorf("merged runs: %v", err)
	}
	// A definition that differs in more than its settings' values does not merge.
	other := filepath.Join(root, "other")
	if code := dispatch([]string{"experiment", "-f", def, "--set", "repetitions=2", "--set", "threads=1", "--set", "backend=stm", "-o", other}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	stderr.Reset()
	if code := dispatch([]string{"experiment", "merge", "-o", filepath.Join(root, "m2"), dirs[0], other}, &stdout, &stderr); code != 2 ||
		!strings.Contains(stderr.String(), "refusing to merge different definitions") || !strings.Contains(stderr.String(), "repetitions (1, 2)") {
		t.Errorf("merging different definitions: exit %d, %s", code, stderr.String())
	}
	// A sweep that ran other values of the settings extends the matrix: the union, where a
	// run whose configuration had no slug of its own (one value each) is relabelled.
	extra := filepath.Join(root, "extra")
	if code := dispatch([]string{"experiment", "-f", def, "--set", "threads=4", "--set", "backend=stm", "-o", extra}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	united := filepath.Join(root, "m3")
	stderr.Reset()
	if code := dispatch([]string{"experiment", "merge", "-o", united, merged, extra}, &stdout, &stderr); code != 0 ||
		!strings.Contains(stderr.String(), "their union (--set threads=1,2,4)") || !strings.Contains(stderr.String(), "1 of the 6 configurations of the union have no run") {
		t.Fatalf("merging an extension: exit %d, %s", code, stderr.String())
	}
	f, err = experiments.LoadFolder(united)
	if err != nil || len(f.Runs) != 5 || len(f.Warnings) > 0 {
		t.Fatalf("united runs: %v, %d runs, warnings %q", err, len(f.Runs), f.Warnings)
	}
	info, err := experiments.ReadRunInfo(filepath.Join(united, "runs", "main", "backend=stm,threads=4", "rep-1"))
	if err != nil || info.Config != "backend=stm,threads=4" {
		t.Errorf("relabelled run: %+v, %v", info, err)
	}
	if info, err := experiments.ReadRunInfo(filepath.Join(extra, "runs", "main", "default", "rep-1")); err != nil || info.Config != "default" {
		t.Errorf("the source run changed: %+v, %v", info, err)
	}
}

func TestExperimentBadInput(t *testing.T) {
	def := writeDef(t, tinyDef)
	bad := writeDef(t, `{"name": "b", "axes": {"threads": ["x"]}}`)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{}, "which experiment? (built-in: kv-peers, kv-upgrade, pause-vs-size, quick, scalability, stm-micro, upgrade-latency, upgrade-overhead"},
		{[]string{"nosuch"}, `unknown experiment "nosuch" (built-in: kv-peers, kv-upgrade, pause-vs-size, quick`},
		{[]string{"quick", "--set", "colour=red"}, `unknown key "colour" (accepted: repetitions, timeout, backend, commit`},
		{[]string{"quick", "--set", "workload=x"}, `workload: unknown value "x" (accepted: r, rw, w, ro)`},
		{[]string{"quick", "--set", "upgrade.threads=0"}, "threads: bad value \"0\": out of range (accepted: a whole number from 1 to 1024)"},
		{[]string{"quick", "--shard", "0/3"}, "shards count from 1 to 3"},
		{[]string{"quick", "-f", def}, "either an experiment's name or -f FILE"},
		{[]string{"-f", "/no/such/file.json"}, "no such file"},
		{[]string{"-f", bad}, `threads: bad value "x"`},
		{[]string{"--resume", "/no/such/dir"}, "/no/such/dir does not exist"},
		{[]string{"--resume", t.TempDir(), "--set", "threads=1"}, "--resume continues a sweep as it was defined"},
		{[]string{"quick", "--retry-failed"}, "--retry-failed goes with --resume"},
		{[]string{"quick", "--no-such-flag"}, "unknown flag: --no-such-flag"},
		{[]string{"quick", "scalability"}, "one experiment at a time"},
		{[]string{"merge"}, "which folders?"},
		{[]string{"summary"}, "summary takes one results folder"},
		{[]string{"summary", t.TempDir()}, "not a results folder"},
	} {
		var stdout, stderr bytes.Buffer
		code := dispatch(append([]string{"experiment"}, c.args...), &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("experiment %q: exit %d, stderr %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
}

func TestExperimentListShowDryRun(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"experiment", "--list"}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	for _, want := range []string{"upgrade-latency — 20 configurations × 3 repetitions", "quick — ", "stm-micro — "} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("--list lacks %q:\n%s", want, stdout.String())
		}
	}
	stdout.Reset()
	if code := dispatch([]string{"experiment", "--keys"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "lazy|eager|lazy+sweep") {
		t.Errorf("--keys:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := dispatch([]string{"experiment", "scalability", "--set", "threads=1,8", "--show"}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	e, err := experiments.Parse(strings.NewReader(stdout.String()))
	if err != nil || e.Name != "scalability" || strings.Join(e.Parts[0].Settings["threads"], ",") != "1,8" {
		t.Errorf("--show does not read back: %v\n%s", err, stdout.String())
	}
	stdout.Reset()
	if code := dispatch([]string{"experiment", "upgrade-latency", "--dry-run", "--shard", "2/4"}, &stdout, &stderr); code != 0 {
		t.Fatal(stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"upgrade-latency: 5 configurations × 3 repetitions = 15 runs, about",
		"main/sms=off,upgrade=atomic-point,migration=lazy ", "dustm bench -g stm --stm-commit lockfree -w r -t 1 --size big --no-traversals --no-sms --upgrade atomic-point --migration lazy -l 20"} {
		if !strings.Contains(out, want) {
			t.Errorf("--dry-run lacks %q:\n%s", want, out)
		}
	}
	stdout.Reset()
	if code := dispatch([]string{"experiment", "--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "dustm experiment merge") {
		t.Errorf("--help: %d %s", code, stdout.String())
	}
}

// Every subcommand is listed once (commands): an experiment may not take the name of one of
// `dustm experiment`'s (it would be shadowed), no built-in does, and the help lists them all.
func TestSubcommandNamesReserved(t *testing.T) {
	reserved := reservedExperimentNames()
	for _, want := range []string{"merge", "summary", "compact", "gobench", "help"} {
		if !slices.Contains(reserved, want) {
			t.Errorf("%s is not reserved: %v", want, reserved)
		}
	}
	for _, name := range reserved {
		def := writeDef(t, `{"name": "`+name+`", "fixed": {"threads": 1}}`)
		var stdout, stderr bytes.Buffer
		code := dispatch([]string{"experiment", "-f", def, "-n"}, &stdout, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), `name "`+name+`" is a subcommand of `+"`dustm experiment`"+` (reserved: `) {
			t.Errorf("experiment named %s: exit %d, %s", name, code, stderr.String())
		}
	}
	for _, name := range builtinNames() {
		if slices.Contains(reserved, name) {
			t.Errorf("built-in experiment %s is shadowed by a subcommand", name)
		}
	}
	var stdout, stderr bytes.Buffer
	dispatch([]string{"help"}, &stdout, &stderr)
	for _, c := range commands() {
		for _, s := range c.subs {
			if !strings.Contains(stdout.String(), c.name+" "+s.name) {
				t.Errorf("dustm help lacks %s %s:\n%s", c.name, s.name, stdout.String())
			}
		}
	}
}
