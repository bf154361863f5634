package experiments_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

const twoBackends = `{"name": "two", "repetitions": 1, "axes": {"backend": ["coarse", "stm"]}, "fixed": {"size": "tiny", "length": 0.3}}`

func editRunInfo(t *testing.T, dir string, edit func(*experiments.RunInfo)) {
	t.Helper()
	info, err := experiments.ReadRunInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	edit(&info)
	if err := experiments.WriteRunInfo(dir, info); err != nil {
		t.Fatal(err)
	}
}

func okRuns(t *testing.T, dir string) (*experiments.Folder, map[string]int) {
	t.Helper()
	f, err := experiments.LoadFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, r := range f.Runs {
		if r.OK() {
			n[r.Info.Config]++
		}
	}
	return f, n
}

// TestRunsCheckedAgainstConfiguration: a run counts only as the configuration it ran: a
// run.json saying backend=coarse in the backend=stm folder, a run copied from another
// experiment, and runs of an edited definition are not counted by the loader, and a resume
// runs them again, naming the difference, with the earlier attempts kept.
func TestRunsCheckedAgainstConfiguration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := experimentstest.WriteFolder(dir, experimentstest.Parse(t, twoBackends), experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	stm := filepath.Join(dir, "runs", "main", "backend=stm", "rep-1")
	coarse := filepath.Join(dir, "runs", "main", "backend=coarse", "rep-1")
	editRunInfo(t, stm, func(i *experiments.RunInfo) {
		i.Config = "backend=coarse"
		i.Params = i.Params.With("backend", "coarse")
	})
	f, n := okRuns(t, dir)
	if n["backend=coarse"] != 1 || n["backend=stm"] != 0 || !strings.Contains(strings.Join(f.Warnings, "\n"), "describes main/backend=coarse rep 1, not the run of this folder (main/backend=stm rep 1)") {
		t.Errorf("a coarse run.json in the stm folder: counted %v, warnings %q", n, f.Warnings)
	}

	// A run copied in from another experiment (same settings, another name).
	other := filepath.Join(t.TempDir(), "other")
	if _, err := experimentstest.WriteFolder(other, experimentstest.Parse(t, strings.Replace(twoBackends, `"two"`, `"other"`, 1)), experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	os.RemoveAll(coarse)
	if err := os.Rename(filepath.Join(other, "runs", "main", "backend=coarse", "rep-1"), coarse); err != nil {
		t.Fatal(err)
	}
	f, n = okRuns(t, dir)
	if n["backend=coarse"] != 0 || !strings.Contains(strings.Join(f.Warnings, "\n"), `is of experiment "other", not "two"`) {
		t.Errorf("a run of another experiment: counted %v, warnings %q", n, f.Warnings)
	}

	// Resume: both run again, the difference named, the earlier attempts kept.
	s, err := experiments.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r, progress, log := fakeRunner(t)
	o, err := r.Run(context.Background(), s)
	if err != nil || o.Ran != 2 || o.OK != 2 || o.Done != 0 {
		t.Fatalf("resume: %+v %v\n%s", o, err, progress)
	}
	for _, want := range []string{"main/backend=stm rep 1 runs again: its run.json describes main/backend=coarse rep 1",
		`main/backend=coarse rep 1 runs again: its run.json is of experiment "other", not "two"`} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress)
		}
	}
	if len(invocations(t, log)) != 2 {
		t.Errorf("invocations %q", invocations(t, log))
	}
	for _, d := range []string{stm, coarse} {
		if _, err := os.Stat(filepath.Join(d, "previous", "1", experiments.ResultFile)); err != nil {
			t.Errorf("the earlier attempt is lost: %v", err)
		}
	}
	f, n = okRuns(t, dir)
	if n["backend=coarse"] != 1 || n["backend=stm"] != 1 || len(f.Warnings) > 0 {
		t.Errorf("after the resume: %v %q", n, f.Warnings)
	}

	// The definition edited in the manifest (length 0.3 → 0.5): the runs of 0.3 s are not
	// labelled 0.5 s; a resume runs them again.
	m, err := experiments.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	m.Definition.Parts[0].Settings["length"] = []string{"0.5"}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(filepath.Join(dir, experiments.ManifestFile), b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, n = okRuns(t, dir)
	if len(n) != 0 || !strings.Contains(strings.Join(f.Warnings, "\n"), "records length=0.3 (the configuration: 0.5)") {
		t.Errorf("runs of another length: counted %v, warnings %q", n, f.Warnings)
	}
	if s, err = experiments.Open(dir); err != nil {
		t.Fatal(err)
	}
	r2, progress2, _ := fakeRunner(t)
	if o, err := r2.Run(context.Background(), s); err != nil || o.OK != 2 {
		t.Fatalf("resume of the edited definition: %+v %v\n%s", o, err, progress2)
	}
	f, n = okRuns(t, dir)
	if n["backend=coarse"] != 1 || n["backend=stm"] != 1 || len(f.Warnings) > 0 {
		t.Errorf("after the resume of the edited definition: %v %q", n, f.Warnings)
	}
	for _, run := range f.Runs {
		if l, _ := experiments.ParamsOf(run.Record).Get("length"); l != "0.5" {
			t.Errorf("%s: measured %v", run.Dir, l)
		}
	}
}

