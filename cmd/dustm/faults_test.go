package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"dustm/experiments"
	"dustm/experiments/experimentstest"
	"dustm/record"
)

// The faults of issue 20, on real sweeps of tiny runs: each test checks that every completed
// run is kept, that nothing is labelled with settings it did not run with, and that no file
// is half-written.

// fourRuns is a sweep of four tiny runs of about half a second each.
const fourRuns = `{"name": "four", "repetitions": 2, "axes": {"backend": ["coarse", "stm"]},
	"fixed": {"size": "tiny", "length": 0.4, "traversals": "off", "interval": "50ms"}}`

// dustmProcess is this test binary started as dustm (see TestMain), its output in files.
type dustmProcess struct {
	cmd            *exec.Cmd
	stdout, stderr string
	done           chan struct{}
}

func startDustm(t *testing.T, args ...string) *dustmProcess {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return startCommand(t, exe, args...)
}

func startCommand(t *testing.T, name string, args ...string) *dustmProcess {
	t.Helper()
	dir := t.TempDir()
	p := &dustmProcess{cmd: exec.Command(name, args...), stdout: filepath.Join(dir, "stdout"), stderr: filepath.Join(dir, "stderr"), done: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), envAsDustm+"=1", "GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
	out, _ := os.Create(p.stdout)
	errf, _ := os.Create(p.stderr)
	p.cmd.Stdout, p.cmd.Stderr = out, errf
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.cmd.Wait()
		out.Close()
		errf.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
	})
	return p
}

func (p *dustmProcess) wait(t *testing.T, limit time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%s did not end within %s\n%s", p.cmd.Args, limit, p.err())
	}
	return p.cmd.ProcessState.ExitCode()
}

func (p *dustmProcess) err() string { b, _ := os.ReadFile(p.stderr); return string(b) }
func (p *dustmProcess) out() string { b, _ := os.ReadFile(p.stdout); return string(b) }

// waitFor polls cond (at most limit).
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// runningRun returns the folder and PID of a run that is running (its run.json names its
// process), or "".
func runningRun(dir string) (string, int) {
	infos, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "rep-*", experiments.RunInfoFile))
	for _, p := range infos {
		if info, err := experiments.ReadRunInfo(filepath.Dir(p)); err == nil && info.Status == experiments.StatusRunning && info.PID > 0 {
			return filepath.Dir(p), info.PID
		}
	}
	return "", 0
}

// gone reports a process that has exited (a zombie counts: it no longer runs).
func gone(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return syscall.Kill(pid, 0) != nil
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] == 'Z'
}

// checkFolder checks what every fault must leave: no temporary file (but in the folder of a
// run killed with its sweep, skip), every run that is
// recorded as complete readable and counted as its own configuration's (no warning), and
// returns the complete runs' result files' contents by folder.
func checkFolder(t *testing.T, dir string, skip ...string) map[string]string {
	t.Helper()
	noTemporaries(t, dir, skip...)
	f, err := experiments.LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Warnings) > 0 {
		t.Errorf("warnings: %q", f.Warnings)
	}
	done := map[string]string{}
	for _, r := range f.Runs {
		if !r.OK() {
			continue
		}
		c := f.Config(r)
		backend, _ := r.Record.Config.Get("backend")
		if c == nil || !r.Info.Params.Equal(c.Params) || backend != c.Params.Value("backend") {
			t.Errorf("%s: labelled %v, measured %s", r.Dir, r.Info.Params, backend)
		}
		b, _ := json.Marshal(r.Record) // the file may be compacted
		done[r.Dir] = string(b)
	}
	return done
}

func noTemporaries(t *testing.T, dir string, skip ...string) {
	t.Helper()
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && slices.Contains(skip, path) {
			return fs.SkipDir
		}
		if err == nil && strings.Contains(d.Name(), ".tmp") {
			t.Errorf("a temporary file is left: %s", path)
		}
		return nil
	})
}

