package main

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dustm/record"
)

func TestKVBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"kv"}, "the one subcommand of kv is serve"},
		{[]string{"kv", "serve", "--preload", "20000000"}, "--preload 20000000: accepted 0 to 10000000 keys"},
		{[]string{"kv", "serve", "--backend", "redis"}, `unknown backend "redis" (accepted: stm, stm-plain, mutex)`},
		{[]string{"kv", "serve", "--backend", "mutex", "--upgrade", "expiry", "--upgrade-at", "1"}, "--upgrade needs --backend stm"},
		{[]string{"kv", "serve", "--upgrade", "expiry"}, "--upgrade needs --upgrade-at"},
		{[]string{"kv", "serve", "--upgrade", "nope", "--upgrade-at", "1"}, `--upgrade "nope": accepted expiry, hash-encoding, keystats`},
		{[]string{"kv", "serve", "--upgrade", "expiry", "--upgrade-at", "1", "--migration", "fast"}, `--migration "fast": accepted`},
		{[]string{"kv", "serve", "--upgrade-at", "1"}, "--upgrade-at and --migration need --upgrade"},
		{[]string{"kv", "serve", "--upgrade-at", "x", "--upgrade", "expiry"}, "neither seconds nor a duration"},
		{[]string{"kv", "serve", "--json", t.TempDir()}, "is a directory"},
		{[]string{"kv", "serve", "--gogc", "much"}, "--gogc"},
		{[]string{"kv", "serve", "extra"}, `unexpected arguments ["extra"]`},
	} {
		var stdout, stderr bytes.Buffer
		if code := dispatch(tc.args, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, %q; want 2 and %q", tc.args, code, stderr.String(), tc.want)
		}
	}
}

// TestKVServe runs `dustm kv serve` in-process on port 0, drives it, stops it as a signal
// would, and reads its result and series.
func TestKVServe(t *testing.T) {
	dir := t.TempDir()
	jsonPath, seriesPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "s.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		done <- runKVServe(ctx, []string{"--addr", "127.0.0.1:0", "--preload", "1000", "--upgrade", "expiry",
			"--upgrade-at", "0", "--migration", "lazy+sweep", "--json", jsonPath, "--series", seriesPath, "--interval", "50ms"},
			&bytes.Buffer{}, &stderr, ready)
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("kv serve ended before it was ready: %v\n%s", err, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatal("kv serve not ready within 30 s")
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(c)
	for range 20 {
		c.Write([]byte("GET key:000000000001\r\nPING\r\n"))
		rd.ReadString('\n')
		rd.ReadString('\n')
		rd.ReadString('\n')
		time.Sleep(10 * time.Millisecond)
	}
	c.Close()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "dustm kv: ready on 127.0.0.1:") || !strings.Contains(stderr.String(), "(backend=stm, keys=1000)") {
		t.Errorf("ready line: %q", stderr.String())
	}
	r, err := record.Read(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	v := r.Values
	if up, _ := r.Config.Get("upgrade"); r.App != "kv" || v["cat.GET.ops"] != 20 || v["cat.PING.ops"] != 20 ||
		v["successful"] != 40 || v["connections"] != 1 || !has(v, "all.max_us") || up != "expiry" ||
		!has(v, "upgrade.committed_s") || !has(v, "probe_max_us") || !has(v, "hiccup_max_us") || !has(v, "gc_cpu_fraction") {
		t.Errorf("result: %+v", r)
	}
	for name := range v {
		if _, ok := r.Metric(name); !ok {
			t.Errorf("value %s has no definition", name)
		}
	}
	if m, _ := r.Config.Get("migration"); m != "lazy+sweep" {
		t.Errorf("migration %q", m)
	}
	ticks, err := record.ReadSeriesFile(seriesPath)
	if err != nil {
		t.Fatal(err)
	}
	var ops float64
	var events int
	for _, p := range ticks {
		for name := range p.Values {
			if _, ok := r.Metric(name); !ok {
				t.Errorf("tick value %s has no definition in the record", name)
			}
		}
		ops += p.Values["ops"]
		events += len(p.Events)
	}
	if ops != 40 || events < 2 {
		t.Errorf("series: %v commands, %d events; want 40 and the upgrade's requested and committed\n%+v", ops, events, ticks)
	}
}

func has(v map[string]float64, name string) bool { _, ok := v[name]; return ok }
