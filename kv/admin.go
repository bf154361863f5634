package kv

import (
	"context"
	"fmt"
	"path"
	"runtime"
	"strconv"
	"strings"
	"time"

	"dustm/upgrade"
)

// adminCmd is a command of the connection rather than of the keyspace. inMulti ones run at
// once inside MULTI (the others are queued, as Redis does).
type adminCmd struct {
	arity   int
	inMulti bool
	run     func(c *conn, args [][]byte) (quit bool)
}

func adminCommands() map[string]adminCmd {
	return map[string]adminCmd{
		"ping":          {-1, false, cmdPing},
		"echo":          {2, false, func(c *conn, a [][]byte) bool { c.call.out = c.call.out.Bulk(a[1]); return false }},
		"quit":          {-1, true, func(c *conn, _ [][]byte) bool { c.call.out = c.call.out.Simple("OK"); return true }},
		"select":        {2, false, cmdSelect},
		"info":          {-1, false, cmdInfo},
		"config":        {-2, false, cmdConfig},
		"command":       {-1, false, cmdCommand},
		"client":        {-2, false, cmdClient},
		"multi":         {1, true, cmdMulti},
		"exec":          {1, true, cmdExec},
		"discard":       {1, true, cmdDiscard},
		"watch":         {-2, true, cmdWatch},
		"unwatch":       {1, false, func(c *conn, _ [][]byte) bool { c.watched = nil; c.call.out = c.call.out.Simple("OK"); return false }},
		"dustm.upgrade": {-3, true, cmdUpgrade},
	}
}

func cmdPing(c *conn, a [][]byte) bool {
	switch len(a) {
	case 1:
		c.call.out = c.call.out.Simple("PONG")
	case 2:
		c.call.out = c.call.out.Bulk(a[1])
	default:
		c.call.err(arityErr("ping"))
	}
	return false
}

func cmdSelect(c *conn, a [][]byte) bool {
	n, ok := parseInt(a[1])
	switch {
	case !ok:
		c.call.err(errNotInt)
	case n != 0:
		c.call.err("ERR DB index is out of range")
	default:
		c.call.out = c.call.out.Simple("OK")
	}
	return false
}

func cmdInfo(c *conn, _ [][]byte) bool {
	s := c.s
	var n int64
	_ = s.store.View(nil, true, func(t Txn) error { n = t.Len(); return nil })
	var b strings.Builder
	fmt.Fprintf(&b, "# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\n")
	fmt.Fprintf(&b, "server_name:dustm-kv\r\ndustm_backend:%s\r\ndustm_program:%s\r\n", s.cfg.Backend, s.current().Name)
	fmt.Fprintf(&b, "os:%s %s\r\narch_bits:64\r\nprocess_id:0\r\ngomaxprocs:%d\r\n", runtime.GOOS, runtime.GOARCH, runtime.GOMAXPROCS(0))
	fmt.Fprintf(&b, "uptime_in_seconds:%d\r\n", int(time.Since(s.meter.start).Seconds()))
	fmt.Fprintf(&b, "connected_clients:%d\r\n\r\n# Keyspace\r\ndb0:keys=%d,expires=0,avg_ttl=0\r\n", s.clients(), n)
	c.call.out = c.call.out.BulkString(b.String())
	return false
}

func (s *Server) clients() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// configParams are what CONFIG GET answers (redis-benchmark asks for save and appendonly).
func configParams() [][2]string {
	return [][2]string{{"save", ""}, {"appendonly", "no"}, {"databases", "1"}, {"maxmemory", "0"}}
}

func cmdConfig(c *conn, a [][]byte) bool {
	switch sub := strings.ToLower(string(a[1])); sub {
	case "get":
		if len(a) < 3 {
			c.call.err(arityErr("config|get"))
			return false
		}
		var out [][2]string
		for _, p := range configParams() {
			for _, pat := range a[2:] {
				if ok, _ := path.Match(strings.ToLower(string(pat)), p[0]); ok {
					out = append(out, p)
					break
				}
			}
		}
		c.call.out = c.call.out.Array(2 * len(out))
		for _, p := range out {
			c.call.out = c.call.out.BulkString(p[0]).BulkString(p[1])
		}
	case "set":
		c.call.err("ERR CONFIG SET is not supported by this server")
	case "resetstat":
		c.call.out = c.call.out.Simple("OK")
	default:
		c.call.err(fmt.Sprintf("ERR unknown subcommand '%s'. Try CONFIG HELP.", clip(a[1])))
	}
	return false
}

// cmdCommand answers COMMAND enough for redis-cli: no documentation (an empty array), and the
// count of commands.
func cmdCommand(c *conn, a [][]byte) bool {
	if len(a) > 1 && strings.EqualFold(string(a[1]), "count") {
		c.call.out = c.call.out.Int(int64(len(c.s.specs) + len(c.s.admin)))
		return false
	}
	c.call.out = c.call.out.Array(0)
	return false
}

func cmdClient(c *conn, a [][]byte) bool {
	switch strings.ToLower(string(a[1])) {
	case "getname":
		c.call.out = c.call.out.Null()
	case "id":
		c.call.out = c.call.out.Int(1)
	default: // SETNAME, SETINFO, …: accepted and ignored
		c.call.out = c.call.out.Simple("OK")
	}
	return false
}