func requireLinux(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal and /proc are Linux's")
	}
}

// TestKill9CompactAndResume: a sweep killed with SIGKILL leaves no run behind (Pdeathsig);
// compact leaves the killed run alone; the resume keeps every completed run and runs the rest.
func TestKill9CompactAndResume(t *testing.T) {
	requireLinux(t)
	asDustm(t)
	def := writeDef(t, fourRuns)
	dir := filepath.Join(t.TempDir(), "res")
	p := startDustm(t, "experiment", "-f", def, "-o", dir, "--no-plot")
	waitFor(t, 30*time.Second, "the second run", func() bool { return strings.Contains(p.err(), "[2/4]") })
	var runDir string
	var pid int
	// The run is stopped (SIGSTOP) before its sweep is killed, so that a loaded machine cannot
	// let it finish in between: only the parent-death signal can end it then.
	waitFor(t, 10*time.Second, "the second run's process, stopped before it ends", func() bool {
		if runDir, pid = runningRun(dir); pid == 0 || syscall.Kill(pid, syscall.SIGSTOP) != nil {
			return false
		}
		if _, err := os.Stat(filepath.Join(runDir, experiments.ResultFile)); err == nil {
			syscall.Kill(pid, syscall.SIGCONT) // it had ended already: wait for another
			return false
		}
		return true
	})
	p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.done
	waitFor(t, 5*time.Second, fmt.Sprintf("run process %d to end", pid), func() bool { return gone(pid) })
	// Killed with its sweep, it did not go on to the end of its run (and write its result).
	if _, err := os.Stat(filepath.Join(runDir, experiments.ResultFile)); err == nil {
		t.Error("the run outlived its sweep: it wrote its result")
	}
	// The killed run's unfinished files are under their temporary names: the resume keeps them.
	before := checkFolder(t, dir, runDir)
	if len(before) < 1 {
		t.Fatalf("no complete run before the kill\n%s", p.err())
	}

	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"experiment", "compact", dir}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "1 runs that did not end (running or interrupted) are left as they are") {
		t.Errorf("compact: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	if _, err := os.Stat(filepath.Join(runDir, experiments.StdoutFile)); err != nil {
		t.Errorf("compact touched the killed run: %v", err)
	}

	stdout.Reset()
	stderr.Reset()
	if code := dispatch([]string{"experiment", "--resume", dir, "--no-plot"}, &stdout, &stderr); code != 0 {
		t.Fatalf("resume: exit %d\n%s", code, stderr.String())
	}
	if want := fmt.Sprintf("resuming: %d complete", len(before)); !strings.Contains(stderr.String(), want) {
		t.Errorf("resume progress lacks %q:\n%s", want, stderr.String())
	}
	after := checkFolder(t, dir)
	if len(after) != 4 {
		t.Errorf("%d complete runs after the resume, want 4", len(after))
	}
	for d, b := range before {
		if after[d] != b {
			t.Errorf("%s: a run complete before the kill was not kept", d)
		}
	}
	if info, err := experiments.ReadRunInfo(filepath.Join(runDir, "previous", "1")); err != nil || info.Status != experiments.StatusRunning {
		t.Errorf("the killed attempt is not kept in previous/1: %+v %v", info, err)
	}
}

