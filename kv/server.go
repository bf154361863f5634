// Package kv is a key-value server that speaks the Redis protocol (RESP2, pipelining, inline
// commands) and keeps its keyspace on one of three backends: stm (the upgrade engine: every
// key's value, and every bucket of the key index, is an upgradable object), stm-plain (the
// plain STM with versioned boxes) and mutex (a sharded map under locks, the non-STM
// baseline). It can be upgraded while it serves (upgrades.go).
//
// Design:
//   - One goroutine per connection reads commands with the bounded reader of package resp,
//     runs each as one transaction of the store, and flushes its replies when the client has
//     nothing more pipelined.
//   - The command code (commands*.go) is written once over a small transaction interface
//     (Txn); each backend implements it (store_*.go). Values are immutable, so a
//     transaction that reruns, or an old snapshot, never sees a half-changed value.
//   - A program version (Code) is the command table and the shapes of the values. On the stm
//     backend every transaction runs the code of the program version it read, so an upgrade
//     switches every command at once, atomically; the other backends run version 1 only.
//   - MULTI/EXEC runs the queued commands as one serializable STM transaction (on the mutex
//     backend, under the locks of every shard they touch, taken in order). WATCH remembers the
//     values the watched keys held: values are never changed in place, so a key changed
//     since exactly when its value is another one, and EXEC then replies a null array.
//   - Measurement (meter.go) keeps a latency histogram per command, server side, and writes
//     the result and series of dustm/stmbench7/bench.
package kv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"dustm/kv/resp"
	"dustm/upgrade"
)

// Config is a server's configuration. Zero values take the defaults noted.
type Config struct {
	Backend string // stm (default), stm-plain or mutex
	Preload int    // keys filled before serving, 0..MaxPreload
	MaxBulk int64  // the longest bulk argument accepted; 0: 512 MiB
	// The scheduled upgrade (stm only): Upgrade's name, applied UpgradeAt after the server is
	// ready, with Migration and Sweepers (lazy+sweep). UpgradeDryRun converts every object on
	// a snapshot first and gives up, still at version 1, if one fails.
	Upgrade       string
	Migration     upgrade.Strategy
	UpgradeAt     time.Duration
	Sweepers      int
	UpgradeDryRun bool
	// Interval is the period of the series (default 1 s); Series receives one JSON line per
	// interval (nil: none). Probe starts the responsiveness probe every ProbeInterval (1 ms).
	Interval      time.Duration
	Series        io.Writer
	Probe         bool
	ProbeInterval time.Duration
	// Scenarios are the upgrades the server knows (nil: Scenarios()).
	Scenarios map[string]Scenario
}

// ErrConfig marks a configuration the server refuses.
var ErrConfig = errors.New("invalid kv configuration")

func configErr(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, a...))
}

