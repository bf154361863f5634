package bench

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"dustm/record"
	"dustm/stmbench7"
	"dustm/upgrade"
)

// An upgraded run, end to end, for every scenario and strategy: the upgrade's object is in the
// result, its events are on the series, the invariants of the new version hold after the run,
// and the sequential replay passes across the upgrade (each operation replayed in the program
// version it ran in, the steps committed at their serial points).
func TestUpgradedRuns(t *testing.T) {
	dir := t.TempDir()
	scenarios := stmbench7.ScenarioNames()
	if raceEnabled {
		scenarios = []string{"chain"} // both kinds of step, at a tenth of the cost
	}
	for _, sc := range scenarios {
		for _, strat := range upgrade.Strategies() {
			cfg := DefaultConfig()
			cfg.Backend = "stm"
			cfg.Size = "tiny"
			cfg.Threads = 3
			cfg.Workload = stmbench7.WriteDominated
			cfg.Length = 400 * time.Millisecond
			cfg.UpgradeAt = 150 * time.Millisecond
			cfg.Upgrade = sc
			cfg.Migration = strat
			cfg.Interval = 20 * time.Millisecond
			cfg.Check = true
			cfg.SeqReplay = true
			cfg.JSONPath = filepath.Join(dir, "r.json")
			cfg.SeriesPath = filepath.Join(dir, "r.jsonl")
			var stdout, stderr bytes.Buffer
			res, err := Run(context.Background(), cfg, &stdout, &stderr)
			if err != nil {
				t.Fatalf("%s/%v: %v\n%s", sc, strat, err, stderr.String())
			}
			u := res.Upgrade
			if u == nil || u.Error != "" || u.CommittedS == nil || len(u.Migrations) == 0 {
				t.Fatalf("%s/%v: upgrade result %+v", sc, strat, u)
			}
			if res.Replay == nil || !res.Replay.Passed || res.Replay.Upgrades != len(u.Migrations) {
				t.Fatalf("%s/%v: replay %+v", sc, strat, res.Replay)
			}
			if res.Check == nil || res.Check.Final != "ok" {
				t.Fatalf("%s/%v: check %+v", sc, strat, res.Check)
			}
			if strat == upgrade.Eager && (u.ConversionsStopped == 0 || !u.Complete) {
				t.Fatalf("%s/eager: %+v", sc, u)
			}
			if res.Window == nil || res.Window.StartS != *u.CommittedS {
				t.Fatalf("%s/%v: window %+v", sc, strat, res.Window)
			}
			// The series shows the instants.
			ticks, err := record.ReadSeriesFile(cfg.SeriesPath)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]bool{}
			for _, p := range ticks {
				for _, ev := range p.Events {
					kinds[ev.Name] = true
				}
			}
			if !kinds["requested"] || !kinds["committed"] {
				t.Fatalf("%s/%v: series events %v", sc, strat, kinds)
			}
			if !strings.Contains(stdout.String(), "Upgrade") {
				t.Fatalf("%s/%v: no upgrade section in the report:\n%s", sc, strat, stdout.String())
			}
		}
	}
}

func TestUpgradeDryRun(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Backend = "stm"
	cfg.Size = "tiny"
	cfg.Length = 300 * time.Millisecond
	cfg.Upgrade = "composite-stats"
	cfg.UpgradeDryRun = true
	var stdout, stderr bytes.Buffer
	res, err := Run(context.Background(), cfg, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Upgrade.DryRun; d == nil || d.Objects == 0 || d.Failures != 0 || d.Step != "composite-stats" {
		t.Fatalf("dry run %+v", d)
	}
}

// Without an upgrade the window sits at --upgrade-at (half the length by default), so that the
// runs compare like with like.
func TestBaselineWindow(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Backend = "stm"
	cfg.Size = "tiny"
	cfg.Length = 400 * time.Millisecond
	var stdout, stderr bytes.Buffer
	res, err := Run(context.Background(), cfg, &stdout, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	if res.Window == nil || res.Window.StartS != 0.2 || res.Window.Ops == 0 || res.Upgrade != nil {
		t.Fatalf("window %+v upgrade %+v", res.Window, res.Upgrade)
	}
	if len(res.All.Percentiles) == 0 || res.All.Percentiles[len(res.All.Percentiles)-1].Us != res.All.MaxUs {
		t.Fatalf("percentile curve %+v", res.All.Percentiles)
	}
}
