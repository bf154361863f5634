package stmbench7

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"testing"

	"dustm/stmbench7/jrand"
)

// refCDF is the reference's operation-selection CDF (Benchmark.generateOperationCDF), with the
// same floating-point steps, for tests that must choose operations exactly as a one-thread
// reference run does. (The benchmark's own mix lives in mix.go.)
func refCDF(readOnlyPercent int, traversals, sms bool) [NumOps]float64 {
	st, op, tr, sm := 0.40, 0.45, 0.0, 0.0
	if traversals {
		tr = 0.05
	}
	if sms {
		sm = 0.10
	}
	ro := float64(readOnlyPercent) / 100.0
	up := 1.0 - ro
	sum := tr + st + op + sm*up
	tr /= sum
	st /= sum
	op /= sum
	sm /= sum
	var count [NumOpTypes]int
	for o := range OpID(NumOps) {
		count[o.Type()]++
	}
	var prob [NumOpTypes]float64
	prob[Traversal] = tr * up / float64(count[Traversal])
	prob[TraversalRO] = tr * ro / float64(count[TraversalRO])
	prob[ShortTraversal] = st * up / float64(count[ShortTraversal])
	prob[ShortTraversalRO] = st * ro / float64(count[ShortTraversalRO])
	prob[Operation] = op * up / float64(count[Operation])
	prob[OperationRO] = op * ro / float64(count[OperationRO])
	prob[StructuralModification] = sm * up / float64(count[StructuralModification])
	var cdf [NumOps]float64
	prev := 0.0
	for o := range OpID(NumOps) {
		cdf[o] = prev + prob[o.Type()]
		prev = cdf[o]
	}
	cdf[NumOps-1] = 1.0
	return cdf
}

// nextOp is BenchThread.getNextOperationNumber.
func nextOp(cdf *[NumOps]float64, r *jrand.Rand) OpID {
	d := r.Float64()
	k := 0
	for d >= cdf[k] {
		k++
	}
	return OpID(k)
}

var readOnlyPercent = map[string]int{"r": 90, "rw": 60, "w": 10}

// runReferenceSequence runs n operations chosen as a one-thread reference run chooses them,
// writing "INDEX OP RESULT" or "INDEX OP FAILED" lines (the format of dustm bench --trace) to out.
func runReferenceSequence(w Worker, workload string, traversals, sms bool, n int, out io.Writer) {
	cdf := refCDF(readOnlyPercent[workload], traversals, sms)
	r := jrand.New(3)
	bw := bufio.NewWriter(out)
	for i := range n {
		op := nextOp(&cdf, &r)
		res, _, err := w.Execute(op, &r)
		if err != nil {
			fmt.Fprintf(bw, "%d %s FAILED\n", i, op)
		} else {
			fmt.Fprintf(bw, "%d %s %d\n", i, op, res)
		}
	}
	bw.Flush()
}

// TestDumpForJava writes the structure after setup and after n operations chosen as a
// one-thread reference run chooses them, in Snapshot.Format's text, and the operations' trace
// (in the format of dustm bench --trace), for comparing structures by hand. Run with
//
//	SB7_DUMP=/tmp/go-w SB7_DUMP_ARGS="w 1 1 3000" go test -run TestDumpForJava ./stmbench7/
//
// (arguments: workload r|rw|w, long traversals 0|1, SMs 0|1, number of operations).
func TestDumpForJava(t *testing.T) {
	prefix := os.Getenv("SB7_DUMP")
	if prefix == "" {
		t.Skip("SB7_DUMP not set")
	}
	var wl string
	var trav, sms, n int
	if _, err := fmt.Sscan(os.Getenv("SB7_DUMP_ARGS"), &wl, &trav, &sms, &n); err != nil {
		t.Fatalf("SB7_DUMP_ARGS: %v", err)
	}
	b, _ := NewBackend("none", Options{})
	setupRand := jrand.New(3)
	s, err := b.Build(sizes["big"], &setupRand)
	if err != nil {
		t.Fatal(err)
	}
	dump := func(name string) {
		f, err := os.Create(prefix + name)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := b.View(s, func(tx Tx) error { return Canonical(tx).Format(f) }); err != nil {
			t.Fatal(err)
		}
	}
	dump("-setup.txt")
	f, err := os.Create(prefix + "-trace.txt")
	if err != nil {
		t.Fatal(err)
	}
	runReferenceSequence(b.NewWorker(s, 0), wl, trav == 1, sms == 1, n, f)
	f.Close()
	dump("-after.txt")
}