func (c *Config) check() error {
	if c.Backend == "" {
		c.Backend = "stm"
	}
	if c.Preload < 0 || c.Preload > MaxPreload {
		return configErr("--preload %d: accepted 0 to %d keys", c.Preload, MaxPreload)
	}
	if c.MaxBulk == 0 {
		c.MaxBulk = resp.DefaultMaxBulk
	}
	if c.MaxBulk < 1 || c.MaxBulk > 1<<40 {
		return configErr("maximum bulk length %d: accepted 1 byte to 1 TiB", c.MaxBulk)
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.ProbeInterval == 0 {
		c.ProbeInterval = time.Millisecond
	}
	if c.Scenarios == nil {
		c.Scenarios = Scenarios()
	}
	if c.Sweepers < 0 || c.Sweepers > 64 {
		return configErr("--sweepers %d: accepted 0 to 64", c.Sweepers)
	}
	if c.Upgrade != "" {
		if c.Backend != "stm" {
			return configErr("--upgrade needs --backend stm (the upgrade engine); %s has no upgrade support", c.Backend)
		}
		if c.Scenarios[c.Upgrade] == nil {
			return configErr("--upgrade %q: accepted %s", c.Upgrade, ScenarioNames())
		}
	}
	return nil
}

// Server is a running key-value server.
type Server struct {
	cfg   Config
	store Store
	stm   *stmStore // the stm backend, nil for the others
	locks bool      // the store locks the keys a transaction declares (mutex)
	code  *Code     // the program of the backends that cannot be upgraded
	specs map[string]*command
	admin map[string]adminCmd

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup

	accepted atomic.Int64
	meter    *meter
	upg      upgrades

	preloadDur       time.Duration
	heapAfterPreload uint64
}

// New builds the store and preloads it.
func New(cfg Config) (*Server, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	code := codeV1()
	st, err := newStore(cfg.Backend, cfg.Preload, code)
	if err != nil {
		return nil, configErr("%v", err)
	}
	s := &Server{cfg: cfg, store: st, code: code, conns: map[net.Conn]struct{}{}}
	s.stm, _ = st.(*stmStore)
	_, s.locks = st.(*mutexStore)
	s.preloadDur = time.Since(t0)
	s.specs = allSpecs(s)
	s.admin = adminCommands()
	s.meter = newMeter(s.commandNames())
	return s, nil
}

// allSpecs is every command any program version knows (for arity and keys, which do not
// change between versions), by lower-case name.
func allSpecs(s *Server) map[string]*command {
	out := codeV1().cmds
	if s.stm != nil {
		code := codeV1()
		for _, name := range []string{"expiry", "keystats", "hash-encoding"} {
			if sc := s.cfg.Scenarios[name]; sc != nil {
				if u, err := sc(s.stm, code); err == nil {
					code = u.Code.(*Code)
				}
			}
		}
		for n, c := range code.cmds {
			if out[n] == nil {
				out[n] = c
			}
		}
	}
	return out
}

// current is the newest program version's code.
func (s *Server) current() *Code {
	if s.stm != nil {
		return s.stm.e.Current().Code.(*Code)
	}
	return s.code
}

// Serve accepts connections on ln until ctx ends or Close is called, then closes every
// connection and returns once their goroutines have ended. It runs the series, the probes
// and the scheduled upgrade meanwhile.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.meter.begin(s, ctx)
	if s.cfg.Upgrade != "" {
		s.wg.Go(func() { s.scheduledUpgrade(ctx) })
	}
	go func() {
		<-ctx.Done()
		s.shutdown(ln)
	}()
	var err error
	for {
		nc, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() != nil || s.isClosed() {
				break
			}
			var ne net.Error
			if errors.As(aerr, &ne) && ne.Timeout() || errors.Is(aerr, syscall.EMFILE) || errors.Is(aerr, syscall.ENFILE) {
				time.Sleep(5 * time.Millisecond) // out of descriptors: let connections end
				continue
			}
			err = aerr
			break
		}
		if !s.track(nc) {
			nc.Close()
			break
		}
		s.accepted.Add(1)
		s.wg.Go(func() { s.handle(nc) })
	}
	cancel()
	s.shutdown(ln)
	s.wg.Wait()
	s.meter.end()
	return err
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.conns[nc] = struct{}{}
	return true
}

func (s *Server) untrack(nc net.Conn) {
	s.mu.Lock()
	delete(s.conns, nc)
	s.mu.Unlock()
}

