package kv

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// nilReply stands for a null reply (go-redis's redis.Nil).
type nilReply struct{}

// step is one command and its expected reply: a string (simple or bulk), an int64, nilReply,
// a []any, or an error text (errText). sorted compares an array as a set.
type step struct {
	args   []any
	want   any
	sorted bool
}

type errText string

func run(t *testing.T, ctx context.Context, c *redis.Client, steps []step) {
	t.Helper()
	for _, s := range steps {
		got, err := c.Do(ctx, s.args...).Result()
		switch want := s.want.(type) {
		case errText:
			if err == nil || err.Error() != string(want) {
				t.Errorf("%v: got %#v, %v; want error %q", s.args, got, err, want)
			}
			continue
		case nilReply:
			if !errors.Is(err, redis.Nil) {
				t.Errorf("%v: got %#v, %v; want nil", s.args, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: error %v; want %#v", s.args, err, s.want)
			continue
		}
		if s.sorted {
			if a, ok := got.([]any); ok {
				sort.Slice(a, func(i, j int) bool { return fmt.Sprint(a[i]) < fmt.Sprint(a[j]) })
			}
		}
		if !reflect.DeepEqual(got, s.want) {
			t.Errorf("%v: got %#v; want %#v", s.args, got, s.want)
		}
	}
}

func a(xs ...any) []any { return append([]any{}, xs...) }

// commandSteps covers every command: replies, errors and types.
func commandSteps() []step {
	const wrong = errText("WRONGTYPE Operation against a key holding the wrong kind of value")
	return []step{
		{a("PING"), "PONG", false}, {a("ping", "hi"), "hi", false}, {a("ECHO", "x"), "x", false},
		{a("SELECT", "0"), "OK", false}, {a("SELECT", "1"), errText("ERR DB index is out of range"), false},
		{a("FOO", "a", "b"), errText("ERR unknown command 'FOO', with args beginning with: 'a' 'b' "), false},
		{a("GET"), errText("ERR wrong number of arguments for 'get' command"), false},
		{a("SET", "s", "v"), "OK", false}, {a("GET", "s"), "v", false}, {a("GET", "none"), nilReply{}, false},
		{a("SET", "s", "w", "NX"), nilReply{}, false}, {a("SET", "s2", "w", "XX"), nilReply{}, false},
		{a("SET", "s", "w", "GET"), "v", false}, {a("SET", "s", "v", "EX", "10"), errText("ERR syntax error"), false},
		{a("EXPIRE", "s", "10"), errText("ERR unknown command 'EXPIRE', with args beginning with: 's' '10' "), false},
		{a("APPEND", "s", "xy"), int64(3), false}, {a("STRLEN", "s"), int64(3), false}, {a("STRLEN", "none"), int64(0), false},
		{a("INCR", "n"), int64(1), false}, {a("INCRBY", "n", "41"), int64(42), false}, {a("DECR", "n"), int64(41), false},
		{a("DECRBY", "n", "1"), int64(40), false}, {a("INCR", "s"), errText("ERR value is not an integer or out of range"), false},
		{a("INCRBY", "n", "x"), errText("ERR value is not an integer or out of range"), false},
		{a("SET", "big", "9223372036854775807"), "OK", false}, {a("INCR", "big"), errText("ERR increment or decrement would overflow"), false},
		{a("MSET", "m1", "1", "m2", "2"), "OK", false}, {a("MSET", "m1", "1", "m2"), errText("ERR wrong number of arguments for 'mset' command"), false},
		{a("MGET", "m1", "nope", "m2"), a("1", nil, "2"), false},
		{a("EXISTS", "m1", "m1", "nope"), int64(2), false}, {a("DEL", "m1", "nope"), int64(1), false},
		{a("TYPE", "s"), "string", false}, {a("TYPE", "nope"), "none", false},
		{a("LPUSH", "l", "a", "b"), int64(2), false}, {a("RPUSH", "l", "c"), int64(3), false},
		{a("LRANGE", "l", "0", "-1"), a("b", "a", "c"), false}, {a("LRANGE", "l", "-2", "100"), a("a", "c"), false},
		{a("LRANGE", "l", "5", "10"), a(), false}, {a("LLEN", "l"), int64(3), false}, {a("TYPE", "l"), "list", false},
		{a("LPOP", "l"), "b", false}, {a("RPOP", "l"), "c", false}, {a("LPOP", "l", "0"), a(), false}, {a("RPOP", "l", "5"), a("a"), false},
		{a("LPOP", "l"), nilReply{}, false}, {a("EXISTS", "l"), int64(0), false},
		{a("LPOP", "l", "-1"), errText("ERR value is out of range, must be positive"), false},
		{a("GET", "l"), nilReply{}, false}, {a("LPUSH", "s", "x"), wrong, false}, {a("GET", "n"), "40", false},
		{a("SADD", "set", "x", "y", "x"), int64(2), false}, {a("SCARD", "set"), int64(2), false},
		{a("SMEMBERS", "set"), a("x", "y"), true}, {a("TYPE", "set"), "set", false}, {a("SADD", "s", "x"), wrong, false},
		{a("SPOP", "set", "5"), a("x", "y"), true}, {a("SPOP", "set"), nilReply{}, false},
		{a("HSET", "h", "f", "1", "g", "2"), int64(2), false}, {a("HSET", "h", "f", "3"), int64(0), false},
		{a("HSET", "h", "f"), errText("ERR wrong number of arguments for 'hset' command"), false},
		{a("HGET", "h", "f"), "3", false}, {a("HGET", "h", "z"), nilReply{}, false},
		{a("HGETALL", "h"), a("2", "3", "f", "g"), true}, // sorted as a set: fields and values
		{a("HLEN", "h"), int64(2), false}, {a("HDEL", "h", "f", "z"), int64(1), false}, {a("TYPE", "h"), "hash", false},
		{a("HGET", "s", "f"), wrong, false}, {a("GET", "h"), wrong, false},
		{a("ZADD", "z", "2", "b", "1", "a", "3", "c"), int64(3), false}, {a("ZADD", "z", "x", "a"), errText("ERR value is not a valid float"), false},
		{a("ZADD", "z", "1"), errText("ERR wrong number of arguments for 'zadd' command"), false},
		{a("ZRANGE", "z", "0", "-1"), a("a", "b", "c"), false},
		{a("ZRANGE", "z", "0", "0", "WITHSCORES"), a("a", "1"), false}, {a("ZSCORE", "z", "b"), "2", false},
		{a("ZSCORE", "z", "q"), nilReply{}, false}, {a("ZCARD", "z"), int64(3), false}, {a("TYPE", "z"), "zset", false},
		{a("ZPOPMIN", "z", "0"), a(), false}, {a("ZPOPMIN", "z"), a("a", "1"), false}, {a("ZPOPMIN", "z", "5"), a("b", "2", "c", "3"), false},
		{a("ZPOPMIN", "z"), a(), false}, {a("ZADD", "s", "1", "a"), wrong, false},
		{a("CONFIG", "GET", "save"), a("save", ""), false}, {a("CONFIG", "GET", "appendonly"), a("appendonly", "no"), false},
		{a("COMMAND", "DOCS"), a(), false}, {a("DBSIZE"), int64(5), false},
		{a("FLUSHALL"), "OK", false}, {a("DBSIZE"), int64(0), false}, {a("GET", "s"), nilReply{}, false},
	}
}

func TestCommands(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			_, addr := testServer(t, Config{Backend: b})
			ctx := context.Background()
			run(t, ctx, client(t, addr, 1), commandSteps())
			info, err := client(t, addr, 1).Info(ctx).Result()
			if err != nil || !strings.Contains(info, "redis_version:") || !strings.Contains(info, "dustm_backend:"+b) {
				t.Errorf("INFO: %q, %v", info, err)
			}
		})
	}
}

