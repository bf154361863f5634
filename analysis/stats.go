package analysis

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"

	"golang.org/x/perf/benchmath"
	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// CILevel is the confidence level of the intervals the summaries report.
const CILevel = 0.95

// Stat summarizes the samples of one metric of one configuration.
type Stat struct {
	N             int
	Median        float64
	Min, Max      float64
	CILow, CIHigh float64   // the CILevel confidence interval of the median; NaN when N is too small
	Values        []float64 // the samples, in repetition order
	HasCI         bool
}

// StatOf computes a metric's statistics. The median and its confidence interval are
// benchstat's (benchmath.AssumeNothing): the distribution-free interval from order statistics
// (the binomial argument: the median lies between two order statistics with the binomial
// probability of the samples between them), which at the 95% level exists from 6 samples on.
func StatOf(values []float64) Stat {
	s := Stat{N: len(values), Values: slices.Clone(values), CILow: math.NaN(), CIHigh: math.NaN()}
	if len(values) == 0 {
		s.Median, s.Min, s.Max = math.NaN(), math.NaN(), math.NaN()
		return s
	}
	// The median is benchmath's Center, computed as the mean of the two middle values (its
	// interpolation differs in the last digit, which the summaries print).
	s.Median, s.Min, s.Max = Median(values), slices.Min(values), slices.Max(values)
	if lo, hi, ok := MedianCI(values, CILevel); ok {
		s.CILow, s.CIHigh, s.HasCI = lo, hi, true
	}
	return s
}

// Spread is (max - min) / median: the relative spread of the samples.
func (s Stat) Spread() float64 {
	if s.N == 0 || s.Median == 0 {
		return math.NaN()
	}
	return (s.Max - s.Min) / math.Abs(s.Median)
}

// Median returns the median of the values (the mean of the two middle ones for an even
// count), NaN for none.
func Median(values []float64) float64 {
	if len(values) == 0 {
		return math.NaN()
	}
	x, n := slices.Sorted(slices.Values(values)), len(values)
	if n%2 == 0 {
		return (x[n/2-1] + x[n/2]) / 2
	}
	return x[n/2]
}

// MedianCI returns the distribution-free confidence interval of the median of the values at
// the given level (benchmath's, as StatOf). ok is false when no such interval exists (fewer
// than 6 values at 95%).
func MedianCI(values []float64, level float64) (lo, hi float64, ok bool) {
	if len(values) == 0 {
		return math.NaN(), math.NaN(), false
	}
	sum := benchmath.AssumeNothing.Summary(benchmath.NewSample(values, &benchmath.DefaultThresholds), level)
	if math.IsInf(sum.Lo, 0) || math.IsInf(sum.Hi, 0) {
		return math.NaN(), math.NaN(), false
	}
	return sum.Lo, sum.Hi, true
}

// MannWhitney is the two-sided Mann-Whitney U (Wilcoxon rank-sum) test of whether a and b
// come from the same distribution; it assumes no normality. It is ours, not benchmath's
// (AssumeNothing.Compare, go-moremath's U test): with heavy ties, which our metrics have
// (latencies quantized by the histograms, recovery_s and counts of 0), that one's exact
// p-value is wrong, e.g. 0 for [0.3 0.5] against [0 0 0 0 0], where it is 1/21, and 1.43 for
// [0 0.1] against the same (see TestMannWhitneyHeavyTies). U is a's statistic (the number of
// pairs where a's value is larger, ties counting half). The p-value is exact (the
// permutation distribution of the rank sum, ties given their mid-ranks) up to 60 samples in
// all, from the normal approximation with tie and continuity corrections beyond.
func MannWhitney(a, b []float64) (u, p float64) {
	na, nb := len(a), len(b)
	if na == 0 || nb == 0 {
		return math.NaN(), math.NaN()
	}
	n := na + nb
	type obs struct {
		v    float64
		from int
	}
	all := make([]obs, 0, n)
	for i, x := range append(slices.Clone(a), b...) {
		all = append(all, obs{x, min(i/na, 1)})
	}
	slices.SortStableFunc(all, func(x, y obs) int { return cmp.Compare(x.v, y.v) })
	// Doubled mid-ranks, so that they are whole numbers.
	ranks2 := make([]int, n)
	tieTerm := 0.0
	for i := 0; i < n; {
		j := i
		for j < n && all[j].v == all[i].v {
			j++
		}
		for k := i; k < j; k++ {
			ranks2[k] = i + j + 1 // 2 × the mean of ranks i+1 … j
		}
		t := float64(j - i)
		tieTerm += t*t*t - t
		i = j
	}
	w2 := 0
	for k, o := range all {
		if o.from == 0 {
			w2 += ranks2[k]
		}
	}
	u = float64(w2)/2 - float64(na*(na+1))/2
	mean2 := na * (n + 1) // 2 × E[W]
	if n <= 60 {
		return u, exactRankSumP(ranks2, na, w2, mean2)
	}
	mu := float64(na*nb) / 2
	sigma := math.Sqrt(float64(na*nb) / 12 * (float64(n+1) - tieTerm/float64(n*(n-1))))
	if sigma == 0 {
		return u, 1
	}
	z := max(0, (math.Abs(u-mu)-0.5)/sigma)
	return u, math.Min(1, 2*(1-distuv.UnitNormal.CDF(z)))
}

