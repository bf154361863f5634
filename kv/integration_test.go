package kv

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRedisBenchmark runs a short redis-benchmark (every default test) against each backend,
// and against the stm backend while it is upgraded: no error reply (redis-benchmark stops at
// the first one). It needs redis-benchmark
// (Debian package redis-tools) and skips without it.
func TestRedisBenchmark(t *testing.T) {
	rb, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("redis-benchmark is not installed: install the Debian package redis-tools (apt-get install -y redis-tools) to run this test")
	}
	for _, b := range append(backends, "stm+upgrade") {
		t.Run(b, func(t *testing.T) {
			backend := strings.TrimSuffix(b, "+upgrade")
			_, addr := testServer(t, Config{Backend: backend, Preload: 1000})
			_, port, _ := net.SplitHostPort(addr)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if backend != b {
				go func() {
					time.Sleep(200 * time.Millisecond)
					if err := client(t, addr, 1).Do(ctx, "DUSTM.UPGRADE", "expiry", "lazy+sweep").Err(); err != nil {
						t.Errorf("DUSTM.UPGRADE: %v", err)
					}
				}()
			}
			out, err := exec.CommandContext(ctx, rb, "-h", "127.0.0.1", "-p", port, "-n", "2000", "-c", "4", "-r", "1000", "-q").CombinedOutput()
			text := strings.ReplaceAll(string(out), "\r", "\n") // its progress lines end in CR
			if err != nil || strings.Contains(text, "ERR") || strings.Contains(text, "Error") || strings.Contains(text, "WRONGTYPE") {
				t.Fatalf("redis-benchmark: %v\n%s", err, text)
			}
			for _, test := range []string{"PING_INLINE", "PING_MBULK", "SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP",
				"SADD", "HSET", "SPOP", "ZADD", "ZPOPMIN", "LRANGE_600", "MSET"} {
				if !strings.Contains(text, "\n"+test+": ") && !strings.Contains(text, "\n"+test+" (") {
					t.Errorf("redis-benchmark's %s test did not report:\n%s", test, text)
				}
			}
		})
	}
}
