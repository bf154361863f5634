package stm

import (
	"bytes"
	"runtime"
	"strconv"
)

// goroutineID returns the running goroutine's id, parsed from its stack header
// ("goroutine 42 [running]:"). It costs about a microsecond and is used only where a
// transaction is about to wait for a stopped world, to tell the stopper from everyone else.
func goroutineID() uint64 {
	var buf [64]byte
	b := buf[:runtime.Stack(buf[:], false)]
	b = bytes.TrimPrefix(b, []byte("goroutine "))
	if i := bytes.IndexByte(b, ' '); i > 0 {
		b = b[:i]
	}
	id, _ := strconv.ParseUint(string(b), 10, 64)
	return id
}
