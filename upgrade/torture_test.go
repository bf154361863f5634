package upgrade

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"dustm/stm"
)

// The torture test runs a program of cells under load through successive upgrades (lazy,
// eager, lazy+sweep, a failing eager one) and a concurrent dry run, with reads, read-writes,
// blind writes and deletions, and records what every committed transaction and every
// transformer call observed. It then replays the serial history, ordered by commit version,
// and checks every observation against it: the values read, the program version each
// transaction ran, the inputs of every transformer (the state just before its upgrade, or
// at the dry run's snapshot), and the final state.

// cell is a cell's state in every shape: cv is the class version the state was made for
// (the engine tracks it separately; the test checks they agree).
type cell struct {
	cv int
	x  int64
}

// transformOf is upgrade k's transformer as a pure function of the old state and its right
// neighbour's (nbGone: the neighbour is deleted).
func transformOf(k int, old cell, nb int64, nbGone bool) cell {
	if nbGone {
		nb = -1
	}
	return cell{cv: old.cv + 1, x: old.x*7 + int64(k) + nb%5}
}

type read struct {
	id int
	c  cell
}

// observation is what one committed transaction saw and did.
type observation struct {
	point   int64 // the state it read: its snapshot, or its commit version - 1
	program int
	reads   []read
	// For a transaction that wrote: its commit version, writes and deletions.
	version int64
	writes  map[int]int64
	deleted []int
}

// transformerCall is one call of a transformer with the inputs it saw.
type transformerCall struct {
	upgrade int // k; -1 for the dry run
	id      int
	old     cell
	nb      int64
	nbGone  bool
}

func TestTorture(t *testing.T) {
	forEachAlgorithm(t, func(t *testing.T, a stm.Algorithm) {
		for seed := range uint64(2) {
			t.Run(fmt.Sprint("seed", seed), func(t *testing.T) { torture(t, a, seed) })
		}
	})
}

