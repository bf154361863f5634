package experiments

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Runner executes a sweep's runs, each in a fresh process: `Exe bench …` for bench parts,
// a compiled `go test` binary for micro parts.
type Runner struct {
	// Exe is the dustm binary whose bench subcommand runs a configuration.
	Exe string
	// Workdir is the runs' working directory ("" for the current one); micro parts look for
	// the dustm source tree from there.
	Workdir string
	// Env is the runs' environment (nil: this process's).
	Env []string
	// Progress receives one line per run and a summary (nil: discarded).
	Progress io.Writer
	// Timeout of one run; 0 takes the experiment's, else three times the run's expected
	// duration plus a minute. A run past it is interrupted, then killed.
	Timeout time.Duration
	// RetryFailed runs again the runs an earlier session recorded as failed (by default a
	// resumed sweep keeps them).
	RetryFailed bool
	// GoTool is the go command for micro parts ("" finds go in PATH).
	GoTool string
	// Grace is how long an interrupted run may take to write its results before it is
	// killed (0: 15 s).
	Grace time.Duration
	// InterruptDelay is how long a run may take to stop by itself when the sweep is
	// cancelled (Ctrl-C reaches it directly) before it is sent an interrupt (0: 1 s). Not
	// on Linux, where a run has its own process group and is interrupted at once.
	InterruptDelay time.Duration
	// Command is the command line, recorded in the manifest's session.
	Command []string
}

// Outcome counts what a session did.
type Outcome struct {
	Planned int // runs the folder holds when complete
	Done    int // runs complete before this session
	Kept    int // runs that failed in an earlier session, not run again
	Ran     int // runs that ended in this session (OK + Failed)
	OK      int // … that succeeded
	Failed  int // … that failed
	// Cut counts the runs interrupted in this session (0 or 1): they run again on resume,
	// so they are neither successful nor failed, here as in the summary and the report.
	Cut         int
	Interrupted bool
	Elapsed     time.Duration
}

// runState is what a run's folder says about it.
type runState int

const (
	statePending runState = iota
	stateOK
	stateFailed
)

// session is one invocation of Runner.Run.
type session struct {
	r        *Runner
	s        *Sweep
	out      io.Writer
	flags    map[string]bool   // the flags `dustm bench` accepts
	rejected map[string]string // configuration ID → why its repetitions are not run
	binaries map[string]microBinary
	tmp      string
	kv       kvState // the Redis tools, for kv parts
}

type microBinary struct {
	path, dir string
	err       error
}

