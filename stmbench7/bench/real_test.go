package bench

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"dustm/stmbench7"
)

// registered lists the synchronization methods package stmbench7 provides in this build.
func registered(t *testing.T) []string {
	var names []string
	for _, n := range stmbench7.BackendNames() {
		if b, err := stmbench7.NewBackend(n, stmbench7.Options{}); err == nil {
			b.Close()
			names = append(names, n)
		}
	}
	if !slices.Contains(names, "none") || !slices.Contains(names, "coarse") {
		t.Fatalf("the lock backends are missing (have %v)", names)
	}
	return names
}

// The replay passes on every real method, with several threads, on a small structure, with
// structural modifications on.
func TestReplayRealBackends(t *testing.T) {
	for _, name := range registered(t) {
		threads := 4
		if name == "none" {
			threads = 1
		}
		for _, wl := range []stmbench7.Workload{stmbench7.ReadWrite, stmbench7.WriteDominated} {
			cfg := DefaultConfig()
			cfg.Backend = name
			cfg.Size = "tiny"
			cfg.Threads = threads
			cfg.Workload = wl
			cfg.Ops = 400
			cfg.SeqReplay = true
			cfg.Check = true
			var stdout, stderr bytes.Buffer
			res, err := Run(context.Background(), cfg, &stdout, &stderr)
			if err != nil {
				t.Fatalf("%s -w %v: %v\n%s", name, wl, err, stdout.String())
			}
			if rp := res.Replay; !rp.Passed || !rp.Compared || rp.Operations != int64(400*threads) {
				t.Errorf("%s -w %v: replay %+v", name, wl, rp)
			}
		}
	}
}

// The replay catches the deliberately broken coarse lock (update operations under the read
// lock). Whether a race hits in a given run is chance, so the test runs short rounds until one
// does, within a bound.
func TestReplayCatchesBrokenBackend(t *testing.T) {
	if raceEnabled {
		t.Skip("the broken backend's data races are real: not under the race detector")
	}
	registered(t)
	deadline := time.Now().Add(40 * time.Second)
	for round := 1; time.Now().Before(deadline); round++ {
		cfg := DefaultConfig()
		cfg.Backend = "coarse-broken"
		cfg.Size = "tiny"
		cfg.Threads = 4
		cfg.Workload = stmbench7.WriteDominated
		cfg.NoSMs = true // the broken method still writes the structure's shape under the write lock
		cfg.Length = 100 * time.Millisecond
		cfg.SeqReplay = true
		cfg.NewBackend = func(name string, opts stmbench7.Options) (stmbench7.Backend, error) {
			if name == cfg.Backend {
				return stmbench7.NewBrokenBackend(), nil
			}
			return stmbench7.NewBackend(name, opts)
		}
		res, err := Run(context.Background(), cfg, new(bytes.Buffer), new(bytes.Buffer))
		if err == nil {
			continue
		}
		if errors.Is(err, ErrPanic) {
			// A race corrupted a text so badly that an operation gave up (the reference's
			// RuntimeError): the run stopped before the replay could judge it.
			t.Logf("round %d: %v", round, strings.SplitN(err.Error(), "\n", 2)[0])
			continue
		}
		if !errors.Is(err, ErrReplayMismatch) || res == nil || res.Replay == nil || res.Replay.Passed {
			t.Fatalf("round %d: %v", round, err)
		}
		t.Logf("round %d: %s", round, res.Replay.summary())
		return
	}
	t.Fatal("the broken backend passed every replay")
}
