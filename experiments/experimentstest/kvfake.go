package experimentstest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"dustm/experiments"
	"dustm/internal/duration"
	"dustm/stmbench7/bench"
)

// Environment variables that steer the fake `dustm kv serve`.
const (
	// EnvKVError: the fake answers this command (upper case) with an error reply.
	EnvKVError = "DUSTM_FAKE_KV_ERROR"
	// EnvKVNoJSON, set to 1: the fake exits 0 on SIGTERM without writing its result.
	EnvKVNoJSON = "DUSTM_FAKE_KV_NOJSON"
)

// FakeKVPauseMs is the fake server's upgrade pause: 1 µs a preloaded key under eager
// migration, 0.1 ms otherwise.
func FakeKVPauseMs(migration string, preload int64) float64 {
	if migration == "eager" {
		return float64(preload) / 1000
	}
	return 0.1
}

// fakeKV is the fake server's state.
type fakeKV struct {
	mu       sync.Mutex
	counts   map[string]int64
	conns    atomic.Int64
	errorCmd string
}

// FakeKVMain is a fake `dustm kv serve` (args start with "kv", "serve"): it speaks enough
// RESP for redis-benchmark (every command gets a plausible reply, nothing is stored), prints
// the ready line, and on SIGTERM writes a result and series of the contract's shape.
func FakeKVMain(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("kv serve", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:6380", "")
	backend := fs.String("backend", "stm", "")
	preload := fs.Int64("preload", 0, "")
	up := fs.String("upgrade", "", "")
	migration := fs.String("migration", "lazy", "")
	upAt := fs.String("upgrade-at", "", "")
	sweepers := fs.Int("sweepers", 0, "")
	jsonPath := fs.String("json", "", "")
	seriesPath := fs.String("series", "", "")
	intervalS := fs.String("interval", "1s", "")
	fs.Int("gomaxprocs", 0, "")
	fs.Int("gogc", 100, "")
	if err := fs.Parse(args[2:]); err != nil {
		fmt.Fprintf(stderr, "dustm kv serve: %v\n", err)
		return 2
	}
	interval, err := duration.Parse(*intervalS)
	if err != nil {
		fmt.Fprintf(stderr, "dustm kv serve: --interval: %v\n", err)
		return 2
	}
	var at time.Duration
	if *up != "" {
		if at, err = duration.Parse(*upAt); err != nil {
			fmt.Fprintf(stderr, "dustm kv serve: --upgrade-at: %v\n", err)
			return 2
		}
	}
	l, err := net.Listen("tcp", *addr)
	if err != nil {
		fmt.Fprintf(stderr, "dustm kv serve: %v\n", err)
		return 1
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	ready := time.Now()
	fmt.Fprintf(stderr, "dustm kv: ready on %s (backend=%s, keys=%d)\n", l.Addr(), *backend, *preload)
	kv := &fakeKV{counts: map[string]int64{}, errorCmd: os.Getenv(EnvKVError)}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			kv.conns.Add(1)
			go kv.serve(c)
		}
	}()
	<-sigs
	l.Close()
	elapsed := time.Since(ready).Seconds()
	if os.Getenv(EnvKVNoJSON) == "1" {
		return 0
	}
	cfg := experiments.KVConfig{App: "kv", Backend: *backend, Preload: int(*preload), Upgrade: *up, Migration: *migration,
		UpgradeAtS: at.Seconds(), Sweepers: *sweepers, IntervalS: interval.Seconds(), GOMAXPROCS: 2, GOGC: 100}
	res, series := fakeKVResult(cfg, kv.snapshot(), kv.conns.Load(), elapsed)
	if *seriesPath != "" {
		if err := writeSeries(*seriesPath, series); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	if *jsonPath != "" {
		if err := writeJSON(*jsonPath, res); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
	}
	return 0
}

func (kv *fakeKV) snapshot() map[string]int64 {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	out := make(map[string]int64, len(kv.counts))
	for k, v := range kv.counts {
		out[k] = v
	}
	return out
}

// serve answers one connection's commands (multibulk or inline), in order.
func (kv *fakeKV) serve(c net.Conn) {
	defer c.Close()
	r, w := bufio.NewReader(c), bufio.NewWriter(c)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		if len(args) > 0 {
			name := strings.ToUpper(args[0])
			kv.mu.Lock()
			kv.counts[name]++
			kv.mu.Unlock()
			w.WriteString(kv.reply(name, args))
		}
		if r.Buffered() == 0 { // pipelined commands are answered together
			if w.Flush() != nil {
				return
			}
		}
	}
}

