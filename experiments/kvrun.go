package experiments

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"dustm/record"
)

// Files of a kv run, beside run.json, result.json and series.jsonl (the server's, dustm
// backends only), stdout.txt and stderr.txt (the server's).
const (
	KVClientCSVFile    = "client.csv"        // redis-benchmark's own report, as it printed it
	KVClientFile       = "client.json"       // the client's report parsed, with its command line and version
	KVClientStderrFile = "client-stderr.txt" // redis-benchmark's error output
)

// Environment variables naming the Redis tools (default: found in PATH).
const (
	EnvRedisBenchmark = "DUSTM_REDIS_BENCHMARK"
	EnvRedisServer    = "DUSTM_REDIS_SERVER"
)

// kvState is what a session learns once about the Redis tools.
type kvState struct{ client, server kvTool }

// kvTool is a Redis tool, or why it cannot run.
type kvTool struct {
	path, version string
	err           error
}

// findTool finds a tool by its environment variable or in PATH, and asks its version (the
// first line of `tool --version`).
func findTool(ctx context.Context, env []string, envVar, name, pkg string) kvTool {
	path := name
	if env == nil {
		env = os.Environ()
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, envVar+"="); ok && v != "" {
			path = v
		}
	}
	p, err := exec.LookPath(path)
	if err != nil {
		return kvTool{err: fmt.Errorf("%s is not installed (%v): kv runs need it (Debian/Ubuntu: apt-get install -y %s; or set %s)", name, err, pkg, envVar)}
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, p, "--version").CombinedOutput()
	if err != nil {
		return kvTool{path: p, err: fmt.Errorf("`%s --version`: %v: %s", p, err, tailString(string(out)))}
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return kvTool{path: p, version: line}
}

func (ss *session) kvTools(ctx context.Context) *kvState {
	if ss.kv == nil {
		ss.kv = &kvState{client: findTool(ctx, ss.r.Env, EnvRedisBenchmark, "redis-benchmark", "redis-tools"),
			server: findTool(ctx, ss.r.Env, EnvRedisServer, "redis-server", "redis-server")}
	}
	return ss.kv
}

// freePort asks the kernel for a free port on 127.0.0.1. Another process may take it before
// the server binds it; the server then fails to start and the run is recorded as failed.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// ping sends PING to addr and reports whether the reply is +PONG.
func ping(addr string, timeout time.Duration) bool {
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := io.WriteString(c, "*1\r\n$4\r\nPING\r\n"); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.TrimSpace(line) == "+PONG"
}

// kvReadyTimeout bounds the wait for a server to answer PING: a minute, plus the preload at
// 50 µs a key (ten times what it takes here).
func kvReadyTimeout(ps Params) time.Duration {
	n, _ := strconv.Atoi(ps.Value("preload"))
	return time.Minute + time.Duration(n)*50*time.Microsecond
}

// executeKV runs one kv run: the server in a fresh process, redis-benchmark against it once
// it answers PING, then SIGTERM to the server, which writes its result. Every process it
// starts is stopped before it returns, whatever happens.
func (ss *session) executeKV(ctx context.Context, run Run, dir string, info *RunInfo) runEnd {
	tools := ss.kvTools(ctx)
	if tools.client.err != nil {
		return failed(-1, tools.client.err.Error(), "")
	}
	redis := run.Config.Params.Value("backend") == "redis"
	if redis && tools.server.err != nil {
		return failed(-1, tools.server.err.Error(), "")
	}
	port, err := freePort()
	if err != nil {
		return failed(-1, fmt.Sprintf("finding a free port on 127.0.0.1: %v", err), "")
	}
	server, err := ss.kvServer(tools, run.Config.Params, port, dir)
	if err != nil {
		return failed(-1, err.Error(), "")
	}
	clientArgs := kvClientArgs(run.Config.Params, port)
	report := &KVClient{Tool: "redis-benchmark", Version: tools.client.version, Command: append([]string{tools.client.path}, clientArgs...),
		Server: KVServerDustm, ServerCommand: server.Args}
	if redis {
		report.Server, report.ServerVersion = KVServerRedis, tools.server.version
	}
	files, t0, err := begin(dir, info, server.Args, StdoutFile, StderrFile, KVClientCSVFile, KVClientStderrFile)
	defer closeAll(files)
	if err != nil {
		return failed(-1, err.Error(), "")
	}
	server.Stdout, server.Stderr = files[0], files[1]
	client := exec.Command(tools.client.path, clientArgs...)
	client.Dir, client.Env = ss.r.Workdir, ss.r.Env
	client.Stdout, client.Stderr = files[2], files[3]

	end := ss.driveKV(ctx, server, client, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), run.Config, report)
	info.DurationS = time.Since(t0).Seconds()
	if end.status != StatusOK {
		return end
	}
	if err := ss.finishKV(dir, report); err != nil {
		return failed(0, err.Error(), tailOf(filepath.Join(dir, KVClientStderrFile)))
	}
	return end
}