// shutdown stops accepting and closes every connection (idempotent).
func (s *Server) shutdown(ln net.Listener) {
	s.mu.Lock()
	s.closed = true
	conns := make([]net.Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	ln.Close()
	for _, c := range conns {
		c.Close()
	}
}

// Close releases the store (after Serve has returned).
func (s *Server) Close() { s.store.Close() }

// conn is one client connection's state.
type conn struct {
	s     *Server
	nc    net.Conn
	rd    *resp.Reader
	w     *bufio.Writer
	call  call
	rec   *recShard
	multi struct {
		on, dirty bool
		queue     [][][]byte
	}
	watched []watched
	lower   [32]byte
}

type watched struct {
	key string
	v   any
}

func (s *Server) handle(nc net.Conn) {
	defer s.untrack(nc)
	defer nc.Close()
	c := &conn{s: s, nc: nc, rd: resp.NewReader(nc, 16*1024), w: bufio.NewWriterSize(nc, 16*1024)}
	c.rd.MaxBulk = s.cfg.MaxBulk
	c.rec = s.meter.shard()
	for {
		args, err := c.rd.ReadCommand()
		if err != nil {
			var pe *resp.ProtocolError
			if errors.As(err, &pe) { // Redis replies, then closes
				c.w.Write(resp.Reply(nil).Error("ERR " + pe.Error()))
				c.w.Flush()
			}
			return
		}
		t0 := time.Now()
		c.call.out = c.call.out[:0]
		id, quit := c.exec(args)
		failed := len(c.call.out) > 0 && c.call.out[0] == '-'
		c.rec.record(id, time.Since(t0), failed)
		if _, err := c.w.Write(c.call.out); err != nil {
			return
		}
		if quit || c.rd.Buffered() == 0 {
			if err := c.w.Flush(); err != nil || quit {
				return
			}
		}
		if cap(c.call.out) > 1<<20 { // do not keep a huge reply's buffer for the connection's life
			c.call.out = nil
		}
	}
}

// name lowercases a command name without allocating (names longer than 32 bytes allocate).
func (c *conn) name(b []byte) string {
	if len(b) > len(c.lower) {
		return strings.ToLower(string(b))
	}
	n := c.lower[:len(b)]
	for i, ch := range b {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		n[i] = ch
	}
	return string(n) // the compiler does not allocate for a map index of this
}

// unknown appends Redis's unknown-command error.
func unknown(out resp.Reply, args [][]byte) resp.Reply {
	var b strings.Builder
	fmt.Fprintf(&b, "ERR unknown command '%s', with args beginning with: ", clip(args[0]))
	for _, a := range args[1:] {
		if b.Len() > 512 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", clip(a))
	}
	return out.Error(b.String())
}

func clip(b []byte) []byte { return b[:min(len(b), 128)] }

func arityErr(name string) string {
	return "ERR wrong number of arguments for '" + name + "' command"
}

// exec runs one command and appends its reply; it returns the command's meter index and
// whether the connection should close after the reply.
func (c *conn) exec(args [][]byte) (int, bool) {
	s := c.s
	name := c.name(args[0])
	if a, ok := s.admin[name]; ok {
		id := s.meter.index(name)
		if !(a.arity == len(args) || a.arity < 0 && len(args) >= -a.arity) {
			c.call.err(arityErr(name))
			c.multi.dirty = c.multi.on
			return id, false
		}
		if c.multi.on && !a.inMulti {
			c.multi.queue = append(c.multi.queue, args)
			c.call.out = c.call.out.Simple("QUEUED")
			return id, false
		}
		return id, a.run(c, args)
	}
	spec := s.specs[name]
	if spec == nil || s.current().cmds[name] == nil {
		c.call.out = unknown(c.call.out, args)
		c.multi.dirty = c.multi.on
		return s.meter.unknown, false
	}
	id := s.meter.index(name)
	if !spec.arityOK(len(args)) {
		c.call.err(arityErr(name))
		c.multi.dirty = c.multi.on
		return id, false
	}
	if c.multi.on {
		c.multi.queue = append(c.multi.queue, args)
		c.call.out = c.call.out.Simple("QUEUED")
		return id, false
	}
	mark := len(c.call.out)
	run := func(t Txn) error {
		c.call.out = c.call.out[:mark]
		if cmd := t.Code().cmds[name]; cmd != nil {
			cmd.run(&c.call, t, args)
		} else { // the program was upgraded (or rolled) between the check and the transaction
			c.call.out = unknown(c.call.out, args)
		}
		return nil
	}
	var keys [][]byte
	if s.locks { // only the mutex backend locks by key: the STM ones need not compute them
		keys = spec.keys(args)
	}
	c.txn(keys, spec.all, spec.write, mark, run)
	return id, false
}

// txn runs fn as a transaction; an error (a failed conversion of an upgrade) is the reply.
func (c *conn) txn(keys [][]byte, all, write bool, mark int, fn func(Txn) error) {
	var err error
	if write {
		err = c.s.store.Update(keys, all, fn)
	} else {
		err = c.s.store.View(keys, all, fn)
	}
	if err != nil {
		c.call.out = c.call.out[:mark].Error("ERR " + err.Error())
	}
}