// Run executes the sweep's runs that are not complete: runs recorded as complete and valid
// are skipped (so an interrupted sweep resumes where it stopped), and so are runs recorded as
// failed unless RetryFailed. A failed run is recorded with its error and the sweep goes on.
// When ctx is cancelled, the current run is interrupted and Run returns with
// Outcome.Interrupted; the folder stays resumable. The error is for problems that stop the
// whole sweep (the bench cannot even start, another process holds the folder: ErrBusy);
// failed runs are counted in the Outcome. Run holds the folder's lock unless s holds it.
func (r *Runner) Run(ctx context.Context, s *Sweep) (Outcome, error) {
	start := time.Now()
	out := r.Progress
	if out == nil {
		out = io.Discard
	}
	ss := &session{r: r, s: s, out: out, rejected: map[string]string{}, binaries: map[string]microBinary{}}
	o := Outcome{Planned: len(s.Runs)}

	// The folder is this session's until it ends (the caller may hold the lock already, to
	// write the summary under it too).
	if s.lock == nil {
		if err := s.Lock(strings.Join(r.Command, " ")); err != nil {
			return o, err
		}
		defer s.Unlock()
	}

	var pending []Run
	var rerun []string
	for _, run := range s.Runs {
		st, why := s.stateOf(run)
		if why != "" {
			rerun = append(rerun, fmt.Sprintf("  %s rep %d runs again: %s (the earlier attempt is kept in previous/)", run.Config.ID(), run.Rep, why))
		}
		switch st {
		case stateOK:
			o.Done++
		case stateFailed:
			if r.RetryFailed {
				pending = append(pending, run)
			} else {
				o.Kept++
			}
		default:
			pending = append(pending, run)
		}
	}
	fmt.Fprintf(out, "%s: %d runs (%d configurations × %d repetitions%s) in %s\n",
		s.Manifest.Experiment, o.Planned, countConfigs(s.Runs), s.Manifest.Definition.Reps(), shardNote(s), s.Dir)
	if o.Done > 0 || o.Kept > 0 {
		fmt.Fprintf(out, "resuming: %d complete", o.Done)
		if o.Kept > 0 {
			fmt.Fprintf(out, ", %d failed earlier and kept (--retry-failed runs them again)", o.Kept)
		}
		fmt.Fprintln(out)
	}
	for _, l := range rerun {
		fmt.Fprintln(out, l)
	}
	if len(pending) == 0 {
		fmt.Fprintln(out, "nothing left to run")
		return o, nil
	}
	if slices.ContainsFunc(pending, func(run Run) bool { return run.Config.Kind == KindBench }) {
		flags, err := r.benchFlags(ctx)
		if err != nil {
			return o, err
		}
		ss.flags = flags
	}
	tmp, err := os.MkdirTemp("", "dustm-experiment-")
	if err != nil {
		return o, err
	}
	defer os.RemoveAll(tmp)
	ss.tmp = tmp

	host, _ := os.Hostname()
	s.Manifest.Sessions = append(s.Manifest.Sessions, Session{
		Started: time.Now().UTC().Format(time.RFC3339), Hostname: host, Command: r.Command,
	})
	sess := &s.Manifest.Sessions[len(s.Manifest.Sessions)-1]
	if err := s.SaveManifest(); err != nil {
		return o, err
	}

	var estDone, actDone float64 // seconds: estimated and actual durations of finished runs
	for i, run := range pending {
		if ctx.Err() != nil {
			o.Interrupted = true
			break
		}
		remaining := 0.0
		for _, p := range pending[i:] {
			remaining += p.Config.Estimate().Seconds()
		}
		if estDone > 0 {
			remaining *= actDone / estDone
		}
		fmt.Fprintf(out, "[%d/%d] %s: %s rep %d/%d — ETA %s\n", o.Done+o.Kept+i+1, o.Planned,
			run.Config.Part, run.Config.Label(), run.Rep, s.Manifest.Definition.Reps(), fmtDuration(remaining))

		t0 := time.Now()
		status, msg := ss.execute(ctx, run)
		estDone += run.Config.Estimate().Seconds()
		actDone += time.Since(t0).Seconds()
		switch status {
		case StatusOK:
			o.Ran++
			o.OK++
		case StatusFailed:
			o.Ran++
			o.Failed++
			fmt.Fprintf(out, "  failed: %s\n", msg)
		case StatusInterrupted:
			o.Cut++
			o.Interrupted = true
			fmt.Fprintf(out, "  interrupted: %s\n", msg)
		}
		if o.Interrupted {
			break
		}
	}
	o.Elapsed = time.Since(start)
	sess.Finished = time.Now().UTC().Format(time.RFC3339)
	sess.Ran, sess.Failed, sess.Interrupted = o.Ran, o.Failed, o.Interrupted
	if err := s.SaveManifest(); err != nil {
		return o, err
	}
	fmt.Fprintf(out, "%s: %d runs ended in %s: %d succeeded, %d failed", s.Manifest.Experiment, o.Ran,
		fmtDuration(o.Elapsed.Seconds()), o.OK, o.Failed)
	if o.Cut > 0 {
		fmt.Fprintf(out, "; %d interrupted (it runs again on resume)", o.Cut)
	}
	if o.Interrupted {
		fmt.Fprintf(out, "; resume with --resume %s", s.Dir)
	}
	fmt.Fprintln(out)
	return o, nil
}

func countConfigs(runs []Run) int {
	seen := map[*Config]bool{}
	for _, r := range runs {
		seen[r.Config] = true
	}
	return len(seen)
}

func shardNote(s *Sweep) string {
	if s.Manifest.Shard == nil {
		return ""
	}
	return ", shard " + s.Manifest.Shard.String()
}

