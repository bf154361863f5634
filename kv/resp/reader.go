// Package resp reads Redis protocol (RESP2) requests and writes RESP2 replies.
//
// The reader is bounded against clients it does not trust, with Redis's limits and error
// texts: a multibulk of at most MaxArgs (1,048,576) arguments, a bulk of at most MaxBulk bytes
// (512 MiB by default, settable), an inline command line or a length line of at most
// MaxInline (64 KiB). Nothing is allocated from a length the client claims: the argument
// slice and each bulk grow with the bytes that actually arrive (a bulk's first allocation is
// at most 64 KiB), so a client that claims 512 MiB and sends ten bytes costs ten bytes.
//
// github.com/tidwall/redcon was considered and not taken: its reader has no bulk, multibulk
// or inline limit, keeps growing its buffer while a line has no newline, re-scans the whole
// buffer on every read (quadratic in a large bulk), and a claimed length near the int range
// overflows its index arithmetic into a panic.
package resp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Limits, as Redis's (PROTO_INLINE_MAX_SIZE, the multibulk cap, proto-max-bulk-len).
const (
	MaxInline      = 64 * 1024
	MaxArgs        = 1024 * 1024
	DefaultMaxBulk = 512 * 1024 * 1024
	// firstChunk bounds a bulk's first allocation: a bulk longer than this grows as it arrives.
	firstChunk = 64 * 1024
)

// ProtocolError is malformed input: the server replies "-ERR Protocol error: " + Msg and
// closes the connection, as Redis does.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

func protoErr(format string, a ...any) error { return &ProtocolError{Msg: fmt.Sprintf(format, a...)} }

// Reader reads requests: multibulk ("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n") or inline
// ("GET k\r\n", what telnet and redis-cli's inline mode send).
type Reader struct {
	br *bufio.Reader
	// MaxBulk is the longest bulk accepted (DefaultMaxBulk unless set).
	MaxBulk int64
	line    []byte // a line longer than br's buffer, assembled
}

// NewReader returns a reader on r with a buffer of the given size (bytes; 16 KiB if 0).
func NewReader(r io.Reader, size int) *Reader {
	if size <= 0 {
		size = 16 * 1024
	}
	return &Reader{br: bufio.NewReaderSize(r, size), MaxBulk: DefaultMaxBulk}
}

// Buffered reports how many bytes are read from the connection but not yet parsed: when 0,
// the client has nothing more pipelined and replies should be flushed.
func (r *Reader) Buffered() int { return r.br.Buffered() }

// ReadCommand returns the next command's arguments (at least one). Empty inline lines and
// multibulks of zero or negative length are skipped, as Redis does. Errors: io.EOF at a clean
// end between commands, io.ErrUnexpectedEOF for a connection cut inside one, a
// *ProtocolError for malformed input, or the connection's error.
func (r *Reader) ReadCommand() ([][]byte, error) {
	for {
		b, err := r.br.Peek(1)
		if err != nil {
			return nil, err
		}
		var args [][]byte
		if b[0] == '*' {
			args, err = r.readMultibulk()
		} else {
			args, err = r.readInline()
		}
		if err != nil || len(args) > 0 {
			return args, err
		}
	}
}

// readLine returns the next line without its "\n" (and "\r" when present), at most MaxInline
// bytes; tooLong names the Redis error for a longer one. The slice is valid until the next read.
func (r *Reader) readLine(tooLong string, inside bool) ([]byte, error) {
	r.line = r.line[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		switch {
		case err == nil:
			if len(r.line) > 0 {
				r.line = append(r.line, frag...)
				frag = r.line
			}
			if len(frag)-1 > MaxInline {
				return nil, protoErr("%s", tooLong)
			}
			frag = frag[:len(frag)-1]
			if n := len(frag); n > 0 && frag[n-1] == '\r' {
				frag = frag[:n-1]
			}
			return frag, nil
		case errors.Is(err, bufio.ErrBufferFull):
			r.line = append(r.line, frag...)
			if len(r.line)+r.br.Size() > MaxInline {
				// Near the limit, byte by byte: ReadSlice would wait for a full buffer, and
				// a line over the limit must be refused as soon as its bytes arrive.
				return r.finishLine(tooLong)
			}
		case errors.Is(err, io.EOF) && (inside || len(frag) > 0 || len(r.line) > 0):
			return nil, io.ErrUnexpectedEOF
		default:
			return nil, err
		}
	}
}

