package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dustm/kv"
	"dustm/stmbench7/bench"
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
	data, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var r kv.Result
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	if r.Kind != "kv" || r.SchemaVersion != 2 || r.Operations["GET"].Successful != 20 || r.Operations["PING"].Successful != 20 ||
		r.Commands != 40 || r.Connections != 1 || r.All == nil || r.Upgrade == nil || r.Upgrade.Scenario != "expiry" ||
		r.Upgrade.CommittedS == nil || r.Probe == nil || r.Hiccup == nil || r.Runtime == nil || r.Config.Migration != "lazy+sweep" {
		t.Errorf("result: %s", data)
	}
	lines, err := os.ReadFile(seriesPath)
	if err != nil {
		t.Fatal(err)
	}
	var ops int64
	var events int
	for _, l := range strings.Split(strings.TrimSpace(string(lines)), "\n") {
		var p bench.SeriesPoint
		if err := json.Unmarshal([]byte(l), &p); err != nil {
			t.Fatalf("series line %q: %v", l, err)
		}
		ops += p.Ops
		events += len(p.Events)
	}
	if ops != 40 || events < 2 {
		t.Errorf("series: %d commands, %d events; want 40 and the upgrade's requested and committed\n%s", ops, events, lines)
	}
}
