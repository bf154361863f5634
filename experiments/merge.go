package experiments

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"dustm/internal/outfile"
)

// Merge combines the folders of a sweep's shards, or of sweeps of the same experiment and
// commit whose definitions differ only in the values of their settings (see unite), into dest,
// which must not exist or be empty. A run present in several folders is taken from the first
// where it succeeded. It refuses folders of different experiments, commits or definitions, and
// returns notes on what it kept.
func Merge(dest string, srcs []string, command []string) (*Sweep, []string, error) {
	sweeps, err := openShards(srcs)
	if err != nil {
		return nil, nil, err
	}
	def, err := unite(sweeps, srcs)
	if err != nil {
		return nil, nil, err
	}
	if err := checkNewFolder(dest); err != nil {
		return nil, nil, err
	}
	m := *sweeps[0].Manifest
	configs := sweeps[0].Configs
	var notes []string
	united := slices.ContainsFunc(sweeps[1:], func(s *Sweep) bool { return !sameDefinition(s, sweeps[0]) })
	if !united {
		if missing := missingShards(sweeps); missing != "" {
			notes = append(notes, missing+": the merged folder has no runs of them (merge again with their folders to complete it)")
		}
	} else {
		if configs, _, err = def.Expand(); err != nil {
			return nil, nil, err
		}
		m.Definition, m.Overrides, m.Configs = def, overridesOf(def, sweeps[0].Manifest), len(configs)
		notes = append(notes, fmt.Sprintf("the folders ran different values of their settings: the merged folder's matrix is their union (--set %s)",
			strings.Join(m.Overrides, " --set ")))
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, nil, err
	}
	m.Shard, m.MergedFrom, m.Sessions = nil, nil, nil
	m.Command, m.Created = command, now()
	for i, s := range sweeps {
		abs, err := filepath.Abs(srcs[i])
		if err != nil {
			abs = srcs[i]
		}
		m.MergedFrom = append(m.MergedFrom, abs)
		m.Sessions = append(m.Sessions, s.Manifest.Sessions...)
	}
	uncovered := map[string]bool{}
	for _, run := range Schedule(configs, m.Definition.Reps(), Shard{}) {
		var from string
		var fromState runState
		for _, s := range sweeps {
			src := sourceRun(s, run.Config, run.Rep)
			if src == nil {
				continue
			}
			dir := s.RunDir(*src)
			if _, err := os.Stat(filepath.Join(dir, RunInfoFile)); err != nil {
				continue
			}
			st, _ := s.stateOf(*src)
			switch {
			case from == "":
				from, fromState = dir, st
			case st == stateOK && fromState == stateOK:
				notes = append(notes, fmt.Sprintf("%s is complete in several folders; kept the one in %s", run.Dir(), from))
			case st > fromState:
				from, fromState = dir, st
			}
		}
		if from == "" {
			uncovered[run.Config.ID()] = true
			continue
		}
		if err := copyTree(from, filepath.Join(dest, run.Dir())); err != nil {
			return nil, notes, err
		}
		if err := relabel(filepath.Join(dest, run.Dir()), run.Config.Slug); err != nil {
			return nil, notes, err
		}
	}
	if united && len(uncovered) > 0 {
		notes = append(notes, fmt.Sprintf("%d of the %d configurations of the union have no run in any folder: `dustm experiment --resume %s` runs them",
			len(uncovered), len(configs), dest))
	}
	out, err := newSweep(dest, &m, configs, Shard{})
	return out, notes, err
}

// openShards opens the folders to merge, and refuses a folder given twice and folders of
// different experiments, commits or definitions.
func openShards(srcs []string) ([]*Sweep, error) {
	if len(srcs) == 0 {
		return nil, invalidf("merge: no folders given")
	}
	var sweeps []*Sweep
	for _, d := range srcs {
		s, err := Open(d)
		if err != nil {
			return nil, invalidf("%v", err)
		}
		sweeps = append(sweeps, s)
	}
	for i := range srcs {
		for j := range i {
			if !sameFolder(srcs[i], srcs[j]) {
				continue
			}
			msg := fmt.Sprintf("%s is given twice", srcs[j])
			if srcs[i] != srcs[j] {
				msg = fmt.Sprintf("%s and %s are the same folder", srcs[j], srcs[i])
			}
			if missing := missingShards(sweeps); missing != "" {
				msg += "; " + missing
			}
			return nil, invalidf("%s: name each shard's folder once", msg)
		}
	}
	first := sweeps[0].Manifest
	for i, s := range sweeps[1:] {
		m := s.Manifest
		switch {
		case m.Experiment != first.Experiment:
			return nil, invalidf("refusing to merge different experiments: %s is %s, %s is %s", srcs[0], first.Experiment, srcs[i+1], m.Experiment)
		case m.Env.GitCommit != first.Env.GitCommit:
			return nil, invalidf("refusing to merge results of different commits: %s is at %s, %s at %s", srcs[0], first.Env.GitCommit, srcs[i+1], m.Env.GitCommit)
		}
	}
	return sweeps, nil
}

// sameDefinition reports whether two sweeps ran the same definition.
func sameDefinition(a, b *Sweep) bool {
	return jsonDiff("", decoded(a.Manifest.Definition), decoded(b.Manifest.Definition)) == ""
}

// copyTree copies a folder's files (hard links where the file system allows).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if _, tmp := outfile.TemporaryOf(d.Name()); tmp || !d.Type().IsRegular() {
			return nil
		}
		if err := os.Link(path, target); err == nil {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := outfile.Create(target, nil)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Abort()
			return fmt.Errorf("writing %s: %w", target, err)
		}
		return out.Commit()
	})
}

// sameFolder reports whether two paths name one folder.
func sameFolder(a, b string) bool {
	sa, errA := os.Stat(a)
	sb, errB := os.Stat(b)
	return errA == nil && errB == nil && os.SameFile(sa, sb)
}

// missingShards says which of a sweep's shards none of the folders holds ("" when every
// configuration is in one of them): "shard 2/2 is missing", or, for folders of different
// shardings, how many configurations none of them covers.
func missingShards(sweeps []*Sweep) string {
	configs := sweeps[0].Configs
	uncovered := 0
	for _, c := range configs {
		if !slices.ContainsFunc(sweeps, func(s *Sweep) bool { return s.Manifest.Selection().Contains(c.Index) }) {
			uncovered++
		}
	}
	count := sweeps[0].Manifest.Selection().Count
	same := !slices.ContainsFunc(sweeps, func(s *Sweep) bool { return s.Manifest.Selection().Count != count })
	switch {
	case uncovered == 0:
		return ""
	case !same || count == 0:
		return fmt.Sprintf("%d of the %d configurations are in none of the folders' shards", uncovered, len(configs))
	}
	var missing []string
	for i := 1; i <= count && i <= len(configs); i++ {
		if !slices.ContainsFunc(sweeps, func(s *Sweep) bool { return s.Manifest.Selection().Index == i }) {
			missing = append(missing, fmt.Sprintf("%d/%d", i, count))
		}
	}
	if len(missing) == 1 {
		return fmt.Sprintf("shard %s is missing (%d of the %d configurations)", missing[0], uncovered, len(configs))
	}
	if len(missing) > 8 {
		missing = append(missing[:8], "…")
	}
	return fmt.Sprintf("shards %s are missing (%d of the %d configurations)", strings.Join(missing, ", "), uncovered, len(configs))
}
