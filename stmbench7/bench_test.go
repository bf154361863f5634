package stmbench7

import (
	"sync"
	"testing"
	"time"

	"dustm/stmbench7/jrand"
)

// textOps replace a document's or the manual's text: a new string is inherent (the reference
// allocates one too).
var textOps = map[OpID]bool{T5: true, ST7: true, OP11: true}

// TestLockBackendsDoNotAllocate: on none, coarse and medium, every operation other than the
// structural modifications and the three text updates runs without a single allocation.
func TestLockBackendsDoNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector changes allocation counts")
	}
	for _, name := range plainBackends {
		b, s := build(t, name, sizes["small"])
		w := b.NewWorker(s, 0)
		r := jrand.New(3)
		for op := range OpID(NumOps) {
			if op.Type() == StructuralModification || textOps[op] {
				continue
			}
			w.Execute(op, &r) // first run: the scratch space is sized
			if n := testing.AllocsPerRun(20, func() { w.Execute(op, &r) }); n != 0 {
				t.Errorf("%s: %s allocates %.1f times per run", name, op, n)
			}
		}
	}
}

var benchOnce = sync.OnceValues(func() (Params, []benchStep) {
	// A fixed sequence of operations drawn with the mix of -w r with neither long
	// traversals nor SMs, each with a fixed generator state to run from.
	cdf := refCDF(90, false, false)
	r := jrand.New(3)
	steps := make([]benchStep, 1<<14)
	for i := range steps {
		steps[i] = benchStep{nextOp(&cdf, &r), r}
	}
	return sizes["big"], steps
})

type benchStep struct {
	op OpID
	r  jrand.Rand
}

// BenchmarkOpSequence runs a fixed sequence of operations (the -w r --no-traversals
// --no-sms mix) on the big structure, one goroutine, per lock backend: it shows what the
// backend itself costs (compare none with coarse and medium) and the allocations per
// operation (the only allocating operations in this mix are ST7 and OP11, which replace a
// text).
func BenchmarkOpSequence(b *testing.B) {
	p, steps := benchOnce()
	for _, name := range plainBackends {
		b.Run(name, func(b *testing.B) {
			be, s := build(b, name, p)
			w := be.NewWorker(s, 0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				st := steps[i%len(steps)]
				r := st.r
				w.Execute(st.op, &r)
			}
		})
	}
}

// BenchmarkCoarseThroughput runs the reference's one-thread operation stream for -w r
// --no-traversals --no-sms on every multi-threaded backend and reports operations per second (the reference does
// about 22.7k op/s at one thread on a 2-core machine). Structures do not decay without SMs,
// so the figure is stable.
func BenchmarkCoarseThroughput(b *testing.B) {
	for _, name := range []string{"coarse", "medium", "stm-plain", "stm"} {
		b.Run(name, func(b *testing.B) {
			be, s := build(b, name, sizes["big"])
			w := be.NewWorker(s, 0)
			cdf := refCDF(90, false, false)
			r := jrand.New(3)
			fails := 0
			b.ResetTimer()
			start := time.Now()
			for range b.N {
				if _, _, err := w.Execute(nextOp(&cdf, &r), &r); err != nil {
					fails++
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "op/s")
			b.ReportMetric(float64(fails)/float64(b.N)*100, "%failed")
		})
	}
}

// BenchmarkMixAllocs runs BenchmarkOpSequence's fixed sequence (the -w r --no-traversals
// --no-sms mix) on every backend and reports what the mix allocates per operation
// (deterministic: allocs/op is the figure to compare; -memprofile shows where).
func BenchmarkMixAllocs(b *testing.B) {
	p, steps := benchOnce()
	for _, name := range []string{"coarse", "stm-plain", "stm"} {
		b.Run(name, func(b *testing.B) {
			be, s := build(b, name, p)
			defer be.Close()
			w := be.NewWorker(s, 0)
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				st := steps[i%len(steps)]
				r := st.r
				w.Execute(st.op, &r)
			}
		})
	}
}

// BenchmarkReplaceByte is OP11's text replacement on the big structure's 1 MB manual (both
// directions, so the text returns to itself).
func BenchmarkReplaceByte(b *testing.B) {
	text := manualText(1, sizes["big"].ManualSize)
	b.SetBytes(2 * int64(len(text)))
	for range b.N {
		t, _ := replaceByte(text, 'I', 'i')
		text, _ = replaceByte(t, 'i', 'I')
	}
}
