package stm

import (
	"errors"
	"fmt"
)

var (
	// ErrWriteInReadOnly is returned by [STM.ReadOnly] (and its variants) when the transaction's
	// function stores to a box.
	ErrWriteInReadOnly = errors.New("stm: write inside a read-only transaction")
	// ErrTxEnded is the panic value (wrapped) when a Tx is used after its transaction ended,
	// for instance when a function keeps its Tx and uses it after returning.
	ErrTxEnded = errors.New("stm: transaction used after it ended")
	// ErrPinReleased is the panic value (wrapped) when a released pin is read.
	ErrPinReleased = errors.New("stm: pinned snapshot already released")
	// ErrClosed is returned by operations on an STM after [STM.Close].
	ErrClosed = errors.New("stm: closed")
)

// abortCause says why an attempt was abandoned; it is also the panic value that unwinds the
// transaction's function (a small integer, so raising it does not allocate).
type abortCause uint8

const (
	causeReadConflict abortCause = iota + 1 // a read met a body newer than the snapshot
	causeValidation                         // the read set was overwritten before commit
)

func (c abortCause) String() string {
	switch c {
	case causeReadConflict:
		return "read conflict"
	case causeValidation:
		return "commit validation"
	}
	return fmt.Sprintf("abortCause(%d)", uint8(c))
}

// writeInReadOnly unwinds a read-only transaction that tried to write.
type writeInReadOnly struct{}

// failure unwinds a transaction ended by Fail.
type failure struct{ err error }

// Fail ends the running transaction from anywhere inside its function, as if the function had
// returned err: the transaction is rolled back, not retried, and err is returned to the caller
// of Atomic (or its variants). It saves threading an error through every layer of a deep call
// (a library that reads objects on the program's behalf, for instance). err must not be nil.
func Fail(err error) {
	if err == nil {
		panic("stm: Fail(nil)")
	}
	panic(failure{err})
}

func panicEnded() {
	panic(fmt.Errorf("%w (keep a Tx only inside the function it was passed to)", ErrTxEnded))
}

// ErrNestedInExclusive is returned when the function run by [STM.Exclusive] starts another
// transaction (directly, or through code it calls, such as an upgrade's transformer): with
// the world stopped that transaction would wait for the function that waits for it. Nested
// transactions are not supported; read and write through the exclusive transaction's Tx.
var ErrNestedInExclusive = errors.New("stm: a transaction started inside an exclusive (stop-the-world) function: nested transactions are not supported")
