package kv

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// badInputCases are what clients that are not to be trusted send, with Redis's answer: the
// start of the reply ("" for none) and whether the server then closes the connection.
func badInputCases() []struct {
	name, send, reply string
	closes            bool
} {
	return []struct {
		name, send, reply string
		closes            bool
	}{
		{"bad type byte (read as an inline command)", "+PING\r\n", "-ERR unknown command '+PING'", false},
		{"non-numeric multibulk length", "*x\r\n", "-ERR Protocol error: invalid multibulk length", true},
		{"multibulk over 1,048,576 arguments", "*1048577\r\n", "-ERR Protocol error: invalid multibulk length", true},
		{"multibulk length beyond int64", "*99999999999999999999999\r\n", "-ERR Protocol error: invalid multibulk length", true},
		{"negative multibulk length (ignored)", "*-5\r\nPING\r\n", "+PONG", false},
		{"negative bulk length", "*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length", true},
		{"non-numeric bulk length", "*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length", true},
		{"bulk over the limit (1 KiB here)", "*1\r\n$1025\r\n", "-ERR Protocol error: invalid bulk length", true},
		{"bulk length near the int range", "*1\r\n$9223372036854775807\r\n", "-ERR Protocol error: invalid bulk length", true},
		{"not a bulk inside a multibulk", "*1\r\n:3\r\n", "-ERR Protocol error: expected '$', got ':'", true},
		{"bulk without its CRLF", "*1\r\n$4\r\nPINGxx\r\n", "-ERR Protocol error: invalid bulk length", true},
		{"inline line over 64 KiB", strings.Repeat("a", 70000), "-ERR Protocol error: too big inline request", true},
		{"bulk count line over 64 KiB", "*1\r\n$" + strings.Repeat("1", 70000), "-ERR Protocol error: too big bulk count string", true},
		{"unbalanced quotes", "SET \"a b\r\n", "-ERR Protocol error: unbalanced quotes in request", true},
		{"binary garbage", "\x00\xff\x01\xfe garbage \x7f\r\n", "-ERR unknown command", false},
		{"command cut mid-bulk", "*2\r\n$3\r\nGET\r\n$5\r\nab", "", true},
		{"empty lines (ignored)", "\r\n\r\nPING\r\n", "+PONG", false},
	}
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// ping checks that a fresh client is served.
func ping(t *testing.T, addr string) {
	t.Helper()
	c := dial(t, addr)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "+PONG\r\n" {
		t.Fatalf("another client's PING: %q, %v", line, err)
	}
	c.Close()
}

func TestBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			_, addr := testServer(t, Config{Backend: b, MaxBulk: 1024})
			for _, tc := range badInputCases() {
				c := dial(t, addr)
				c.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := c.Write([]byte(tc.send)); err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				if !tc.closes {
					c.(*net.TCPConn).CloseWrite()
				} else if tc.reply == "" {
					c.(*net.TCPConn).CloseWrite() // the client goes away mid-command
				}
				got, err := io.ReadAll(c)
				if err != nil {
					t.Errorf("%s: reading the reply: %v", tc.name, err)
				}
				if !strings.HasPrefix(string(got), tc.reply) || tc.reply == "" && len(got) != 0 {
					t.Errorf("%s: reply %q; want %q…", tc.name, clipS(got), tc.reply)
				}
				if tc.closes && tc.reply != "" && strings.Count(string(got), "\r\n") != 1 {
					t.Errorf("%s: reply %q; want one error line, then the connection closed", tc.name, clipS(got))
				}
				c.Close()
				ping(t, addr)
			}
		})
	}
}

func clipS(b []byte) string { return string(b[:min(len(b), 200)]) }

// TestClaimedLengthsAllocateNothing sends lengths a client claims without the data: the
// server must not allocate them.
func TestClaimedLengthsAllocateNothing(t *testing.T) {
	_, addr := testServer(t, Config{Backend: "mutex"})
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var conns []net.Conn
	for range 20 {
		c := dial(t, addr)
		c.Write([]byte("*1048576\r\n$536870912\r\nabcdefgh"))
		conns = append(conns, c)
	}
	ping(t, addr) // the claims have been read by now (their connections are served in order)
	time.Sleep(50 * time.Millisecond)
	runtime.ReadMemStats(&after)
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 64<<20 {
		t.Errorf("20 clients claiming 1M arguments of 512 MiB made the server allocate %d MiB", grew>>20)
	}
	for _, c := range conns {
		c.Close()
	}
}

// TestStalledAndVanishingClients: clients that send nothing, half a command, or vanish in
// the middle of a reply never hold the others up.
func TestStalledAndVanishingClients(t *testing.T) {
	_, addr := testServer(t, Config{Backend: "stm"})
	silent := dial(t, addr)
	half := dial(t, addr)
	half.Write([]byte("*2\r\n$3\r\nGET"))
	ping(t, addr)
	big := dial(t, addr)
	big.SetDeadline(time.Now().Add(10 * time.Second))
	val := strings.Repeat("v", 1<<20)
	big.Write([]byte("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$1048576\r\n" + val + "\r\n"))
	if line, err := bufio.NewReader(big).ReadString('\n'); err != nil || line != "+OK\r\n" {
		t.Fatalf("SET big: %q, %v", line, err)
	}
	for range 10 { // ask for 20 MiB of replies and go away without reading them
		big.Write([]byte(strings.Repeat("GET big\r\n", 20)))
	}
	big.Close()
	ping(t, addr)
	_ = silent
}

// TestThousandConnections opens a thousand connections at once, each sending a PING.
func TestThousandConnections(t *testing.T) {
	_, addr := testServer(t, Config{Backend: "stm"})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for range 1000 {
		wg.Go(func() {
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err == nil {
				defer c.Close()
				c.SetDeadline(time.Now().Add(20 * time.Second))
				_, err = c.Write([]byte("PING\r\n"))
			}
			var line string
			if err == nil {
				line, err = bufio.NewReader(c).ReadString('\n')
			}
			if err == nil && line != "+PONG\r\n" {
				err = errors.New("reply " + line)
			}
			if err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Errorf("%d of 1000 connections failed, the first: %v", len(errs), errs[0])
	}
	ping(t, addr)
	_ = context.Background
}