// kvServer is the command of a kv run's server: redis-server, or dustm kv serve writing its
// record and series into the run's folder.
func (ss *session) kvServer(tools *kvState, ps Params, port int, dir string) (*exec.Cmd, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	var server *exec.Cmd
	if ps.Value("backend") == "redis" {
		server = exec.Command(tools.server.path, append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1"}, kvServerArgs(ps)...)...)
	} else {
		args := append([]string{"kv", "serve", "--addr", net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}, kvServerArgs(ps)...)
		args = append(args, "--json", filepath.Join(abs, ResultFile), "--series", filepath.Join(abs, SeriesFile))
		server = exec.Command(ss.r.Exe, args...)
	}
	server.Dir, server.Env = ss.r.Workdir, ss.r.Env
	return server, nil
}

// driveKV starts the server, waits until it answers PING (bounded by the run's deadline and
// kvReadyTimeout), runs the client, and stops the server; ok when all went well. The report
// gets the timeline.
func (ss *session) driveKV(ctx context.Context, server, client *exec.Cmd, addr string, c *Config, report *KVClient) runEnd {
	grace, timeout, readyIn := cmp.Or(ss.r.Grace, 15*time.Second), ss.timeout(c), kvReadyTimeout(c.Params)
	deadline, readyBy := time.NewTimer(timeout), time.NewTimer(readyIn)
	defer deadline.Stop()
	defer readyBy.Stop()
	dir := filepath.Dir(server.Stdout.(*os.File).Name())
	serverTail := func() string { return tailOf(filepath.Join(dir, StderrFile)) }
	clientTail := func() string { return tailOf(filepath.Join(dir, KVClientStderrFile)) }

	t0 := time.Now()
	sp, err := startProc(server)
	if err != nil {
		return failed(-1, fmt.Sprintf("starting %s: %v", server.Path, err), "")
	}
	// Whatever happens below, the server does not outlive the run.
	defer sp.stop(syscall.SIGKILL, time.Second)
	// stopped stops the server (SIGTERM: a dustm server writes what it has), then says why
	// with the end of tail's file (nil: none).
	stopped := func(status string, exit int, tail func() string, msg string) runEnd {
		sp.stop(syscall.SIGTERM, grace)
		end := runEnd{status: status, exit: exit, msg: msg}
		if tail != nil {
			end.tail = tail()
		}
		return end
	}
	for wait := 20 * time.Millisecond; !ping(addr, time.Second); wait = min(2*wait, 200*time.Millisecond) {
		select {
		case <-sp.done:
			code := exitCode(server, sp.err)
			end := failed(code, fmt.Sprintf("the server exited (status %d) before it answered PING on %s: %s", code, addr, lastLine(serverTail())), serverTail())
			end.rejected = code == 2 // bad input, or a dustm without kv serve
			return end
		case <-ctx.Done():
			return stopped(StatusInterrupted, 0, nil, "while the server started")
		case <-deadline.C:
			return stopped(StatusFailed, -1, serverTail, fmt.Sprintf("timed out after %s waiting for the server to answer PING", timeout))
		case <-readyBy.C:
			return stopped(StatusFailed, -1, serverTail, fmt.Sprintf("the server did not answer PING on %s within %s", addr, readyIn))
		case <-time.After(wait):
		}
	}
	ready := time.Now()
	report.ReadyS = ready.Sub(t0).Seconds()

	cp, err := startProc(client)
	if err != nil {
		return stopped(StatusFailed, -1, nil, fmt.Sprintf("starting %s: %v", client.Path, err))
	}
	defer cp.stop(syscall.SIGKILL, time.Second)
	report.StartS = time.Since(ready).Seconds()
	select {
	case <-cp.done:
	case <-sp.done: // checked below
	case <-ctx.Done():
		cp.stop(syscall.SIGKILL, time.Second)
		return stopped(StatusInterrupted, 0, nil, "during the client's run")
	case <-deadline.C:
		cp.stop(syscall.SIGKILL, time.Second)
		return stopped(StatusFailed, -1, clientTail, fmt.Sprintf("timed out after %s (the client was killed, the server stopped); what they wrote is kept", timeout))
	}
	report.EndS = time.Since(ready).Seconds()
	switch {
	case sp.ended():
		cp.stop(syscall.SIGKILL, time.Second)
		return failed(exitCode(server, sp.err), fmt.Sprintf("the server exited during the client's run: %s", lastLine(serverTail())), serverTail())
	case !sp.stop(syscall.SIGTERM, grace):
		return failed(-1, fmt.Sprintf("the server did not stop within %s of SIGTERM and was killed", grace), serverTail())
	case cp.err != nil:
		return failed(exitCode(client, cp.err), fmt.Sprintf("redis-benchmark failed (%v): %s", cp.err, lastLine(clientTail())), clientTail())
	}
	if code := exitCode(server, sp.err); code != 0 && c.Params.Value("backend") != "redis" {
		return failed(code, fmt.Sprintf("the server exited with status %d after SIGTERM: %s", code, lastLine(serverTail())), serverTail())
	}
	return runEnd{status: StatusOK}
}

// finishKV checks a kv run's outputs and writes the client's record: redis-benchmark's CSV
// parsed, no error reply in its output, and (dustm backends) the server's record complete.
func (ss *session) finishKV(dir string, report *KVClient) error {
	b, err := os.ReadFile(filepath.Join(dir, KVClientCSVFile))
	if err != nil {
		return err
	}
	tests, err := ParseBenchmarkCSV(KVClientCSVFile, b)
	if err != nil {
		return fmt.Errorf("the client's report: %w", err)
	}
	report.Tests = tests
	if e, err := os.ReadFile(filepath.Join(dir, KVClientStderrFile)); err == nil {
		for l := range strings.SplitSeq(string(e), "\n") {
			if strings.Contains(l, "Error from server") {
				return fmt.Errorf("the server answered redis-benchmark with an error: %s", strings.TrimSpace(l))
			}
		}
	}
	var server *record.Record
	if report.Server == KVServerDustm {
		if server, err = readServerRecord(dir); err != nil {
			return err
		}
	}
	return record.Write(filepath.Join(dir, KVClientFile), KVClientRecord(report, server), nil)
}

// readKVRun reads a kv run's records, the server's (dustm backends) and the client's,
// joined.
func readKVRun(dir string) (*record.Record, error) {
	client, err := readRecord(filepath.Join(dir, KVClientFile))
	if err != nil {
		return nil, err
	}
	if len(clientTests(client)) == 0 {
		return nil, fmt.Errorf("%s: no tests", filepath.Join(dir, KVClientFile))
	}
	var server *record.Record
	if kind, _ := client.Config.Get("server"); kind == KVServerDustm || record.Exists(filepath.Join(dir, ResultFile)) {
		if server, err = readServerRecord(dir); err != nil {
			return nil, err
		}
	}
	return record.Join(server, client), nil
}

// readServerRecord reads a kv run's server record (dustm backends).
func readServerRecord(dir string) (*record.Record, error) {
	r, err := readRecord(filepath.Join(dir, ResultFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, errors.New("the server wrote no result")
	}
	return r, err
}

// KVTestNames lists the tests of kv runs (their values client.NAME.…), in the order the
// runs report them.
func KVTestNames(runs []*RunData) []string {
	var out []string
	for _, r := range runs {
		if r == nil || r.Info.Kind != KindKV {
			continue
		}
		for _, t := range clientTests(r.Record) {
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out
}

// clientTests are the tests a client record has values of (client.TEST.rps), in
// redis-benchmark's order.
func clientTests(r *record.Record) []string {
	var out []string
	for name := range r.Values {
		if t, ok := strings.CutSuffix(strings.TrimPrefix(name, "client."), ".rps"); ok && t != name && !strings.Contains(t, ".") && strings.HasPrefix(name, "client.") {
			out = append(out, t)
		}
	}
	rank := func(t string) int {
		i := slices.Index(kvBenchmarkTests(), strings.ToLower(t))
		return cmp.Or(i+1, len(kvBenchmarkTests())+1)
	}
	slices.SortFunc(out, func(a, b string) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a, b)) })
	return out
}
