package kv

import (
	"bytes"
	"net"
	"testing"
	"time"
)

// fakeConn is a connection whose client sent in and then closed its side.
type fakeConn struct {
	in  *bytes.Reader
	out bytes.Buffer
}

func (c *fakeConn) Read(p []byte) (int, error)       { return c.in.Read(p) }
func (c *fakeConn) Write(p []byte) (int, error)      { return c.out.Write(p) }
func (c *fakeConn) Close() error                     { return nil }
func (c *fakeConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *fakeConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *fakeConn) SetDeadline(time.Time) error      { return nil }
func (c *fakeConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fakeConn) SetWriteDeadline(time.Time) error { return nil }

// FuzzDispatch runs any bytes through a server connection's parser and dispatcher: no input
// may panic the server or leave a connection's goroutine running once its client is gone, and
// every reply begins with a RESP type byte.
func FuzzDispatch(f *testing.F) {
	for _, s := range []string{
		"PING\r\n", "SET a 1\r\nINCR a\r\nGET a\r\n", "*3\r\n$4\r\nHSET\r\n$1\r\nh\r\n$1\r\nf\r\n",
		"MULTI\r\nLPUSH l a\r\nLRANGE l 0 -1\r\nEXEC\r\n", "WATCH k\r\nMULTI\r\nSET k v\r\nEXEC\r\n",
		"ZADD z 1 a inf b\r\nZRANGE z 0 -1 WITHSCORES\r\nZPOPMIN z 9\r\n", "SADD s a\r\nSPOP s 3\r\n", "MULTI\r\nINFO\r\nSET a b\r\nEXEC\r\n",
		"DUSTM.UPGRADE nope lazy\r\nFLUSHALL\r\nDBSIZE\r\n", "*1\r\n$-1\r\n", "\x00\x01\r\n",
		"MSET a 1 b\r\nMGET a b\r\nDEL a b\r\nQUIT\r\nPING\r\n", "SET a 1 NX XX GET\r\nINCRBY a 9223372036854775807\r\n",
	} {
		f.Add([]byte(s))
	}
	srv, err := New(Config{Backend: "stm", Preload: 100, MaxBulk: 4096})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	f.Fuzz(func(t *testing.T, in []byte) {
		c := &fakeConn{in: bytes.NewReader(in)}
		srv.handle(c) // returns at the end of the input
		if out := c.out.Bytes(); len(out) > 0 && !bytes.ContainsAny(out[:1], "+-:$*") {
			t.Fatalf("a reply that is not RESP: %q", out[:min(len(out), 100)])
		}
	})
}
