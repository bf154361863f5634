package stmbench7

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A trace lists a thread's operations in the order it executed them, one line each: the
// operation's index in the thread (from 0), its name and its result, or FAILED when it failed:
//
//	0 OP5 0
//	1 ST1 127373
//	2 SM7 FAILED
//
// dustm bench --trace writes it (one file per thread); the Java reference's one-thread output
// is numbered the same way (testdata/README.md), which TestMatchesJavaReference compares.

// TraceFailed is the result column of a failed operation.
const TraceFailed = "FAILED"

// TraceEntry is one line of a trace.
type TraceEntry struct {
	Index  int64
	Op     OpID
	Result int // 0 when Failed
	Failed bool
}

// String is the entry's line, without the newline.
func (e TraceEntry) String() string { return string(e.Append(nil)) }

// Append appends the entry's line, without the newline, to b.
func (e TraceEntry) Append(b []byte) []byte {
	b = strconv.AppendInt(b, e.Index, 10)
	b = append(b, ' ')
	b = append(b, e.Op.String()...)
	b = append(b, ' ')
	if e.Failed {
		return append(b, TraceFailed...)
	}
	return strconv.AppendInt(b, int64(e.Result), 10)
}

// ReadTrace reads a trace, checking that the indexes count from 0 without a gap.
func ReadTrace(r io.Reader) ([]TraceEntry, error) {
	var out []TraceEntry
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			return out, fmt.Errorf("trace line %d: %q is not \"INDEX OP RESULT\"", line, sc.Text())
		}
		var e TraceEntry
		var err error
		if e.Index, err = strconv.ParseInt(f[0], 10, 64); err != nil || e.Index != int64(len(out)) {
			return out, fmt.Errorf("trace line %d: index %q, want %d", line, f[0], len(out))
		}
		if e.Op, err = ParseOp(f[1]); err != nil {
			return out, fmt.Errorf("trace line %d: %v", line, err)
		}
		if f[2] == TraceFailed {
			e.Failed = true
		} else if e.Result, err = strconv.Atoi(f[2]); err != nil {
			return out, fmt.Errorf("trace line %d: result %q is neither an integer nor %s", line, f[2], TraceFailed)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}
