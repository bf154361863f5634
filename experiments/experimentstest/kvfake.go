package experimentstest

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
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
	"dustm/kv/resp"
	"dustm/record"
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
	var at, interval time.Duration
	anyDuration := duration.Range{Min: math.MinInt64, Max: math.MaxInt64} // the server checks ranges; the fake takes what it is given
	fs.Var(duration.NewValue(&at, 0, anyDuration), "upgrade-at", "")
	fs.Int("sweepers", 0, "")
	jsonPath := fs.String("json", "", "")
	seriesPath := fs.String("series", "", "")
	fs.Var(duration.NewValue(&interval, time.Second, anyDuration), "interval", "")
	fs.Int("gomaxprocs", 0, "")
	fs.Int("gogc", 100, "")
	if err := fs.Parse(args[2:]); err != nil {
		fmt.Fprintf(stderr, "dustm kv serve: %v\n", err)
		return 2
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
	cfg := fakeKVConfig{backend: *backend, preload: *preload, upgrade: *up, migration: *migration, at: at.Seconds(), interval: interval.Seconds()}
	kv.mu.Lock() // connections may still be counting
	counts := maps.Clone(kv.counts)
	kv.mu.Unlock()
	res, series := fakeKVResult(cfg, counts, kv.conns.Load(), elapsed)
	if err := writeRun(*jsonPath, *seriesPath, res, series); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	return 0
}

// serve answers one connection's commands, in order.
func (kv *fakeKV) serve(c net.Conn) {
	defer c.Close()
	r, w := resp.NewReader(c, 0), bufio.NewWriter(c)
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return
		}
		name := strings.ToUpper(string(args[0]))
		kv.mu.Lock()
		kv.counts[name]++
		kv.mu.Unlock()
		w.WriteString(kv.reply(name, args))
		if r.Buffered() == 0 { // pipelined commands are answered together
			if w.Flush() != nil {
				return
			}
		}
	}
}

