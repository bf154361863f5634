package bench

import (
	"bytes"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"dustm/measure"
	"dustm/stmbench7"
)

// refTTCBuckets is, for every high TTC bucket, the first millisecond value the reference puts
// in it, the bucket index and its label, as OpenJDK 17 computed them with the reference's
// expressions (BenchThread.runLinear and Benchmark.logTtcIndex2Ttc) for ttc = 1000…2000000:
//
//	double logHighTtc = (Math.log(ttc) - Math.log(999 + 1)) / Math.log(1.03);
//	int idx = Math.min((int) logHighTtc, 200 - 1);
//	(int) ((999 + 1) * Math.pow(1.03, (double) idx))
var refTTCBuckets = mustRead("testdata/ref-ttc-buckets.txt")

func mustRead(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestTTCBucketsMatchReference(t *testing.T) {
	entries := strings.Fields(refTTCBuckets)
	if len(entries) != stmbench7.HighTTCEntries {
		t.Fatalf("%d reference buckets", len(entries))
	}
	for i, e := range entries {
		f := strings.Split(e, ":")
		first, _ := strconv.ParseInt(f[0], 10, 64)
		idx, _ := strconv.Atoi(f[1])
		label, _ := strconv.ParseInt(f[2], 10, 64)
		if idx != i {
			t.Fatalf("entry %d is bucket %d", i, idx)
		}
		b := stmbench7.MaxLowTTC + 1 + idx
		if got := stmbench7.TTCBucket(first); got != b {
			t.Errorf("stmbench7.TTCBucket(%d) = %d, reference %d", first, got, b)
		}
		if got := stmbench7.TTCBucket(first - 1); got != b-1 {
			t.Errorf("stmbench7.TTCBucket(%d) = %d, reference %d", first-1, got, b-1)
		}
		if got := stmbench7.TTCLabel(b); got != label {
			t.Errorf("stmbench7.TTCLabel(%d) = %d, reference %d", b, got, label)
		}
	}
	for ms := range int64(stmbench7.MaxLowTTC + 1) {
		if stmbench7.TTCBucket(ms) != int(ms) || stmbench7.TTCLabel(int(ms)) != ms {
			t.Fatalf("low bucket %d: %d, label %d", ms, stmbench7.TTCBucket(ms), stmbench7.TTCLabel(int(ms)))
		}
	}
	if got := stmbench7.TTCBucket(1e9); got != stmbench7.TTCBuckets-1 {
		t.Errorf("a very long TTC goes to bucket %d", got)
	}
	if got := stmbench7.RefMaxTTC(int64(1500 * time.Millisecond)); got != 1468 {
		t.Errorf("maxttc of 1.5 s = %d, want the label 1468 of its bucket (index 13)", got)
	}
	if got := stmbench7.RefMaxTTC(int64(999*time.Millisecond + 999*time.Microsecond)); got != 999 {
		t.Errorf("maxttc of 999.999 ms = %d, want 999", got)
	}
}

// The labels of the TTC histogram lines are the reference's.
func TestTTCHistogramLineLabels(t *testing.T) {
	ref := strings.Fields(strings.TrimSpace(mustRead("testdata/ref-ttc-line.txt")))[4:]
	if len(ref) != stmbench7.TTCBuckets {
		t.Fatalf("%d buckets in the reference's line", len(ref))
	}
	for i, pair := range ref {
		label, _, _ := strings.Cut(pair, ",")
		if want := strconv.FormatInt(stmbench7.TTCLabel(i), 10); label != want {
			t.Errorf("bucket %d: label %s, reference %s", i, want, label)
		}
	}
}

func TestTTCHistogramFromHDR(t *testing.T) {
	h := measure.NewHist()
	for _, d := range []time.Duration{300 * time.Microsecond, 999 * time.Microsecond, 1500 * time.Microsecond,
		998*time.Millisecond + 500*time.Microsecond, 1200 * time.Millisecond, 2 * time.Hour} {
		if err := h.RecordValue(min(int64(d), measure.Highest)); err != nil {
			t.Fatal(err)
		}
	}
	got := ttcHistogram(h)
	want := map[int]int64{0: 2, 1: 1, 998: 1, stmbench7.TTCBucket(1200): 1, stmbench7.TTCBuckets - 1: 1}
	for i, n := range got {
		if n != want[i] {
			t.Errorf("bucket %d (label %d): %d, want %d", i, stmbench7.TTCLabel(i), n, want[i])
		}
	}
}

func TestCollectorMerges(t *testing.T) {
	var enabled [stmbench7.NumOps]bool
	enabled[stmbench7.ST1], enabled[stmbench7.OP1], enabled[stmbench7.SM1] = true, true, true
	c := newCollector(2, &enabled)
	for i := range 100 {
		c.recs[0].record(stmbench7.ST1, int64(i+1)*1000, false) // 1..100 µs
		c.recs[1].record(stmbench7.ST1, int64(i+101)*1000, false)
	}
	c.recs[1].record(stmbench7.OP1, 5000, true)
	c.tick()
	if a := &c.interval[stmbench7.ShortTraversalRO]; a.ok != 200 || a.maxNs != 200_000 {
		t.Errorf("interval: ok %d, max %d", a.ok, a.maxNs)
	}
	if a := &c.interval[stmbench7.OperationRO]; a.ok != 0 || a.failed != 1 {
		t.Errorf("interval OP_RO: ok %d failed %d", a.ok, a.failed)
	}
	c.recs[0].record(stmbench7.SM1, 7_000_000, false)
	c.tick()
	c.final()
	if a := &c.interval[stmbench7.ShortTraversalRO]; a.ok != 0 {
		t.Errorf("the second interval kept %d operations of the first", a.ok)
	}
	if a := &c.interval[stmbench7.StructuralModification]; a.ok != 1 || a.maxNs != 7_000_000 {
		t.Errorf("second interval SM: %+v", a)
	}
	cum := &c.cum[stmbench7.ST1]
	if cum.ok != 200 {
		t.Fatalf("cumulative ST1: %d", cum.ok)
	}
	for _, q := range []struct {
		p    float64
		want int64
	}{{50, 100_000}, {99, 198_000}, {100, 200_000}} {
		if got := cum.percentileNs(q.p); math.Abs(float64(got-q.want)) > float64(q.want)/1000 {
			t.Errorf("p%v = %d, want %d within 0.1%%", q.p, got, q.want)
		}
	}
	ok, failed := c.totals()
	if ok != 201 || failed != 1 {
		t.Errorf("totals %d/%d", ok, failed)
	}
	cats := c.categories()
	if cats[stmbench7.ShortTraversalRO].ok != 200 || cats[stmbench7.OperationRO].failed != 1 {
		t.Errorf("categories %+v", cats)
	}
}

func TestFormatDoubleLikeJava(t *testing.T) {
	// String.format("%3.2f", x) on OpenJDK 17, x given by its bits.
	const java = `0=0.00 3fc0000000000000=0.13 3fd8000000000000=0.38 3ff0147ae147ae14=1.01
4005666666666666=2.68 3f747ae147ae147b=0.01 3f8eb851eb851eb8=0.02 3f9999999999999a=0.03
3fa70a3d70a3d70a=0.05 3ff1d70a3d70a3d7=1.12 4058ffae147ae148=100.00 4023fd70a3d70a3d=10.00
408f3ffdf3b645a2=1000.00 3fefd7082491afc0=0.99 3fefd70a3d70a3d7=1.00 40c81cd6c8b43958=12345.68
3e7ad7f29abcaf48=0.00 4011ccccc616d026=4.45 4011cccccccccccd=4.45 40c528aaaaaaaaab=10833.33
3fd5555555555555=0.33 3fe5555555555555=0.67 404cb9310572620c=57.45 4059000000000000=100.00
444b1ae4d6e2ef50=1000000000000000000000.00 423cbe991a145852=123456789012.35 3f747ae147ae1408=0.00
7ff8000000000000=NaN 7ff0000000000000=Infinity 1=0.00 3fd23d70a3d70a3d=0.29 3ff4147ae147ae14=1.26
4020b0a3d70a3d71=8.35 400921f9f01b866e=3.14`
	for _, pair := range strings.Fields(java) {
		hex, want, _ := strings.Cut(pair, "=")
		bits, err := strconv.ParseUint(hex, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		x := math.Float64frombits(bits)
		if got := formatDouble(x); got != want {
			t.Errorf("formatDouble(%v) = %q, Java %q", x, got, want)
		}
	}
}

// shape replaces numbers by # so that report lines can be compared whatever was measured.
var numbers = regexp.MustCompile(`\d+(\.\d+)?`)

func shape(s string) string { return numbers.ReplaceAllString(s, "#") }

// The text report has the reference's layout, line for line: compare with the stdout of a
// Java run of the same configuration.
func TestReportLayoutMatchesReference(t *testing.T) {
	ref := strings.Split(mustRead("testdata/ref-coarse-notraversals.txt"), "\n")
	cfg := DefaultConfig()
	cfg.Length = time.Second
	cfg.NoTraversals = true
	mix := cfg.mix()

	var head bytes.Buffer
	writeHeader(&head, &cfg, mix)
	got := strings.Split(head.String(), "\n")
	got = got[:len(got)-1] // the text ends with a newline
	for i, line := range got {
		want := ref[i]
		switch {
		case i == 1: // the banner names the port
			if line != "The STMBench7 Benchmark (Go port, dustm)" {
				t.Errorf("banner %q", line)
			}
		case strings.HasSuffix(want[:strings.Index(want+":", ":")], "Factory"): // Java class names
			if !strings.HasPrefix(line, want[:strings.Index(want, ":")+2]) {
				t.Errorf("line %d: %q, reference %q", i+1, line, want)
			}
		case line != want:
			t.Errorf("line %d: %q, reference %q", i+1, line, want)
		}
	}

	// The results, for some invented measurements: the same lines with other numbers.
	var enabled [stmbench7.NumOps]bool
	for op := range enabled {
		enabled[op] = mix.OpProbability(stmbench7.OpID(op)) > 0
	}
	c := newCollector(1, &enabled)
	for op := range stmbench7.OpID(stmbench7.NumOps) {
		if enabled[op] {
			c.recs[0].record(op, int64(op+1)*100_000, false)
			c.recs[0].record(op, 1, op%3 == 0)
		}
	}
	c.tick()
	c.final()
	var res bytes.Buffer
	writeResults(&res, mix, c, 1.01)
	got = strings.Split(res.String(), "\n")
	refRes := ref[len(strings.Split(head.String(), "\n"))-1:]
	if len(got) != len(refRes) {
		t.Fatalf("%d result lines, reference %d", len(got), len(refRes))
	}
	for i := range got {
		if shape(got[i]) != shape(refRes[i]) {
			t.Errorf("result line %d: %q, reference %q", i+1, got[i], refRes[i])
		}
	}
	if !strings.Contains(res.String(), "Operation  ST2:   successful = 2\tmaxttc = 1\tfailed = 0\n") {
		t.Errorf("unexpected ST2 line in\n%s", res.String())
	}
}
