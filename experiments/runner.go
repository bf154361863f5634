package experiments

import (
	"bytes"
	"cmp"
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

	"dustm/internal/outfile"
)

// Runner executes a sweep's runs, each in a fresh process: `Exe bench …` for bench parts,
// a compiled `go test` binary for micro parts.
type Runner struct {
	Exe      string    // the dustm binary whose bench subcommand runs a configuration
	Workdir  string    // the runs' working directory ("": the current one, where micro parts find the source)
	Env      []string  // the runs' environment (nil: this process's)
	Progress io.Writer // one line per run and a summary (nil: discarded)
	// Timeout of one run (0: see session.timeout); a run past it is interrupted, then killed.
	Timeout     time.Duration
	RetryFailed bool   // run again the runs an earlier session recorded as failed
	GoTool      string // the go command for micro parts ("": go in PATH)
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

// runState is what a run's folder says about it, from the least to the most complete (a
// merge keeps the most complete).
type runState int

const (
	statePending runState = iota
	stateFailed
	stateOK
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
	kv       *kvState // the Redis tools, once a kv part needs them
}

type microBinary struct {
	path, dir string
	err       error
}

// Run executes the sweep's runs that are not complete and valid (nor failed, unless
// RetryFailed), holding the folder's lock unless s holds it. A failed run is recorded and
// the sweep goes on; when ctx is cancelled the current run is interrupted and Run returns
// with Outcome.Interrupted, the folder resumable. The error is for what stops the whole
// sweep (the bench cannot start, another process holds the folder: ErrBusy).
func (r *Runner) Run(ctx context.Context, s *Sweep) (Outcome, error) {
	start := time.Now()
	ss := &session{r: r, s: s, out: cmp.Or[io.Writer](r.Progress, io.Discard), rejected: map[string]string{}, binaries: map[string]microBinary{}}
	// The folder is this session's until it ends (the caller may hold the lock already, to
	// write the summary under it too).
	if s.lock == nil {
		if err := s.Lock(strings.Join(r.Command, " ")); err != nil {
			return Outcome{Planned: len(s.Runs)}, err
		}
		defer s.Unlock()
	}
	o, pending := ss.plan()
	if len(pending) == 0 {
		fmt.Fprintln(ss.out, "nothing left to run")
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
	s.Manifest.Sessions = append(s.Manifest.Sessions, Session{Started: now(), Hostname: host, Command: r.Command})
	sess := &s.Manifest.Sessions[len(s.Manifest.Sessions)-1]
	if err := s.SaveManifest(); err != nil {
		return o, err
	}
	ss.runAll(ctx, pending, &o)
	o.Elapsed = time.Since(start)
	sess.Finished = now()
	sess.Ran, sess.Failed, sess.Interrupted = o.Ran, o.Failed, o.Interrupted
	if err := s.SaveManifest(); err != nil {
		return o, err
	}
	fmt.Fprintf(ss.out, "%s: %d runs ended in %s: %d succeeded, %d failed", s.Manifest.Experiment, o.Ran,
		fmtDuration(o.Elapsed.Seconds()), o.OK, o.Failed)
	if o.Cut > 0 {
		fmt.Fprintf(ss.out, "; %d interrupted (it runs again on resume)", o.Cut)
	}
	if o.Interrupted {
		fmt.Fprintf(ss.out, "; resume with --resume %s", s.Dir)
	}
	fmt.Fprintln(ss.out)
	return o, nil
}

// plan reads the state of every run, says what is done and what runs again, and returns the
// runs left to run.
func (ss *session) plan() (Outcome, []Run) {
	s, out := ss.s, ss.out
	o := Outcome{Planned: len(s.Runs)}
	var pending []Run
	var rerun []string
	for _, run := range s.Runs {
		st, why := s.stateOf(run)
		if why != "" {
			rerun = append(rerun, fmt.Sprintf("  %s rep %d runs again: %s (the earlier attempt is kept in previous/)", run.Config.ID(), run.Rep, why))
		}
		switch {
		case st == stateOK:
			o.Done++
		case st == stateFailed && !ss.r.RetryFailed:
			o.Kept++
		default:
			pending = append(pending, run)
		}
	}
	shard := ""
	if s.Manifest.Shard != nil {
		shard = ", shard " + s.Manifest.Shard.String()
	}
	fmt.Fprintf(out, "%s: %d runs (%d configurations × %d repetitions%s) in %s\n",
		s.Manifest.Experiment, o.Planned, countConfigs(s.Runs), s.Manifest.Definition.Reps(), shard, s.Dir)
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
	return o, pending
}

// runAll runs the pending runs in order until one is interrupted, counting them in o.
func (ss *session) runAll(ctx context.Context, pending []Run, o *Outcome) {
	var estDone, actDone float64 // seconds: estimated and actual durations of finished runs
	for i, run := range pending {
		if ctx.Err() != nil {
			o.Interrupted = true
			return
		}
		remaining := 0.0
		for _, p := range pending[i:] {
			remaining += p.Config.Estimate().Seconds()
		}
		if estDone > 0 {
			remaining *= actDone / estDone
		}
		fmt.Fprintf(ss.out, "[%d/%d] %s: %s rep %d/%d — ETA %s\n", o.Done+o.Kept+i+1, o.Planned,
			run.Config.Part, run.Config.Label(), run.Rep, ss.s.Manifest.Definition.Reps(), fmtDuration(remaining))
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
			fmt.Fprintf(ss.out, "  failed: %s\n", msg)
		case StatusInterrupted:
			o.Cut++
			o.Interrupted = true
			fmt.Fprintf(ss.out, "  interrupted: %s\n", msg)
			return
		}
	}
}

func now() string { return time.Now().UTC().Format(time.RFC3339) }

func countConfigs(runs []Run) int {
	seen := map[*Config]bool{}
	for _, r := range runs {
		seen[r.Config] = true
	}
	return len(seen)
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
	res, err := readRunRecord(dir, c.Kind)
	if err != nil || c.Kind != KindBench {
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
		if base, ok := outfile.TemporaryOf(name); ok {
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

// runEnd is how a run ended: its status and, unless ok, why, its exit status (-1 when its
// process did not exit by itself) and the end of its error output.
type runEnd struct {
	status, msg, tail string
	exit              int
	rejected          bool // bad input: the configuration's other repetitions would fail alike
}

func failed(exit int, msg, tail string) runEnd {
	return runEnd{status: StatusFailed, exit: exit, msg: msg, tail: tail}
}

// execute runs one run and records how it ended; it returns the status and, unless ok, why.
func (ss *session) execute(ctx context.Context, run Run) (string, string) {
	dir := ss.s.RunDir(run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return StatusFailed, err.Error()
	}
	if err := archive(dir); err != nil {
		return StatusFailed, fmt.Sprintf("keeping the earlier attempt: %v", err)
	}
	info := ss.s.NewRunInfo(run)
	var end runEnd
	switch why, rejected := ss.rejected[run.Config.ID()]; {
	case rejected:
		end = failed(-1, why, "")
	case run.Config.Kind == KindKV:
		end = ss.executeKV(ctx, run, dir, &info)
	default:
		end = ss.executeProcess(ctx, run, dir, &info)
	}
	return ss.record(run, dir, info, end)
}

// record writes how a run ended into its run.json (and a failed run's failed.json), and
// returns its status and, unless ok, the progress line's message.
func (ss *session) record(run Run, dir string, info RunInfo, end runEnd) (string, string) {
	info.Status, info.ExitCode, info.Finished = end.status, end.exit, now()
	switch end.status {
	case StatusOK:
		if err := WriteRunInfo(dir, info); err != nil {
			return StatusFailed, err.Error()
		}
		return StatusOK, ""
	case StatusInterrupted:
		info.Error = "the sweep was interrupted"
		if err := WriteRunInfo(dir, info); err != nil {
			return StatusInterrupted, err.Error()
		}
		msg := fmt.Sprintf("%s rep %d", run.Config.Label(), run.Rep)
		if end.msg != "" {
			msg += " (" + end.msg + ")"
		}
		return StatusInterrupted, msg + "; it runs again on resume"
	}
	if end.rejected {
		ss.rejected[run.Config.ID()] = "not run: an earlier repetition was rejected as bad input: " + lastLine(end.tail)
	}
	info.Error = end.msg
	f := Failure{ExitCode: end.exit, Error: end.msg, StderrTail: end.tail, Command: info.Command, Time: info.Finished}
	msg := end.msg
	if err := errors.Join(writeJSONAtomic(filepath.Join(dir, FailedFile), f), WriteRunInfo(dir, info)); err != nil {
		msg += "; " + strings.ReplaceAll(err.Error(), "\n", "; ")
	}
	return StatusFailed, msg
}

// begin records a run as running its command and creates its output files in its folder
// (for closeAll, on an error too); it returns when the run started.
func begin(dir string, info *RunInfo, args []string, names ...string) ([]*os.File, time.Time, error) {
	t0 := time.Now()
	info.Command, info.Status, info.Started = args, StatusRunning, t0.UTC().Format(time.RFC3339)
	if err := WriteRunInfo(dir, *info); err != nil {
		return nil, t0, err
	}
	var files []*os.File
	for _, n := range names {
		f, err := os.Create(filepath.Join(dir, n))
		if err != nil {
			return files, t0, err
		}
		files = append(files, f)
	}
	return files, t0, nil
}

func closeAll(files []*os.File) {
	for _, f := range files {
		f.Close()
	}
}

// executeProcess runs a bench or micro run: one process, which holds the folder's lock as
// long as it lives.
func (ss *session) executeProcess(ctx context.Context, run Run, dir string, info *RunInfo) runEnd {
	cmd, outName, end := ss.command(ctx, run, dir)
	if cmd == nil {
		return end
	}
	cmd.Env = ss.r.Env
	if l := ss.s.lock; l != nil && l.f != nil {
		cmd.ExtraFiles = []*os.File{l.f}
	}
	files, t0, err := begin(dir, info, cmd.Args, outName, StderrFile)
	defer closeAll(files)
	if err != nil {
		return failed(-1, err.Error(), "")
	}
	cmd.Stdout, cmd.Stderr = files[0], files[1]
	end = ss.runProcess(ctx, run, dir, cmd, func() {
		info.PID = cmd.Process.Pid
		WriteRunInfo(dir, *info) // only names the process; the run's end is recorded after
		info.PID = 0
	})
	info.DurationS = time.Since(t0).Seconds()
	return end
}

// command is the process of a bench or micro run and the file its standard output goes to,
// or (nil) how the run ended without one.
func (ss *session) command(ctx context.Context, run Run, dir string) (*exec.Cmd, string, runEnd) {
	if run.Config.Kind == KindMicro {
		bin := ss.microBinary(ctx, run.Config.Params.Value("package"))
		switch {
		case bin.err != nil && ctx.Err() != nil: // the sweep was cancelled while compiling
			return nil, "", runEnd{status: StatusInterrupted, msg: "while compiling the benchmarks"}
		case bin.err != nil:
			return nil, "", failed(-1, bin.err.Error(), "")
		}
		cmd := exec.Command(bin.path, microArgs(run.Config.Params)...)
		cmd.Dir = bin.dir
		return cmd, BenchTextFile, runEnd{}
	}
	args := run.Config.BenchArgs()
	if missing := ss.unsupported(args); len(missing) > 0 {
		why := fmt.Sprintf("this dustm bench does not accept %s (%s): the binary predates these flags; rebuild dustm from a tree that has them",
			strings.Join(missing, ", "), run.Config.Label())
		ss.rejected[run.Config.ID()] = why
		return nil, "", failed(-1, why, "")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", failed(-1, err.Error(), "")
	}
	args = append(append([]string{"bench"}, args...),
		"--json", filepath.Join(abs, ResultFile), "--series", filepath.Join(abs, SeriesFile))
	cmd := exec.Command(ss.r.Exe, args...)
	cmd.Dir = ss.r.Workdir
	return cmd, StdoutFile, runEnd{}
}

// runProcess starts cmd and waits for it. Past the run's timeout the process is interrupted
// (SIGINT, so that dustm bench writes what it measured), then killed after the grace period.
// When ctx is cancelled it is interrupted the same way: at once where the run has its own
// process group (Linux), else after InterruptDelay, since a terminal's Ctrl-C reaches it
// directly.
func (ss *session) runProcess(ctx context.Context, run Run, dir string, cmd *exec.Cmd, started func()) runEnd {
	p, err := startProc(cmd)
	if err != nil {
		return failed(-1, fmt.Sprintf("starting %s: %v", cmd.Path, err), "")
	}
	started()
	grace, timeout := cmp.Or(ss.r.Grace, 15*time.Second), ss.timeout(run.Config)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case <-p.done:
		return ss.exited(ctx, run, dir, cmd, p.err)
	case <-timer.C:
		p.stop(os.Interrupt, grace)
		return failed(exitCode(cmd, p.err), fmt.Sprintf("timed out after %s (interrupted, then killed if it did not stop); what it wrote is kept", timeout),
			tailOf(filepath.Join(dir, StderrFile)))
	case <-ctx.Done():
		if !runsOwnGroup { // the sweep's Ctrl-C reached the run too: it may stop by itself
			select {
			case <-p.done:
			case <-time.After(cmp.Or(ss.r.InterruptDelay, time.Second)):
			}
		}
		p.stop(os.Interrupt, grace)
		return runEnd{status: StatusInterrupted, exit: exitCode(cmd, p.err)}
	}
}

// exited says how a run whose process exited ended: interrupted (it runs again on resume),
// failed (why, with the end of its error output), or ok once its results are found usable.
func (ss *session) exited(ctx context.Context, run Run, dir string, cmd *exec.Cmd, err error) runEnd {
	bench := run.Config.Kind == KindBench
	if err != nil && bench && ctx.Err() == nil {
		// Ctrl-C reaches the run directly, and may end it before this process hears of it.
		if res, rerr := readRecord(filepath.Join(dir, ResultFile)); rerr == nil && res.Interrupted {
			select {
			case <-ctx.Done():
			case <-time.After(cmp.Or(ss.r.InterruptDelay, time.Second)):
			}
		}
	}
	exit, tail := exitCode(cmd, err), tailOf(filepath.Join(dir, StderrFile))
	switch {
	case err != nil && ctx.Err() != nil:
		return runEnd{status: StatusInterrupted, exit: exit}
	case err != nil && bench && exit == 2:
		return runEnd{status: StatusFailed, exit: 2, msg: "dustm bench rejected the configuration (exit 2): " + lastLine(tail), tail: tail, rejected: true}
	case err != nil:
		return failed(exit, howEnded(cmd.ProcessState, lastLine(tail)), tail)
	}
	if err := validOutput(dir, run.Config); err != nil {
		return failed(0, fmt.Sprintf("exited 0 but its results are not usable: %v", err), tail)
	}
	return runEnd{status: StatusOK}
}

// proc is a started child process: every run's (runProcess for bench and micro runs,
// driveKV for a kv run's server and client).
type proc struct {
	cmd  *exec.Cmd
	done <-chan struct{}
	err  error // cmd.Wait's, once done is closed
}

// startProc starts cmd bound to the sweep (childAttr); a cancelled sweep stops it itself.
func startProc(cmd *exec.Cmd) (*proc, error) {
	cmd.SysProcAttr = childAttr()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	// A cancelled context is the closed channel (close is shadowed by a test helper of the
	// package).
	ended, end := context.WithCancel(context.Background())
	p := &proc{cmd: cmd, done: ended.Done()}
	go func() { p.err = cmd.Wait(); end() }()
	return p, nil
}

// ended reports whether the process has ended.
func (p *proc) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends sig, waits up to grace, then kills; it reports whether the process ended by
// itself (before the kill).
func (p *proc) stop(sig os.Signal, grace time.Duration) bool {
	if p.ended() {
		return true
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.cmd.Process.Kill()
	}
	select {
	case <-p.done:
		return true
	case <-time.After(grace):
	}
	p.cmd.Process.Kill()
	<-p.done
	return false
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

// timeout of one run of the configuration: the Runner's, else the experiment's, else three
// times its expected duration plus a minute.
func (ss *session) timeout(c *Config) time.Duration {
	return cmp.Or(ss.r.Timeout, ss.s.Manifest.Definition.Timeout, 3*c.Estimate()+time.Minute)
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