// finishLine reads the rest of a long line one byte at a time, up to the limit.
func (r *Reader) finishLine(tooLong string) ([]byte, error) {
	for len(r.line) <= MaxInline+1 {
		c, err := r.br.ReadByte()
		if err != nil {
			return nil, unexpected(err)
		}
		if c == '\n' {
			line := r.line
			if n := len(line); n > 0 && line[n-1] == '\r' {
				line = line[:n-1]
			}
			if len(line) > MaxInline {
				break
			}
			return line, nil
		}
		r.line = append(r.line, c)
	}
	return nil, protoErr("%s", tooLong)
}

func (r *Reader) readMultibulk() ([][]byte, error) {
	line, err := r.readLine("too big mbulk count string", false)
	if err != nil {
		return nil, err
	}
	n, err := strconv.ParseInt(string(line[1:]), 10, 64)
	if err != nil || n > MaxArgs {
		return nil, protoErr("invalid multibulk length")
	}
	if n <= 0 {
		return nil, nil
	}
	args := make([][]byte, 0, min(n, 16))
	for range n {
		arg, err := r.readBulk()
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
	return args, nil
}

func (r *Reader) readBulk() ([]byte, error) {
	line, err := r.readLine("too big bulk count string", true)
	if err != nil {
		return nil, err
	}
	if len(line) == 0 || line[0] != '$' {
		got := byte('\n')
		if len(line) > 0 {
			got = line[0]
		}
		return nil, protoErr("expected '$', got '%c'", got)
	}
	n, err := strconv.ParseInt(string(line[1:]), 10, 64)
	if err != nil || n < 0 || n > r.MaxBulk {
		return nil, protoErr("invalid bulk length")
	}
	// Grow with the data: never more than firstChunk ahead of what has arrived.
	buf := make([]byte, 0, min(n, firstChunk))
	for int64(len(buf)) < n {
		want := min(n-int64(len(buf)), firstChunk)
		if int64(cap(buf)-len(buf)) < want {
			buf = append(buf, make([]byte, want)...)[:len(buf)]
		}
		k, err := io.ReadFull(r.br, buf[len(buf):len(buf)+int(want)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	var crlf [2]byte
	if _, err := io.ReadFull(r.br, crlf[:]); err != nil {
		return nil, unexpected(err)
	}
	if crlf != [2]byte{'\r', '\n'} {
		return nil, protoErr("invalid bulk length")
	}
	return buf, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

func (r *Reader) readInline() ([][]byte, error) {
	line, err := r.readLine("too big inline request", false)
	if err != nil {
		return nil, err
	}
	return SplitInline(line)
}

// SplitInline splits an inline command line as Redis does (sdssplitargs): arguments separated
// by spaces or tabs, double quotes with \n \r \t \b \a \\ \" and \xHH escapes, single quotes
// with \' only. The arguments are fresh copies.
func SplitInline(line []byte) ([][]byte, error) {
	var args [][]byte
	for i := 0; ; {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return args, nil
		}
		var arg []byte
		var err error
		switch line[i] {
		case '"':
			arg, i, err = doubleQuoted(line, i+1)
		case '\'':
			arg, i, err = singleQuoted(line, i+1)
		default:
			j := i
			for j < len(line) && !isSpace(line[j]) {
				j++
			}
			arg, i = bytes.Clone(line[i:j]), j
		}
		if err != nil {
			return nil, err
		}
		args = append(args, arg)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f'
}

var errQuotes = &ProtocolError{Msg: "unbalanced quotes in request"}

// closing checks what follows a closing quote: a space or the end of the line.
func closing(line []byte, i int) (int, error) {
	if i < len(line) && !isSpace(line[i]) {
		return 0, errQuotes
	}
	return i, nil
}

func doubleQuoted(line []byte, i int) ([]byte, int, error) {
	arg := []byte{}
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			j, err := closing(line, i+1)
			return arg, j, err
		case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
			v, _ := strconv.ParseUint(string(line[i+2:i+4]), 16, 8)
			arg = append(arg, byte(v))
			i += 3
		case c == '\\' && i+1 < len(line):
			i++
			switch line[i] {
			case 'n':
				c = '\n'
			case 'r':
				c = '\r'
			case 't':
				c = '\t'
			case 'b':
				c = '\b'
			case 'a':
				c = '\a'
			default:
				c = line[i]
			}
			arg = append(arg, c)
		default:
			arg = append(arg, c)
		}
	}
	return nil, 0, errQuotes
}

func singleQuoted(line []byte, i int) ([]byte, int, error) {
	arg := []byte{}
	for ; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\'':
			j, err := closing(line, i+1)
			return arg, j, err
		case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
			arg = append(arg, '\'')
			i++
		default:
			arg = append(arg, c)
		}
	}
	return nil, 0, errQuotes
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}
