package kv

import (
	"maps"
	"math"
	"strconv"
	"strings"

	"dustm/kv/resp"
)

// Redis's error replies.
const (
	errWrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"
	errNotInt    = "ERR value is not an integer or out of range"
	errNotFloat  = "ERR value is not a valid float"
	errSyntax    = "ERR syntax error"
	errOverflow  = "ERR increment or decrement would overflow"
	errPositive  = "ERR value is out of range, must be positive"
)

// Code is one program version of the server: the commands it knows and the shapes its values
// have. Version 1 is codeV1; the upgrades of upgrades.go derive the others.
type Code struct {
	Version int
	Name    string
	cmds    map[string]*command
	// Shapes and features the upgrades added.
	expiry, hashMap, keystats bool
	applied                   []string // the upgrades applied, oldest first
}

// derive returns a copy of c for the next version.
func (c *Code) derive(name string) *Code {
	n := *c
	n.Version++
	n.cmds = maps.Clone(c.cmds)
	n.applied = append(append([]string(nil), c.applied...), name)
	n.Name = "v" + strconv.Itoa(n.Version) + " (" + strings.Join(n.applied, ", ") + ")"
	return &n
}

func (c *Code) has(upgrade string) bool {
	for _, a := range c.applied {
		if a == upgrade {
			return true
		}
	}
	return false
}

// newHash returns an empty hash in the version's encoding.
func (c *Code) newHash() Hash {
	if c.hashMap {
		return &HashMap{}
	}
	return &HashFlat{}
}

// command is one command of a program version. arity is Redis's: n exactly, -n at least.
// first, last and step locate its keys (last -1: to the end), as in Redis's command table.
type command struct {
	name              string
	arity             int
	first, last, step int
	write, all        bool
	run               func(c *call, t Txn, args [][]byte)
}

// keys returns the command's keys in args.
func (cmd *command) keys(args [][]byte) [][]byte {
	if cmd.first == 0 || cmd.first >= len(args) {
		return nil
	}
	last := cmd.last
	if last < 0 {
		last = len(args) + last
	}
	last = min(last, len(args)-1)
	out := make([][]byte, 0, (last-cmd.first)/cmd.step+1)
	for i := cmd.first; i <= last; i += cmd.step {
		out = append(out, args[i])
	}
	return out
}

func (cmd *command) arityOK(n int) bool {
	return cmd.arity == n || cmd.arity < 0 && n >= -cmd.arity
}

// call is what a command writes its reply into. A transaction that reruns truncates out.
type call struct {
	out resp.Reply
}

func (c *call) err(msg string) { c.out = c.out.Error(msg) }

// table builds a command table.
func table(cmds ...*command) map[string]*command {
	m := make(map[string]*command, len(cmds))
	for _, c := range cmds {
		m[c.name] = c
	}
	return m
}

func rd(name string, arity, first, last, step int, run func(*call, Txn, [][]byte)) *command {
	return &command{name: name, arity: arity, first: first, last: last, step: step, run: run}
}

func wr(name string, arity, first, last, step int, run func(*call, Txn, [][]byte)) *command {
	c := rd(name, arity, first, last, step, run)
	c.write = true
	return c
}

// codeV1 is version 1: the commands redis-benchmark's default run and a first redis-cli
// session use, on strings without expiry and hashes in the flat encoding.
func codeV1() *Code {
	return &Code{Version: 1, Name: "v1", cmds: table(
		rd("get", 2, 1, 1, 1, cmdGet),
		wr("set", -3, 1, 1, 1, cmdSet(false)),
		rd("mget", -2, 1, -1, 1, cmdMget),
		wr("mset", -3, 1, -1, 2, cmdMset),
		wr("del", -2, 1, -1, 1, cmdDel),
		rd("exists", -2, 1, -1, 1, cmdExists),
		rd("type", 2, 1, 1, 1, cmdType),
		wr("incr", 2, 1, 1, 1, func(c *call, t Txn, a [][]byte) { incrBy(c, t, a[1], 1) }),
		wr("decr", 2, 1, 1, 1, func(c *call, t Txn, a [][]byte) { incrBy(c, t, a[1], -1) }),
		wr("incrby", 3, 1, 1, 1, cmdIncrBy(1)),
		wr("decrby", 3, 1, 1, 1, cmdIncrBy(-1)),
		wr("append", 3, 1, 1, 1, cmdAppend),
		rd("strlen", 2, 1, 1, 1, cmdStrlen),
		wr("lpush", -3, 1, 1, 1, cmdPush(true)),
		wr("rpush", -3, 1, 1, 1, cmdPush(false)),
		wr("lpop", -2, 1, 1, 1, cmdPop(true)),
		wr("rpop", -2, 1, 1, 1, cmdPop(false)),
		rd("lrange", 4, 1, 1, 1, cmdLrange),
		rd("llen", 2, 1, 1, 1, cmdLlen),
		wr("sadd", -3, 1, 1, 1, cmdSadd),
		wr("spop", -2, 1, 1, 1, cmdSpop),
		rd("smembers", 2, 1, 1, 1, cmdSmembers),
		rd("scard", 2, 1, 1, 1, cmdScard),
		wr("hset", -4, 1, 1, 1, cmdHset),
		rd("hget", 3, 1, 1, 1, cmdHget),
		rd("hgetall", 2, 1, 1, 1, cmdHgetall),
		wr("hdel", -3, 1, 1, 1, cmdHdel),
		rd("hlen", 2, 1, 1, 1, cmdHlen),
		wr("zadd", -4, 1, 1, 1, cmdZadd),
		wr("zpopmin", -2, 1, 1, 1, cmdZpopmin),
		rd("zrange", -4, 1, 1, 1, cmdZrange),
		rd("zscore", 3, 1, 1, 1, cmdZscore),
		rd("zcard", 2, 1, 1, 1, cmdZcard),
		&command{name: "dbsize", arity: 1, all: true, run: cmdDbsize},
		&command{name: "flushall", arity: -1, all: true, write: true, run: cmdFlush},
		&command{name: "flushdb", arity: -1, all: true, write: true, run: cmdFlush},
	)}
}