// TestTwoSweepsOneFolder: while a sweep runs, a second one in its folder (resume or new),
// and compact, are refused with exit 2, naming the process; the first ends as if alone.
func TestTwoSweepsOneFolder(t *testing.T) {
	asDustm(t)
	def := writeDef(t, fourRuns)
	dir := filepath.Join(t.TempDir(), "res")
	p := startDustm(t, "experiment", "-f", def, "-o", dir, "--no-plot")
	waitFor(t, 30*time.Second, "the first run", func() bool { return strings.Contains(p.err(), "[1/4]") })
	holder := fmt.Sprintf("is being written by process %d (dustm experiment -f %s -o %s --no-plot, since ", p.cmd.Process.Pid, def, dir)
	for _, args := range [][]string{
		{"experiment", "--resume", dir, "--no-plot"},
		{"experiment", "compact", dir},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), holder) {
			t.Errorf("%q beside a sweep: exit %d, %q; want 2 and %q", args, code, stderr.String(), holder)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"experiment", "-f", def, "-o", dir}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "exists and is not empty") {
		t.Errorf("a new sweep in the folder: exit %d, %q", code, stderr.String())
	}
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("the sweep: exit %d\n%s", code, p.err())
	}
	if done := checkFolder(t, dir); len(done) != 4 {
		t.Errorf("%d complete runs, want 4", len(done))
	}
	m, _ := experiments.ReadManifest(dir)
	if len(m.Sessions) != 1 {
		t.Errorf("%d sessions", len(m.Sessions))
	}
	if gz, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "rep-*", "*.gz")); len(gz) > 0 {
		t.Errorf("compact wrote beside the sweep: %q", gz)
	}
}

// TestTimeoutStopsCleanly: timeout(1) signals the sweep and then its group; that one request
// stops it cleanly: exit 1, the summary, the resume hint.
func TestTimeoutStopsCleanly(t *testing.T) {
	tool, err := exec.LookPath("timeout")
	if err != nil {
		t.Skip("no timeout(1)")
	}
	asDustm(t)
	exe, _ := os.Executable()
	def := writeDef(t, strings.Replace(fourRuns, `"length": 0.4`, `"length": 2`, 1))
	for i := range 3 {
		dir := filepath.Join(t.TempDir(), "res")
		p := startCommand(t, tool, "--preserve-status", "1.5", exe, "experiment", "-f", def, "-o", dir, "--no-plot")
		code := p.wait(t, 60*time.Second)
		if code != 1 || !strings.Contains(p.err(), "resume with --resume "+dir) || !strings.Contains(p.out(), "summary: ") {
			t.Errorf("try %d: exit %d; want 1, the summary and the resume hint\nstdout:\n%s\nstderr:\n%s", i, code, p.out(), p.err())
		}
		if _, err := os.Stat(filepath.Join(dir, experiments.SummaryFile)); err != nil {
			t.Errorf("try %d: no summary: %v", i, err)
		}
		checkFolder(t, dir)
		if _, pid := runningRun(dir); pid != 0 {
			t.Errorf("try %d: a run is still recorded as running (process %d)", i, pid)
		}
	}
}

// TestBrokenPipe: a report cut short by a closed pipe costs neither result file, and leaves
// no temporary file.
func TestBrokenPipe(t *testing.T) {
	asDustm(t)
	exe, _ := os.Executable()
	dir := t.TempDir()
	script := `"$0" bench -l 0.3 --size tiny --no-traversals --json r.json --series r.jsonl | head -1 >/dev/null; echo "${PIPESTATUS[0]}" > rc`
	cmd := exec.Command("bash", "-c", script, exe)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rc, _ := os.ReadFile(filepath.Join(dir, "rc"))
	if strings.TrimSpace(string(rc)) != "0" {
		t.Errorf("dustm bench exited %s under a closed pipe", rc)
	}
	if _, err := record.Read(filepath.Join(dir, "r.json")); err != nil {
		t.Errorf("the result: %v", err)
	}
	if s, err := record.ReadSeriesFile(filepath.Join(dir, "r.jsonl")); err != nil || len(s) == 0 {
		t.Errorf("the series: %d points, %v", len(s), err)
	}
	noTemporaries(t, dir)

	// The result itself on the closed pipe: that is a failure, and the series is kept.
	script = `"$0" bench -l 0.3 --size tiny --no-traversals --json - --series r2.jsonl 2>err | true; echo "${PIPESTATUS[0]}" > rc`
	cmd = exec.Command("bash", "-c", script, exe)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	rc, _ = os.ReadFile(filepath.Join(dir, "rc"))
	msg, _ := os.ReadFile(filepath.Join(dir, "err"))
	if strings.TrimSpace(string(rc)) != "1" || !strings.Contains(string(msg), "writing -: broken pipe") {
		t.Errorf("--json - on a closed pipe: exit %s, %s", rc, msg)
	}
	if _, err := record.ReadSeriesFile(filepath.Join(dir, "r2.jsonl")); err != nil {
		t.Errorf("the series: %v", err)
	}
	noTemporaries(t, dir)
}

