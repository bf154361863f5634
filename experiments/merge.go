package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"dustm/internal/outfile"
)

// Merge combines the folders of a sweep's shards (or of any sweeps of the same experiment,
// definition and commit) into dest, which must not exist or be empty. A run present in
// several folders is taken from the first where it succeeded. It refuses folders of different
// experiments, definitions or commits, and returns notes on what it kept.
func Merge(dest string, srcs []string, command []string) (*Sweep, []string, error) {
	if len(srcs) == 0 {
		return nil, nil, invalidf("merge: no folders given")
	}
	var sweeps []*Sweep
	for _, d := range srcs {
		s, err := Open(d)
		if err != nil {
			return nil, nil, err
		}
		sweeps = append(sweeps, s)
	}
	first := sweeps[0].Manifest
	def0, _ := json.Marshal(first.Definition)
	for i, s := range sweeps[1:] {
		m := s.Manifest
		switch {
		case m.Experiment != first.Experiment:
			return nil, nil, invalidf("refusing to merge different experiments: %s is %s, %s is %s", srcs[0], first.Experiment, srcs[i+1], m.Experiment)
		case m.Env.GitCommit != first.Env.GitCommit:
			return nil, nil, invalidf("refusing to merge results of different commits: %s is at %s, %s at %s", srcs[0], first.Env.GitCommit, srcs[i+1], m.Env.GitCommit)
		}
		def, _ := json.Marshal(m.Definition)
		if !bytes.Equal(def, def0) {
			return nil, nil, invalidf("refusing to merge different definitions of %s: %s has overrides %q, %s has %q",
				first.Experiment, srcs[0], first.Overrides, srcs[i+1], m.Overrides)
		}
	}
	if err := checkNewFolder(dest); err != nil {
		return nil, nil, err
	}
	if err := os.MkdirAll(dest, 0o755); err != nil {
		return nil, nil, err
	}
	m := *first
	m.Shard = nil
	m.MergedFrom = nil
	m.Sessions = nil
	m.Command = command
	m.Created = time.Now().UTC().Format(time.RFC3339)
	for i, s := range sweeps {
		abs, err := filepath.Abs(srcs[i])
		if err != nil {
			abs = srcs[i]
		}
		m.MergedFrom = append(m.MergedFrom, abs)
		m.Sessions = append(m.Sessions, s.Manifest.Sessions...)
	}
	out := &Sweep{Dir: dest, Manifest: &m, Configs: sweeps[0].Configs}
	out.Runs = Schedule(out.Configs, m.Definition.Reps(), Shard{})
	m.Runs = len(out.Runs)

	var notes []string
	for _, run := range out.Runs {
		rank := map[runState]int{statePending: 0, stateFailed: 1, stateOK: 2}
		var from string
		var fromState runState
		for _, s := range sweeps {
			dir := s.RunDir(run)
			if _, err := os.Stat(filepath.Join(dir, RunInfoFile)); err != nil {
				continue
			}
			st, _ := s.stateOf(run)
			switch {
			case from == "":
				from, fromState = dir, st
			case st == stateOK && fromState == stateOK:
				notes = append(notes, fmt.Sprintf("%s is complete in several folders; kept the one in %s", run.Dir(), from))
			case rank[st] > rank[fromState]:
				from, fromState = dir, st
			}
		}
		if from == "" {
			continue
		}
		if err := copyTree(from, filepath.Join(dest, run.Dir())); err != nil {
			return nil, notes, err
		}
	}
	if err := out.SaveManifest(); err != nil {
		return nil, notes, err
	}
	def, err := json.MarshalIndent(m.Definition, "", "  ")
	if err != nil {
		return nil, notes, err
	}
	if err := outfile.WriteFile(filepath.Join(dest, DefinitionFile), append(def, '\n'), nil); err != nil {
		return nil, notes, err
	}
	return out, notes, nil
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
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") && strings.Contains(d.Name(), ".tmp-") {
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
