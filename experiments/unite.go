package experiments

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Sweeps of one experiment run with different values (`--set preload=300000,3000000` to add
// sizes to a finished sweep) merge into the union of their matrices: each part's keys take
// every value any of them ran. A run keeps its record; only its run.json is relabelled with
// the slug of its configuration in the union, whose settings are the same.

// unite is the definition the sweeps' definitions share but for the values of their settings,
// with every key's values united (numbers sorted), or an error naming what else differs.
func unite(sweeps []*Sweep, srcs []string) (*Experiment, error) {
	u := *sweeps[0].Manifest.Definition
	u.Parts = slices.Clone(u.Parts)
	for i := range u.Parts {
		u.Parts[i].Settings = maps.Clone(u.Parts[i].Settings)
	}
	for i, s := range sweeps[1:] {
		e := s.Manifest.Definition
		if why := shapeDiff(&u, e); why != "" {
			return nil, invalidf("refusing to merge different definitions of %s: %s and %s differ in %s (only the values of settings may differ)",
				u.Name, srcs[0], srcs[i+1], why)
		}
		for pi, p := range e.Parts {
			for k, vs := range p.Settings {
				for _, v := range vs {
					if !slices.Contains(u.Parts[pi].Settings[k], v) {
						u.Parts[pi].Settings[k] = append(u.Parts[pi].Settings[k], v)
					}
				}
			}
		}
	}
	for _, p := range u.Parts {
		for _, vs := range p.Settings {
			sortIfNumbers(vs)
		}
	}
	return &u, nil
}

// shapeDiff names what differs between two definitions besides their settings' values ("" for
// nothing).
func shapeDiff(a, b *Experiment) string {
	encode := func(v any) string { j, _ := json.Marshal(v); return string(j) }
	switch {
	case a.Description != b.Description:
		return "description"
	case a.Reps() != b.Reps():
		return fmt.Sprintf("repetitions (%d, %d)", a.Reps(), b.Reps())
	case a.Timeout != b.Timeout:
		return "timeout"
	case !slices.Equal(a.Figures, b.Figures):
		return "figures"
	case encode(a.Claims) != encode(b.Claims):
		return "claims"
	case len(a.Parts) != len(b.Parts):
		return "parts"
	}
	for i, p := range a.Parts {
		q := b.Parts[i]
		if p.Name != q.Name || p.Kind != q.Kind || p.Description != q.Description {
			return "part " + p.Name
		}
		if !slices.Equal(slices.Sorted(maps.Keys(p.Settings)), slices.Sorted(maps.Keys(q.Settings))) {
			return "the keys part " + p.Name + " sets"
		}
	}
	return ""
}

// sortIfNumbers sorts values that are all numbers in numeric order.
func sortIfNumbers(vs []string) {
	for _, v := range vs {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return
		}
	}
	slices.SortStableFunc(vs, func(a, b string) int {
		x, _ := strconv.ParseFloat(a, 64)
		y, _ := strconv.ParseFloat(b, 64)
		return cmp.Compare(x, y)
	})
}

// overridesOf lists, as --set arguments, how the united definition differs from the one the
// first sweep started from: the built-in experiment of that name, or its file as the first
// sweep's own overrides changed it.
func overridesOf(u *Experiment, m *Manifest) []string {
	base, out := m.Definition, slices.Clone(m.Overrides)
	if b, err := Builtin(m.Experiment); err == nil && m.Source == "built-in" {
		base, out = b, nil
	}
	for _, p := range u.Parts {
		i := slices.IndexFunc(base.Parts, func(q Part) bool { return q.Name == p.Name })
		for _, k := range slices.Sorted(maps.Keys(p.Settings)) {
			if i >= 0 && slices.Equal(base.Parts[i].Settings[k], p.Settings[k]) {
				continue
			}
			key := k
			if len(u.Parts) > 1 {
				key = p.Name + "." + k
			}
			out = append(out, key+"="+strings.Join(p.Settings[k], ","))
		}
	}
	return out
}

// sourceRun finds the run of the union's configuration c, repetition rep, in a sweep: the
// run of its configuration with the same part and settings (nil when it has none).
func sourceRun(s *Sweep, c *Config, rep int) *Run {
	for i := range s.Configs {
		if sc := &s.Configs[i]; sc.Part == c.Part && sc.Params.Equal(c.Params) {
			return &Run{Config: sc, Rep: rep}
		}
	}
	return nil
}

// relabel gives a copied run's run.json the slug of its configuration in the union. The write
// renames a new file over the copy, so a hard-linked source keeps its own.
func relabel(dir, slug string) error {
	info, err := ReadRunInfo(dir)
	if err != nil || info.Config == slug {
		return err
	}
	info.Config = slug
	return WriteRunInfo(dir, info)
}
