package kv

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"dustm/upgrade"
)

// The upgrades of the server, each modelled on a real change of a key-value store, each a new
// program version (code) with transformers for the classes whose shape changes:
//
//   - expiry: every string entry gains a per-key expiry (*Str → *StrX); version 2 adds
//     EXPIRE, PEXPIRE, TTL, PTTL, PERSIST and SET … EX/PX/KEEPTTL, which version 1 answers as
//     unknown commands or a syntax error. Every string key is converted.
//   - hash-encoding: hashes only (a minority type) change from the flat encoding (Redis's
//     listpack) to a map (its hash table); replies are identical.
//   - keystats: every bucket of the index gains its keys' counts by type, which the
//     transformer computes by reading the bucket's value objects through the pre-upgrade view
//     (a transformer that reads other objects); version 2 adds DUSTM.KEYSTATS.
//
// Only the stm backend can be upgraded.

// Scenario builds an upgrade from the code it upgrades.
type Scenario func(st *stmStore, cur *Code) (upgrade.Upgrade, error)

// Scenarios returns the server's upgrades by name (a new map: tests add their own).
func Scenarios() map[string]Scenario {
	return map[string]Scenario{
		"expiry":        scenarioExpiry,
		"hash-encoding": scenarioHashEncoding,
		"keystats":      scenarioKeystats,
	}
}

// ScenarioNames lists the server's upgrades, for messages.
func ScenarioNames() string { return "expiry, hash-encoding, keystats" }

func once(cur *Code, name string) (*Code, error) {
	if cur.has(name) {
		return nil, fmt.Errorf("upgrade %q is already applied (running %s)", name, cur.Name)
	}
	return cur.derive(name), nil
}

func scenarioExpiry(st *stmStore, cur *Code) (upgrade.Upgrade, error) {
	code, err := once(cur, "expiry")
	if err != nil {
		return upgrade.Upgrade{}, err
	}
	code.expiry = true
	for _, c := range []*command{
		wr("set", -3, 1, 1, 1, cmdSet(true)),
		wr("expire", -3, 1, 1, 1, cmdExpire(time.Second)),
		wr("pexpire", -3, 1, 1, 1, cmdExpire(time.Millisecond)),
		rd("ttl", 2, 1, 1, 1, cmdTTL(time.Second)),
		rd("pttl", 2, 1, 1, 1, cmdTTL(time.Millisecond)),
		wr("persist", 2, 1, 1, 1, cmdPersist),
	} {
		code.cmds[c.name] = c
	}
	return upgrade.Upgrade{Name: "expiry", Code: code, Transformers: map[*upgrade.Class]upgrade.Transformer{
		st.classes[tString]: upgrade.Convert(func(s *Str) (*StrX, error) { return &StrX{S: s}, nil }),
	}}, nil
}

func scenarioHashEncoding(st *stmStore, cur *Code) (upgrade.Upgrade, error) {
	code, err := once(cur, "hash-encoding")
	if err != nil {
		return upgrade.Upgrade{}, err
	}
	code.hashMap = true
	return upgrade.Upgrade{Name: "hash-encoding", Code: code, Transformers: map[*upgrade.Class]upgrade.Transformer{
		st.classes[tHash]: upgrade.Convert(func(h *HashFlat) (*HashMap, error) { return flatToMap(h), nil }),
	}}, nil
}

func scenarioKeystats(st *stmStore, cur *Code) (upgrade.Upgrade, error) {
	code, err := once(cur, "keystats")
	if err != nil {
		return upgrade.Upgrade{}, err
	}
	code.keystats = true
	code.cmds["dustm.keystats"] = &command{name: "dustm.keystats", arity: 1, all: true, run: cmdKeystats}
	count := func(_ *upgrade.Object, old any, view upgrade.View) (any, error) {
		b := old.(*bucket)
		out := &bucketStats{es: b.es}
		for _, e := range b.es {
			v, err := view.Load(e.cell)
			if errors.Is(err, upgrade.ErrDeleted) {
				continue
			}
			if err != nil {
				return nil, err
			}
			out.n[typeOf(v)]++
		}
		return out, nil
	}
	return upgrade.Upgrade{Name: "keystats", Code: code, Transformers: map[*upgrade.Class]upgrade.Transformer{
		st.bucketC: count,
	}}, nil
}

