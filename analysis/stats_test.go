package analysis

import (
	"math"
	"testing"
)

func close(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestMedianAndCI(t *testing.T) {
	if m := Median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3,1,2 = %v", m)
	}
	if m := Median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4,1,3,2 = %v", m)
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("median of nothing is not NaN")
	}
	// No 95% interval below 6 samples: 2 × 0.5^5 = 0.0625 > 0.05.
	if _, _, ok := MedianCI([]float64{1, 2, 3, 4, 5}, 0.95); ok {
		t.Error("a 95% interval from 5 samples")
	}
	// 6 samples: [x(1), x(6)], coverage 1 - 2/64.
	lo, hi, ok := MedianCI([]float64{1, 2, 3, 4, 5, 6}, 0.95)
	if !ok || lo != 1 || hi != 6 {
		t.Errorf("6 samples: [%v, %v] %v", lo, hi, ok)
	}
	// 10 samples: P(B <= 1) = 11/1024 = 0.0107 <= 0.025 < P(B <= 2) = 0.0547: [x(2), x(9)].
	xs := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	lo, hi, ok = MedianCI(xs, 0.95)
	if !ok || lo != 2 || hi != 9 {
		t.Errorf("10 samples: [%v, %v] %v", lo, hi, ok)
	}
	s := StatOf([]float64{10, 30, 20})
	if s.N != 3 || s.Median != 20 || s.Min != 10 || s.Max != 30 || s.HasCI || !math.IsNaN(s.CILow) {
		t.Errorf("stat %+v", s)
	}
	if sp := s.Spread(); sp != 1 {
		t.Errorf("spread %v", sp)
	}
}

func TestMannWhitneyKnownAnswers(t *testing.T) {
	// Fully separated 3 against 3: the exact two-sided p is 2/C(6,3) = 0.1.
	u, p := MannWhitney([]float64{1, 2, 3}, []float64{4, 5, 6})
	if u != 0 || !close(p, 0.1, 1e-12) {
		t.Errorf("3v3 separated: U=%v p=%v", u, p)
	}
	if mp := MinMannWhitneyP(3, 3); !close(mp, 0.1, 1e-12) {
		t.Errorf("min p 3v3 = %v", mp)
	}
	// 6 against 6 separated: 2/924.
	_, p = MannWhitney([]float64{1, 2, 3, 4, 5, 6}, []float64{7, 8, 9, 10, 11, 12})
	if !close(p, 2.0/924, 1e-12) {
		t.Errorf("6v6 separated: p=%v", p)
	}
	// Interleaved 1,3,5 against 2,4,6: W = 9, E = 10.5; |W-E| >= 1.5 holds for 14 of the 20
	// rank-sum subsets (all but sums 10 and 11, 3 ways each): p = 0.7.
	u, p = MannWhitney([]float64{1, 3, 5}, []float64{2, 4, 6})
	if u != 3 || !close(p, 0.7, 1e-12) {
		t.Errorf("interleaved: U=%v p=%v", u, p)
	}
	// Identical samples: p = 1.
	if _, p = MannWhitney([]float64{5, 5, 5}, []float64{5, 5, 5}); p != 1 {
		t.Errorf("identical: p=%v", p)
	}
	// Large samples use the normal approximation; separated samples give a tiny p.
	var a, b []float64
	for i := range 40 {
		a = append(a, float64(i))
		b = append(b, float64(i)+100)
	}
	if _, p = MannWhitney(a, b); p > 1e-10 {
		t.Errorf("40v40 separated: p=%v", p)
	}
	// Symmetry: swapping the sides changes U to na·nb - U but not p.
	u1, p1 := MannWhitney([]float64{1, 4, 4, 7}, []float64{2, 4, 9})
	u2, p2 := MannWhitney([]float64{2, 4, 9}, []float64{1, 4, 4, 7})
	if u1+u2 != 12 || !close(p1, p2, 1e-12) {
		t.Errorf("not symmetric: %v %v / %v %v", u1, p1, u2, p2)
	}
}

func TestBootstrapRatio(t *testing.T) {
	a := []float64{100, 101, 99, 100, 102, 98}
	b := []float64{150, 151, 149, 150, 152, 148}
	lo, hi, ok := BootstrapRatioCI(a, b, 0.95, 4000, 1)
	if !ok || lo < 1.4 || hi > 1.6 || lo > 1.5 || hi < 1.5 {
		t.Errorf("ratio interval [%v, %v] %v, want around 1.5", lo, hi, ok)
	}
	lo2, hi2, _ := BootstrapRatioCI(a, b, 0.95, 4000, 1)
	if lo != lo2 || hi != hi2 {
		t.Error("the bootstrap is not reproducible with a fixed seed")
	}
	if _, _, ok := BootstrapRatioCI([]float64{0, 0}, b, 0.95, 100, 1); ok {
		t.Error("a ratio over a zero median")
	}
}

// With heavy ties the exact test keeps a two-sided p in [0, 1] that counts the tied
// arrangements: the cases where benchmath's U test (go-moremath) answers 0 and 1.43.
func TestMannWhitneyHeavyTies(t *testing.T) {
	zeros := []float64{0, 0, 0, 0, 0}
	if _, p := MannWhitney([]float64{0.3, 0.5}, zeros); !close(p, 1.0/21, 1e-12) {
		t.Errorf("[0.3 0.5] vs 5 zeros: p = %v, want 1/21", p)
	}
	if _, p := MannWhitney([]float64{0, 0.1}, zeros); p < 0 || p > 1 {
		t.Errorf("[0 0.1] vs 5 zeros: p = %v, not a probability", p)
	}
}

// The median's interval is benchstat's: the shortest run of order statistics that reaches the
// level, which need not be symmetric (8 samples at 95%: x(1) to x(7), coverage 0.961).
func TestMedianCIIsBenchstats(t *testing.T) {
	lo, hi, ok := MedianCI([]float64{8, 1, 7, 2, 6, 3, 5, 4}, 0.95)
	if !ok || lo != 1 || hi != 7 {
		t.Errorf("8 samples: [%v, %v] (%v), want [1, 7]", lo, hi, ok)
	}
}
