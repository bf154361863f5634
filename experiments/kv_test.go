package experiments_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

func kvExperiment(t *testing.T, text string) *experiments.Experiment {
	t.Helper()
	e, err := experiments.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestKVExpansion(t *testing.T) {
	e := kvExperiment(t, `{"name": "k", "kind": "kv",
		"axes": {"backend": ["redis", "stm", "mutex"], "upgrade": ["none", "expiry"], "migration": ["lazy", "lazy+sweep"]},
		"fixed": {"upgrade-at": 1, "tests": "SET,get", "keys": 0}}`)
	configs, excl, err := e.Expand()
	if err != nil {
		t.Fatal(err)
	}
	var slugs []string
	for _, c := range configs {
		slugs = append(slugs, c.Slug)
	}
	want := []string{"backend=redis", "backend=stm,upgrade=none", "backend=stm,upgrade=expiry,migration=lazy",
		"backend=stm,upgrade=expiry,migration=lazy+sweep", "backend=mutex,upgrade=none"}
	if !slices.Equal(slugs, want) {
		t.Errorf("slugs %q, want %q", slugs, want)
	}
	if len(excl) != 1 || excl[0].Rule != "an upgrade needs backend stm" {
		t.Errorf("exclusions %+v", excl)
	}
	if got := configs[0].Params.Value("tests"); got != "set+get" {
		t.Errorf("tests normalized to %q, want set+get", got)
	}
	cmd := configs[3].Command()
	for _, w := range []string{"--upgrade expiry --migration lazy+sweep --upgrade-at 1 --sweepers 1", "-t set,get --csv --precision 3"} {
		if !strings.Contains(cmd, w) {
			t.Errorf("command %q lacks %q", cmd, w)
		}
	}
	if c := configs[0].Command(); !strings.HasPrefix(c, "redis-server --save '' --appendonly no; then redis-benchmark") {
		t.Errorf("redis command %q", c)
	}
	for _, b := range []string{"kv-upgrade", "kv-peers"} {
		e, err := experiments.Builtin(b)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.Expand(); err != nil {
			t.Errorf("%s: %v", b, err)
		}
	}
	if _, err := experiments.Load("examples/kv-tiny.json"); err != nil {
		t.Error(err)
	}
}

func TestKVBadDefinitions(t *testing.T) {
	for _, c := range []struct{ def, want string }{
		{`{"name": "k", "kind": "kv", "axes": {"upgrade": ["none", "expiry"]}}`, "an upgrade needs upgrade-at"},
		{`{"name": "k", "kind": "kv", "fixed": {"tests": "get+frob"}}`, `unknown redis-benchmark test "frob"`},
		{`{"name": "k", "kind": "kv", "fixed": {"backend": "coarse"}}`, "accepted: stm, stm-plain, mutex, redis"},
		{`{"name": "k", "kind": "kv", "fixed": {"preload": 20000000}}`, "preload"},
		{`{"name": "k", "kind": "kv", "fixed": {"size": "big"}}`, `unknown key "size" for a kv part`},
		{`{"name": "k", "kind": "kv", "fixed": {"backend": "redis", "preload": 10}}`, "preload needs a dustm backend"},
		{`{"name": "k", "kind": "tv"}`, "accepted: bench, micro, kv"},
	} {
		e, err := experiments.Parse(strings.NewReader(c.def))
		if err == nil {
			_, _, err = e.Expand()
		}
		if err == nil || !errors.Is(err, experiments.ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one saying %q", c.def, err, c.want)
		}
	}
	// --set reaches the kv part's own backend key, and not a bench part's.
	e := kvExperiment(t, `{"name": "k", "parts": [{"name": "b", "fixed": {"size": "tiny"}}, {"name": "kv", "kind": "kv"}]}`)
	if err := e.Set("backend=redis"); err == nil || !strings.Contains(err.Error(), "redis") {
		t.Errorf("--set backend=redis over a bench part too: %v", err)
	}
	if err := e.Set("kv.backend=redis,mutex"); err != nil {
		t.Fatal(err)
	}
	if err := e.Set("clients=7"); err != nil {
		t.Fatal(err)
	}
	if got := e.Parts[1].Settings["clients"]; !slices.Equal(got, []string{"7"}) {
		t.Errorf("clients %q", got)
	}
}

func TestParseBenchmarkCSV(t *testing.T) {
	good := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
"SET","60606.06","0.055","0.016","0.055","0.087","0.095","0.215"
"LPUSH","inf","0.054","0.016","0.055","0.087","0.103","0.215"
"LPUSH (needed to benchmark LRANGE)","62500.00","0.054","0.016","0.055","0.079","0.095","0.151"
"MSET (10 keys)","52631.58","0.063","0.024","0.063","0.095","0.119","1.615"
`
	tests, err := experiments.ParseBenchmarkCSV("c.csv", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, x := range tests {
		names = append(names, x.Name)
	}
	if !slices.Equal(names, []string{"SET", "LPUSH", "LPUSH_needed_to_benchmark_LRANGE", "MSET"}) {
		t.Errorf("names %q", names)
	}
	if tests[1].RPS != nil || tests[0].RPS == nil || *tests[0].RPS != 60606.06 || tests[3].MaxMs != 1.615 || tests[3].P99Ms != 0.119 {
		t.Errorf("parsed %+v", tests)
	}
	// redis-benchmark records every latency above 3 s as 3 s: the client record says so.
	for _, c := range []struct {
		max     string
		clamped float64
	}{{"0.215", 0}, {"3000.319", 1}} {
		parsed, err := experiments.ParseBenchmarkCSV("c.csv", []byte(strings.Replace(good, `"0.215"`, `"`+c.max+`"`, 1)))
		if err != nil {
			t.Fatal(err)
		}
		rec := experiments.KVClientRecord(&experiments.KVClient{Tests: parsed}, nil)
		if rec.Values["client.max_clamped"] != c.clamped {
			t.Errorf("max %s ms: client.max_clamped %v, want %v", c.max, rec.Values["client.max_clamped"], c.clamped)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"", "c.csv is empty"},
		{`"test","rps"` + "\n" + `"SET","1"` + "\n", "c.csv:1: no min_latency_ms column"},
		{strings.Replace(good, `"0.215"`, `"fast"`, 1), `c.csv:2: max_latency_ms of SET is "fast"`},
		{strings.Replace(good, `,"1.615"`, ``, 1), "c.csv:5: 7 fields, the header has 8"},
		{strings.SplitAfter(good, "\n")[0], "a header and no test results"},
		{strings.Replace(good, `"SET",`, `"",`, 1), "c.csv:2: a row without a test name"},
	} {
		if _, err := experiments.ParseBenchmarkCSV("c.csv", []byte(c.in)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v, want one saying %q", err, c.want)
		}
	}
}

// needRedis skips a test without the Redis tools, saying what to install.
func needRedis(t *testing.T, server bool) {
	t.Helper()
	if _, err := exec.LookPath("redis-benchmark"); err != nil {
		t.Skip("redis-benchmark is not installed (Debian/Ubuntu: apt-get install -y redis-tools)")
	}
	if _, err := exec.LookPath("redis-server"); server && err != nil {
		t.Skip("redis-server is not installed (Debian/Ubuntu: apt-get install -y redis-server)")
	}
}

// TestKVRunEndToEnd runs kv runs against real redis-server and the fake dustm kv serve
// (with an upgrade), then summarizes them: the whole pipeline on real processes.
func TestKVRunEndToEnd(t *testing.T) {
	needRedis(t, true)
	r, progress, _ := fakeRunner(t)
	dir := filepath.Join(t.TempDir(), "out")
	e := kvExperiment(t, `{"name": "k", "repetitions": 1, "kind": "kv",
		"axes": {"backend": ["redis", "stm"], "upgrade": ["none", "expiry"]},
		"fixed": {"migration": "eager", "preload": 0, "upgrade-at": 0.05, "interval": "50ms", "tests": "set+get+mset", "clients": 2, "requests": 2000}}`)
	s, err := experiments.Create(dir, e, experiments.CreateOptions{Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	o, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if o.OK != 3 || o.Failed != 0 {
		t.Fatalf("outcome %+v\n%s", o, progress)
	}
	run := filepath.Join(dir, "runs", "main", "backend=stm,upgrade=expiry", "rep-1")
	f, err := experiments.LoadAny(run)
	if err != nil {
		t.Fatal(err)
	}
	rec := f.Runs[0].Record
	version, _ := rec.Config.Get("version")
	text, _ := rec.Config.Get("command")
	var command []string
	_ = json.Unmarshal([]byte(text), &command)
	if _, up := rec.Values["upgrade.committed_s"]; !up || !strings.HasPrefix(version, "redis-benchmark ") ||
		!slices.Contains(command, "--csv") || rec.Values["client.elapsed_s"] <= 0 {
		t.Errorf("the run's records joined: %+v", rec)
	}
	for _, f := range []string{experiments.KVClientCSVFile, experiments.SeriesFile, experiments.ResultFile} {
		if _, err := os.Stat(filepath.Join(run, f)); err != nil {
			t.Error(err)
		}
	}
	_, sum, err := analysis.WriteSummary(dir, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	redis := sum.Row("main", "backend=redis")
	up := sum.Row("main", "backend=stm,upgrade=expiry")
	if redis == nil || up == nil {
		t.Fatalf("rows %+v", sum.Rows)
	}
	for _, m := range []string{"client.SET.rps", "client.GET.p99_ms", "client.MSET.max_ms", "client.max_ms", "client.rps"} {
		if _, ok := redis.Stats[m]; !ok {
			t.Errorf("redis row lacks %s (has %v)", m, redis.Stats)
		}
	}
	for _, m := range []string{"upgrade.pause_ms", "throughput", "cat.GET.p99_us", "upgrade.client_position"} {
		if _, ok := up.Stats[m]; !ok {
			t.Errorf("upgrade row lacks %s", m)
		}
	}
	if _, ok := redis.Stats["throughput"]; ok {
		t.Error("redis-server has no server-side result, yet a throughput")
	}
}

// TestKVRunFailures: an error reply to redis-benchmark fails the run with the server's
// message; a server that writes no result fails it too; redis-benchmark's own report is kept.
func TestKVRunFailures(t *testing.T) {
	needRedis(t, false)
	for _, c := range []struct{ env, want string }{
		{experimentstest.EnvKVError + "=GET", "ERR fake error for GET"},
		{experimentstest.EnvKVNoJSON + "=1", "the server wrote no result"},
	} {
		r, progress, _ := fakeRunner(t, c.env)
		dir := filepath.Join(t.TempDir(), "out")
		e := kvExperiment(t, `{"name": "k", "repetitions": 1, "kind": "kv", "fixed": {"tests": "set+get", "clients": 1, "requests": 200}}`)
		s, err := experiments.Create(dir, e, experiments.CreateOptions{Source: "test"})
		if err != nil {
			t.Fatal(err)
		}
		o, err := r.Run(context.Background(), s)
		if err != nil {
			t.Fatal(err)
		}
		if o.Failed != 1 || !strings.Contains(progress.String(), c.want) {
			t.Errorf("%s: outcome %+v, progress:\n%s", c.env, o, progress)
		}
	}
}

// TestKVRunInterrupted cancels a sweep during the client's run: the run is recorded as
// interrupted and neither the server nor the client outlives it.
func TestKVRunInterrupted(t *testing.T) {
	needRedis(t, false)
	r, progress, _ := fakeRunner(t)
	dir := filepath.Join(t.TempDir(), "out")
	e := kvExperiment(t, `{"name": "k", "repetitions": 1, "kind": "kv", "fixed": {"tests": "get", "clients": 1, "requests": 100000000}}`)
	s, err := experiments.Create(dir, e, experiments.CreateOptions{Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // cancel once the client runs, within bounds
		defer cancel()
		for range 400 {
			time.Sleep(25 * time.Millisecond)
			info, err := experiments.ReadRunInfo(s.RunDir(s.Runs[0]))
			if i := slices.Index(info.Command, "--addr"); err == nil && i >= 0 {
				_, port, _ := net.SplitHostPort(info.Command[i+1])
				if len(processesWith(t, "-p\x00"+port+"\x00")) > 0 {
					time.Sleep(100 * time.Millisecond)
					return
				}
			}
		}
	}()
	o, err := r.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !o.Interrupted || o.Cut != 1 {
		t.Fatalf("outcome %+v\n%s", o, progress)
	}
	info, err := experiments.ReadRunInfo(s.RunDir(s.Runs[0]))
	if err != nil || info.Status != experiments.StatusInterrupted {
		t.Fatalf("run.json %+v, %v", info, err)
	}
	addr := info.Command[slices.Index(info.Command, "--addr")+1]
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("the server still listens on %s", addr)
	}
	_, port, _ := net.SplitHostPort(addr)
	if pids := processesWith(t, "-p\x00"+port+"\x00"); len(pids) > 0 {
		t.Errorf("redis-benchmark still runs: %v", pids)
	}
}

// processesWith lists the processes whose command line contains s (Linux: /proc).
func processesWith(t *testing.T, s string) []string {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Log("no /proc: not checked")
		return nil
	}
	var out []string
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), "redis-benchmark") && strings.Contains(string(b), s) {
			out = append(out, e.Name()+": "+strings.ReplaceAll(string(b), "\x00", " "))
		}
	}
	return out
}

func TestKVClientJSONShape(t *testing.T) {
	// The report's field names are part of the results' format: keep them.
	b, err := json.Marshal(experiments.KVClient{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"tool"`, `"version"`, `"command"`, `"server"`, `"server_command"`, `"client_start_s"`, `"client_end_s"`, `"tests"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("client.json lacks %s: %s", k, b)
		}
	}
}

// TestKVCompare compares kv folders: the client's metrics are compared by default.
func TestKVCompare(t *testing.T) {
	e := kvExperiment(t, `{"name": "k", "repetitions": 3, "kind": "kv", "axes": {"backend": ["redis", "stm"]}, "fixed": {"tests": "get+set"}}`)
	dir := filepath.Join(t.TempDir(), "out")
	if _, err := experimentstest.WriteFolder(dir, e, experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	a, err := experiments.LoadAny(filepath.Join(dir, "runs", "main", "backend=redis"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := experiments.LoadAny(filepath.Join(dir, "runs", "main", "backend=stm"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := analysis.Compare(a, b, analysis.CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var metrics []string
	for _, r := range c.Rows {
		metrics = append(metrics, r.Metric)
		if r.Metric == "client.rps" && (r.NA != 3 || r.NB != 3 || r.Ratio > 0.9) {
			t.Errorf("client.rps %+v (the fake: stm 70k, redis 80k)", r)
		}
	}
	if !slices.Contains(metrics, "client.rps") || !slices.Contains(metrics, "client.max_ms") {
		t.Errorf("compared %q", metrics)
	}
}

// FuzzParseBenchmarkCSV: any output parses or is refused with an error, never a panic.
func FuzzParseBenchmarkCSV(f *testing.F) {
	f.Add([]byte(`"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n" +
		`"SET","inf","0.055","0.016","0.055","0.087","0.095","0.215"` + "\n"))
	f.Add([]byte("\"test\",\"rps\"\n\"a\",\"1\"\n"))
	f.Add([]byte("\x00\"\n,"))
	f.Fuzz(func(t *testing.T, b []byte) {
		tests, err := experiments.ParseBenchmarkCSV("c.csv", b)
		if err == nil && len(tests) == 0 {
			t.Fatal("no error and no tests")
		}
	})
}

// TestKVRunWithoutClient: without redis-benchmark every kv run fails saying what to install.
func TestKVRunWithoutClient(t *testing.T) {
	r, progress, _ := fakeRunner(t, experiments.EnvRedisBenchmark+"=/nonexistent/redis-benchmark")
	dir := filepath.Join(t.TempDir(), "out")
	s, err := experiments.Create(dir, kvExperiment(t, `{"name": "k", "repetitions": 2, "kind": "kv"}`), experiments.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o, err := r.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if o.Failed != 2 || !strings.Contains(progress.String(), "apt-get install -y redis-tools") {
		t.Errorf("outcome %+v, progress:\n%s", o, progress)
	}
}
