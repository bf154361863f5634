package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"dustm/stm"
)

// runDemo moves money between accounts on several goroutines while read-only transactions
// audit the total, and reports throughput and the STM's counters.
func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("demo", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	accounts := fs.Int("accounts", 1000, "number of accounts")
	workers := fs.IntP("threads", "t", 2, "goroutines moving money")
	length := fs.DurationP("length", "l", 2*time.Second, "how long to run")
	commit := fs.String("stm-commit", "lockfree", "commit algorithm: lock or lockfree")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageErrorf("unexpected arguments %q", fs.Args())
	}
	if *accounts < 2 || *workers < 1 || *length <= 0 {
		return usageErrorf("need --accounts >= 2, --threads >= 1 and a positive --length")
	}
	algo, err := stm.ParseAlgorithm(*commit)
	if err != nil {
		return usageErrorf("--stm-commit: %v", err)
	}
	s := stm.New(stm.Options{Algorithm: algo})
	defer s.Close()
	const initial = 100
	acc := make([]*stm.Var[int], *accounts)
	for i := range acc {
		acc[i] = stm.NewVar(initial)
	}
	var transfers, audits, bad atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range *workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 42))
			for {
				select {
				case <-stop:
					return
				default:
				}
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
		for {
			select {
			case <-stop:
				return
			default:
			}
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
	time.Sleep(*length)
	close(stop)
	wg.Wait()
	el := time.Since(start).Seconds()
	st := s.Stats()
	fmt.Fprintf(stdout, "dustm STM demo: %d accounts, %d transfer goroutines, commit algorithm %s, %.1fs\n",
		len(acc), *workers, algo, el)
	fmt.Fprintf(stdout, "transfers: %d (%.0f/s)\n", transfers.Load(), float64(transfers.Load())/el)
	fmt.Fprintf(stdout, "audits (read-only, %d accounts each): %d, inconsistent totals seen: %d\n",
		len(acc), audits.Load(), bad.Load())
	fmt.Fprintf(stdout, "commits: %d read-only, %d read-write; aborts: %d read conflicts, %d failed validations\n",
		st.ReadOnlyCommits, st.ReadWriteCommits, st.AbortsReadConflict, st.AbortsValidation)
	fmt.Fprintf(stdout, "version GC: %d passes, %d bodies unlinked\n", st.GC.Passes, st.GC.Unlinked)
	if bad.Load() != 0 {
		return fmt.Errorf("%d audits saw an inconsistent total: the STM is broken", bad.Load())
	}
	return nil
}
