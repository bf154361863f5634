package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"dustm/internal/duration"
	"dustm/stm"
	"dustm/stmbench7/bench"
)

// maxDemoAccounts bounds the demo's accounts: each audit reads all of them.
const maxDemoAccounts = 10_000_000

// runDemo moves money between accounts on several goroutines while read-only transactions
// audit the total, and reports throughput and the STM's counters.
func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", stdout, "usage: dustm demo [flags]\n",
		"Moves money between accounts on several goroutines while read-only transactions audit the total.\n")
	accounts := fs.Int("accounts", 1000, fmt.Sprintf("number of accounts (2 to %d)", maxDemoAccounts))
	workers := fs.IntP("threads", "t", 2, fmt.Sprintf("goroutines moving money (1 to %d)", bench.MaxThreads))
	var length time.Duration
	lengthRange := duration.Range{Min: bench.MinLength, Max: bench.MaxLength}
	fs.VarP(duration.NewValue(&length, 2*time.Second, lengthRange), "length", "l", "how long to run: seconds or a duration, "+lengthRange.String())
	commit := fs.String("stm-commit", "lockfree", "commit algorithm: lock or lockfree")
	if help, err := parseFlags(fs, args, noArgs); help || err != nil {
		return err
	}
	switch {
	case *accounts < 2 || *accounts > maxDemoAccounts:
		return usageErrorf("--accounts must be between 2 and %d (got %d)", maxDemoAccounts, *accounts)
	case *workers < 1 || *workers > bench.MaxThreads:
		return usageErrorf("-t/--threads must be between 1 and %d (got %d)", bench.MaxThreads, *workers)
	}
	algo, err := stm.ParseAlgorithm(*commit)
	if err != nil {
		return usageErrorf("--stm-commit: %v", err)
	}
	if bad := demo(stdout, algo, *accounts, *workers, length); bad != 0 {
		return fmt.Errorf("%d audits saw an inconsistent total: the STM is broken", bad)
	}
	return nil
}

// demo runs the transfers and the audits for length and reports them; it returns the number
// of audits that saw an inconsistent total.
func demo(stdout io.Writer, algo stm.Algorithm, accounts, workers int, length time.Duration) int64 {
	s := stm.New(stm.Options{Algorithm: algo})
	defer s.Close()
	const initial = 100
	acc := make([]*stm.Var[int], accounts)
	for i := range acc {
		acc[i] = stm.NewVar(initial)
	}
	var transfers, audits, bad atomic.Int64
	var stopped atomic.Bool
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for !stopped.Load() {
				a, b, amt := r.IntN(len(acc)), r.IntN(len(acc)), r.IntN(20)
				_ = s.Atomic(func(tx stm.Tx) error {
					acc[a].Store(tx, acc[a].Load(tx)-amt)
					acc[b].Store(tx, acc[b].Load(tx)+amt)
					return nil
				})
				transfers.Add(1)
			}
		})
	}
	wg.Go(func() {
		for !stopped.Load() {
			_ = s.ReadOnly(func(tx stm.Tx) error {
				sum := 0
				for _, a := range acc {
					sum += a.Load(tx)
				}
				if sum != initial*len(acc) {
					bad.Add(1)
				}
				return nil
			})
			audits.Add(1)
		}
	})
	start := time.Now()
	time.Sleep(length)
	stopped.Store(true)
	wg.Wait()
	el := time.Since(start).Seconds()
	st := s.Stats()
	fmt.Fprintf(stdout, "dustm STM demo: %d accounts, %d transfer goroutines, commit algorithm %s, %.1fs\n",
		len(acc), workers, algo, el)
	fmt.Fprintf(stdout, "transfers: %d (%.0f/s)\n", transfers.Load(), float64(transfers.Load())/el)
	fmt.Fprintf(stdout, "audits (read-only, %d accounts each): %d, inconsistent totals seen: %d\n",
		len(acc), audits.Load(), bad.Load())
	fmt.Fprintf(stdout, "commits: %d read-only, %d read-write; aborts: %d read conflicts, %d failed validations\n",
		st.ReadOnlyCommits, st.ReadWriteCommits, st.AbortsReadConflict, st.AbortsValidation)
	fmt.Fprintf(stdout, "version GC: %d passes, %d bodies unlinked\n", st.GC.Passes, st.GC.Unlinked)
	return bad.Load()
}
