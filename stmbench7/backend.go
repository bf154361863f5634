package stmbench7

import (
	"fmt"
	"slices"
	"strings"

	"dustm/stm"
	"dustm/stmbench7/jrand"
)

// Backend is one synchronization method: it owns the representation of the structure's mutable
// state and runs operations atomically over it.
type Backend interface {
	// Name is the method's name as -g spells it.
	Name() string
	// MaxThreads is the most worker threads the method supports (0: any number).
	MaxThreads() int
	// Build builds a fresh structure, single-threaded, drawing every random choice from r (the
	// reference seeds it with 3).
	Build(p Params, r *jrand.Rand) (*Structure, error)
	// NewWorker returns the executor of one worker thread (thread counts from 0).
	NewWorker(s *Structure, thread int) Worker
	// View runs fn on a quiescent structure as one read-only atomic unit (for the invariant
	// check and for comparing structures).
	View(s *Structure, fn func(Tx) error) error
	// Stats returns the method's own counters for the result file (the STM's transaction
	// counters), or nil.
	Stats() any
	// Close releases the method's resources (background goroutines).
	Close()
}

// Worker runs operations for one thread.
type Worker interface {
	// Execute runs op atomically, drawing its random choices from r. If the method reruns an
	// operation (an aborted transaction), r is rewound before every rerun, so the operation
	// makes the same choices. It returns the operation's result, or an error wrapping
	// ErrOperationFailed when the operation failed. A failed operation keeps what it did
	// before it failed, on every method, as in the reference: SM1 and SM7 give the ids they
	// took back at the end of their pools (the STM methods commit that). at is the
	// operation's serialization point: the STM methods always give it, the lock methods only
	// when made with Options.Serials (0 otherwise).
	//
	// What the tests check: one-thread `dustm bench` runs (bench.Run) on every method, both
	// STM commit algorithms, execute the Java reference's operations with its results and
	// failures, in every workload with and without long traversals and structural
	// modifications, over the first thousands of operations (a few hundred, or fewer on the
	// STM methods, with long traversals), failed SM1/SM7 included (TestMatchesJavaReference,
	// against testdata/java; the structure after setup, and after two of those runs, is
	// compared by hash). The STM methods end in none's structure, id pools included, after
	// 3000 random operations on the tiny structure (TestSTMBackendsMatchNone). Several
	// workers on coarse and medium replay one at a time in Serial order
	// (TestConcurrentRunsReplay), and bench's sequential replay passes on every method with
	// several threads (TestReplayRealBackends in package bench).
	Execute(op OpID, r *jrand.Rand) (result int, at Serial, err error)
}

// Serial is an operation's place in an equivalent serial order: sorting executed operations by
// Serial gives an order in which running them one at a time yields the same results. Lock
// methods number operations while they hold their locks; the STM uses 2·v for a read-write
// transaction committed at version v and 2·s+1 for one that only read snapshot s (it comes
// after the commit at s). Operations with equal Serial commute.
type Serial uint64

// WriterSerial is the serial point of an operation that committed writes at version v.
func WriterSerial(v int64) Serial { return Serial(2 * v) }

// ReaderSerial is the serial point of an operation that read snapshot s and wrote nothing.
func ReaderSerial(s int64) Serial { return Serial(2*s + 1) }

// Structure is one built instance of the benchmark's structure.
type Structure struct {
	params  Params
	module  *Module
	backend string
	data    any // the backend's storage of the indexes and id pools
}

// dataOf returns s's backend storage as a D; a structure handed to another kind of backend is
// a program error, which panics saying whose it was.
func dataOf[D any](s *Structure, kind string) D {
	d, ok := s.data.(D)
	if !ok {
		panic(fmt.Sprintf("stmbench7: structure built by %q is not %s", s.backend, kind))
	}
	return d
}

// Params returns the structure's size parameters.
func (s *Structure) Params() Params { return s.params }

// Module returns the structure's root.
func (s *Structure) Module() *Module { return s.module }

// Backend returns the name of the method that built the structure.
func (s *Structure) Backend() string { return s.backend }

// Options configure a backend.
type Options struct {
	// STMCommit is the commit algorithm of the STM backends.
	STMCommit stm.Algorithm
	// Layout is how stm-plain keeps the objects' state in versioned boxes (the lock backends
	// have none; stm accepts only LayoutObject).
	Layout Layout
	// Serials makes the lock methods number their operations in a serial order (the at of
	// Worker.Execute), for the replay check; without it they return 0 and share no counter.
	// The STM methods always give their transactions' serial points, which cost nothing more.
	Serials bool
}

// Layout is how an STM backend keeps a design object's mutable state in versioned boxes.
type Layout uint8

const (
	// LayoutObject keeps one box per object, holding its whole state: a write replaces the
	// state, and any two operations that write one object conflict.
	LayoutObject Layout = iota
	// LayoutField keeps one box per mutable field, as the INESC STMBench7 on JVSTM does (x and
	// y, which every operation reads and writes together, share one): operations that touch
	// different fields of one object do not conflict, at the price of more boxes to read.
	LayoutField
)

var layoutNames = []string{LayoutObject: "object", LayoutField: "field"}

// String returns the layout's name as ParseLayout accepts it.
func (l Layout) String() string {
	if int(l) < len(layoutNames) {
		return layoutNames[l]
	}
	return fmt.Sprintf("Layout(%d)", int(l))
}

// LayoutNames lists the layouts ParseLayout accepts, the default first.
func LayoutNames() []string { return slices.Clone(layoutNames) }

// ParseLayout returns the named layout: "object" (the default) or "field".
func ParseLayout(name string) (Layout, error) {
	for l, n := range layoutNames {
		if n == name {
			return Layout(l), nil
		}
	}
	return 0, fmt.Errorf("unknown STM layout %q (accepted: %s)", name, strings.Join(layoutNames, ", "))
}

// BackendNames returns the methods -g accepts (a new slice: the caller may change it).
func BackendNames() []string { return []string{"coarse", "medium", "none", "stm", "stm-plain"} }

// NewBackend returns the named synchronization method.
func NewBackend(name string, opts Options) (Backend, error) {
	if f, ok := backendFactories[name]; ok {
		return f(opts)
	}
	return nil, fmt.Errorf("unknown synchronization method %q (accepted: %s)", name, strings.Join(BackendNames(), ", "))
}

// SequentialTwin names the single-threaded method on which a run of the named method replays
// exactly: one whose operations, failed ones included, leave the same trace. Every method keeps
// what a failed operation did, as the reference does (SM1 and SM7 give the ids they took back
// at the end of their pools, reordering them; the STM methods commit that), so every run
// replays on none, the fastest.
func SequentialTwin(name string) string { return "none" }

// backendFactories is filled by the files that implement the methods (a fixed table, not a
// registry that callers can change).
var backendFactories = map[string]func(Options) (Backend, error){}
