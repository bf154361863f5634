package resp

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func TestReadCommand(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [][]string
		err  string // "" for a clean end
	}{
		{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", [][]string{{"GET", "k"}}, ""},
		{"PING\r\nSET a 'b c' \"d\\ne\\x41\"\n", [][]string{{"PING"}, {"SET", "a", "b c", "d\neA"}}, ""},
		{"*0\r\n*-1\r\n\r\n*1\r\n$0\r\n\r\n", [][]string{{""}}, ""},
		{"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI", [][]string{{"PING"}}, "unexpected EOF"},
		{"*3x\r\n", nil, "Protocol error: invalid multibulk length"},
		{"*1\r\n$-1\r\n", nil, "Protocol error: invalid bulk length"},
		{"*1\r\n$11\r\n", nil, "Protocol error: invalid bulk length"},
		{"*1\r\nfoo\r\n", nil, "Protocol error: expected '$', got 'f'"},
		{"GET 'a\r\n", nil, "Protocol error: unbalanced quotes in request"},
		{"GET \"a\"b\r\n", nil, "Protocol error: unbalanced quotes in request"},
	} {
		// One byte at a time too: a command split over reads parses the same.
		for _, src := range []io.Reader{strings.NewReader(tc.in), iotest.OneByteReader(strings.NewReader(tc.in))} {
			r := NewReader(src, 16)
			r.MaxBulk = 10
			var got [][]string
			var err error
			for {
				var args [][]byte
				if args, err = r.ReadCommand(); err != nil {
					break
				}
				var s []string
				for _, a := range args {
					s = append(s, string(a))
				}
				got = append(got, s)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%q: commands %q, want %q", tc.in, got, tc.want)
			}
			if tc.err == "" && !errors.Is(err, io.EOF) || tc.err != "" && (err == nil || err.Error() != tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
		}
	}
}

func TestReply(t *testing.T) {
	got := Reply(nil).Simple("OK").Error("ERR a\r\nb").Int(-3).Bulk([]byte("x")).Null().NullArray().Array(2).BulkString("")
	want := "+OK\r\n-ERR a  b\r\n:-3\r\n$1\r\nx\r\n$-1\r\n*-1\r\n*2\r\n$0\r\n\r\n"
	if string(got) != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// FuzzReader: any input parses into commands or ends with an error, never a panic; every
// command has an argument and no argument exceeds the bulk limit; re-encoding a command as a
// multibulk reads back the same arguments.
func FuzzReader(f *testing.F) {
	for _, s := range []string{"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "PING\r\n", "SET a \"b\\x00\"\r\n", "*1\r\n$-1\r\n",
		"*-1\r\n", "*1048577\r\n", "\x00\xff\r\n", "'a' 'b\\'c'\n", "*1\r\n$2\r\nab"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in), 16)
		r.MaxBulk = 64
		for range 1000 {
			args, err := r.ReadCommand()
			if err != nil {
				var pe *ProtocolError
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.As(err, &pe) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if len(args) == 0 {
				t.Fatal("a command without arguments")
			}
			enc := Reply(nil).Array(len(args))
			for _, a := range args {
				if len(a) > int(r.MaxBulk) && len(a) > MaxInline { // a bulk or an inline line: over both limits
					t.Fatalf("a bulk of %d bytes over the limit", len(a))
				}
				enc = enc.Bulk(a)
			}
			back, err := NewReader(bytes.NewReader(enc), 0).ReadCommand()
			if err != nil || !reflect.DeepEqual(back, args) {
				t.Fatalf("re-encoded %q reads back as %q, %v", args, back, err)
			}
		}
	})
}
