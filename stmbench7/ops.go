package stmbench7

import (
	"dustm/stmbench7/jrand"
	"errors"
	"fmt"
)

// OpID names one of the 45 operations, in the reference's enumeration order (OperationId.java),
// which is also the order of the operation-selection CDF.
type OpID int

const (
	T1 OpID = iota
	T2a
	T2b
	T2c
	T3a
	T3b
	T3c
	T4
	T5
	T6
	Q6
	Q7
	ST1
	ST2
	ST3
	ST4
	ST5
	ST6
	ST7
	ST8
	ST9
	ST10
	OP1
	OP2
	OP3
	OP4
	OP5
	OP6
	OP7
	OP8
	OP9
	OP10
	OP11
	OP12
	OP13
	OP14
	OP15
	SM1
	SM2
	SM3
	SM4
	SM5
	SM6
	SM7
	SM8
	NumOps int = iota
)

var opNames = [NumOps]string{
	"T1", "T2a", "T2b", "T2c", "T3a", "T3b", "T3c", "T4", "T5", "T6", "Q6", "Q7",
	"ST1", "ST2", "ST3", "ST4", "ST5", "ST6", "ST7", "ST8", "ST9", "ST10",
	"OP1", "OP2", "OP3", "OP4", "OP5", "OP6", "OP7", "OP8", "OP9", "OP10", "OP11", "OP12", "OP13", "OP14", "OP15",
	"SM1", "SM2", "SM3", "SM4", "SM5", "SM6", "SM7", "SM8",
}

func (o OpID) String() string {
	if o >= 0 && int(o) < NumOps {
		return opNames[o]
	}
	return fmt.Sprintf("OpID(%d)", int(o))
}

// ParseOp returns the operation with the given name ("T1", "ST10", …).
func ParseOp(name string) (OpID, error) {
	for i, n := range opNames {
		if n == name {
			return OpID(i), nil
		}
	}
	return 0, fmt.Errorf("unknown operation %q", name)
}

// OpType is an operation's category; the workload mix is defined over categories.
type OpType int

// The categories, in the reference's order (OperationType.java).
const (
	Traversal OpType = iota
	TraversalRO
	ShortTraversal
	ShortTraversalRO
	Operation
	OperationRO
	StructuralModification
	NumOpTypes int = iota
)

var opTypeNames = [NumOpTypes]string{
	"TRAVERSAL", "TRAVERSAL_RO", "SHORT_TRAVERSAL", "SHORT_TRAVERSAL_RO", "OPERATION", "OPERATION_RO",
	"STRUCTURAL_MODIFICATION",
}

// String returns the reference's name of the category, as its report prints it.
func (t OpType) String() string {
	if t >= 0 && int(t) < NumOpTypes {
		return opTypeNames[t]
	}
	return fmt.Sprintf("OpType(%d)", int(t))
}

// ReadOnly reports whether operations of this category never write.
func (t OpType) ReadOnly() bool {
	return t == TraversalRO || t == ShortTraversalRO || t == OperationRO
}

var opTypes = [NumOps]OpType{
	TraversalRO, Traversal, Traversal, Traversal, Traversal, Traversal, Traversal, TraversalRO, Traversal, TraversalRO, TraversalRO, TraversalRO,
	ShortTraversalRO, ShortTraversalRO, ShortTraversalRO, ShortTraversalRO, ShortTraversalRO, ShortTraversal, ShortTraversal, ShortTraversal, ShortTraversalRO, ShortTraversal,
	OperationRO, OperationRO, OperationRO, OperationRO, OperationRO, OperationRO, OperationRO, OperationRO, Operation, Operation, Operation, Operation, Operation, Operation, Operation,
	StructuralModification, StructuralModification, StructuralModification, StructuralModification, StructuralModification, StructuralModification, StructuralModification, StructuralModification,
}

// Type returns the operation's category.
func (o OpID) Type() OpType { return opTypes[o] }

// ReadOnly reports whether the operation never writes.
func (o OpID) ReadOnly() bool { return opTypes[o].ReadOnly() }

// ErrOperationFailed is the reference's OperationFailedException: the operation could not be
// done in the current state (a random id that is absent, an empty id pool, an "only child"
// guard…). A failed operation has no effect, is counted apart and is not retried. Operations
// return it wrapped with the reason; test with errors.Is.
var ErrOperationFailed = errors.New("operation failed")

// opFunc is one operation: it draws its random choices from r, reads and writes the structure
// through tx, and returns its result or an error wrapping ErrOperationFailed.
type opFunc func(tx Tx, r *jrand.Rand) (int, error)

// Run executes op inside the atomic unit tx. Backends' workers call it.
func Run(op OpID, tx Tx, r *jrand.Rand) (int, error) { return opTable[op](tx, r) }
