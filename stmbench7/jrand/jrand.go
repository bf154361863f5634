// Package jrand reproduces java.util.Random exactly: the same 48-bit linear congruential
// generator, seed scrambling, and the algorithms of next, nextInt, nextInt(bound), nextLong,
// nextBoolean and nextDouble. STMBench7's reference draws every random choice from it, so a Go
// run that draws in the same order makes the same choices.
//
// A Rand is a plain value: copying it saves its state, assigning the copy back rewinds it
// (which is how a retried transaction replays its random choices).
package jrand

const (
	multiplier = 0x5DEECE66D
	addend     = 0xB
	mask       = (1 << 48) - 1
)

// Rand is a java.util.Random.
type Rand struct{ seed int64 }

// New returns a generator seeded as new java.util.Random(seed).
func New(seed int64) Rand { return Rand{seed: (seed ^ multiplier) & mask} }

// Seed re-seeds the generator (setSeed).
func (r *Rand) Seed(seed int64) { r.seed = (seed ^ multiplier) & mask }

// next returns the next `bits` pseudo-random bits (protected int next(int bits)).
func (r *Rand) next(bits uint) int32 {
	r.seed = (r.seed*multiplier + addend) & mask
	return int32(uint64(r.seed) >> (48 - bits))
}

// Int returns the next int (nextInt()).
func (r *Rand) Int() int32 { return r.next(32) }

// IntN returns an int uniformly in [0, n) (nextInt(int bound)); it panics if n <= 0, as Java
// throws IllegalArgumentException.
func (r *Rand) IntN(n int) int {
	if n <= 0 || n > 1<<31-1 {
		panic("jrand: IntN bound must be positive and fit in an int32")
	}
	bound := int32(n)
	if bound&-bound == bound { // a power of two
		return int((int64(bound) * int64(r.next(31))) >> 31)
	}
	for {
		bits := r.next(31)
		val := bits % bound
		if bits-val+(bound-1) >= 0 { // no int32 overflow: the value is unbiased
			return int(val)
		}
	}
}

// Int64 returns the next long (nextLong()).
func (r *Rand) Int64() int64 { return int64(r.next(32))<<32 + int64(r.next(32)) }

// Bool returns the next boolean (nextBoolean()).
func (r *Rand) Bool() bool { return r.next(1) != 0 }

// Float64 returns a double uniformly in [0, 1) (nextDouble()).
func (r *Rand) Float64() float64 {
	return float64(int64(r.next(26))<<27+int64(r.next(27))) * (1.0 / float64(int64(1)<<53))
}