func (kv *fakeKV) reply(name string, args []string) string {
	if name == kv.errorCmd {
		return "-ERR fake error for " + name + "\r\n"
	}
	switch name {
	case "PING":
		return "+PONG\r\n"
	case "CONFIG":
		key := ""
		if len(args) > 2 {
			key = args[2]
		}
		return fmt.Sprintf("*2\r\n$%d\r\n%s\r\n$0\r\n\r\n", len(key), key)
	case "GET", "LPOP", "RPOP", "SPOP":
		return "$-1\r\n"
	case "INCR", "LPUSH", "RPUSH", "SADD", "HSET", "ZADD", "DEL", "EXISTS":
		return ":1\r\n"
	case "ZPOPMIN", "LRANGE":
		return "*0\r\n"
	}
	return "+OK\r\n"
}

// readCommand reads one command: a RESP multibulk, or an inline line.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, "*") {
		return strings.Fields(line), nil
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil || n < 0 || n > 1<<20 {
		return nil, fmt.Errorf("bad multibulk length %q", line)
	}
	args := make([]string, 0, min(n, 64))
	for range n {
		h, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimRight(h, "\r\n")[1:])
		if err != nil || size < 0 || size > 1<<20 {
			return nil, fmt.Errorf("bad bulk length %q", h)
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args = append(args, string(buf[:size]))
	}
	return args, nil
}

// fakeKVResult builds the contract's result and series for a fake run that lasted elapsed
// seconds: fixed latencies (GET 100 µs, others 150 µs), the upgrade (if any) at its instant
// with FakeKVPauseMs as its pause, and a latency spike of that pause in its interval.
func fakeKVResult(cfg experiments.KVConfig, counts map[string]int64, conns int64, elapsed float64) (*experiments.KVResult, []experiments.SeriesPoint) {
	res := &experiments.KVResult{SchemaVersion: 2, Kind: "kv", Config: cfg, ElapsedS: elapsed, PreloadS: float64(cfg.Preload) * 1e-6,
		HeapBytesAfterPreload: uint64(cfg.Preload) * 100, HeapBytesAtEnd: uint64(cfg.Preload) * 100, Connections: conns,
		Operations: map[string]bench.OpResult{}}
	res.Env.GoVersion, res.Env.GitCommit, res.Env.CPUModel, res.Env.NumCPU = "go-fake", "fake", "fake CPU", 2
	for name, n := range counts {
		lat := 150.0
		if name == "GET" {
			lat = 100
		}
		res.Operations[name] = bench.OpResult{Successful: n, MaxTTCUs: 2 * lat, P50Us: lat, P99Us: 1.5 * lat, P999Us: 1.8 * lat, MeanUs: lat}
		res.Commands += n
	}
	res.Throughput = float64(res.Commands) / elapsed
	all := bench.OpResult{Successful: res.Commands, MaxTTCUs: 300, P50Us: 120, P99Us: 200, P999Us: 250, MeanUs: 125}
	res.All = &all
	res.MaxGapMs = 5.0
	res.Probe = &bench.ProbeResult{IntervalUs: 1000, Count: int64(elapsed * 1000), MaxUs: 500, P99Us: 100, P999Us: 200}
	res.Hiccup = &bench.ProbeResult{IntervalUs: 1000, Count: int64(elapsed * 1000), MaxUs: 300, P99Us: 80, P999Us: 150}
	var committed float64 = -1
	pause := 0.0
	if cfg.Upgrade != "" && cfg.UpgradeAtS < elapsed {
		keys := int64(cfg.Preload)
		pause = FakeKVPauseMs(cfg.Migration, keys)
		committed = cfg.UpgradeAtS + pause/1e3
		migrated := min(committed+0.01, elapsed)
		res.Upgrade = &bench.UpgradeResult{Scenario: cfg.Upgrade, Strategy: cfg.Migration, Sweepers: cfg.Sweepers, RequestedS: cfg.UpgradeAtS,
			CommittedS: &committed, MigratedS: &migrated, Complete: true, Objects: keys, ObjectsConverted: keys,
			PauseMs: pause, ThroughputBefore: res.Throughput, ThroughputAfter: res.Throughput,
			Migrations: []bench.MigrationResult{{Name: cfg.Upgrade, CommittedS: committed, RequestedS: cfg.UpgradeAtS, Complete: true, Objects: keys}}}
		if cfg.Migration == "eager" {
			res.Upgrade.ConversionsStopped = keys
			res.Upgrade.Migrations[0].WorldStopMs = pause
		} else {
			res.Upgrade.ConversionsForeground = keys
		}
	}
	iv := cfg.IntervalS
	if iv <= 0 {
		iv = 1
	}
	var series []experiments.SeriesPoint
	var total int64
	for t := iv; t < elapsed+iv; t += iv {
		end := min(t, elapsed)
		ops := int64(res.Throughput * (end - (t - iv)))
		total += ops
		mx, p99 := 300.0, 200.0
		pt := experiments.SeriesPoint{TS: end, Ops: ops, TotalOps: total, Throughput: float64(ops) / iv,
			Categories: map[string]experiments.SeriesCategory{"GET": {Ops: ops, MaxUs: mx, P99Us: p99}}}
		if committed >= t-iv && committed < t {
			mx = max(mx, pause*1e3)
			pt.Events = []experiments.Event{{Kind: "requested", Upgrade: cfg.Upgrade, TS: cfg.UpgradeAtS},
				{Kind: "committed", Upgrade: cfg.Upgrade, TS: committed}}
		}
		pt.MaxUs, pt.P99Us = &mx, &p99
		series = append(series, pt)
	}
	return res, series
}

