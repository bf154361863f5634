package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"dustm/record"
)

// A run counts for its configuration only when its run.json names the folder's experiment,
// the run's part, configuration, repetition and settings, and its result was measured with
// those settings. Any other (an edited definition, a copied run) is run again by a resume and
// not counted by the loaders, with a warning that names the difference.

// mismatch says how a run's run.json differs from the run of the sweep it is found at ("" when
// it does not).
func (s *Sweep) mismatch(run Run, info RunInfo) string {
	c := run.Config
	switch {
	case info.Experiment != s.Manifest.Experiment:
		return fmt.Sprintf("its %s is of experiment %q, not %q (copied from another results folder?)", RunInfoFile, info.Experiment, s.Manifest.Experiment)
	case info.Part != c.Part || info.Config != c.Slug || info.Rep != run.Rep || (info.Kind != "" && info.Kind != c.Kind):
		return fmt.Sprintf("its %s describes %s/%s rep %d, not the run of this folder (%s rep %d)", RunInfoFile,
			info.Part, info.Config, info.Rep, c.ID(), run.Rep)
	case !info.Params.Equal(c.Params):
		return fmt.Sprintf("its %s records %s", RunInfoFile, paramsDiff(info.Params, c.Params, false))
	}
	return ""
}

// resultMismatch says how the settings a result records differ from the configuration's, for
// the settings both name ("" when they agree).
func resultMismatch(res *record.Record, c *Config) string {
	if d := paramsDiff(ParamsOf(res), c.Params, true); d != "" {
		return "its result was measured with " + d
	}
	return ""
}

// paramsDiff says how recorded settings differ from the configuration's (with shared, only
// in the settings both name).
func paramsDiff(got, want Params, shared bool) string {
	var diffs []string
	for _, p := range want {
		switch v, ok := got.Get(p.Key); {
		case !ok && !shared:
			diffs = append(diffs, fmt.Sprintf("no %s (the configuration: %s)", p.Key, p.Value))
		case ok && v != p.Value:
			diffs = append(diffs, fmt.Sprintf("%s=%s (the configuration: %s)", p.Key, v, p.Value))
		}
	}
	for _, p := range got {
		if _, ok := want.Get(p.Key); !ok && !shared {
			diffs = append(diffs, fmt.Sprintf("%s=%s (not a setting of the configuration)", p.Key, p.Value))
		}
	}
	return strings.Join(diffs, ", ")
}

// runAt maps each run folder of the sweep to its run.
func (s *Sweep) runAt() map[string]Run {
	m := make(map[string]Run, len(s.Runs))
	for _, r := range s.Runs {
		m[s.RunDir(r)] = r
	}
	return m
}

// foreign says why a run found at path is not the run of the sweep there ("" when it is).
func (s *Sweep) foreign(at map[string]Run, path string, r *RunData) string {
	run, ok := at[path]
	if !ok {
		return "not a run of this folder's matrix (" + s.Manifest.Experiment + ")"
	}
	if why := s.mismatch(run, r.Info); why != "" {
		return why
	}
	if r.Record != nil && r.Info.Kind != KindKV && r.Info.Kind != KindMicro {
		return resultMismatch(r.Record, run.Config)
	}
	return ""
}

// CheckDefinition refuses to resume a sweep whose experiment.json no longer says what its
// manifest records (--resume would ignore the edit silently), naming the first difference.
func (s *Sweep) CheckDefinition() error {
	path := filepath.Join(s.Dir, DefinitionFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil // folders of older binaries, and merged copies, may lack it
	}
	how := fmt.Sprintf("--resume runs the sweep as it was started (%s); to run the edited definition, start a new folder with `dustm experiment -f %s -o NEWDIR`, or restore the file",
		filepath.Join(s.Dir, ManifestFile), path)
	e, err := Load(path)
	if err != nil {
		return invalidf("%s was edited and no longer reads (%s); %s", path, strings.TrimPrefix(err.Error(), ErrInvalid.Error()+": "), how)
	}
	if d := jsonDiff("", decoded(s.Manifest.Definition), decoded(e)); d != "" {
		return invalidf("%s was edited since the sweep started (%s); %s", path, d, how)
	}
	return nil
}

// decoded is an experiment as generic JSON values, for jsonDiff.
func decoded(e *Experiment) any {
	b, _ := json.Marshal(e) // an experiment always encodes
	var v any
	json.Unmarshal(b, &v)
	return v
}

// jsonDiff names the first difference of two decoded JSON values: "parts[0].fixed.length:
// 0.3 → 0.5" ("" when equal).
func jsonDiff(at string, a, b any) string {
	show := func(v any) string {
		if v == nil {
			return "(absent)"
		}
		j, _ := json.Marshal(v)
		return string(j)
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := slices.Sorted(maps.Keys(av))
		for k := range bv {
			if _, ok := av[k]; !ok {
				keys = append(keys, k)
			}
		}
		for _, k := range keys {
			p := k
			if at != "" {
				p = at + "." + k
			}
			if d := jsonDiff(p, av[k], bv[k]); d != "" {
				return d
			}
		}
		return ""
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			break
		}
		for i := range av {
			if d := jsonDiff(fmt.Sprintf("%s[%d]", at, i), av[i], bv[i]); d != "" {
				return d
			}
		}
		return ""
	}
	if reflect.DeepEqual(a, b) {
		return ""
	}
	if at == "" {
		at = "the definition"
	}
	return fmt.Sprintf("%s: %s in the manifest, %s in the file", at, show(a), show(b))
}
