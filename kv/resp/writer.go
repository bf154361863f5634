package resp

import "strconv"

// Reply is a RESP2 reply being built: the Append functions add one element each. It is a
// plain byte slice so that a transaction that reruns can truncate it to where it began.
type Reply []byte

// Simple appends a simple string (+OK).
func (r Reply) Simple(s string) Reply {
	r = append(r, '+')
	r = append(r, s...)
	return append(r, '\r', '\n')
}

// Error appends an error reply; msg starts with its code (ERR, WRONGTYPE, …).
func (r Reply) Error(msg string) Reply {
	r = append(r, '-')
	for i := 0; i < len(msg); i++ { // an error is one line: Redis replaces newlines too
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		r = append(r, c)
	}
	return append(r, '\r', '\n')
}

// Int appends an integer reply.
func (r Reply) Int(n int64) Reply {
	r = append(r, ':')
	r = strconv.AppendInt(r, n, 10)
	return append(r, '\r', '\n')
}

// Bulk appends a bulk string.
func (r Reply) Bulk(b []byte) Reply {
	r = append(r, '$')
	r = strconv.AppendInt(r, int64(len(b)), 10)
	r = append(r, '\r', '\n')
	r = append(r, b...)
	return append(r, '\r', '\n')
}

// BulkString appends a bulk string.
func (r Reply) BulkString(s string) Reply {
	r = append(r, '$')
	r = strconv.AppendInt(r, int64(len(s)), 10)
	r = append(r, '\r', '\n')
	r = append(r, s...)
	return append(r, '\r', '\n')
}

// Null appends the null bulk string ($-1).
func (r Reply) Null() Reply { return append(r, "$-1\r\n"...) }

// NullArray appends the null array (*-1), EXEC's reply when a watched key changed.
func (r Reply) NullArray() Reply { return append(r, "*-1\r\n"...) }

// Array appends the header of an array of n elements, which the caller appends next.
func (r Reply) Array(n int) Reply {
	r = append(r, '*')
	r = strconv.AppendInt(r, int64(n), 10)
	return append(r, '\r', '\n')
}
