package bench

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"

	"dustm/stmbench7"
	"dustm/upgrade"
)

// benchstat's parser reads what WriteGoBench writes: the name's keys, the iterations and every
// metric with its unit.
func TestGoBenchReadsWithBenchfmt(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Backend, cfg.Threads, cfg.Upgrade, cfg.Migration = "stm-plain", 2, "dates", upgrade.LazySweep
	res := &Result{Config: cfg.resolve(stmbench7.Params{}), Env: Env{GOOS: "linux", GOARCH: "amd64", CPUModel: "a CPU"},
		ElapsedS: 2, Throughput: 5000, Successful: 10000, All: &OpResult{P50Us: 1.5, P99Us: 20, MaxUs: 900},
		MaxGapMs: new(3.0), Upgrade: &UpgradeResult{PauseMs: 0.25}, HeapBytesAtEnd: 1 << 20}
	var buf bytes.Buffer
	s := res.Config.Settings
	if err := WriteGoBenchHeader(&buf, res.Env); err != nil {
		t.Fatal(err)
	}
	if err := WriteGoBench(&buf, GoBenchName(s.Recorded()), res); err != nil {
		t.Fatal(err)
	}
	r := benchfmt.NewReader(&buf, "run.txt")
	var got []*benchfmt.Result
	for r.Scan() {
		switch rec := r.Result().(type) {
		case *benchfmt.Result:
			got = append(got, rec.Clone())
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt: %v", rec)
		}
	}
	if err := r.Err(); err != nil || len(got) != 1 {
		t.Fatalf("%d results (%v) from\n%s", len(got), err, buf.String())
	}
	b := got[0]
	if b.Iters != 10000 || string(b.GetConfig("cpu")) != "a CPU" || string(b.GetConfig("pkg")) != "dustm/stmbench7" {
		t.Errorf("iterations %d, config %v", b.Iters, b.Config)
	}
	base, parts := b.Name.Parts()
	if string(base) != "STMBench7" {
		t.Errorf("base name %q", base)
	}
	keys := map[string]string{}
	for _, p := range parts {
		k, v, _ := strings.Cut(strings.TrimPrefix(string(p), "/"), "=")
		keys[k] = v
	}
	for k, want := range map[string]string{"backend": "stm-plain", "threads": "2", "upgrade": "dates", "migration": "lazy+sweep", "commit": "lockfree"} {
		if keys[k] != want {
			t.Errorf("name key %s = %q, want %q (%s)", k, keys[k], want, b.Name.Full())
		}
	}
	for unit, want := range map[string]float64{"sec/op": 2e-4, "op/s": 5000, "p50-sec": 1.5e-6, "p99-sec": 2e-5, "max-sec": 9e-4,
		"max-gap-sec": 3e-3, "upgrade-pause-sec": 2.5e-4, "heap-B": 1 << 20} {
		v, ok := valueOf(b, unit)
		if !ok || v < want*0.9999 || v > want*1.0001 {
			t.Errorf("%s = %v (%v), want %v", unit, v, ok, want)
		}
	}
	if err := WriteGoBench(&buf, "BenchmarkX", &Result{ElapsedS: 1}); err == nil {
		t.Error("a run without successful operations has a time per operation")
	}
}

// valueOf returns a metric in benchfmt's canonical unit (ns become sec).
func valueOf(b *benchfmt.Result, unit string) (float64, bool) {
	for _, v := range b.Values {
		if v.Unit == unit || v.OrigUnit == unit {
			if v.Unit == unit {
				return v.Value, true
			}
			return v.OrigValue, true
		}
	}
	return 0, false
}