// cmdSet is SET; with expiry (version 2 of the expiry upgrade) it takes EX, PX and KEEPTTL.
func cmdSet(expiry bool) func(*call, Txn, [][]byte) {
	return func(c *call, t Txn, a [][]byte) {
		var nx, xx, get, keep bool
		var ttl time.Duration
		for i := 3; i < len(a); i++ {
			switch opt := strings.ToLower(string(a[i])); {
			case opt == "nx":
				nx = true
			case opt == "xx":
				xx = true
			case opt == "get":
				get = true
			case opt == "keepttl" && expiry:
				keep = true
			case (opt == "ex" || opt == "px") && expiry && i+1 < len(a) && ttl == 0:
				n, ok := parseInt(a[i+1])
				if !ok {
					c.err(errNotInt)
					return
				}
				unit := time.Second
				if opt == "px" {
					unit = time.Millisecond
				}
				if n <= 0 || n > int64(100*365*24*time.Hour/unit) {
					c.err("ERR invalid expire time in 'set' command")
					return
				}
				ttl = time.Duration(n) * unit
				i++
			default:
				c.err(errSyntax)
				return
			}
		}
		if nx && xx || keep && ttl != 0 {
			c.err(errSyntax)
			return
		}
		k := string(a[1])
		old := t.Get(k)
		oldS, ok := as[*Str](c, old)
		if get && !ok {
			return
		}
		reply := func() {
			switch {
			case !get:
				c.out = c.out.Simple("OK")
			case oldS == nil:
				c.out = c.out.Null()
			default:
				c.out = c.out.Bulk(oldS.B)
			}
		}
		if nx && old != nil || xx && old == nil {
			if get {
				reply()
			} else {
				c.out = c.out.Null()
			}
			return
		}
		if keep && oldS != nil {
			t.Modify(k, &Str{B: a[2]})
		} else {
			t.Put(k, &Str{B: a[2]})
		}
		if ttl != 0 {
			t.(*stmTxn).setExpiry(k, time.Now().Add(ttl).UnixMilli())
		}
		reply()
	}
}

// setExpiry sets a live string key's expiry (0: none); it reports whether the key is one.
func (t *stmTxn) setExpiry(key string, atMs int64) bool {
	x, o := t.expiry(key)
	if x == nil {
		return false
	}
	o.Store(t.tx, &StrX{S: x.S, ExpMs: atMs})
	return true
}

func cmdExpire(unit time.Duration) func(*call, Txn, [][]byte) {
	return func(c *call, t Txn, a [][]byte) {
		if len(a) > 3 {
			c.err(errSyntax)
			return
		}
		n, ok := parseInt(a[2])
		if !ok || n > int64(100*365*24*time.Hour/unit) || n < -int64(100*365*24*time.Hour/unit) {
			c.err(errNotInt)
			return
		}
		k := string(a[1])
		v := t.Get(k)
		switch {
		case v == nil:
			c.out = c.out.Int(0)
		case typeOf(v) != tString:
			c.err("ERR this server keeps an expiry on string keys only")
		case n <= 0: // an expiry in the past deletes the key, as in Redis
			t.Del(k)
			c.out = c.out.Int(1)
		default:
			t.(*stmTxn).setExpiry(k, time.Now().Add(time.Duration(n)*unit).UnixMilli())
			c.out = c.out.Int(1)
		}
	}
}

func cmdTTL(unit time.Duration) func(*call, Txn, [][]byte) {
	return func(c *call, t Txn, a [][]byte) {
		st := t.(*stmTxn)
		k := string(a[1])
		if st.Get(k) == nil {
			c.out = c.out.Int(-2)
			return
		}
		x, _ := st.expiry(k)
		if x == nil || x.ExpMs == 0 {
			c.out = c.out.Int(-1)
			return
		}
		left := time.Duration(x.ExpMs-st.now()) * time.Millisecond
		c.out = c.out.Int(int64((left + unit - 1) / unit)) // rounded up, as Redis's TTL
	}
}

func cmdPersist(c *call, t Txn, a [][]byte) {
	st := t.(*stmTxn)
	x, _ := st.expiry(string(a[1]))
	if x == nil || x.ExpMs == 0 {
		c.out = c.out.Int(0)
		return
	}
	st.setExpiry(string(a[1]), 0)
	c.out = c.out.Int(1)
}

func cmdKeystats(c *call, t Txn, _ [][]byte) {
	n := t.(*stmTxn).typeCounts()
	c.out = c.out.Array(2 * numTypes)
	for i, name := range typeNames {
		c.out = c.out.BulkString(name)
		c.out = c.out.Int(n[i])
	}
}

// upgradeStrategies lists what DUSTM.UPGRADE and --migration accept.
func upgradeStrategies() string { return upgrade.StrategyNames() }
