package experiments

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// KindKV runs a key-value server (`dustm kv serve`, or redis-server as the peer) in a fresh
// process, drives it with redis-benchmark, and keeps the client's report beside the server's
// result.
const KindKV Kind = "kv"

// KVBackends are the servers of a kv run: dustm kv serve's backends, and redis for
// redis-server.
func KVBackends() []string { return []string{"stm", "stm-plain", "mutex", "redis"} }

// KVUpgrades are the upgrade scenarios of `dustm kv serve --upgrade`, and none.
func KVUpgrades() []string { return []string{"none", "expiry", "hash-encoding", "keystats"} }

// kvBenchmarkTests are the tests redis-benchmark's -t accepts (Redis 7).
func kvBenchmarkTests() []string {
	return []string{"ping_inline", "ping_mbulk", "ping", "set", "get", "incr", "lpush", "rpush", "lpop", "rpop",
		"sadd", "hset", "spop", "zadd", "zpopmin", "lrange", "lrange_100", "lrange_300", "lrange_500", "lrange_600", "mset"}
}

// MaxKVPreload is the most keys a kv run preloads (dustm kv serve's bound).
const MaxKVPreload = 10_000_000

// kvSpecs are the keys of kv parts: the server's (backend to gomaxprocs, passed to dustm kv
// serve) and the client's (tests to client-threads, passed to redis-benchmark).
func kvSpecs() []spec {
	flag := func(name string) func(string) []string {
		return func(v string) []string { return []string{"--" + name, v} }
	}
	return []spec{
		{key: "backend", kind: KindKV, def: "stm", values: KVBackends(), flags: flag("backend"),
			help: "the server: dustm kv serve --backend stm|stm-plain|mutex, or redis: redis-server (the peer, started empty)"},
		{key: "preload", kind: KindKV, def: "0", accepts: fmt.Sprintf("a whole number from 0 to %d", MaxKVPreload), aliases: []string{"keys"},
			help: "keys the server fills before it listens (--preload); dustm backends only", norm: intBetween(0, MaxKVPreload), flags: flag("preload")},
		{key: "upgrade", kind: KindKV, def: "none", values: KVUpgrades(),
			help: "upgrade scenario of the server (--upgrade); only with backend stm, and upgrade-at says when"},
		{key: "migration", kind: KindKV, def: "lazy", values: mustRow("migration").Values(),
			help: "migration strategy (--migration); only with an upgrade"},
		{key: "sweepers", kind: KindKV, def: "1", accepts: "a whole number from 1 to 1024",
			help: "sweeper goroutines (--sweepers); only with migration lazy+sweep", norm: intBetween(1, 1024)},
		{key: "upgrade-at", kind: KindKV, accepts: mustRow("upgrade-at").Accepts(), norm: mustRow("upgrade-at").Normalize,
			help: "when the upgrade is requested, after the server is ready (--upgrade-at); required with an upgrade. " +
				"Without an upgrade it marks the same instant in the figures (the baseline)"},
		{key: "interval", kind: KindKV, def: "1s", accepts: mustRow("interval").Accepts(), norm: mustRow("interval").Normalize,
			help: "interval of the server's time series (--interval); dustm backends only", flags: flag("interval")},
		{key: "gogc", kind: KindKV, accepts: mustRow("gogc").Accepts(), norm: mustRow("gogc").Normalize, flags: flag("gogc"),
			help: "the collector's GOGC in the server process (--gogc); dustm backends only"},
		{key: "gomaxprocs", kind: KindKV, accepts: mustRow("gomaxprocs").Accepts(), norm: mustRow("gomaxprocs").Normalize, flags: flag("gomaxprocs"),
			help: "the processors of the server process (--gomaxprocs); dustm backends only"},
		{key: "tests", kind: KindKV, def: "get+set", accepts: "redis-benchmark tests joined by + (" + strings.Join(kvBenchmarkTests(), ", ") + ")",
			help: "the client's tests (redis-benchmark -t), in the order given", norm: kvTestList},
		{key: "clients", kind: KindKV, def: "50", accepts: "a whole number from 1 to 10000",
			help: "the client's parallel connections (redis-benchmark -c)", norm: intBetween(1, 10000)},
		{key: "pipeline", kind: KindKV, def: "1", accepts: "a whole number from 1 to 10000",
			help: "requests each connection sends before reading the replies (redis-benchmark -P)", norm: intBetween(1, 10000)},
		{key: "requests", kind: KindKV, def: "100000", accepts: "a whole number from 1 to 1000000000",
			help: "requests of each test (redis-benchmark -n)", norm: intBetween(1, 1_000_000_000)},
		{key: "keyspace", kind: KindKV, accepts: "a whole number from 1 to 1000000000",
			help: "random keys key:000000000000 … over this range (redis-benchmark -r); default the preload when there is one, else the tests' fixed keys",
			norm: intBetween(1, 1_000_000_000)},
		{key: "data-size", kind: KindKV, def: "3", accepts: "a whole number from 1 to 1048576",
			help: "bytes of each SET/GET value (redis-benchmark -d)", norm: intBetween(1, 1<<20)},
		{key: "client-threads", kind: KindKV, accepts: "a whole number from 1 to 64",
			help: "the client's threads (redis-benchmark --threads); default one", norm: intBetween(1, 64)},
	}
}

