package stmbench7

import (
	"fmt"
	"strings"
)

// Workload is the share of read-only operations in the mix (the reference's WorkloadType; -w).
type Workload int

// The workloads, with the reference's read-only percentages. ReadOnly is the INESC variant's
// addition.
const (
	ReadDominated  Workload = iota // r: 90 % read-only
	ReadWrite                      // rw: 60 %
	WriteDominated                 // w: 10 %
	ReadOnly                       // ro: 100 %
	numWorkloads
)

var workloadInfo = [numWorkloads]struct {
	flag, ref string
	percent   int
}{
	ReadDominated:  {"r", "READ_DOMINATED", 90},
	ReadWrite:      {"rw", "READ_WRITE", 60},
	WriteDominated: {"w", "WRITE_DOMINATED", 10},
	ReadOnly:       {"ro", "READ_ONLY", 100},
}

// WorkloadNames returns the names -w accepts, in the order of the constants (a new slice).
func WorkloadNames() []string { return []string{"r", "rw", "w", "ro"} }

// ParseWorkload returns the workload -w names ("r", "rw", "w" or "ro").
func ParseWorkload(name string) (Workload, error) {
	for w, info := range workloadInfo {
		if info.flag == name {
			return Workload(w), nil
		}
	}
	return 0, fmt.Errorf("unknown workload %q (accepted: %s)", name, strings.Join(WorkloadNames(), ", "))
}

// Valid reports whether w is one of the workloads above.
func (w Workload) Valid() bool { return w >= 0 && w < numWorkloads }

// String returns the name -w accepts.
func (w Workload) String() string {
	if !w.Valid() {
		return fmt.Sprintf("Workload(%d)", int(w))
	}
	return workloadInfo[w].flag
}

// RefName returns the reference's name of the workload, as its report prints it
// ("READ_DOMINATED").
func (w Workload) RefName() string {
	if !w.Valid() {
		return w.String()
	}
	return workloadInfo[w].ref
}

// ReadOnlyPercent is the nominal share of read-only operations, in percent.
func (w Workload) ReadOnlyPercent() int {
	if !w.Valid() {
		return 0
	}
	return workloadInfo[w].percent
}

// The reference's type ratios, in percent (Parameters.java).
const (
	traversalsRatio              = 5
	shortTraversalsRatio         = 40
	operationsRatio              = 45
	structuralModificationsRatio = 10
)

// Mix is the operation mix of one workload: the probability of every operation and the
// cumulative distribution a worker draws from. It is computed exactly as the reference's
// Benchmark.generateOperationCDF, in the same floating-point order, so that the same uniform
// draw picks the same operation. A Mix is immutable and safe for concurrent use.
type Mix struct {
	workload            Workload
	longTraversals, sms bool
	opProb              [NumOpTypes]float64 // probability of each single operation of a type
	typeCount           [NumOpTypes]int     // operations per type
	cdf                 [NumOps]float64
}

// NewMix computes the mix of workload w, with or without long traversals (T1…T6, Q6, Q7) and
// structural modifications (SM1…SM8).
func NewMix(w Workload, longTraversals, structuralModifications bool) *Mix {
	m := &Mix{workload: w, longTraversals: longTraversals, sms: structuralModifications}
	for op := range OpID(NumOps) {
		m.typeCount[op.Type()]++
	}
	// The reference's arithmetic, step by step (doubles, left to right): the four ratios, the
	// update share scaling the structural modifications only, then the renormalisation.
	short := float64(shortTraversalsRatio) / 100.0
	ops := float64(operationsRatio) / 100.0
	trav, sm := 0.0, 0.0
	if longTraversals {
		trav = float64(traversalsRatio) / 100.0
	}
	if structuralModifications {
		sm = float64(structuralModificationsRatio) / 100.0
	}
	ro := float64(w.ReadOnlyPercent()) / 100.0
	upd := 1.0 - ro
	sum := trav + short + ops + sm*upd
	trav /= sum
	short /= sum
	ops /= sum
	sm /= sum
	m.opProb[Traversal] = trav * upd / float64(m.typeCount[Traversal])
	m.opProb[TraversalRO] = trav * ro / float64(m.typeCount[TraversalRO])
	m.opProb[ShortTraversal] = short * upd / float64(m.typeCount[ShortTraversal])
	m.opProb[ShortTraversalRO] = short * ro / float64(m.typeCount[ShortTraversalRO])
	m.opProb[Operation] = ops * upd / float64(m.typeCount[Operation])
	m.opProb[OperationRO] = ops * ro / float64(m.typeCount[OperationRO])
	m.opProb[StructuralModification] = sm * upd / float64(m.typeCount[StructuralModification])

	prev := 0.0
	for op := range OpID(NumOps) {
		m.cdf[op] = prev + m.opProb[op.Type()]
		prev = m.cdf[op]
	}
	m.cdf[NumOps-1] = 1.0 // as the reference: no draw may fall past the end through rounding
	return m
}

// Workload returns the mix's workload.
func (m *Mix) Workload() Workload { return m.workload }

// LongTraversals reports whether long traversals are in the mix.
func (m *Mix) LongTraversals() bool { return m.longTraversals }

// StructuralModifications reports whether structural modifications are in the mix.
func (m *Mix) StructuralModifications() bool { return m.sms }

// OpProbability is the probability that one draw picks op.
func (m *Mix) OpProbability(op OpID) float64 { return m.opProb[op.Type()] }

// TypeShare is the probability that one draw picks an operation of type t, computed as the
// reference prints it under "Operation ratios" (probability × count; multiply by 100 for %).
func (m *Mix) TypeShare(t OpType) float64 { return m.opProb[t] * float64(m.typeCount[t]) }

// TypeCount is the number of operations of type t (7, 5, 4, 6, 7, 8, 8).
func (m *Mix) TypeCount(t OpType) int { return m.typeCount[t] }

// CDF returns the cumulative distribution over the operations in enumeration order; its last
// entry is 1.
func (m *Mix) CDF() [NumOps]float64 { return m.cdf }

// Pick returns the operation a uniform draw d in [0, 1) selects: the first one whose cumulative
// probability exceeds d (the reference's `while (d >= cdf[i]) i++`). A disabled operation has
// the same cumulative value as its predecessor and is never picked.
func (m *Mix) Pick(d float64) OpID {
	i := 0
	// The bound only matters for d >= 1, which no generator produces.
	for i < NumOps-1 && d >= m.cdf[i] {
		i++
	}
	return OpID(i)
}