// exactRankSumP is P(|W - E| >= |w - E|) when na of the ranks are drawn at random:
// counting, by dynamic programming over the ranks, the subsets with each rank sum.
func exactRankSumP(ranks2 []int, na, w2, mean2 int) float64 {
	maxSum := len(ranks2) * (len(ranks2) + 1) // the doubled ranks 1 … n, ties or not
	// ways[k][s]: subsets of k ranks (among those seen) with doubled sum s.
	ways := make([][]float64, na+1)
	for k := range ways {
		ways[k] = make([]float64, maxSum+1)
	}
	ways[0][0] = 1
	for _, r := range ranks2 {
		for k := na; k >= 1; k-- {
			row, prev := ways[k], ways[k-1]
			for s := maxSum; s >= r; s-- {
				row[s] += prev[s-r]
			}
		}
	}
	d := abs(w2 - mean2)
	total, extreme := 0.0, 0.0
	for s, c := range ways[na] {
		if c == 0 {
			continue
		}
		total += c
		if abs(s-mean2) >= d {
			extreme += c
		}
	}
	return extreme / total
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// MinMannWhitneyP is the smallest two-sided p-value the test can give with na and nb samples
// (without ties): 2 / C(na+nb, na). When it exceeds α, no difference can be significant.
// Ours: benchmath only warns, and only for equal sample sizes (its table is per n).
func MinMannWhitneyP(na, nb int) float64 {
	if na == 0 || nb == 0 {
		return 1
	}
	c := 1.0
	for i := 1; i <= na; i++ {
		c = c * float64(nb+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// BootstrapRatioCI is the percentile bootstrap confidence interval of median(b)/median(a)
// (ours: benchmath has no bootstrap, nor an interval of a ratio):
// both samples resampled with replacement, resamples times, from a fixed seed (so the
// answer is reproducible). ok is false when a median of a resample is 0.
func BootstrapRatioCI(a, b []float64, level float64, resamples int, seed uint64) (lo, hi float64, ok bool) {
	if len(a) == 0 || len(b) == 0 || resamples < 1 {
		return math.NaN(), math.NaN(), false
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	ra, rb := make([]float64, len(a)), make([]float64, len(b))
	ratios := make([]float64, 0, resamples)
	for range resamples {
		for i := range ra {
			ra[i] = a[rng.IntN(len(a))]
		}
		for i := range rb {
			rb[i] = b[rng.IntN(len(b))]
		}
		ma := Median(ra)
		if ma == 0 {
			return math.NaN(), math.NaN(), false
		}
		ratios = append(ratios, Median(rb)/ma)
	}
	slices.Sort(ratios)
	alpha := (1 - level) / 2
	return stat.Quantile(alpha, stat.Empirical, ratios, nil), stat.Quantile(1-alpha, stat.Empirical, ratios, nil), true
}