func TestPreloadAndPipelining(t *testing.T) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			_, addr := testServer(t, Config{Backend: b, Preload: 4000})
			ctx := context.Background()
			c := client(t, addr, 1)
			if n, err := c.DBSize(ctx).Result(); err != nil || n != 4000 {
				t.Fatalf("DBSIZE after --preload 4000: %d, %v", n, err)
			}
			strs, _ := preloadShares(4000)
			pipe := c.Pipeline()
			gets := make([]*redis.StringCmd, 0, 200)
			for i := range 200 {
				pipe.Set(ctx, fmt.Sprintf("p%d", i), i, 0)
				gets = append(gets, pipe.Get(ctx, fmt.Sprintf("p%d", i)))
			}
			last := pipe.Get(ctx, fmt.Sprintf("key:%012d", strs-1))
			typ := pipe.Type(ctx, "hash:000000000000")
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
			for i, g := range gets {
				if g.Val() != fmt.Sprint(i) {
					t.Fatalf("pipelined GET p%d = %q", i, g.Val())
				}
			}
			if last.Val() != "xxx" || typ.Val() != "hash" {
				t.Errorf("preloaded: last string %q, hash:000000000000 type %q", last.Val(), typ.Val())
			}
		})
	}
}

func TestKeyName(t *testing.T) {
	for _, i := range []int{0, 7, 123456789, 999999999999} {
		if got, want := keyName("key:", i), fmt.Sprintf("key:%012d", i); got != want {
			t.Errorf("keyName(%d) = %q, want %q", i, got, want)
		}
	}
}
