package experiments_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"dustm/analysis"
	"dustm/experiments"
	"dustm/experiments/experimentstest"
)

func TestMergeShards(t *testing.T) {
	root := t.TempDir()
	e := experimentstest.Parse(t, `{"name": "m", "repetitions": 2, "axes": {"threads": [1, 2, 3]}, "fixed": {"size": "tiny", "length": 1}}`)
	var dirs []string
	for i := 1; i <= 2; i++ {
		d := filepath.Join(root, "shard", string(rune('0'+i)))
		if _, err := experimentstest.WriteFolder(d, e, experiments.CreateOptions{Shard: experiments.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	dest := filepath.Join(root, "merged")
	s, notes, err := experiments.Merge(dest, dirs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) != 0 || len(s.Runs) != 6 || s.Manifest.Shard != nil || len(s.Manifest.MergedFrom) != 2 {
		t.Errorf("merged %+v %v", s.Manifest, notes)
	}
	f, sum, err := analysis.WriteSummary(dest, analysis.SummaryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Runs) != 6 || len(sum.Rows) != 3 {
		t.Errorf("%d runs, %d rows", len(f.Runs), len(sum.Rows))
	}
	for _, r := range sum.Rows {
		if r.Runs != 2 || r.Missing != 0 {
			t.Errorf("row %s: %d runs, %d missing", r.Config, r.Runs, r.Missing)
		}
	}
	// A shard alone reports the runs of its configurations only as missing.
	_, one, _ := analysis.WriteSummary(dirs[0], analysis.SummaryOptions{})
	for _, r := range one.Rows {
		if r.Runs != 2 {
			t.Errorf("shard 1 row %s: %d runs", r.Config, r.Runs)
		}
	}

	// A shard merged alone is said to lack the other; a folder given twice is refused.
	_, notes, err = experiments.Merge(filepath.Join(root, "half"), dirs[:1], nil)
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "shard 2/2 is missing (1 of the 3 configurations): the merged folder has no runs of them") {
		t.Errorf("merging shard 1/2 alone: %v %q", err, notes)
	}
	_, _, err = experiments.Merge(filepath.Join(root, "twice"), []string{dirs[0], dirs[0]}, nil)
	if !errors.Is(err, experiments.ErrInvalid) || !strings.Contains(err.Error(), "is given twice; shard 2/2 is missing") {
		t.Errorf("merging a folder twice: %v", err)
	}
	// Different commits or experiments are refused.
	other := filepath.Join(root, "other")
	if _, err := experimentstest.WriteFolder(other, experimentstest.Parse(t, `{"name": "n", "fixed": {"size": "tiny"}}`), experiments.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := experiments.Merge(filepath.Join(root, "x"), []string{dirs[0], other}, nil); err == nil || !strings.Contains(err.Error(), "different experiments") {
		t.Errorf("merging different experiments: %v", err)
	}
	m, _ := experiments.ReadManifest(dirs[1])
	m.Env.GitCommit = "0123abc"
	b, _ := json.Marshal(m)
	os.WriteFile(filepath.Join(dirs[1], experiments.ManifestFile), b, 0o644)
	if _, _, err := experiments.Merge(filepath.Join(root, "y"), dirs, nil); err == nil || !strings.Contains(err.Error(), "different commits") {
		t.Errorf("merging different commits: %v", err)
	}
}