// stateOf reads a run's folder: complete and valid, failed, or to be run; why says why a run
// recorded as ended runs again (it is not this configuration's, or its results are not
// usable).
func (s *Sweep) stateOf(run Run) (st runState, why string) {
	dir := s.RunDir(run)
	info, err := ReadRunInfo(dir)
	if err != nil {
		return statePending, ""
	}
	ended := info.Status == StatusOK || info.Status == StatusFailed
	if why := s.mismatch(run, info); why != "" && ended {
		return statePending, why
	}
	switch info.Status {
	case StatusOK:
		if err := validOutput(dir, run.Config); err != nil {
			return statePending, "recorded as complete, but " + err.Error()
		}
		return stateOK, ""
	case StatusFailed:
		return stateFailed, ""
	}
	return statePending, ""
}

// validOutput checks that a run's results are complete and the configuration's: a bench
// run's result document reads, covers the whole run and was measured with the
// configuration's settings; a micro run's output has at least one benchmark.
func validOutput(dir string, c *Config) error {
	if c.Kind == KindKV {
		return validKVOutput(dir)
	}
	if c.Kind == KindMicro {
		_, err := readMicroRun(dir)
		return err
	}
	res, err := readRecord(filepath.Join(dir, ResultFile))
	if err != nil {
		return err
	}
	if res.Interrupted {
		return errors.New("the run was interrupted")
	}
	if res.Error != "" {
		return fmt.Errorf("the run ended with an error: %s", res.Error)
	}
	if why := resultMismatch(res, c); why != "" {
		return errors.New(why)
	}
	return nil
}

// archive moves what an earlier attempt left in a run's folder to previous/N/, so that
// nothing measured is lost when the run starts again.
func archive(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) == 0 {
		return nil
	}
	prev := filepath.Join(dir, "previous")
	n := 1
	if olds, err := os.ReadDir(prev); err == nil {
		n = len(olds) + 1
	}
	dst := filepath.Join(prev, fmt.Sprint(n))
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == "previous" {
			continue
		}
		name := e.Name()
		// A killed run leaves its result files under their temporary names (package
		// outfile): kept as NAME.partial, a partial series being measurements too; an
		// empty one is dropped.
		if base, ok := temporaryOf(name); ok {
			if info, err := e.Info(); err == nil && info.Size() == 0 {
				os.Remove(filepath.Join(dir, name))
				continue
			}
			name = base + ".partial"
		}
		if err := os.Rename(filepath.Join(dir, e.Name()), filepath.Join(dst, name)); err != nil {
			return err
		}
	}
	return nil
}

// temporaryOf reports a temporary file of package outfile (.NAME.tmp-N) and its NAME.
func temporaryOf(name string) (string, bool) {
	if !strings.HasPrefix(name, ".") {
		return "", false
	}
	i := strings.LastIndex(name, ".tmp-")
	if i <= 1 {
		return "", false
	}
	return name[1:i], true
}

