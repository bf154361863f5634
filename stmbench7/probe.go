package stmbench7

import "dustm/stm"

// The responsiveness probe's transaction: what a client of the benchmarked program would wait
// for if it asked for a little data at some instant. It is a tiny read-only atomic unit that
// goes through the same synchronization as the operations (the read lock of coarse and
// medium, a read-only transaction of the STMs, the upgradable-object path of stm, so that it
// meets lazy conversions and eager's stopped world), and reads a few atomic parts that change
// from call to call (so that under a lazy upgrade it keeps meeting unconverted objects).

// probeReads is how many atomic parts one probe reads.
const probeReads = 4

// Prober is a backend that can run the probe's transaction. none cannot: it synchronizes
// nothing, so a probe beside its worker would race with it.
type Prober interface {
	// NewProbe returns the probe's transaction on s. The function is for one goroutine; k
	// chooses the atomic parts it reads (the caller counts up). It returns the backend's
	// error, if any (a conversion that failed during a lazy upgrade).
	NewProbe(s *Structure) func(k uint64) error
}

// probeRead is the probe's body: it reads the build date and position of probeReads atomic
// parts found through the id index, spread over the id range by k. The sum keeps the reads
// from being optimized away and is otherwise meaningless.
func probeRead(tx Tx, k uint64) int {
	n := uint64(tx.Params().MaxAtomicParts())
	sum := 0
	for i := range uint64(probeReads) {
		// Two large primes spread consecutive probes and their parts over the whole range.
		id := int(1 + (k*7919+i*104729)%n)
		if p := tx.AtomicByID(id); p != nil {
			x, y := tx.XY(p)
			sum += tx.AtomicDate(p) + x + y
		}
	}
	return sum
}

var (
	_ Prober = (*plainBackend)(nil)
	_ Prober = (*stmBackend)(nil)
	_ Prober = (*stmPlainBackend)(nil)
)

// NewProbe: coarse reads under the global lock's read mode, medium under the structure lock and
// the atomic-part lock in read mode (the locks of OP1, which reads atomic parts by id).
func (b *plainBackend) NewProbe(s *Structure) func(k uint64) error {
	st := storeOf(s)
	tx := newPlainTx(st)
	switch b.mode {
	case modeMedium:
		locks := st.medium
		return func(k uint64) error {
			locks.locks[lockStructure].RLock()
			locks.locks[lockAtomic].RLock()
			probeRead(tx, k)
			locks.locks[lockAtomic].RUnlock()
			locks.locks[lockStructure].RUnlock()
			return nil
		}
	case modeCoarse, modeBroken:
		return func(k uint64) error {
			st.global.RLock()
			probeRead(tx, k)
			st.global.RUnlock()
			return nil
		}
	}
	return nil
}

// NewProbe runs the read in a read-only transaction; under stm through the running program
// version's class code, like every operation.
func (b *stmPlainBackend) NewProbe(s *Structure) func(k uint64) error {
	return stmProbe(b.run, newSTMTx(stmStoreOf(s), b.opts.Layout))
}

func (b *stmBackend) NewProbe(s *Structure) func(k uint64) error {
	return stmProbe(b.run, newUpgTx(stmStoreOf(s), b.e, b.cls))
}

func stmProbe[T any](run func(T, bool, func(Tx) error) (stm.Outcome, error), tx T) func(k uint64) error {
	var key uint64
	body := func(tx Tx) error { probeRead(tx, key); return nil }
	return func(k uint64) error {
		key = k
		_, err := run(tx, true, body)
		return err
	}
}
