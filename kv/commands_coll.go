package kv

import (
	"maps"
	"math"
	"strconv"
	"strings"
)

// The commands of lists, sets, hashes and sorted sets.

func cmdPush(front bool) func(*call, Txn, [][]byte) {
	return func(c *call, t Txn, a [][]byte) {
		k := string(a[1])
		l, ok := as[*List](c, t.Get(k))
		if !ok {
			return
		}
		existed := l != nil
		if l == nil {
			l = &List{}
		}
		for _, v := range a[2:] {
			if front {
				l = l.PushFront(v)
			} else {
				l = l.PushBack(v)
			}
		}
		put(t, k, l, l.Len(), existed)
		c.out = c.out.Int(int64(l.Len()))
	}
}

// countArg reads a pop's optional count: -1 when absent.
func countArg(c *call, a [][]byte) (int, bool) {
	if len(a) < 3 {
		return -1, true
	}
	if len(a) > 3 {
		c.err(errSyntax)
		return 0, false
	}
	n, ok := parseInt(a[2])
	if !ok || n < 0 {
		c.err(errPositive)
		return 0, false
	}
	return int(min(n, math.MaxInt32)), true
}

// one is how many a pop takes: its count, or one without a count (-1).
func one(n int) int {
	if n < 0 {
		return 1
	}
	return n
}

func cmdPop(front bool) func(*call, Txn, [][]byte) {
	return func(c *call, t Txn, a [][]byte) {
		n, ok := countArg(c, a)
		if !ok {
			return
		}
		k := string(a[1])
		l, ok := as[*List](c, t.Get(k))
		switch {
		case !ok:
			return
		case l == nil && n < 0:
			c.out = c.out.Null()
			return
		case l == nil:
			c.out = c.out.NullArray()
			return
		}
		take := min(one(n), l.Len())
		if n >= 0 {
			c.out = c.out.Array(take)
		}
		var v []byte
		for range take {
			if front {
				v, l = l.PopFront()
			} else {
				v, l = l.PopBack()
			}
			c.out = c.out.Bulk(v)
		}
		put(t, k, l, l.Len(), true)
	}
}

// span is span for a range command: ok false when the reply (an error for an index that is
// not an integer, an empty array for an empty range) is written already.
func (c *call) span(startB, stopB []byte, n int) (lo, hi int, ok bool) {
	lo, hi, valid, nonEmpty := span(startB, stopB, n)
	switch {
	case !valid:
		c.err(errNotInt)
	case !nonEmpty:
		c.out = c.out.Array(0)
	}
	return lo, hi, valid && nonEmpty
}

// span normalizes Redis's start/stop indexes for a sequence of n: ok false for an empty range.
func span(startB, stopB []byte, n int) (lo, hi int, valid, ok bool) {
	start, ok1 := parseInt(startB)
	stop, ok2 := parseInt(stopB)
	if !ok1 || !ok2 {
		return 0, 0, false, false
	}
	nn := int64(n)
	if start < 0 {
		start = max(start+nn, 0)
	}
	if stop < 0 {
		stop += nn
	}
	stop = min(stop, nn-1)
	if start > stop || start >= nn {
		return 0, 0, true, false
	}
	return int(start), int(stop), true, true
}

func cmdLrange(c *call, t Txn, a [][]byte) {
	l, ok := as[*List](c, t.Get(string(a[1])))
	if !ok {
		return
	}
	n := 0
	if l != nil {
		n = l.Len()
	}
	lo, hi, ok := c.span(a[2], a[3], n)
	if !ok {
		return
	}
	vs := l.Range(lo, hi)
	c.out = c.out.Array(len(vs))
	for _, v := range vs {
		c.out = c.out.Bulk(v)
	}
}

func cmdLlen(c *call, t Txn, a [][]byte) {
	if l, ok := as[*List](c, t.Get(string(a[1]))); ok {
		n := 0
		if l != nil {
			n = l.Len()
		}
		c.out = c.out.Int(int64(n))
	}
}