// execute runs one run and records how it ended; it returns the status and, unless ok, why.
func (ss *session) execute(ctx context.Context, run Run) (string, string) {
	s := ss.s
	dir := s.RunDir(run)
	info := s.NewRunInfo(run)
	fail := func(exit int, msg, stderrTail string) (string, string) {
		info.Status, info.ExitCode, info.Error = StatusFailed, exit, msg
		info.Finished = time.Now().UTC().Format(time.RFC3339)
		f := Failure{ExitCode: exit, Error: msg, StderrTail: stderrTail, Command: info.Command, Time: info.Finished}
		if err := writeJSONAtomic(filepath.Join(dir, FailedFile), f); err != nil {
			msg += "; " + err.Error()
		}
		if err := WriteRunInfo(dir, info); err != nil {
			msg += "; " + err.Error()
		}
		return StatusFailed, msg
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return StatusFailed, err.Error()
	}
	if err := archive(dir); err != nil {
		return StatusFailed, fmt.Sprintf("keeping the earlier attempt: %v", err)
	}
	if why, ok := ss.rejected[run.Config.ID()]; ok {
		return fail(-1, why, "")
	}
	if run.Config.Kind == KindKV {
		return ss.executeKV(ctx, run, dir, info, fail)
	}

	var cmd *exec.Cmd
	var outName string
	switch run.Config.Kind {
	case KindMicro:
		bin := ss.microBinary(ctx, run.Config.Params.Value("package"))
		if bin.err != nil && ctx.Err() != nil { // the sweep was cancelled while compiling
			info.Status, info.Error = StatusInterrupted, "the sweep was interrupted"
			if err := WriteRunInfo(dir, info); err != nil {
				return StatusInterrupted, err.Error()
			}
			return StatusInterrupted, "while compiling the benchmarks; it runs again on resume"
		}
		if bin.err != nil {
			return fail(-1, bin.err.Error(), "")
		}
		cmd = exec.Command(bin.path, microArgs(run.Config.Params)...)
		cmd.Dir = bin.dir
		outName = BenchTextFile
	default:
		args := run.Config.BenchArgs()
		if missing := ss.unsupported(args); len(missing) > 0 {
			why := fmt.Sprintf("this dustm bench does not accept %s (%s): the binary predates these flags; rebuild dustm from a tree that has them",
				strings.Join(missing, ", "), run.Config.Label())
			ss.rejected[run.Config.ID()] = why
			return fail(-1, why, "")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fail(-1, err.Error(), "")
		}
		args = append(append([]string{"bench"}, args...),
			"--json", filepath.Join(abs, ResultFile), "--series", filepath.Join(abs, SeriesFile))
		cmd = exec.Command(ss.r.Exe, args...)
		cmd.Dir = ss.r.Workdir
		outName = StdoutFile
	}
	cmd.Env = ss.r.Env
	bindToParent(cmd)
	if f := s.lock.file(); f != nil {
		cmd.ExtraFiles = []*os.File{f} // the run holds the folder as long as it lives
	}
	info.Command = cmd.Args
	info.Status = StatusRunning
	t0 := time.Now()
	info.Started = t0.UTC().Format(time.RFC3339)
	if err := WriteRunInfo(dir, info); err != nil {
		return StatusFailed, err.Error()
	}
	stdout, err := os.Create(filepath.Join(dir, outName))
	if err != nil {
		return fail(-1, err.Error(), "")
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, StderrFile))
	if err != nil {
		return fail(-1, err.Error(), "")
	}
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr

	timeout := ss.timeout(run.Config)
	ended, exitErr := ss.wait(ctx, cmd, timeout, func() {
		info.PID = cmd.Process.Pid
		WriteRunInfo(dir, info) // only names the process; the run's end is recorded below
		info.PID = 0
	})
	if ended == endExited && exitErr != nil && run.Config.Kind == KindBench {
		// Ctrl-C reaches the run directly, and may end it before this process hears of it.
		if res, err := readRecord(filepath.Join(dir, ResultFile)); err == nil && res.Interrupted {
			select {
			case <-ctx.Done():
				ended = endCancelled
			case <-time.After(orDefault(ss.r.InterruptDelay, time.Second)):
			}
		}
	}
	info.DurationS = time.Since(t0).Seconds()
	info.ExitCode = exitCode(cmd, exitErr)
	tail := tailOf(filepath.Join(dir, StderrFile))
	switch {
	case ended == endStartFailed:
		return fail(-1, fmt.Sprintf("starting %s: %v", cmd.Path, exitErr), "")
	case ended == endCancelled:
		info.Status, info.Error = StatusInterrupted, "the sweep was interrupted"
		info.Finished = time.Now().UTC().Format(time.RFC3339)
		if err := WriteRunInfo(dir, info); err != nil {
			return StatusInterrupted, err.Error()
		}
		return StatusInterrupted, fmt.Sprintf("%s rep %d; it runs again on resume", run.Config.Label(), run.Rep)
	case ended == endTimedOut:
		return fail(info.ExitCode, fmt.Sprintf("timed out after %s (interrupted, then killed if it did not stop); what it wrote is kept", timeout), tail)
	case exitErr != nil:
		if run.Config.Kind == KindBench && info.ExitCode == 2 {
			why := "dustm bench rejected the configuration (exit 2): " + lastLine(tail)
			ss.rejected[run.Config.ID()] = "not run: an earlier repetition was rejected as bad input: " + lastLine(tail)
			return fail(2, why, tail)
		}
		return fail(info.ExitCode, howEnded(cmd.ProcessState, lastLine(tail)), tail)
	}
	if err := validOutput(dir, run.Config); err != nil {
		return fail(0, fmt.Sprintf("exited 0 but its results are not usable: %v", err), tail)
	}
	info.Status = StatusOK
	info.Finished = time.Now().UTC().Format(time.RFC3339)
	if err := WriteRunInfo(dir, info); err != nil {
		return StatusFailed, err.Error()
	}
	return StatusOK, ""
}