// TestResultCheckedAgainstConfiguration: a result measured with other settings than its
// run.json says (a bench that ignored a flag, a result copied over) is not counted.
func TestResultCheckedAgainstConfiguration(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := experimentstest.WriteFolder(dir, experimentstest.Parse(t, twoBackends), experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(dir, "runs", "main", "backend=coarse", "rep-1", experiments.ResultFile)
	dst := filepath.Join(dir, "runs", "main", "backend=stm", "rep-1", experiments.ResultFile)
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f, n := okRuns(t, dir)
	if n["backend=stm"] != 0 || !strings.Contains(strings.Join(f.Warnings, "\n"), "its result was measured with backend=coarse (the configuration: stm)") {
		t.Errorf("counted %v, warnings %q", n, f.Warnings)
	}
}

// TestEditedDefinitionRefused: --resume refuses an experiment.json that no longer says what
// the manifest does, naming the difference.
func TestEditedDefinitionRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := experimentstest.WriteFolder(dir, experimentstest.Parse(t, twoBackends), experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckDefinition(); err != nil {
		t.Fatalf("an untouched definition: %v", err)
	}
	path := filepath.Join(dir, experiments.DefinitionFile)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), `"coarse"`, `"medium"`, 1)), 0o644)
	err = s.CheckDefinition()
	if !errors.Is(err, experiments.ErrInvalid) || !strings.Contains(err.Error(), `experiment.json was edited since the sweep started (axes.backend[0]: "coarse" in the manifest, "medium" in the file)`) ||
		!strings.Contains(err.Error(), "dustm experiment -f "+path+" -o NEWDIR") {
		t.Errorf("edited: %v", err)
	}
	os.WriteFile(path, []byte("{"), 0o644)
	if err := s.CheckDefinition(); err == nil || !strings.Contains(err.Error(), "was edited and no longer reads") {
		t.Errorf("broken: %v", err)
	}
}

// TestFolderLock: a second session in a folder that one holds is refused, naming the holder;
// compact too. The lock goes with the session.
func TestFolderLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	s, err := experiments.Create(dir, experimentstest.Parse(t, twoBackends), experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	held, err := experiments.LockFolder(dir, "dustm experiment -f x.json")
	if err != nil {
		t.Fatal(err)
	}
	r, progress, log := fakeRunner(t)
	_, err = r.Run(context.Background(), s)
	want := fmt.Sprintf("is being written by process %d (dustm experiment -f x.json, since ", os.Getpid())
	if !errors.Is(err, experiments.ErrBusy) || !strings.Contains(err.Error(), want) {
		t.Errorf("a second session: %v, want %q", err, want)
	}
	if _, _, err := experiments.Compact(dir); !errors.Is(err, experiments.ErrBusy) {
		t.Errorf("compact beside a session: %v", err)
	}
	if n := len(invocations(t, log)); n != 0 {
		t.Errorf("%d runs started beside the session", n)
	}
	held.Unlock()
	if o, err := r.Run(context.Background(), s); err != nil || o.OK != 2 {
		t.Errorf("after the unlock: %+v %v\n%s", o, err, progress)
	}
	// The session released it.
	l, err := experiments.LockFolder(dir, "test")
	if err != nil {
		t.Fatalf("the session kept the lock: %v", err)
	}
	l.Unlock()
}

// TestCompactLeavesUnfinishedRuns: compact gzips the runs that ended and leaves a running or
// interrupted run's files as they are.
func TestCompactLeavesUnfinishedRuns(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := experimentstest.WriteFolder(dir, experimentstest.Parse(t, twoBackends), experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	running := filepath.Join(dir, "runs", "main", "backend=stm", "rep-1")
	editRunInfo(t, running, func(i *experiments.RunInfo) { i.Status = experiments.StatusRunning })
	if err := os.WriteFile(filepath.Join(running, experiments.StdoutFile), []byte("half a report"), 0o644); err != nil {
		t.Fatal(err)
	}
	saved, skipped, err := experiments.Compact(dir)
	if err != nil || saved <= 0 || skipped != 1 {
		t.Fatalf("compact: %d %d %v", saved, skipped, err)
	}
	for _, f := range []string{experiments.StdoutFile, experiments.ResultFile, experiments.SeriesFile} {
		if _, err := os.Stat(filepath.Join(running, f)); err != nil {
			t.Errorf("the running run's %s: %v", f, err)
		}
		if _, err := os.Stat(filepath.Join(running, f+".gz")); err == nil {
			t.Errorf("the running run's %s was compressed", f)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "runs", "main", "backend=coarse", "rep-1", experiments.ResultFile+".gz")); err != nil {
		t.Errorf("the complete run was not compressed: %v", err)
	}
}