func cmdSadd(c *call, t Txn, a [][]byte) {
	k := string(a[1])
	s, ok := as[*Set](c, t.Get(k))
	if !ok {
		return
	}
	existed := s != nil
	var m map[string]struct{}
	if s != nil {
		m = s.m
	}
	added := 0
	cloned := false
	for _, v := range a[2:] {
		if _, had := m[string(v)]; had {
			continue
		}
		if !cloned {
			m, cloned = maps.Clone(m), true
			if m == nil {
				m = map[string]struct{}{}
			}
		}
		m[string(v)] = struct{}{}
		added++
	}
	if added > 0 {
		put(t, k, &Set{m: m}, len(m), existed)
	}
	c.out = c.out.Int(int64(added))
}

func cmdSpop(c *call, t Txn, a [][]byte) {
	n, ok := countArg(c, a)
	if !ok {
		return
	}
	k := string(a[1])
	s, ok := as[*Set](c, t.Get(k))
	switch {
	case !ok:
		return
	case s == nil && n < 0:
		c.out = c.out.Null()
		return
	case s == nil:
		c.out = c.out.Array(0)
		return
	}
	take := min(one(n), s.Len())
	if n >= 0 {
		c.out = c.out.Array(take)
	}
	m := maps.Clone(s.m)
	for v := range m { // map order: Redis pops a random member too
		if take == 0 {
			break
		}
		delete(m, v)
		c.out = c.out.BulkString(v)
		take--
	}
	put(t, k, &Set{m: m}, len(m), true)
}

func cmdSmembers(c *call, t Txn, a [][]byte) {
	s, ok := as[*Set](c, t.Get(string(a[1])))
	if !ok {
		return
	}
	if s == nil {
		c.out = c.out.Array(0)
		return
	}
	c.out = c.out.Array(len(s.m))
	for v := range s.m {
		c.out = c.out.BulkString(v)
	}
}

func cmdScard(c *call, t Txn, a [][]byte) {
	if s, ok := as[*Set](c, t.Get(string(a[1]))); ok {
		n := 0
		if s != nil {
			n = s.Len()
		}
		c.out = c.out.Int(int64(n))
	}
}

func cmdHset(c *call, t Txn, a [][]byte) {
	if len(a)%2 != 0 {
		c.err("ERR wrong number of arguments for 'hset' command")
		return
	}
	k := string(a[1])
	h, ok := as[Hash](c, t.Get(k))
	if !ok {
		return
	}
	existed := h != nil
	if h == nil {
		h = t.Code().newHash()
	}
	added := 0
	for i := 2; i < len(a); i += 2 {
		var isNew bool
		h, isNew = h.With(string(a[i]), a[i+1])
		if isNew {
			added++
		}
	}
	put(t, k, h, h.Len(), existed)
	c.out = c.out.Int(int64(added))
}

func cmdHget(c *call, t Txn, a [][]byte) {
	h, ok := as[Hash](c, t.Get(string(a[1])))
	if !ok {
		return
	}
	if h != nil {
		if v, ok := h.Get(string(a[2])); ok {
			c.out = c.out.Bulk(v)
			return
		}
	}
	c.out = c.out.Null()
}

func cmdHgetall(c *call, t Txn, a [][]byte) {
	h, ok := as[Hash](c, t.Get(string(a[1])))
	if !ok {
		return
	}
	if h == nil {
		c.out = c.out.Array(0)
		return
	}
	c.out = c.out.Array(2 * h.Len())
	h.Each(func(f string, v []byte) {
		c.out = c.out.BulkString(f)
		c.out = c.out.Bulk(v)
	})
}