func cmdMulti(c *conn, _ [][]byte) bool {
	if c.multi.on {
		c.call.err("ERR MULTI calls can not be nested")
		return false
	}
	c.multi.on, c.multi.dirty, c.multi.queue = true, false, nil
	c.call.out = c.call.out.Simple("OK")
	return false
}

func cmdDiscard(c *conn, _ [][]byte) bool {
	if !c.multi.on {
		c.call.err("ERR DISCARD without MULTI")
		return false
	}
	c.multi.on, c.multi.queue, c.watched = false, nil, nil
	c.call.out = c.call.out.Simple("OK")
	return false
}

func cmdWatch(c *conn, a [][]byte) bool {
	if c.multi.on {
		c.call.err("ERR WATCH inside MULTI is not allowed")
		return false
	}
	keys := a[1:]
	mark := len(c.call.out)
	var ws []watched
	c.txn(keys, false, false, mark, func(t Txn) error {
		c.call.out = c.call.out[:mark]
		ws = ws[:0]
		for _, k := range keys {
			ws = append(ws, watched{string(k), t.Get(string(k))})
		}
		c.call.out = c.call.out.Simple("OK")
		return nil
	})
	c.watched = append(c.watched, ws...)
	return false
}

// cmdExec runs the queued commands as one transaction: serializable across every key, on
// every core. A watched key whose value changed since WATCH makes it reply a null array.
func cmdExec(c *conn, _ [][]byte) bool {
	s := c.s
	if !c.multi.on {
		c.call.err("ERR EXEC without MULTI")
		return false
	}
	queue, dirty, watch := c.multi.queue, c.multi.dirty, c.watched
	c.multi.on, c.multi.queue, c.watched = false, nil, nil
	if dirty {
		c.call.err("EXECABORT Transaction discarded because of previous errors.")
		return false
	}
	var keys [][]byte
	all, write := false, false
	for _, w := range watch {
		keys = append(keys, []byte(w.key))
	}
	for _, q := range queue {
		if spec := s.specs[strings.ToLower(string(q[0]))]; spec != nil {
			keys = append(keys, spec.keys(q)...)
			all, write = all || spec.all, write || spec.write
		}
	}
	// The connection's own commands (PING, INFO, …) are answered before the transaction:
	// INFO runs a transaction of its own, which must not nest in this one.
	adminReplies := map[int][]byte{}
	saved := c.call.out
	for i, q := range queue {
		if a, ok := s.admin[strings.ToLower(string(q[0]))]; ok {
			c.call.out = nil
			a.run(c, q)
			adminReplies[i] = c.call.out
		}
	}
	c.call.out = saved
	mark := len(c.call.out)
	c.txn(keys, all, write, mark, func(t Txn) error {
		c.call.out = c.call.out[:mark]
		for _, w := range watch {
			if t.Get(w.key) != w.v {
				c.call.out = c.call.out.NullArray()
				return nil
			}
		}
		c.call.out = c.call.out.Array(len(queue))
		for i, q := range queue {
			name := strings.ToLower(string(q[0]))
			if r, ok := adminReplies[i]; ok {
				c.call.out = append(c.call.out, r...)
			} else if cmd := t.Code().cmds[name]; cmd != nil {
				cmd.run(&c.call, t, q)
			} else {
				c.call.out = unknown(c.call.out, q)
			}
		}
		return nil
	})
	return false
}

// cmdUpgrade is DUSTM.UPGRADE NAME STRATEGY [DRYRUN]: it upgrades the running server and
// replies once the upgrade has committed, with its statistics as field/value pairs, or with
// the error that left the server at its version.
func cmdUpgrade(c *conn, a [][]byte) bool {
	if c.multi.on {
		c.call.err("ERR DUSTM.UPGRADE inside MULTI is not allowed")
		return false
	}
	strategy, err := upgrade.ParseStrategy(strings.ToLower(string(a[2])))
	if err != nil {
		c.call.err(fmt.Sprintf("ERR unknown strategy '%s' (accepted: %s)", clip(a[2]), upgradeStrategies()))
		return false
	}
	dry := false
	for _, o := range a[3:] {
		if !strings.EqualFold(string(o), "dryrun") {
			c.call.err(errSyntax + " (accepted after the strategy: DRYRUN)")
			return false
		}
		dry = true
	}
	m, err := c.s.Upgrade(context.Background(), string(a[1]), strategy, c.s.cfg.Sweepers, dry)
	if err != nil {
		c.call.err("ERR upgrade failed, still running " + c.s.current().Name + ": " + err.Error())
		return false
	}
	st := m.Stats()
	pairs := [][2]string{
		{"name", st.Name}, {"strategy", st.Strategy}, {"program", c.s.current().Name},
		{"from", strconv.Itoa(st.From)}, {"to", strconv.Itoa(st.To)},
		{"objects", strconv.Itoa(st.Objects)}, {"converted", strconv.FormatInt(st.Converted(), 10)},
		{"commit_ms", fmt.Sprintf("%.3f", float64(st.Committed.Sub(st.Requested))/1e6)},
		{"pause_ms", fmt.Sprintf("%.3f", float64(st.Pause)/1e6)},
		{"complete", strconv.FormatBool(st.Complete)},
	}
	c.call.out = c.call.out.Array(2 * len(pairs))
	for _, p := range pairs {
		c.call.out = c.call.out.BulkString(p[0]).BulkString(p[1])
	}
	return false
}
