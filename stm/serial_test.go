package stm

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

// txLog is what one committed transaction saw and did.
type txLog struct {
	out    Outcome
	reads  map[int]int
	writes map[int]int
}

// TestSerializability runs random read-write and read-only transactions on many goroutines,
// then replays the committed read-write ones sequentially in commit-version order: each must
// have read exactly the state left by its predecessors, every other transaction the state at
// its snapshot, and the replay must end in the memory's final state.
func TestSerializability(t *testing.T) {
	const boxes, goroutines = 24, 6
	perG := scaled(3000)
	forEachAlgorithm(t, func(t *testing.T, s *STM) {
		v := make([]*Var[int], boxes)
		for i := range v {
			v[i] = NewVar(i)
		}
		logs := make([][]txLog, goroutines)
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(g), 7))
				for seq := range perG {
					readOnly := r.IntN(4) == 0
					nr, nw := 1+r.IntN(4), r.IntN(3)
					rd := make([]int, nr)
					for i := range rd {
						rd[i] = r.IntN(boxes)
					}
					wr := make([]int, nw)
					for i := range wr {
						wr[i] = r.IntN(boxes)
					}
					var l txLog
					out, err := s.Run(readOnly, func(tx Tx) error {
						l.reads, l.writes = map[int]int{}, map[int]int{}
						sum := 0
						for _, i := range rd {
							x := v[i].Load(tx)
							if prev, ok := l.writes[i]; ok {
								if x != prev {
									return fmt.Errorf("read-own-write: got %d, wrote %d", x, prev)
								}
							} else if _, ok := l.reads[i]; !ok {
								l.reads[i] = x
							}
							sum += x
						}
						if readOnly {
							return nil
						}
						for k, i := range wr {
							x := sum*31 + g*1_000_000 + seq*10 + k
							v[i].Store(tx, x)
							l.writes[i] = x
						}
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
					l.out = out
					logs[g] = append(logs[g], l)
				}
			})
		}
		wg.Wait()

		var all []txLog
		for _, l := range logs {
			all = append(all, l...)
		}
		// Writers in commit order; each version is used exactly once.
		var writers []txLog
		for _, l := range all {
			if l.out.Wrote {
				writers = append(writers, l)
			}
		}
		slices.SortFunc(writers, func(a, b txLog) int { return int(a.out.Version - b.out.Version) })
		state := make([]int, boxes)
		for i := range state {
			state[i] = i
		}
		states := map[int64][]int{0: slices.Clone(state)}
		for i, w := range writers {
			if w.out.Version != int64(i+1) {
				t.Fatalf("commit versions not consecutive: #%d has version %d", i, w.out.Version)
			}
			for b, x := range w.reads {
				if state[b] != x {
					t.Fatalf("writer at version %d read box %d = %d, serial state has %d", w.out.Version, b, x, state[b])
				}
			}
			for b, x := range w.writes {
				state[b] = x
			}
			states[w.out.Version] = slices.Clone(state)
		}
		for _, l := range all {
			if l.out.Wrote {
				continue
			}
			st, ok := states[l.out.Snapshot]
			if !ok {
				t.Fatalf("snapshot %d is no commit version", l.out.Snapshot)
			}
			for b, x := range l.reads {
				if st[b] != x {
					t.Fatalf("transaction at snapshot %d read box %d = %d, serial state has %d", l.out.Snapshot, b, x, st[b])
				}
			}
		}
		for i := range v {
			if got := v[i].LoadLatest(); got != state[i] {
				t.Fatalf("final box %d = %d, replay says %d", i, got, state[i])
			}
		}
		snapshots := map[int64]bool{}
		for _, l := range all {
			snapshots[l.out.Snapshot] = true
		}
		if len(writers) == 0 || len(snapshots) < 10 {
			t.Fatal("too little concurrency to mean anything")
		}
		t.Logf("%d writers, %d others; %+v", len(writers), len(all)-len(writers), s.Stats())
	})
}
