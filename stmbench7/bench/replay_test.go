package bench

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dustm/record"
	"dustm/stmbench7"
)

func TestSerialOrder(t *testing.T) {
	ws := []*worker{
		{id: 0, log: []logEntry{{at: 5, op: stmbench7.T1}, {at: 5, op: stmbench7.T2a}, {at: 9, op: stmbench7.T2b}}},
		{id: 1, log: []logEntry{{at: 1, op: stmbench7.ST1}, {at: 5, op: stmbench7.ST2}}},
	}
	var got []string
	for _, e := range serialOrder(ws) {
		got = append(got, e.op.String())
	}
	// Ties (serial 5) go by thread, then by order within the thread.
	if want := "ST1 T1 T2a ST2 T2b"; strings.Join(got, " ") != want {
		t.Errorf("serial order %v, want %s", got, want)
	}
}

func TestReplayPassesOnFake(t *testing.T) {
	dir := t.TempDir()
	b := newFake("coarse")
	cfg := fakeConfig(b)
	cfg.Threads = 4
	cfg.Length = 200 * time.Millisecond
	cfg.SeqReplay = true
	cfg.JSONPath = filepath.Join(dir, "r.json")
	for _, seeds := range []bool{false, true} {
		b := newFake("coarse")
		cfg.NewBackend = fakes(b)
		cfg.ThreadSeeds = seeds
		var stdout, stderr bytes.Buffer
		res, err := Run(context.Background(), cfg, &stdout, &stderr)
		if err != nil {
			t.Fatalf("thread seeds %v: %v\n%s", seeds, err, stdout.String())
		}
		rp := res.Replay
		if rp == nil || !rp.Passed || !rp.Compared || rp.Operations != res.Successful+res.Failed {
			t.Fatalf("thread seeds %v: replay %+v after %d operations", seeds, rp, res.Successful+res.Failed)
		}
		if !strings.Contains(stdout.String(), "Sequential replay: passed") {
			t.Errorf("the report does not show the replay")
		}
		rec, err := record.Read(cfg.JSONPath)
		if err != nil || rec.Values["replay.passed"] != 1 || rec.Values["replay.operations"] != float64(rp.Operations) {
			t.Errorf("replay in the file: %v (%v)", rec, err)
		}
	}
}

// A backend that hands out serial points that are not the order of its updates must fail the
// replay. Runs are short; a handful is enough for the race to show.
func TestReplayDetectsBadSerialization(t *testing.T) {
	for round := range 20 {
		b := newFake("coarse")
		b.split = true
		cfg := fakeConfig(b)
		cfg.Threads = 4
		cfg.Length = 100 * time.Millisecond
		cfg.SeqReplay = true
		var stdout bytes.Buffer
		res, err := Run(context.Background(), cfg, &stdout, new(bytes.Buffer))
		if err == nil {
			continue
		}
		if !errors.Is(err, ErrReplayMismatch) || res == nil || res.Replay.Passed {
			t.Fatalf("round %d: %v, %+v", round, err, res)
		}
		if res.Replay.Mismatch == "" && len(res.Replay.Differences) == 0 {
			t.Errorf("no mismatch described: %+v", res.Replay)
		}
		if !strings.Contains(stdout.String(), "Sequential replay: FAILED") {
			t.Errorf("the report does not show the failure")
		}
		return
	}
	t.Fatal("20 racy runs replayed without a mismatch")
}

// A replay that reaches the end with different final states fails on the comparison.
func TestReplayComparesStructures(t *testing.T) {
	b := newFake("coarse")
	cfg := fakeConfig(b)
	cfg.Ops = 100
	cfg.SeqReplay = true
	cfg.diff = func(stmbench7.Backend, *stmbench7.Structure, stmbench7.Backend, *stmbench7.Structure, int) ([]string, error) {
		return []string{"atomic part 12: x = 4 vs 5"}, nil
	}
	res, err := Run(context.Background(), cfg, new(bytes.Buffer), new(bytes.Buffer))
	if !errors.Is(err, ErrReplayMismatch) || !strings.Contains(err.Error(), "atomic part 12") {
		t.Fatalf("Run error %v", err)
	}
	if rp := res.Replay; rp.Passed || !rp.Compared || rp.Operations != 100 || len(rp.Differences) != 1 {
		t.Errorf("replay %+v", rp)
	}
}