func torture(t *testing.T, a stm.Algorithm, seed uint64) {
	const cells = 24
	s := stm.New(stm.Options{Algorithm: a, GCInterval: time.Millisecond})
	e := New(s, "v1")
	t.Cleanup(func() { e.Close(); s.Close() })
	class := e.NewClass("Cell")
	objs := make([]*Object, cells)
	for i := range objs {
		objs[i] = e.NewObjectLatest(class, i, cell{cv: 1, x: int64(i)})
	}
	live := stm.NewVar(slices.Repeat([]bool{true}, cells)) // the directory: which cells exist

	var mu sync.Mutex
	var obs []observation
	var calls []transformerCall
	record := func(c transformerCall) {
		mu.Lock()
		calls = append(calls, c)
		mu.Unlock()
	}

	transformer := func(k int) Transformer {
		return func(o *Object, old any, v View) (any, error) {
			id := o.Owner().(int)
			oc := old.(cell)
			var nb int64
			nbGone := false
			x, err := v.Load(objs[(id+1)%cells])
			switch {
			case errors.Is(err, ErrDeleted):
				nbGone = true
			case err != nil:
				return nil, err
			default:
				nb = x.(cell).x
			}
			record(transformerCall{upgrade: k, id: id, old: oc, nb: nb, nbGone: nbGone})
			return transformOf(k, oc, nb, nbGone), nil
		}
	}
	// pick returns a live cell chosen by r, or -1.
	pick := func(r *rand.Rand, l []bool) int {
		for range 4 * cells {
			if i := r.IntN(cells); l[i] {
				return i
			}
		}
		return -1
	}
	get := func(tx Tx, id int, reads *[]read) int64 {
		c := Get[cell](tx, objs[id])
		if c.cv != tx.Program().ClassVersion(class) {
			t.Errorf("cell %d holds shape %d in program %d (class version %d)", id, c.cv, tx.Program().Number,
				tx.Program().ClassVersion(class))
		}
		*reads = append(*reads, read{id, c})
		return c.x
	}

	iterations := scaled(1500)
	var deletions sync.Mutex
	deletedCount := 0
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(seed, uint64(w)))
			for range iterations {
				kind := r.IntN(100)
				choice := r.Uint64()
				var o observation
				readOnly := kind < 40
				out, err := e.Run(readOnly, func(tx Tx) error {
					rr := rand.New(rand.NewPCG(choice, 7)) // the same choices on every attempt
					o = observation{program: tx.Program().Number, writes: map[int]int64{}}
					l := live.Load(tx.Tx)
					switch {
					case readOnly:
						for range 3 {
							if id := pick(rr, l); id >= 0 {
								get(tx, id, &o.reads)
							}
						}
					case kind < 80: // read two, write one
						a, b, c := pick(rr, l), pick(rr, l), pick(rr, l)
						if a < 0 || b < 0 || c < 0 {
							return nil
						}
						x := get(tx, a, &o.reads) + get(tx, b, &o.reads) + 1
						objs[c].Store(tx, cell{cv: tx.Program().ClassVersion(class), x: x})
						o.writes[c] = x
					case kind < 95: // a blind write
						if c := pick(rr, l); c >= 0 {
							x := int64(rr.IntN(1000)) + 1000
							objs[c].Store(tx, cell{cv: tx.Program().ClassVersion(class), x: x})
							o.writes[c] = x
						}
					default: // delete a cell (a quarter of them at most)
						deletions.Lock()
						full := deletedCount >= cells/4
						deletions.Unlock()
						if c := pick(rr, l); c >= 0 && !full {
							nl := slices.Clone(l)
							nl[c] = false
							live.Store(tx.Tx, nl)
							objs[c].Delete(tx)
							o.deleted = append(o.deleted, c)
						}
					}
					return nil
				})
				if err != nil {
					t.Errorf("transaction failed: %v", err)
					return
				}
				if out.Wrote {
					o.version, o.point = out.Version, out.Version-1
					if len(o.deleted) > 0 {
						deletions.Lock()
						deletedCount++
						deletions.Unlock()
					}
				} else {
					o.point = out.Snapshot
					o.writes, o.deleted = nil, nil
				}
				mu.Lock()
				obs = append(obs, o)
				mu.Unlock()
			}
		})
	}

	// The upgrades, one after another, while the workers run; a dry run beside them.
	type committed struct{ k, version int }
	var ups []committed
	strategies := []Strategy{Lazy, Eager, -1, LazySweep, Lazy} // -1: an eager upgrade that fails
	var dry []transformerCall
	var drySnapshot int64
	wg.Go(func() {
		k := 0
		for i, st := range strategies {
			time.Sleep(time.Duration(1+i) * time.Millisecond)
			if st < 0 {
				fail := func(*Object, any, View) (any, error) { return nil, errors.New("refused") }
				_, err := e.Upgrade(context.Background(), Upgrade{Name: "failing", Code: "x",
					Transformers: map[*Class]Transformer{class: fail}}, Options{Strategy: Eager})
				if err == nil {
					t.Error("the failing eager upgrade succeeded")
				}
				continue
			}
			k++
			m, err := e.Upgrade(context.Background(), Upgrade{Name: fmt.Sprint("u", k), Code: fmt.Sprint("v", k+1),
				Transformers: map[*Class]Transformer{class: transformer(k)}},
				Options{Strategy: st, Sweepers: 1, CheckInterval: time.Millisecond})
			if err != nil {
				t.Errorf("upgrade %d: %v", k, err)
				return
			}
			mu.Lock()
			ups = append(ups, committed{k, int(m.Stats().CommitVersion)})
			mu.Unlock()
			if k == 2 { // a dry run of the next upgrade, concurrent with the program
				var local []transformerCall
				var lmu sync.Mutex
				rep, err := e.DryRun(context.Background(), Upgrade{Name: "dry", Code: "dry",
					Transformers: map[*Class]Transformer{class: func(o *Object, old any, v View) (any, error) {
						id := o.Owner().(int)
						x, err := v.Load(objs[(id+1)%cells])
						c := transformerCall{upgrade: -1, id: id, old: old.(cell)}
						if errors.Is(err, ErrDeleted) {
							c.nbGone = true
						} else if err != nil {
							return nil, err
						} else {
							c.nb = x.(cell).x
						}
						lmu.Lock()
						local = append(local, c)
						lmu.Unlock()
						return old, nil
					}}})
				if err != nil || rep.Err() != nil {
					t.Errorf("dry run: %v %v", err, rep.Err())
				}
				dry, drySnapshot = local, rep.Snapshot
			}
		}
	})
	wg.Wait()
	if t.Failed() {
		return
	}

	// The final state, read once everything is done.
	var final []read
	finalOut, err := e.Run(true, func(tx Tx) error {
		final = final[:0]
		l := live.Load(tx.Tx)
		for id := range cells {
			if l[id] {
				get(tx, id, &final)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	obs = append(obs, observation{point: finalOut.Snapshot, program: e.Current().Number, reads: final})

	// Replay. Writers (committed read-writes and upgrades) in version order; each observation
	// is checked once every writer up to its point is applied.
	type step struct {
		version int64
		obs     *observation // a read-write commit, or nil for an upgrade
		k       int
	}
	var steps []step
	for i := range obs {
		if obs[i].version > 0 {
			steps = append(steps, step{version: obs[i].version, obs: &obs[i]})
		}
	}
	for _, u := range ups {
		steps = append(steps, step{version: int64(u.version), k: u.k})
	}
	slices.SortFunc(steps, func(x, y step) int { return cmp.Compare(x.version, y.version) })
	for i := 1; i < len(steps); i++ {
		if steps[i].version == steps[i-1].version {
			t.Fatalf("two writers committed at version %d", steps[i].version)
		}
	}
	order := make([]*observation, len(obs))
	for i := range obs {
		order[i] = &obs[i]
	}
	slices.SortFunc(order, func(x, y *observation) int { return cmp.Compare(x.point, y.point) })
	byUpgrade := map[int][]transformerCall{}
	for _, c := range calls {
		byUpgrade[c.upgrade] = append(byUpgrade[c.upgrade], c)
	}

	state := make([]cell, cells)
	gone := make([]bool, cells)
	for i := range state {
		state[i] = cell{cv: 1, x: int64(i)}
	}
	program := 1
	checkCall := func(c transformerCall, when string) {
		nbID := (c.id + 1) % cells
		if gone[c.id] || c.old != state[c.id] || c.nbGone != gone[nbID] || (!c.nbGone && c.nb != state[nbID].x) {
			t.Errorf("%s: transformer saw cell %d = %+v and neighbour (%d, deleted %v); the serial state is %+v (deleted %v) and (%d, deleted %v)",
				when, c.id, c.old, c.nb, c.nbGone, state[c.id], gone[c.id], state[nbID].x, gone[nbID])
		}
	}
	checkObs := func(o *observation) {
		if o.program != program {
			t.Errorf("a transaction at state %d ran program %d; the serial history had program %d", o.point, o.program, program)
		}
		for _, r := range o.reads {
			if gone[r.id] || r.c != state[r.id] {
				t.Errorf("a transaction at state %d read cell %d = %+v; the serial state is %+v (deleted %v)",
					o.point, r.id, r.c, state[r.id], gone[r.id])
			}
		}
	}
	next := 0
	apply := func(st step) {
		if st.obs == nil {
			for _, c := range byUpgrade[st.k] {
				checkCall(c, fmt.Sprintf("upgrade %d at version %d", st.k, st.version))
			}
			nextState := slices.Clone(state)
			for id := range cells {
				if !gone[id] {
					nb := (id + 1) % cells
					nextState[id] = transformOf(st.k, state[id], state[nb].x, gone[nb])
				}
			}
			state = nextState
			program++
			return
		}
		for id, x := range st.obs.writes {
			state[id] = cell{cv: program, x: x}
		}
		for _, id := range st.obs.deleted {
			gone[id] = true
		}
	}
	dryChecked := false
	for _, o := range order {
		for next < len(steps) && steps[next].version <= o.point {
			if !dryChecked && steps[next].version > drySnapshot {
				for _, c := range dry {
					checkCall(c, fmt.Sprintf("dry run at snapshot %d", drySnapshot))
				}
				dryChecked = true
			}
			apply(steps[next])
			next++
		}
		checkObs(o)
		if t.Failed() {
			return
		}
	}
	if !dryChecked {
		if next != len(steps) {
			t.Fatalf("%d writers after the last observation", len(steps)-next)
		}
		for _, c := range dry {
			checkCall(c, fmt.Sprintf("dry run at snapshot %d", drySnapshot))
		}
	}
	t.Logf("%d transactions, %d upgrades, %d transformer calls, %d dry-run calls, clock %d",
		len(obs), len(ups), len(calls), len(dry), s.Clock())
	if len(ups) != 4 {
		t.Fatalf("%d upgrades committed, want 4", len(ups))
	}
}
