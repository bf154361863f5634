package kv

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
)

func TestMultiExecWatch(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			_, addr := testServer(t, Config{Backend: b})
			ctx := context.Background()
			c := client(t, addr, 2)
			conn := c.Conn()
			defer conn.Close()
			other := client(t, addr, 1)
			do := func(args ...any) (any, error) { return conn.Do(ctx, args...).Result() }
			steps := []struct {
				args []any
				want string
			}{
				{a("EXEC"), "ERR EXEC without MULTI"}, {a("DISCARD"), "ERR DISCARD without MULTI"},
				{a("MULTI"), "OK"}, {a("MULTI"), "ERR MULTI calls can not be nested"},
				{a("SET", "s", "x"), "QUEUED"}, {a("INCR", "n"), "QUEUED"}, {a("INCR", "s"), "QUEUED"}, {a("GET", "n"), "QUEUED"},
				{a("EXEC"), "[OK 1 ERR value is not an integer or out of range 1]"},
				{a("MULTI"), "OK"}, {a("SET", "q", "1"), "QUEUED"}, {a("DISCARD"), "OK"}, {a("GET", "q"), "redis: nil"},
				{a("MULTI"), "OK"}, {a("NOPE"), "ERR unknown command 'NOPE', with args beginning with: "}, {a("SET", "q", "1"), "QUEUED"},
				{a("EXEC"), "EXECABORT Transaction discarded because of previous errors."}, {a("GET", "q"), "redis: nil"},
				{a("WATCH", "w"), "OK"}, {a("MULTI"), "OK"}, {a("WATCH", "w"), "ERR WATCH inside MULTI is not allowed"},
				{a("SET", "w", "mine"), "QUEUED"}, {a("EXEC"), "[OK]"},
				{a("WATCH", "w"), "OK"}, {a("SET:other", "w", "theirs"), "OK"}, {a("MULTI"), "OK"}, {a("SET", "w", "mine"), "QUEUED"},
				{a("EXEC"), "redis: nil"}, {a("GET", "w"), "theirs"},
				{a("WATCH", "gone"), "OK"}, {a("SET:other", "gone", "1"), "OK"}, {a("DEL:other", "gone"), "1"}, {a("MULTI"), "OK"},
				{a("PING"), "QUEUED"}, {a("EXEC"), "[PONG]"}, // absent at WATCH and at EXEC: not changed
				{a("WATCH", "w"), "OK"}, {a("UNWATCH"), "OK"}, {a("SET:other", "w", "x"), "OK"}, {a("MULTI"), "OK"},
				{a("GET", "w"), "QUEUED"}, {a("EXEC"), "[x]"},
				{a("MULTI"), "OK"}, {a("SET", "i", "1"), "QUEUED"}, {a("INFO"), "QUEUED"}, {a("ECHO", "e"), "QUEUED"},
				{a("EXEC"), "[OK " + "INFO " + "e]"},
			}
			for _, s := range steps {
				var got any
				var err error
				if name := fmt.Sprint(s.args[0]); len(name) > 6 && name[len(name)-6:] == ":other" {
					args := append(a(name[:len(name)-6]), s.args[1:]...)
					got, err = other.Do(ctx, args...).Result()
				} else {
					got, err = do(s.args...)
				}
				text := fmt.Sprint(got)
				if err != nil {
					text = err.Error()
				}
				if arr, ok := got.([]any); ok && err == nil {
					text = ""
					for i, x := range arr {
						if i > 0 {
							text += " "
						}
						if e, ok := x.(error); ok {
							text += e.Error()
						} else if str, ok := x.(string); ok && strings.HasPrefix(str, "# Server") {
							text += "INFO"
						} else {
							text += fmt.Sprint(x)
						}
					}
					text = "[" + text + "]"
				}
				if text != s.want {
					t.Errorf("%v: got %q, want %q", s.args, text, s.want)
				}
			}
		})
	}
}