func (kv *fakeKV) reply(name string, args [][]byte) string {
	if name == kv.errorCmd {
		return "-ERR fake error for " + name + "\r\n"
	}
	switch name {
	case "PING":
		return "+PONG\r\n"
	case "CONFIG":
		key := ""
		if len(args) > 2 {
			key = string(args[2])
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

// fakeKVConfig is what the fake server's result depends on.
type fakeKVConfig struct {
	backend, upgrade, migration string
	preload                     int64
	at, interval                float64
}

// fakeKVResult builds the server's record and series for a fake run that lasted elapsed
// seconds: fixed latencies (GET 100 µs, others 150 µs), the upgrade (if any) at its instant
// with FakeKVPauseMs as its pause, and a latency spike of that pause in its interval.
func fakeKVResult(cfg fakeKVConfig, counts map[string]int64, conns int64, elapsed float64) (*record.Record, []record.Tick) {
	r := fakeRecord{&record.Record{Schema: record.Schema, App: "kv", Config: record.Config{{Key: "backend", Value: cfg.backend},
		{Key: "preload", Value: strconv.FormatInt(cfg.preload, 10)}, {Key: "upgrade", Value: cfg.upgrade}, {Key: "migration", Value: cfg.migration}},
		Env: record.Config{{Key: "goos", Value: "linux"}, {Key: "cpu", Value: "fake CPU"}}}}
	var commands float64
	for _, n := range counts {
		commands += float64(n)
	}
	tput := commands / elapsed
	r.totals(commands, elapsed)
	r.latency("all.", 300)
	r.setAll("", fakeValue{"probe_max_us", "µs", record.Lower, 500}, fakeValue{"hiccup_max_us", "µs", record.Lower, 300},
		fakeValue{"max_gap_ms", "ms", record.Lower, 5})
	committed, pause := -1.0, 0.0
	if cfg.upgrade != "" && cfg.at < elapsed {
		pause = FakeKVPauseMs(cfg.migration, cfg.preload)
		committed = cfg.at + pause/1e3
		r.setAll("upgrade.", []fakeValue{{"pause_ms", "ms", record.Lower, pause}, {"requested_s", "s", record.Neither, cfg.at},
			{"committed_s", "s", record.Neither, committed}, {"commit_delay_ms", "ms", record.Lower, pause},
			{"migrated_s", "s", record.Neither, min(committed+0.01, elapsed)}, {"objects", "objects", record.Neither, float64(cfg.preload)},
			{"complete", "", record.Neither, 1}, {"failed", "", record.Lower, 0}}...)
	}
	r.setAll("", []fakeValue{{"elapsed_s", "s", record.Neither, elapsed}, {"heap_bytes_at_end", "B", record.Lower, float64(cfg.preload * 100)}}...)
	for name, n := range counts {
		lat := map[bool]float64{true: 100, false: 150}[name == "GET"]
		r.category(name, float64(n), 2*lat, 1.5*lat, lat)
	}
	r.setAll("", []fakeValue{{"connections", "", record.Neither, float64(conns)},
		{"heap_bytes_after_preload", "B", record.Lower, float64(cfg.preload * 100)}, {"preload_s", "s", record.Lower, float64(cfg.preload) * 1e-6}}...)
	iv := cfg.interval
	if iv <= 0 {
		iv = 1
	}
	var series []record.Tick
	var total float64
	for t := iv; t < elapsed+iv; t += iv {
		end := min(t, elapsed)
		ops := float64(int64(tput * (end - (t - iv))))
		total += ops
		tk := record.Tick{T: end, Values: map[string]float64{"ops": ops, "total_ops": total, "throughput": ops / iv,
			"max_us": 300, "p99_us": 200, "cmd.GET.ops": ops, "cmd.GET.max_us": 300, "cmd.GET.p99_us": 200}}
		if committed >= t-iv && committed < t {
			tk.Values["max_us"] = max(300, pause*1e3)
			tk.Events = []record.Event{{Name: "requested", T: cfg.at}, {Name: "committed", T: committed}}
		}
		series = append(series, tk)
	}
	return r.Record, series
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
	c := &experiments.KVClient{Tool: "redis-benchmark", Version: "redis-benchmark 7.0.15 (fake)", Server: experiments.KVServerDustm,
		Command: []string{"redis-benchmark", "-t", m["tests"]}, ServerCommand: []string{"dustm", "kv", "serve"}, ReadyS: 0.1, StartS: 0.01, EndS: 4}
	if m["backend"] == "redis" {
		c.Server, c.ServerVersion = experiments.KVServerRedis, "Redis server v=7.0.15 (fake)"
	}
	// The client's report is parsed from its CSV, as a real run's is.
	csv := `"test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"` + "\n"
	for _, t := range strings.Split(m["tests"], "+") {
		csv += fmt.Sprintf("%s,%g,%g,0.05,%g,%g,%g,%g\n", strings.ToUpper(t), rps, 0.35*f, 0.3*f, 0.6*f, 0.8*f, mx)
	}
	if err := os.WriteFile(filepath.Join(dir, experiments.KVClientCSVFile), []byte(csv), 0o644); err != nil {
		return err
	}
	var err error
	if c.Tests, err = experiments.ParseBenchmarkCSV(experiments.KVClientCSVFile, []byte(csv)); err != nil {
		return err
	}
	var server *record.Record
	if m["backend"] != "redis" {
		at, _ := duration.Parse(m["upgrade-at"])
		interval, _ := duration.Parse(m["interval"])
		cfg := fakeKVConfig{backend: m["backend"], preload: preload, migration: m["migration"], at: at.Seconds(), interval: interval.Seconds()}
		if u := m["upgrade"]; u != "none" {
			cfg.upgrade = u
		}
		var series []record.Tick
		server, series = fakeKVResult(cfg, map[string]int64{"GET": int64(rps * 2), "SET": int64(rps * 2)}, 50, 4)
		if err := writeRun(filepath.Join(dir, experiments.ResultFile), filepath.Join(dir, experiments.SeriesFile), server, series); err != nil {
			return err
		}
	}
	return record.Write(filepath.Join(dir, experiments.KVClientFile), experiments.KVClientRecord(c, server), nil)
}