// TestFullDisk: plot with the disk full (a file size limit: writes past it fail with EFBIG)
// fails, and leaves the summaries, the figures and REPORT.md of the earlier plot whole.
func TestFullDisk(t *testing.T) {
	requireLinux(t)
	dir := filepath.Join(t.TempDir(), "res")
	e, err := experiments.Parse(strings.NewReader(fourRuns))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, "runs", "main", "backend=stm", "rep-1")
	figs := filepath.Join(t.TempDir(), "figs")
	for _, args := range [][]string{{"plot", dir}, {"plot", "-o", figs, run}} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != 0 {
			t.Fatalf("%q: exit %d\n%s", args, code, stderr.String())
		}
	}
	snapshot := func() map[string]string {
		m := map[string]string{}
		files, _ := filepath.Glob(filepath.Join(dir, "figures", "*"))
		more, _ := filepath.Glob(filepath.Join(figs, "*"))
		for _, f := range append(append(files, more...), filepath.Join(dir, "REPORT.md"), filepath.Join(dir, experiments.SummaryFile),
			filepath.Join(dir, experiments.SummaryLongFile)) {
			b, _ := os.ReadFile(f)
			m[f] = string(b)
		}
		return m
	}
	before := snapshot()
	largest := 0
	for _, f := range slices.Collect(maps.Keys(before)) {
		if strings.HasPrefix(f, figs) {
			largest = max(largest, len(before[f]))
		}
	}
	// The limits, in blocks of 1 KiB (bash): below the summary, then below the largest figure.
	exe, _ := os.Executable()
	for _, c := range []struct {
		limit int
		args  []string
	}{{4, []string{"plot", dir}}, {largest/1024 - 1, []string{"plot", "-o", figs, run}}} {
		cmd := exec.Command("bash", append([]string{"-c", `ulimit -f "$1"; shift; exec "$0" "$@"`, exe, strconv.Itoa(c.limit)}, c.args...)...)
		cmd.Env = append(os.Environ(), envAsDustm+"=1")
		out, err := cmd.CombinedOutput()
		code := -1
		if cmd.ProcessState != nil {
			code = cmd.ProcessState.ExitCode()
		}
		if code != 1 || !strings.Contains(string(out), "file too large") {
			t.Errorf("%q on a full disk: exit %d (%v), want 1 and the reason\n%s", c.args, code, err, out)
		}
	}
	after := snapshot()
	for f, b := range before {
		if after[f] != b {
			t.Errorf("%s changed (%d bytes, was %d)", f, len(after[f]), len(b))
		}
		if strings.HasSuffix(f, ".png") {
			if _, err := png.Decode(strings.NewReader(after[f])); err != nil {
				t.Errorf("%s: %v", f, err)
			}
		}
	}
	noTemporaries(t, dir)
	noTemporaries(t, figs)
}