// wrongType reports whether v is present but not a T, replying WRONGTYPE if so.
func as[T any](c *call, v any) (T, bool) {
	x, ok := v.(T)
	if v != nil && !ok {
		c.err(errWrongType)
	}
	return x, ok || v == nil
}

func cmdGet(c *call, t Txn, a [][]byte) {
	s, ok := as[*Str](c, t.Get(string(a[1])))
	switch {
	case !ok:
	case s == nil:
		c.out = c.out.Null()
	default:
		c.out = c.out.Bulk(s.B)
	}
}

func cmdMget(c *call, t Txn, a [][]byte) {
	c.out = c.out.Array(len(a) - 1)
	for _, k := range a[1:] {
		if s, ok := t.Get(string(k)).(*Str); ok {
			c.out = c.out.Bulk(s.B)
		} else {
			c.out = c.out.Null()
		}
	}
}

func cmdMset(c *call, t Txn, a [][]byte) {
	if len(a)%2 != 1 {
		c.err("ERR wrong number of arguments for 'mset' command")
		return
	}
	for i := 1; i < len(a); i += 2 {
		t.Put(string(a[i]), &Str{B: a[i+1]})
	}
	c.out = c.out.Simple("OK")
}

func cmdDel(c *call, t Txn, a [][]byte) {
	n := int64(0)
	for _, k := range a[1:] {
		if t.Del(string(k)) {
			n++
		}
	}
	c.out = c.out.Int(n)
}

func cmdExists(c *call, t Txn, a [][]byte) {
	n := int64(0)
	for _, k := range a[1:] {
		if t.Get(string(k)) != nil {
			n++
		}
	}
	c.out = c.out.Int(n)
}

func cmdType(c *call, t Txn, a [][]byte) {
	v := t.Get(string(a[1]))
	if v == nil {
		c.out = c.out.Simple("none")
		return
	}
	c.out = c.out.Simple(typeNames[typeOf(v)])
}

func cmdDbsize(c *call, t Txn, _ [][]byte) { c.out = c.out.Int(t.Len()) }

func cmdFlush(c *call, t Txn, a [][]byte) {
	if len(a) > 2 || len(a) == 2 && !strings.EqualFold(string(a[1]), "sync") && !strings.EqualFold(string(a[1]), "async") {
		c.err(errSyntax)
		return
	}
	t.Flush()
	c.out = c.out.Simple("OK")
}

func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 || b[0] == '+' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

func incrBy(c *call, t Txn, key []byte, by int64) {
	k := string(key)
	v := t.Get(k)
	s, ok := as[*Str](c, v)
	if !ok {
		return
	}
	n := int64(0)
	if s != nil {
		if n, ok = parseInt(s.B); !ok {
			c.err(errNotInt)
			return
		}
	}
	if by > 0 && n > math.MaxInt64-by || by < 0 && n < math.MinInt64-by {
		c.err(errOverflow)
		return
	}
	n += by
	nv := &Str{B: strconv.AppendInt(nil, n, 10)}
	if s == nil {
		t.Put(k, nv)
	} else {
		t.Modify(k, nv)
	}
	c.out = c.out.Int(n)
}

func cmdIncrBy(sign int64) func(*call, Txn, [][]byte) {
	return func(c *call, t Txn, a [][]byte) {
		by, ok := parseInt(a[2])
		if !ok || sign < 0 && by == math.MinInt64 {
			c.err(errNotInt)
			return
		}
		incrBy(c, t, a[1], sign*by)
	}
}

func cmdAppend(c *call, t Txn, a [][]byte) {
	k := string(a[1])
	s, ok := as[*Str](c, t.Get(k))
	if !ok {
		return
	}
	if s == nil {
		t.Put(k, &Str{B: a[2]})
		c.out = c.out.Int(int64(len(a[2])))
		return
	}
	b := make([]byte, 0, len(s.B)+len(a[2]))
	b = append(append(b, s.B...), a[2]...)
	t.Modify(k, &Str{B: b})
	c.out = c.out.Int(int64(len(b)))
}

func cmdStrlen(c *call, t Txn, a [][]byte) {
	if s, ok := as[*Str](c, t.Get(string(a[1]))); ok {
		n := 0
		if s != nil {
			n = len(s.B)
		}
		c.out = c.out.Int(int64(n))
	}
}

// put stores a collection, or deletes the key when it became empty (as Redis does).
func put(t Txn, k string, v any, n int, existed bool) {
	switch {
	case n == 0:
		t.Del(k)
	case existed:
		t.Modify(k, v)
	default:
		t.Put(k, v)
	}
}