type ending int

const (
	endExited ending = iota
	endStartFailed
	endCancelled
	endTimedOut
)

// wait starts cmd and waits for it. On timeout the process is interrupted (SIGINT, so that
// dustm bench writes what it measured), then killed after the grace period. When ctx is
// cancelled it is interrupted the same way: at once where the run has its own process group
// (Linux), else after InterruptDelay, since a terminal's Ctrl-C reaches it directly.
func (ss *session) wait(ctx context.Context, cmd *exec.Cmd, timeout time.Duration, started func()) (ending, error) {
	if err := cmd.Start(); err != nil {
		return endStartFailed, err
	}
	started()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	grace := orDefault(ss.r.Grace, 15*time.Second)
	stop := func(delay time.Duration) error {
		select {
		case err := <-done:
			return err
		case <-time.After(delay):
		}
		if err := cmd.Process.Signal(os.Interrupt); err != nil {
			cmd.Process.Kill()
		}
		select {
		case err := <-done:
			return err
		case <-time.After(grace):
		}
		cmd.Process.Kill()
		return <-done
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case err := <-done:
		if ctx.Err() != nil && err != nil {
			return endCancelled, err
		}
		return endExited, err
	case <-timer.C:
		return endTimedOut, stop(0)
	case <-ctx.Done():
		delay := orDefault(ss.r.InterruptDelay, time.Second)
		if runsOwnGroup { // no signal of the sweep's reached the run: this is its one
			delay = 0
		}
		return endCancelled, stop(delay)
	}
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

func exitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState != nil {
		return cmd.ProcessState.ExitCode()
	}
	if err == nil {
		return 0
	}
	return -1
}

// timeout of one run of the configuration.
func (ss *session) timeout(c *Config) time.Duration {
	if ss.r.Timeout > 0 {
		return ss.r.Timeout
	}
	if t := ss.s.Manifest.Definition.Timeout; t > 0 {
		return t
	}
	return 3*c.Estimate() + time.Minute
}

// flagRE finds the flags pflag's help defines: at the start of a line ("  -t, --threads int",
// "      --json string"), not those that help texts mention.
var flagRE = regexp.MustCompile(`(?m)^\s+(?:(-[a-zA-Z]), )?(--[a-z0-9][a-z0-9-]*)\b`)

// benchFlags asks the bench subcommand which flags it accepts (from its --help).
func (r *Runner) benchFlags(ctx context.Context) (map[string]bool, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.Exe, "bench", "--help")
	cmd.Dir, cmd.Env = r.Workdir, r.Env
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("cannot run `%s bench --help` to check the flags: %v\n%s", r.Exe, err, tailString(buf.String()))
	}
	flags := map[string]bool{}
	for _, m := range flagRE.FindAllStringSubmatch(buf.String(), -1) {
		for _, f := range m[1:] {
			if f != "" {
				flags[f] = true
			}
		}
	}
	if !flags["--json"] || !flags["--series"] {
		return nil, fmt.Errorf("`%s bench --help` lists no --json and --series flags: is %s a dustm binary?", r.Exe, r.Exe)
	}
	return flags, nil
}

// unsupported returns the flags of args that the bench does not accept.
func (ss *session) unsupported(args []string) []string {
	var missing []string
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=") // --probe=true is the flag --probe
		if strings.HasPrefix(a, "-") && !isNumber(a) && !ss.flags[name] && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
	}
	return missing
}

func isNumber(s string) bool {
	_, err := fmt.Sscanf(s, "%g", new(float64))
	return err == nil
}

// tailOf returns the last lines of a file (at most 4 KiB).
func tailOf(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return tailString(string(b))
}

func tailString(s string) string {
	const max = 4096
	if len(s) > max {
		s = s[len(s)-max:]
		if i := strings.IndexByte(s, '\n'); i >= 0 {
			s = s[i+1:]
		}
	}
	return strings.TrimRight(s, "\n")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "(no error output)"
	}
	return s
}

// fmtDuration writes seconds as 1h02m, 6m10s or 42s.
func fmtDuration(secs float64) string {
	d := time.Duration(secs * float64(time.Second)).Round(time.Second)
	switch {
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	case d >= time.Minute:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}