func cmdHdel(c *call, t Txn, a [][]byte) {
	k := string(a[1])
	h, ok := as[Hash](c, t.Get(k))
	if !ok {
		return
	}
	if h == nil {
		c.out = c.out.Int(0)
		return
	}
	n := 0
	for _, f := range a[2:] {
		var had bool
		if h, had = h.Without(string(f)); had {
			n++
		}
	}
	if n > 0 {
		put(t, k, h, h.Len(), true)
	}
	c.out = c.out.Int(int64(n))
}

func cmdHlen(c *call, t Txn, a [][]byte) {
	if h, ok := as[Hash](c, t.Get(string(a[1]))); ok {
		n := 0
		if h != nil {
			n = h.Len()
		}
		c.out = c.out.Int(int64(n))
	}
}

// parseScore reads a score as Redis does: a float, inf, +inf or -inf; never NaN.
func parseScore(b []byte) (float64, bool) {
	switch strings.ToLower(string(b)) {
	case "inf", "+inf":
		return math.Inf(1), true
	case "-inf":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(string(b), 64)
	return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
}

func formatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func cmdZadd(c *call, t Txn, a [][]byte) {
	if len(a)%2 != 0 {
		c.err(errSyntax)
		return
	}
	scores := make([]float64, 0, (len(a)-2)/2)
	for i := 2; i < len(a); i += 2 {
		f, ok := parseScore(a[i])
		if !ok {
			c.err(errNotFloat)
			return
		}
		scores = append(scores, f)
	}
	k := string(a[1])
	z, ok := as[*ZSet](c, t.Get(k))
	if !ok {
		return
	}
	existed := z != nil
	if z == nil {
		z = &ZSet{}
	}
	added := 0
	for i, s := range scores {
		var isNew bool
		if z, isNew = z.With(string(a[3+2*i]), s); isNew {
			added++
		}
	}
	put(t, k, z, z.Len(), existed)
	c.out = c.out.Int(int64(added))
}

func cmdZpopmin(c *call, t Txn, a [][]byte) {
	n, ok := countArg(c, a)
	if !ok {
		return
	}
	k := string(a[1])
	z, ok := as[*ZSet](c, t.Get(k))
	if !ok {
		return
	}
	if z == nil {
		c.out = c.out.Array(0)
		return
	}
	out, rest := z.popMin(one(n))
	c.out = c.out.Array(2 * len(out))
	for _, e := range out {
		c.out = c.out.BulkString(e.m)
		c.out = c.out.BulkString(formatScore(e.s))
	}
	put(t, k, rest, rest.Len(), true)
}

func cmdZrange(c *call, t Txn, a [][]byte) {
	withScores := false
	if len(a) == 5 && strings.EqualFold(string(a[4]), "withscores") {
		withScores = true
	} else if len(a) > 4 {
		c.err(errSyntax)
		return
	}
	z, ok := as[*ZSet](c, t.Get(string(a[1])))
	if !ok {
		return
	}
	n := 0
	if z != nil {
		n = z.Len()
	}
	lo, hi, ok := c.span(a[2], a[3], n)
	if !ok {
		return
	}
	per := 1
	if withScores {
		per = 2
	}
	c.out = c.out.Array(per * (hi - lo + 1))
	for _, e := range z.order[lo : hi+1] {
		c.out = c.out.BulkString(e.m)
		if withScores {
			c.out = c.out.BulkString(formatScore(e.s))
		}
	}
}

func cmdZscore(c *call, t Txn, a [][]byte) {
	z, ok := as[*ZSet](c, t.Get(string(a[1])))
	if !ok {
		return
	}
	if z != nil {
		if s, ok := z.score[string(a[2])]; ok {
			c.out = c.out.BulkString(formatScore(s))
			return
		}
	}
	c.out = c.out.Null()
}

func cmdZcard(c *call, t Txn, a [][]byte) {
	if z, ok := as[*ZSet](c, t.Get(string(a[1]))); ok {
		n := 0
		if z != nil {
			n = z.Len()
		}
		c.out = c.out.Int(int64(n))
	}
}
