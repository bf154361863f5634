package experiments_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
	"dustm/record"
)

// TestMain lets the test binary act as a fake `dustm bench`, so the runner's processes are
// real processes.
func TestMain(m *testing.M) {
	if os.Getenv(experimentstest.EnvFake) == "1" {
		os.Exit(experimentstest.FakeMain(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func fakeRunner(t *testing.T, env ...string) (*experiments.Runner, *experimentstest.SyncBuffer, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	log := filepath.Join(t.TempDir(), "invocations.log")
	progress := &experimentstest.SyncBuffer{}
	r := &experiments.Runner{
		Exe: exe,
		// GORACE: a race-enabled child would sleep a second before exiting.
		Env: append(os.Environ(), append([]string{experimentstest.EnvFake + "=1", experimentstest.EnvLog + "=" + log,
			"GORACE=" + os.Getenv("GORACE") + " atexit_sleep_ms=0"}, env...)...),
		Progress:       progress,
		Grace:          5 * time.Second,
		InterruptDelay: 50 * time.Millisecond,
	}
	return r, progress, log
}

func invocations(t *testing.T, log string) []string {
	b, err := os.ReadFile(log)
	if err != nil {
		return nil
	}
	var lines []string
	for l := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		if l != "" && !strings.Contains(l, "--help") {
			lines = append(lines, l)
		}
	}
	return lines
}

func tinyExperiment(t *testing.T) *experiments.Experiment {
	t.Helper()
	e, err := experiments.Parse(strings.NewReader(`{
		"name": "tiny", "repetitions": 2,
		"parts": [
			{"name": "threads", "axes": {"backend": ["coarse", "stm"], "threads": [1, 2]}, "fixed": {"size": "tiny", "length": 0.5}},
			{"name": "up", "axes": {"upgrade": ["none", "atomic-point"], "migration": ["lazy", "eager"]}, "fixed": {"size": "tiny", "length": 0.5}}
		]}`))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestRunnerEndToEnd(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := experiments.Create(dir, tinyExperiment(t), experiments.CreateOptions{Source: "test", Overrides: []string{"x=1"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Runs) != 14 { // (4 + 3) configurations × 2
		t.Fatalf("%d runs, want 14", len(s.Runs))
	}
	r, progress, log := fakeRunner(t, experimentstest.EnvFail+"=--upgrade atomic-point --migration eager")
	o, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if o.Ran != 14 || o.OK != 12 || o.Failed != 2 || o.Interrupted {
		t.Fatalf("outcome %+v\n%s", o, progress)
	}
	out := progress.String()
	for _, want := range []string{"[1/14] threads: backend=coarse threads=1 rep 1/2 — ETA", "[14/14] up:", "failed: exit status 1: dustm bench: fake failure"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
	// Repetitions interleave: the first run of the second repetition follows the last
	// configuration's first.
	calls := invocations(t, log)
	if len(calls) != 14 || !strings.Contains(calls[7], "rep-2") || !strings.Contains(calls[6], "rep-1") {
		t.Errorf("invocations:\n%s", strings.Join(calls, "\n"))
	}
	// Every run's files are kept; the failed one has failed.json.
	failedDir := filepath.Join(dir, "runs", "up", "upgrade=atomic-point,migration=eager", "rep-1")
	var fl experiments.Failure
	b, err := os.ReadFile(filepath.Join(failedDir, experiments.FailedFile))
	if err != nil || json.Unmarshal(b, &fl) != nil || fl.ExitCode != 1 || !strings.Contains(fl.StderrTail, "fake failure") {
		t.Errorf("failed.json: %v %+v", err, fl)
	}
	okDir := filepath.Join(dir, "runs", "threads", "backend=stm,threads=2", "rep-2")
	for _, f := range []string{experiments.ResultFile, experiments.SeriesFile, experiments.StdoutFile, experiments.StderrFile, experiments.RunInfoFile} {
		if st, err := os.Stat(filepath.Join(okDir, f)); err != nil || (st.Size() == 0 && f != experiments.StderrFile) {
			t.Errorf("%s: %v", f, err)
		}
	}
	// The summary: medians of the fake's formula.
	f, sum, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	row := sum.Row("threads", "backend=stm,threads=2")
	if row == nil || row.Runs != 2 || row.Failed != 0 {
		t.Fatalf("row %+v", row)
	}
	want := experimentstest.FakeThroughput(experimentstest.FakeParams{Backend: "stm", Commit: "lockfree", Workload: "r", Size: "tiny", Threads: 2}) *
		(experimentstest.RepFactor(1) + experimentstest.RepFactor(2)) / 2
	if got := row.Stats["throughput"].Median; !experimentstest.Within(got, want, 1e-6) {
		t.Errorf("median throughput %v, want %v", got, want)
	}
	failedRow := sum.Row("up", "upgrade=atomic-point,migration=eager")
	if failedRow == nil || failedRow.Failed != 2 || failedRow.Runs != 0 {
		t.Errorf("failed row %+v", failedRow)
	}
	csv, _ := os.ReadFile(filepath.Join(dir, experiments.SummaryFile))
	if !strings.HasPrefix(string(csv), "part,config,backend,commit,workload,threads,size,traversals,sms,upgrade,migration,dry-run,length,interval,seed") ||
		!strings.Contains(string(csv), "throughput_median,throughput_min,throughput_max,throughput_ci95_low") {
		t.Errorf("summary.csv header: %.300s", csv)
	}
	if f.Manifest.Env.GoVersion == "" || len(f.Manifest.Sessions) != 1 || f.Manifest.Sessions[0].Ran != 14 {
		t.Errorf("manifest %+v", f.Manifest)
	}

	// Resuming a complete sweep runs nothing; --retry-failed runs the failed ones again and
	// keeps their earlier attempt.
	before := len(invocations(t, log))
	s2, err := experiments.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := r.Run(context.Background(), s2); err != nil || o.Ran != 0 || o.Done != 12 || o.Kept != 2 {
		t.Errorf("resume of a complete sweep: %+v %v", o, err)
	}
	r.RetryFailed = true
	r.Env = append(r.Env, experimentstest.EnvFail+"=no-such-thing")
	if o, err := r.Run(context.Background(), s2); err != nil || o.Ran != 2 || o.OK != 2 {
		t.Errorf("retry: %+v %v", o, err)
	}
	if n := len(invocations(t, log)) - before; n != 2 {
		t.Errorf("%d invocations on retry, want 2", n)
	}
	if _, err := os.Stat(filepath.Join(failedDir, "previous", "1", experiments.FailedFile)); err != nil {
		t.Errorf("the earlier attempt was not kept: %v", err)
	}
}

func TestRunnerInterruptAndResume(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := experiments.Create(dir, tinyExperiment(t), experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Every run sleeps 150 ms; cancel while the 4th runs.
	r, progress, log := fakeRunner(t, experimentstest.EnvSleep+"=150ms")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // once the 4th run has started
		for len(invocations(t, log)) < 4 {
			time.Sleep(5 * time.Millisecond)
		}
		time.Sleep(30 * time.Millisecond)
		cancel()
	}()
	o, err := r.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Interrupted || o.OK != 3 || o.Ran != 3 || o.Cut != 1 {
		t.Fatalf("outcome %+v\n%s", o, progress)
	}
	fourth := s.RunDir(s.Runs[3])
	info, err := experiments.ReadRunInfo(fourth)
	if err != nil || info.Status != experiments.StatusInterrupted {
		t.Errorf("the interrupted run: %+v %v", info, err)
	}
	// The summary of what exists can be written.
	if _, sum, err := analysis.WriteSummary(dir, analysis.SummaryOptions{}); err != nil || len(sum.Rows) != 7 {
		t.Errorf("summary after the interruption: %v", err)
	}

	// Resume: the three complete runs are not run again, the interrupted one is.
	s2, err := experiments.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r2, progress2, log2 := fakeRunner(t)
	o, err = r2.Run(context.Background(), s2)
	if err != nil {
		t.Fatal(err)
	}
	if o.Done != 3 || o.Ran != 11 || o.OK != 11 || o.Interrupted {
		t.Fatalf("resumed outcome %+v\n%s", o, progress2)
	}
	if !strings.Contains(progress2.String(), "resuming: 3 complete") || !strings.Contains(progress2.String(), "[4/14]") {
		t.Errorf("progress on resume:\n%s", progress2)
	}
	calls := invocations(t, log2)
	if len(calls) != 11 || !strings.Contains(calls[0], filepath.Join(s.Runs[3].Dir(), "result.json")) {
		t.Errorf("resumed invocations:\n%s", strings.Join(calls, "\n"))
	}
	if n := len(invocations(t, log)); n != 4 {
		t.Errorf("%d invocations before the interruption, want 4", n)
	}
	// The interrupted attempt's files are kept under previous/.
	if _, err := os.Stat(filepath.Join(fourth, "previous", "1", experiments.RunInfoFile)); err != nil {
		t.Errorf("the interrupted attempt was not kept: %v", err)
	}
	m, _ := experiments.ReadManifest(dir)
	if len(m.Sessions) != 2 || !m.Sessions[0].Interrupted {
		t.Errorf("sessions %+v", m.Sessions)
	}
}

func TestRunnerTimeout(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	e, _ := experiments.Parse(strings.NewReader(`{"name": "t", "repetitions": 1, "axes": {"threads": [1, 2]}, "fixed": {"size": "tiny", "length": 0.2}}`))
	s, err := experiments.Create(dir, e, experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, progress, _ := fakeRunner(t, experimentstest.EnvSleep+"=60s", experimentstest.EnvSleepIf+"=-t 2")
	r.Timeout = 3 * time.Second
	o, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if o.OK != 1 || o.Failed != 1 {
		t.Fatalf("outcome %+v\n%s", o, progress)
	}
	if !strings.Contains(progress.String(), "timed out after 3s") {
		t.Errorf("progress:\n%s", progress)
	}
	// What the interrupted run wrote is kept.
	res, err := record.Read(filepath.Join(s.RunDir(s.Runs[1]), experiments.ResultFile))
	if err != nil || !res.Interrupted {
		t.Errorf("partial result: %v", err)
	}
}

func TestRunnerMissingFlags(t *testing.T) {
	// A bench that predates the upgrade flags: the upgrade runs fail with a clear message,
	// without starting a process, and the rest of the sweep runs.
	dir := filepath.Join(t.TempDir(), "out")
	s, err := experiments.Create(dir, tinyExperiment(t), experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, progress, log := fakeRunner(t, experimentstest.EnvMissing+"=--upgrade,--migration,--sweepers")
	o, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if o.OK != 10 || o.Failed != 4 {
		t.Fatalf("outcome %+v\n%s", o, progress)
	}
	if !strings.Contains(progress.String(), "this dustm bench does not accept --upgrade, --migration") {
		t.Errorf("progress:\n%s", progress)
	}
	if n := len(invocations(t, log)); n != 10 {
		t.Errorf("%d processes started, want 10", n)
	}
}

func TestRunnerFlagsWithValues(t *testing.T) {
	// Keys that become --flag=value arguments (probe) are checked by the flag's name.
	dir := filepath.Join(t.TempDir(), "out")
	e, err := experiments.Parse(strings.NewReader(`{"name": "t", "repetitions": 1,
		"axes": {"probe": ["on", "off"]}, "fixed": {"size": "tiny", "length": 0.2, "gogc": 400}}`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := experiments.Create(dir, e, experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, progress, _ := fakeRunner(t)
	o, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if o.OK != 2 || o.Failed != 0 {
		t.Fatalf("outcome %+v\n%s", o, progress)
	}
}

func TestRunnerRejectedConfiguration(t *testing.T) {
	// A configuration the bench rejects (exit 2) fails once; its other repetitions are not
	// started.
	dir := filepath.Join(t.TempDir(), "out")
	e, _ := experiments.Parse(strings.NewReader(`{"name": "t", "repetitions": 3, "axes": {"size": ["tiny", "small"]}, "fixed": {"length": 0.2}}`))
	s, err := experiments.Create(dir, e, experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, progress, log := fakeRunner(t, experimentstest.EnvReject+"=--size small")
	o, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if o.OK != 3 || o.Failed != 3 || len(invocations(t, log)) != 4 {
		t.Errorf("outcome %+v, %d invocations\n%s", o, len(invocations(t, log)), progress)
	}
	if !strings.Contains(progress.String(), "rejected the configuration (exit 2): dustm bench: fake rejection of --size small") ||
		!strings.Contains(progress.String(), "not run: an earlier repetition was rejected") {
		t.Errorf("progress:\n%s", progress)
	}
}

func TestNotABenchBinary(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := experiments.Create(dir, tinyExperiment(t), experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := &experiments.Runner{Exe: "/bin/true"}
	if _, err := r.Run(context.Background(), s); err == nil || !strings.Contains(err.Error(), "is /bin/true a dustm binary") {
		t.Errorf("err = %v", err)
	}
	// A folder that is not empty cannot be created again.
	if _, err := experiments.Create(dir, tinyExperiment(t), experiments.CreateOptions{}); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("create over a sweep: %v", err)
	}
}

// A compacted folder resumes: its runs still count as complete (analysis'
// TestSummaryStatistics: and it summarizes the same).
func TestResumeCompacted(t *testing.T) {
	dir := t.TempDir()
	e := experimentstest.Parse(t, `{"name": "s", "repetitions": 6, "axes": {"backend": ["coarse", "stm"], "threads": [1, 2]},
		"fixed": {"size": "small", "length": 1}}`)
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}, "backend=coarse", "threads=2"); err != nil {
		t.Fatal(err)
	}
	if saved, _, err := experiments.Compact(dir); err != nil || saved <= 0 {
		t.Fatalf("compact: %d %v", saved, err)
	}
	s, _ := experiments.Open(dir)
	r2, _, _ := fakeRunner(t)
	if o, err := r2.Run(t.Context(), s); err != nil || o.Done != 18 || o.Kept != 6 || o.Ran != 0 {
		t.Errorf("resume of a compacted folder: %+v %v", o, err)
	}
}
