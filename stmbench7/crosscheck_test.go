package stmbench7

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
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

// javaRuns are one-thread runs of the Java reference (STMBench7 Java 1.2 on OpenJDK 17, driven
// by a small program kept outside this repository, which does not ship the reference): the
// SHA-256 of its structure dump after setup (in Snapshot.Format's text), of its operation
// results (one per line), and of the dump after the operations. The operations are chosen as a
// one-thread reference run chooses them: one generator seeded with 3, nextDouble over the CDF.
var javaRuns = []struct {
	workload            string
	traversals, sms     bool
	ops                 int
	setup, results, end string
}{
	{"w", false, true, 20000,
		"de2b076ac454a51c661ab0c20e48634b94d876077f04aa862bd2afdf420175f1",
		"f5ef5cf3b0cc4fb9feb1e6aa2a0ced4b334d3c8602185522ade3bf8c1d840f38",
		"5ad5857e30652d0b189719f1935077e5a3f08f70919079bd12f4e5cb5b1940e2"},
	{"rw", true, true, 600,
		"de2b076ac454a51c661ab0c20e48634b94d876077f04aa862bd2afdf420175f1",
		"84d07203b73542762a7b9d943db752db72df2531690ec2d8caf8bf8ba7f5ee98",
		"0c4115a042fdec01e0ccb0837458d54b895e567c1d42fa265d5a989f154b8b05"},
}

var readOnlyPercent = map[string]int{"r": 90, "rw": 60, "w": 10}

// TestMatchesJavaReference: the big structure built with seed 3, a one-thread run of the
// reference's operation sequence, and the structure after it are byte-identical to the Java
// reference's (compared by hash). Every lock backend is checked.
func TestMatchesJavaReference(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("the big structure is too slow with -short or -race")
	}
	for _, run := range javaRuns {
		for _, backend := range []string{"none", "coarse", "medium"} {
			t.Run(fmt.Sprintf("%s/%s-%v-%v-%d", backend, run.workload, run.traversals, run.sms, run.ops), func(t *testing.T) {
				if backend != "none" && run.traversals {
					t.Skip("one backend suffices for the slow run")
				}
				b, _ := NewBackend(backend, Options{})
				setupRand := jrand.New(3)
				s, err := b.Build(Sizes["big"], &setupRand)
				if err != nil {
					t.Fatal(err)
				}
				dumpHash := func() string {
					h := sha256.New()
					if err := b.View(s, func(tx Tx) error { return Canonical(tx).Format(h) }); err != nil {
						t.Fatal(err)
					}
					return hex.EncodeToString(h.Sum(nil))
				}
				if got := dumpHash(); got != run.setup {
					t.Fatalf("structure after setup differs from the reference's (hash %s)", got)
				}
				results := sha256.New()
				runReferenceSequence(b.NewWorker(s, 0), run.workload, run.traversals, run.sms, run.ops, results)
				if got := hex.EncodeToString(results.Sum(nil)); got != run.results {
					t.Errorf("operation results differ from the reference's (hash %s)", got)
				}
				if got := dumpHash(); got != run.end {
					t.Errorf("structure after the run differs from the reference's (hash %s)", got)
				}
				if err := s.Check(b, false); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// runReferenceSequence runs n operations chosen as a one-thread reference run chooses them,
// writing "OP result" or "OP failed" lines to w.
func runReferenceSequence(w Worker, workload string, traversals, sms bool, n int, out io.Writer) {
	cdf := refCDF(readOnlyPercent[workload], traversals, sms)
	r := jrand.New(3)
	bw := bufio.NewWriter(out)
	for range n {
		op := nextOp(&cdf, &r)
		res, _, err := w.Execute(op, &r)
		if err != nil {
			fmt.Fprintf(bw, "%s failed\n", op)
		} else {
			fmt.Fprintf(bw, "%s %d\n", op, res)
		}
	}
	bw.Flush()
}

// TestDumpForJava writes the Go side of the cross-check against the Java reference: the
// structure after setup, the results of n operations chosen as a one-thread reference run
// chooses them, and the structure after. Run with
//
//	SB7_DUMP=/tmp/go-w SB7_DUMP_ARGS="w 1 1 3000" go test -run TestDumpForJava ./stmbench7/
//
// (arguments: workload r|rw|w, long traversals 0|1, SMs 0|1, number of operations) and diff
// the files with the Java driver's.
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
	s, err := b.Build(Sizes["big"], &setupRand)
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
	f, err := os.Create(prefix + "-ops.txt")
	if err != nil {
		t.Fatal(err)
	}
	runReferenceSequence(b.NewWorker(s, 0), wl, trav == 1, sms == 1, n, f)
	f.Close()
	dump("-after.txt")
}