// TestNowhereForResults: a results folder that cannot be made fails at once with exit 2.
func TestNowhereForResults(t *testing.T) {
	def := writeDef(t, fourRuns)
	dir := t.TempDir()
	afile := filepath.Join(dir, "afile")
	os.WriteFile(afile, nil, 0o644)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"-f", def, "--results", afile}, "--results: " + afile + " is a file, not a folder"},
		{[]string{"-f", def, "-o", filepath.Join(afile, "x")}, "--out: " + filepath.Join(afile, "x") + ": a part of this path is a file, not a folder"},
	}
	if os.Geteuid() != 0 { // root reads every folder
		locked := filepath.Join(dir, "locked")
		os.MkdirAll(filepath.Join(locked, "four"), 0o755)
		os.Chmod(locked, 0)
		defer os.Chmod(locked, 0o755)
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"-f", def, "--results", locked}, "permission denied"})
	}
	for _, c := range cases {
		done := make(chan struct{})
		var stdout, stderr bytes.Buffer
		var code int
		go func() {
			defer close(done)
			code = dispatch(append([]string{"experiment"}, c.args...), &stdout, &stderr)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("%q: still running after 10 s", c.args)
		}
		if code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
	// A file named results in the working folder (the default --results).
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	os.Chdir(dir)
	os.WriteFile("results", nil, 0o644)
	var stdout, stderr bytes.Buffer
	if code := dispatch([]string{"experiment", "-f", def}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "--results: results is a file, not a folder") {
		t.Errorf("a file named results: exit %d, %q", code, stderr.String())
	}
}

// TestTraceCollisions: per-thread trace files that are another output, or a trace of several
// threads on a device, are refused before anything runs.
func TestTraceCollisions(t *testing.T) {
	dir := t.TempDir()
	run := []string{"bench", "-l", "0.1", "--size", "tiny", "--no-traversals"}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-t", "2", "--json", filepath.Join(dir, "t.0"), "--trace", filepath.Join(dir, "t")},
			"--json and --trace both write to " + filepath.Join(dir, "t.0") + " (the trace of thread 0 with 2 threads)"},
		{[]string{"-t", "3", "--series", filepath.Join(dir, "t.2"), "--trace", filepath.Join(dir, "t")}, "(the trace of thread 2 with 3 threads)"},
		{[]string{"-t", "2", "--trace", "/dev/full"}, "--trace /dev/full is not a regular file: with 2 threads the trace is one file per thread (/dev/full.0, /dev/full.1, …)"},
		{[]string{"-t", "2", "--trace", "/dev/null"}, "--trace /dev/null is not a regular file"},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(append(run, c.args...), &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", c.args, code, stderr.String(), c.want)
		}
	}
	if _, err := os.Stat("/dev/full.0"); err == nil {
		t.Error("/dev/full.0 was created")
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("files were written: %v", entries)
	}
	// One thread writes through the device.
	var stdout, stderr bytes.Buffer
	if code := dispatch(append(run, "-t", "1", "--trace", "/dev/null"), &stdout, &stderr); code != 0 {
		t.Errorf("one thread's trace to /dev/null: exit %d, %s", code, stderr.String())
	}
}

// TestUnreadableFolder: plot and summary of a folder whose runs are all damaged exit 1,
// saying that nothing could be read.
func TestUnreadableFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "res")
	e, err := experiments.Parse(strings.NewReader(fourRuns))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	results, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "rep-*", experiments.ResultFile))
	for _, r := range results {
		os.WriteFile(r, []byte("{"), 0o644)
	}
	for _, args := range [][]string{{"plot", dir}, {"experiment", "summary", dir}} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(args, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "nothing could be read: "+strconv.Itoa(len(results))+" runs of") {
			t.Errorf("%q: exit %d, %q", args, code, stderr.String())
		}
	}
}

// TestOneRequestTwoSignals: a request delivered twice (timeout(1): to the process, then to its
// group) stops the command once; it does not kill it. Were the second signal taken as a
// second request, it would kill this test's process.
func TestOneRequestTwoSignals(t *testing.T) {
	ctx, stop := interruptContext()
	defer stop()
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not cancel the context")
	}
	time.Sleep(50 * time.Millisecond) // the first request is handled
	syscall.Kill(os.Getpid(), syscall.SIGTERM)
	time.Sleep(50 * time.Millisecond)
}