// kvTestList normalizes a list of redis-benchmark tests: lower case, joined by + (a comma
// would split the value in --set), each known, none twice.
func kvTestList(v string) (string, error) {
	var out []string
	for t := range strings.FieldsFuncSeq(strings.ToLower(v), func(r rune) bool { return r == '+' || r == ',' || r == ' ' }) {
		if !slices.Contains(kvBenchmarkTests(), t) {
			return "", fmt.Errorf("unknown redis-benchmark test %q", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) == 0 {
		return "", fmt.Errorf("no tests")
	}
	return strings.Join(out, "+"), nil
}

// kvRules leaves out the kv combinations that make no sense and drops the settings that do
// not apply (see applyRules).
func kvRules(ps Params) (Params, string) {
	m := ps.Map()
	redis := m["backend"] == "redis"
	if m["upgrade"] != "none" && m["backend"] != "stm" {
		return nil, "an upgrade needs backend stm"
	}
	if redis && m["preload"] != "0" {
		return nil, "preload needs a dustm backend (redis-server starts empty)"
	}
	if m["upgrade"] == "none" {
		ps = ps.Without("migration").Without("sweepers")
	} else if m["migration"] != "lazy+sweep" {
		ps = ps.Without("sweepers")
	}
	if redis {
		for _, k := range []string{"upgrade", "upgrade-at", "interval", "gogc", "gomaxprocs", "preload"} {
			ps = ps.Without(k)
		}
	}
	return ps, ""
}

// validateKV checks what the rules cannot: an upgrade needs its instant.
func validateKV(p *Part) error {
	ups := p.Settings["upgrade"]
	if _, at := p.Settings["upgrade-at"]; !at && slices.ContainsFunc(ups, func(u string) bool { return u != "none" }) {
		return invalidf("part %s: an upgrade needs upgrade-at (when to request it, after the server is ready; the middle of the client's run)", p.Name)
	}
	return nil
}

// kvEstimate is a kv run's expected duration: the preload (about 2 µs a key), the client's
// requests at a guessed 50,000 per second per test (500,000 with pipelining), and the
// processes' start and stop.
func kvEstimate(m map[string]string) time.Duration {
	preload, _ := strconv.ParseFloat(m["preload"], 64)
	n, _ := strconv.ParseFloat(m["requests"], 64)
	tests := float64(len(strings.Split(m["tests"], "+")))
	rate := 50_000.0
	if m["pipeline"] != "1" {
		rate *= 10
	}
	secs := preload*2e-6 + tests*n/rate + 1
	return time.Duration(secs * float64(time.Second))
}

// kvServerArgs are the flags of `dustm kv serve` for a configuration (without --addr,
// --json and --series), or redis-server's for the peer (without --port).
func kvServerArgs(ps Params) []string {
	m := ps.Map()
	if m["backend"] == "redis" {
		return []string{"--save", "", "--appendonly", "no"}
	}
	args := flagsOf(KindKV, ps) // the server's keys (the client's have no flags)
	if up := m["upgrade"]; up != "" && up != "none" {
		args = append(args, "--upgrade", up, "--migration", m["migration"], "--upgrade-at", m["upgrade-at"])
		if sw, ok := m["sweepers"]; ok {
			args = append(args, "--sweepers", sw)
		}
	}
	return args
}

// kvClientArgs are redis-benchmark's arguments for a configuration, against port.
func kvClientArgs(ps Params, port int) []string {
	m := ps.Map()
	args := []string{"-h", "127.0.0.1", "-p", strconv.Itoa(port), "-c", m["clients"], "-n", m["requests"],
		"-P", m["pipeline"], "-d", m["data-size"]}
	keyspace := m["keyspace"]
	if keyspace == "" && m["preload"] != "" && m["preload"] != "0" {
		keyspace = m["preload"]
	}
	if keyspace != "" {
		args = append(args, "-r", keyspace)
	}
	if t := m["client-threads"]; t != "" {
		args = append(args, "--threads", t)
	}
	return append(args, "-t", strings.ReplaceAll(m["tests"], "+", ","), "--csv", "--precision", "3")
}

// kvCommand describes how a kv configuration runs, for dry runs: the server, then the client
// once it answers (both on a free port of 127.0.0.1, chosen at run time).
func (c *Config) kvCommand() string {
	server := "dustm kv serve " + strings.Join(kvServerArgs(c.Params), " ")
	if c.Params.Value("backend") == "redis" {
		server = "redis-server --save '' --appendonly no"
	}
	return server + "; then redis-benchmark " + strings.Join(kvClientArgs(c.Params, 0)[4:], " ")
}

// kvBuiltins are the built-in experiments of the key-value server (issue 18), with their
// claims.
func kvBuiltins() []*Experiment {
	return []*Experiment{
		{
			Name: "kv-upgrade",
			Description: "A Redis-protocol key-value server on the upgrade engine (dustm kv serve --backend stm), upgraded " +
				"while redis-benchmark drives it: keyspace sizes 100k, 300k, 1M, 3M and 10M preloaded keys (five, so that eager's pause has a fit over two decades) × no upgrade, lazy, " +
				"lazy+sweep and eager migration, for each scenario (expiry: every string entry gains per-key expiry; " +
				"hash-encoding: hashes only change their encoding; keystats: the transformer reads other objects of the " +
				"pre-upgrade state). The client (50 connections, 1.5 million GETs of random preloaded keys: 20 to 30 s on " +
				"the 2-core reference machine; redis-benchmark runs its tests one after the other, so one test keeps the " +
				"upgrade inside a single load) starts when the server answers PING; the upgrade is requested 10 s after that, " +
				"in the middle of the client's run (each run records where it fell: upgrade.client_position, and the " +
				"findings warn when it fell outside). The claims are checked on the client's own numbers (redis-benchmark's min, " +
				"p50, p95, p99, max and requests per second per test); the server's series (100 ms intervals) shows when " +
				"things happened. Five repetitions. The server runs with GOGC=400 as the STMBench7 upgrade experiments do.",
			Repetitions: 5,
			Timeout:     20 * time.Minute,
			Figures:     []string{"kv-timeline", "kv-pause-size"},
			Claims: []Claim{{Text: "lazy and lazy+sweep migration keep the client's maximum latency within 1.5× of the same run without an upgrade, at every size",
				Rule: "at-most", Value: 1.5, Metrics: []string{"client.max_ms"}, Beside: []string{"client.p99_ms"},
				On: Selection{"migration": "lazy,lazy+sweep"}, Baseline: Selection{"upgrade": "none,"}, Ignore: upgradeIgnore()},
				{Text: "eager migration raises the client's maximum latency at the largest keyspace to at least 100× the client's p50 without an upgrade",
					Rule: "above", Value: 100, Metrics: []string{"client.max_ms"}, BaselineMetric: "client.{}.p50_ms",
					On: Selection{"migration": "eager"}, Baseline: Selection{"upgrade": "none,"}, Ignore: upgradeIgnore(), Decide: Selection{"preload": "largest"}},
				{Text: "eager migration's pause grows with the keyspace", Rule: "fit", Metrics: []string{"upgrade.pause_ms"}, Size: "preload",
					By: []string{"upgrade"}, On: Selection{"migration": "eager"}},
				{Text: "every upgrade commits inside the client's run, so that the client's numbers measure it", Rule: "within", High: 1,
					Metrics: []string{"upgrade.client_position"}, On: Selection{"upgrade": "!none,"},
					Note: "Where not, give the client more requests or request the upgrade earlier (upgrade-at)."},
				{Text: "the client's maximum latency is below redis-benchmark's 3 s clamp, so that it is the true maximum", Rule: "within", High: 0,
					Metrics: []string{"client.max_clamped"}, On: Selection{"backend": "stm"},
					Note: "Where not, the client's maximum is a lower bound: redis-benchmark records every latency above 3 s as 3 s; the server's upgrade.pause_ms sees the whole pause."}},
			Parts: []Part{{Name: "main", Kind: KindKV, Settings: map[string][]string{
				"backend": v("stm"), "preload": v("100000", "300000", "1000000", "3000000", "10000000"),
				"upgrade":   v("none", "expiry", "hash-encoding", "keystats"),
				"migration": v("lazy", "lazy+sweep", "eager"), "upgrade-at": v("10"),
				"interval": v("100ms"), "gogc": v("400"),
				"tests": v("get"), "clients": v("50"), "requests": v("1500000"),
			}}},
		},
		{
			Name: "kv-peers",
			Description: "The same redis-benchmark runs (-t set,get,incr,lpush,hset,mset, 50 clients, 200,000 requests a " +
				"test, without and with -P 16) against redis-server (the peer: Debian's redis-server, no persistence) and " +
				"against dustm kv serve with each backend: stm (the upgrade engine), stm-plain (the plain STM) and mutex " +
				"(a sharded map under locks), each on one processor (as redis-server's one thread: the client has the other " +
				"core of a 2-core machine) and on two. Requests per second, p99 and max latency per test, from the client.",
			Repetitions: 5,
			Figures:     []string{"kv-peers"},
			Claims: []Claim{{Text: "dustm kv serve --backend stm serves GET and SET at at least 0.8× redis-server's requests per second without pipelining",
				Rule: "at-least", Value: 0.8, Metrics: []string{"client.GET.rps", "client.SET.rps"},
				On: Selection{"backend": "stm", "upgrade": "none,"}, Baseline: Selection{"backend": "redis"},
				// the settings only a dustm server has: a peer's run matches whatever they are
				Ignore: []string{"preload", "upgrade", "upgrade-at", "interval", "gogc", "gomaxprocs"}, Decide: Selection{"pipeline": "1"}},
				{Text: "stm within 10% of stm-plain in the steady state (the cost of being upgradable)",
					Rule: "at-least", Value: 0.9, Metrics: []string{"client.{}.rps"},
					On: Selection{"backend": "stm", "upgrade": "none,"}, Baseline: Selection{"backend": "stm-plain"}}},
			Parts: []Part{{Name: "main", Kind: KindKV, Settings: map[string][]string{
				"backend": v("redis", "stm", "stm-plain", "mutex"), "pipeline": v("1", "16"), "gomaxprocs": v("1", "2"),
				"tests": v("set+get+incr+lpush+hset+mset"), "clients": v("50"), "requests": v("200000"),
			}}},
		},
	}
}