// workload is the concurrent clients of the correctness tests: each worker does, per round,
// an INCR of a shared counter, a SET and GET of its own key (read-your-writes), an HSET and
// HGET of its own hash, a MULTI/EXEC transfer between two accounts, a WATCH transfer, and a
// MULTI/EXEC read of every account whose sum must be constant. It returns the INCRs done.
func workload(ctx context.Context, t *testing.T, c *redis.Client, workers, rounds int, tick func(int)) int64 {
	const accounts, initial = 8, 1000
	for i := range accounts {
		if err := c.Set(ctx, acct(i), initial, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var incrs int64
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			fail := func(format string, a ...any) {
				t.Errorf("worker %d: "+format, append([]any{w}, a...)...)
			}
			for r := range rounds {
				if w == 0 && tick != nil {
					tick(r)
				}
				if err := c.Incr(ctx, "counter").Err(); err != nil {
					fail("INCR: %v", err)
					return
				}
				mu.Lock()
				incrs++
				mu.Unlock()
				own, val := fmt.Sprintf("own:%d", w), strconv.Itoa(r)
				if err := c.Set(ctx, own, val, 0).Err(); err != nil {
					fail("SET: %v", err)
				}
				if got, err := c.Get(ctx, own).Result(); err != nil || got != val {
					fail("read-your-writes: GET %s = %q, %v; want %q", own, got, err, val)
				}
				hk := fmt.Sprintf("hash:%012d", w)
				if err := c.HSet(ctx, hk, "f", val).Err(); err != nil {
					fail("HSET: %v", err)
				}
				if got, err := c.HGet(ctx, hk, "f").Result(); err != nil || got != val {
					fail("read-your-writes: HGET %s f = %q, %v; want %q", hk, got, err, val)
				}
				from, to, amt := rng.IntN(accounts), rng.IntN(accounts), rng.IntN(10)
				_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
					p.DecrBy(ctx, acct(from), int64(amt))
					p.IncrBy(ctx, acct(to), int64(amt))
					return nil
				})
				if err != nil {
					fail("MULTI/EXEC transfer: %v", err)
				}
				if err := watchTransfer(ctx, c, acct(from), acct(to), amt); err != nil {
					fail("WATCH transfer: %v", err)
				}
				if sum, err := sumAccounts(ctx, c, accounts); err != nil || sum != accounts*initial {
					fail("sum of the accounts in one MULTI/EXEC = %d, %v; want %d", sum, err, accounts*initial)
				}
			}
		})
	}
	wg.Wait()
	if sum, err := sumAccounts(ctx, c, accounts); err != nil || sum != accounts*initial {
		t.Errorf("final sum of the accounts = %d, %v; want %d", sum, err, accounts*initial)
	}
	return incrs
}

func acct(i int) string { return fmt.Sprintf("acct:%d", i) }

// watchTransfer moves amt from one account to another with WATCH, GET, and MULTI/EXEC of
// absolute SETs, retrying while EXEC is aborted: a missed conflict would break the sum.
func watchTransfer(ctx context.Context, c *redis.Client, from, to string, amt int) error {
	for range 1000 {
		err := c.Watch(ctx, func(tx *redis.Tx) error {
			a, err := tx.Get(ctx, from).Int()
			if err != nil {
				return err
			}
			b, err := tx.Get(ctx, to).Int()
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				if from == to {
					return nil
				}
				p.Set(ctx, from, a-amt, 0)
				p.Set(ctx, to, b+amt, 0)
				return nil
			})
			return err
		}, from, to)
		if !errors.Is(err, redis.TxFailedErr) {
			return err
		}
	}
	return errors.New("1000 WATCH conflicts in a row")
}

func sumAccounts(ctx context.Context, c *redis.Client, n int) (int, error) {
	var cmds []*redis.StringCmd
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for i := range n {
			cmds = append(cmds, p.Get(ctx, acct(i)))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	sum := 0
	for _, cmd := range cmds {
		v, err := cmd.Int()
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, nil
}

func TestConcurrentClients(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			_, addr := testServer(t, Config{Backend: b})
			ctx := context.Background()
			c := client(t, addr, 8)
			incrs := workload(ctx, t, c, 4, 60, nil)
			if got, err := c.Get(ctx, "counter").Int64(); err != nil || got != incrs {
				t.Errorf("counter = %d, %v; want %d (no lost INCR)", got, err, incrs)
			}
		})
	}
}