// FakeKVClientRPS is the fake client's requests per second of a backend: redis 80k, stm
// 70k, stm-plain 75k, mutex 72k; ten times that with pipelining.
func FakeKVClientRPS(backend string, pipelined bool) float64 {
	r := map[string]float64{"redis": 80000, "stm": 70000, "stm-plain": 75000, "mutex": 72000}[backend]
	if pipelined {
		r *= 10
	}
	return r
}

// FakeKVClientMaxMs is the fake client's maximum latency of a test: 2 ms, 2.2 ms with a
// lazy upgrade, the pause plus 1 ms with an eager one.
func FakeKVClientMaxMs(upgrade, migration string, preload int64) float64 {
	switch {
	case upgrade == "" || upgrade == "none":
		return 2
	case migration == "eager":
		return FakeKVPauseMs(migration, preload) + 1
	}
	return 2.2
}

// writeFakeKVRun fills a kv run's folder as if it had run: the client's report (per test:
// p50 0.3 ms, p95 0.6, p99 0.8, FakeKVClientMaxMs, FakeKVClientRPS, times RepFactor) and,
// for dustm backends, the server's result and series over 4 s with the upgrade (if any) at
// its upgrade-at.
func writeFakeKVRun(dir string, ps experiments.Params, rep int) error {
	m := ps.Map()
	preload, _ := strconv.ParseInt(m["preload"], 10, 64)
	f := RepFactor(rep)
	rps := FakeKVClientRPS(m["backend"], m["pipeline"] != "1") * f
	mx := FakeKVClientMaxMs(m["upgrade"], m["migration"], preload) * f
	c := experiments.KVClient{Tool: "redis-benchmark", Version: "redis-benchmark 7.0.15 (fake)", Server: experiments.KVServerDustm,
		Command: []string{"redis-benchmark", "-t", m["tests"]}, ServerCommand: []string{"dustm", "kv", "serve"}, ReadyS: 0.1, StartS: 0.01, EndS: 4}
	if m["backend"] == "redis" {
		c.Server, c.ServerVersion = experiments.KVServerRedis, "Redis server v=7.0.15 (fake)"
	}
	var csv strings.Builder
	csv.WriteString(`"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n")
	for _, t := range strings.Split(m["tests"], "+") {
		name := strings.ToUpper(t)
		r := rps
		c.Tests = append(c.Tests, experiments.KVTest{Test: name, Name: name, RPS: &r, AvgMs: 0.35 * f, MinMs: 0.05, P50Ms: 0.3 * f, P95Ms: 0.6 * f, P99Ms: 0.8 * f, MaxMs: mx})
		fmt.Fprintf(&csv, "%q,%q,\"%.3f\",\"0.050\",\"%.3f\",\"%.3f\",\"%.3f\",\"%.3f\"\n", name, fmt.Sprintf("%.2f", r), 0.35*f, 0.3*f, 0.6*f, 0.8*f, mx)
	}
	if err := os.WriteFile(filepath.Join(dir, experiments.KVClientCSVFile), []byte(csv.String()), 0o644); err != nil {
		return err
	}
	if err := writeJSON(filepath.Join(dir, experiments.KVClientFile), c); err != nil {
		return err
	}
	if m["backend"] == "redis" {
		return nil
	}
	at, _ := duration.Parse(m["upgrade-at"])
	interval, _ := duration.Parse(m["interval"])
	cfg := experiments.KVConfig{App: "kv", Backend: m["backend"], Preload: int(preload), Migration: m["migration"],
		UpgradeAtS: at.Seconds(), IntervalS: interval.Seconds()}
	if u := m["upgrade"]; u != "none" {
		cfg.Upgrade = u
	}
	res, series := fakeKVResult(cfg, map[string]int64{"GET": int64(rps * 2), "SET": int64(rps * 2)}, 50, 4)
	if err := writeSeries(filepath.Join(dir, experiments.SeriesFile), series); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dir, experiments.ResultFile), res)
}
