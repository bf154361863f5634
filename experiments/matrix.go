package experiments

import (
	"cmp"
	"fmt"
	"math/big"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"dustm/stmbench7/bench"
)

// Config is one cell of an experiment's matrix: one configuration, run Repetitions times.
type Config struct {
	Index int    // position in the experiment's matrix, over all parts
	Part  string // the part it belongs to
	Kind  Kind
	// Slug names the configuration within its part by the values of the part's axes
	// ("backend=stm,threads=2"; "default" when the part has a single configuration). It is
	// stable: the same definition always gives the same slugs.
	Slug string
	// Params are every setting that applies to the configuration, defaults included, in
	// table order. Settings that do not apply (commit for a lock backend, migration without
	// an upgrade, …) are left out.
	Params Params
	// Axes are the keys whose values vary within the part.
	Axes []string
}

// ID identifies the configuration within the experiment: "part/slug".
func (c *Config) ID() string { return c.Part + "/" + c.Slug }

// Label is the configuration's axis values, for progress lines and legends.
func (c *Config) Label() string { return cmp.Or(c.axisValues(" "), "(single configuration)") }

// axisValues are the configuration's axis=value pairs, joined by sep.
func (c *Config) axisValues(sep string) string {
	var parts []string
	for _, k := range c.Axes {
		if v, ok := c.Params.Get(k); ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, sep)
}

// BenchArgs returns the flags of `dustm bench` that run the configuration (without the
// result files' flags).
func (c *Config) BenchArgs() []string { return flagsOf(c.Kind, c.Params) }

// flagsOf are the command-line flags of the settings of a kind whose keys have flags.
func flagsOf(k Kind, ps Params) []string {
	var args []string
	for _, p := range ps {
		if s, ok := lookupSpecOf(k, p.Key); ok && s.flags != nil {
			args = append(args, s.flags(p.Value)...)
		}
	}
	return args
}

// Command describes how the configuration runs, for dry runs.
func (c *Config) Command() string {
	switch c.Kind {
	case KindMicro:
		return "go test -bench (" + c.Params.String() + ")"
	case KindKV:
		return c.kvCommand()
	}
	return "dustm bench " + strings.Join(c.BenchArgs(), " ")
}

// Exclusion counts the combinations of a part's values that a rule left out.
type Exclusion struct {
	Part, Rule string
	Count      int
}

// Expand turns the experiment into its configurations: per part, the cartesian product of
// its keys' values (keys left out take their defaults) in table order, less the combinations
// that make no sense, with the settings that do not apply dropped and the duplicates this
// leaves merged. It reports how many combinations each rule left out.
func (e *Experiment) Expand() ([]Config, []Exclusion, error) {
	if err := e.Validate(); err != nil {
		return nil, nil, err
	}
	var all []Config
	var excl []Exclusion
	for _, p := range e.Parts {
		if n := combinations(p); n.Cmp(big.NewInt(MaxCombinations)) > 0 {
			return nil, nil, invalidf("part %s: %s combinations of its values; at most %d per part (split it into parts, or give fewer values)",
				p.Name, n.String(), MaxCombinations)
		}
		configs, ex := expandPart(p)
		excl = append(excl, ex...)
		if len(configs) == 0 {
			var why []string
			for _, x := range ex {
				why = append(why, fmt.Sprintf("%s (%d)", x.Rule, x.Count))
			}
			return nil, excl, invalidf("part %s: every combination is left out: %s", p.Name, strings.Join(why, "; "))
		}
		for i := range configs {
			if n := len(configs[i].Slug); n > maxSlugBytes {
				return nil, excl, invalidf("part %s: the configuration %.60s… would name its folder with %d bytes (a file system takes at most %d a name): give fewer keys several values in this part, or split it into parts",
					p.Name, configs[i].Slug, n, maxSlugBytes)
			}
			configs[i].Index = len(all)
			all = append(all, configs[i])
		}
		if len(all) > MaxConfigurations {
			return nil, excl, invalidf("more than %d configurations (accepted: at most %d; split the experiment)", MaxConfigurations, MaxConfigurations)
		}
	}
	if runs := len(all) * e.Reps(); runs > MaxRuns {
		return nil, excl, invalidf("%d configurations × %d repetitions = %d runs (accepted: at most %d runs)", len(all), e.Reps(), runs, MaxRuns)
	}
	return all, excl, nil
}

// maxSlugBytes bounds a configuration's name, which names its folder (runs/PART/SLUG).
const maxSlugBytes = 255

// combinations is the size of a part's cartesian product, counted without overflow.
func combinations(p Part) *big.Int {
	n := big.NewInt(1)
	for _, vs := range p.Settings {
		n.Mul(n, big.NewInt(int64(max(len(vs), 1))))
	}
	return n
}

func expandPart(p Part) ([]Config, []Exclusion) {
	type axis struct {
		key    string
		values []string
	}
	var axes []axis
	for _, s := range specs() {
		if s.kind != p.Kind {
			continue
		}
		if vs, ok := p.Settings[s.key]; ok {
			axes = append(axes, axis{s.key, vs})
		} else if s.def != "" {
			axes = append(axes, axis{s.key, []string{s.def}})
		}
	}
	counts := map[string]int{}
	var rules []string
	var configs []Config
	seen := map[string]bool{} // the settings of configs, to merge duplicates in linear time
	idx := make([]int, len(axes))
	for {
		ps := make(Params, len(axes))
		for i, a := range axes {
			ps[i] = Param{a.key, a.values[idx[i]]}
		}
		ps, rule := applyRules(p.Kind, ps)
		if rule != "" {
			if counts[rule] == 0 {
				rules = append(rules, rule)
			}
			counts[rule]++
		} else if k := ps.String(); !seen[k] {
			seen[k] = true
			configs = append(configs, Config{Part: p.Name, Kind: p.Kind, Params: ps})
			if len(configs) > MaxConfigurations { // Expand refuses it: stop building
				break
			}
		}
		// Next combination: the last key changes fastest.
		i := len(axes) - 1
		for ; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(axes[i].values) {
				break
			}
			idx[i] = 0
		}
		if i < 0 {
			break
		}
	}
	nameConfigs(configs)
	var ex []Exclusion
	for _, r := range rules {
		ex = append(ex, Exclusion{Part: p.Name, Rule: r, Count: counts[r]})
	}
	return configs, ex
}

// applyRules drops the settings that do not apply to a combination, or returns the rule that
// leaves it out.
func applyRules(k Kind, ps Params) (Params, string) {
	if k == KindKV {
		return kvRules(ps)
	}
	if k != KindBench {
		return ps, ""
	}
	m := ps.Map()
	if m["backend"] == "none" && m["threads"] != "1" {
		return nil, "backend none runs only with 1 thread"
	}
	if m["upgrade"] != "none" && m["backend"] != "stm" {
		return nil, "an upgrade needs backend stm"
	}
	if m["layout"] == "field" && m["backend"] != "stm-plain" {
		return nil, "layout field needs backend stm-plain"
	}
	// The settings that do not apply (the commit algorithm of a lock, a migration without an
	// upgrade, the length of a run of ops) are the table's rows whose Applies says so.
	run := bench.DefaultSettings()
	for _, p := range ps {
		if row, ok := bench.LookupSetting(p.Key); ok {
			_ = row.SetKey(&run, p.Value) // normalized already
		}
	}
	for _, row := range bench.SettingsTable() {
		if row.Key != "" && row.Applies != nil && !row.Applies(&run) {
			ps = ps.Without(row.Key)
		}
	}
	if _, ok := m["ops"]; !ok {
		if at, ok := m["upgrade-at"]; ok {
			a, _ := strconv.ParseFloat(at, 64)
			l, _ := strconv.ParseFloat(m["length"], 64)
			if a >= l {
				return nil, "upgrade-at is not before the end of the run"
			}
		}
	}
	return ps, ""
}

var slugUnsafe = regexp.MustCompile(`[^A-Za-z0-9._+=,-]`)

// nameConfigs gives every configuration of a part its axes and slug. A key is an axis when
// it takes several values; a key that is only left out of some configurations (the commit
// algorithm of a lock backend) is not, since the axes that leave it out tell them apart.
func nameConfigs(configs []Config) {
	var axes []string
	for _, s := range specs() {
		if slices.Contains(axes, s.key) { // a key of several kinds (backend) is one axis
			continue
		}
		seen := map[string]bool{}
		for _, c := range configs {
			if v, ok := c.Params.Get(s.key); ok {
				seen[v] = true
			}
		}
		if len(seen) > 1 {
			axes = append(axes, s.key)
		}
	}
	used := map[string]bool{}
	for i := range configs {
		c := &configs[i]
		c.Axes = axes
		slug := cmp.Or(slugUnsafe.ReplaceAllString(c.axisValues(","), "_"), "default")
		for base, n := slug, 2; used[slug]; n++ {
			slug = fmt.Sprintf("%s,%d", base, n)
		}
		used[slug] = true
		c.Slug = slug
	}
}

// Shard selects every Count-th configuration, starting with the Index-th (1-based), so that
// Count machines share a sweep. The zero value selects everything.
type Shard struct {
	Index int `json:"index"`
	Count int `json:"count"`
}

// ParseShard reads "i/n", 1 <= i <= n.
func ParseShard(s string) (Shard, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(strings.TrimSpace(a))
	n, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil || n < 1 || n > MaxConfigurations {
		return Shard{}, invalidf("--shard %q: expected i/n with 1 <= i <= n <= %d, e.g. 2/8", s, MaxConfigurations)
	}
	if i < 1 || i > n {
		return Shard{}, invalidf("--shard %q: shards count from 1 to %d (1/%d … %d/%d)", s, n, n, n, n)
	}
	return Shard{Index: i, Count: n}, nil
}

func (s Shard) String() string {
	if s.Count == 0 {
		return "all"
	}
	return fmt.Sprintf("%d/%d", s.Index, s.Count)
}

// Selects says, for a shard that selects none of n configurations, that it would run
// nothing, and which shards there are.
func (s Shard) Selects(n int) error {
	if s.Count == 0 || s.Index <= n {
		return nil
	}
	if n == 1 {
		return fmt.Errorf("shard %s selects none of the 1 configuration (a single configuration is not split into shards: run it without --shard)", s)
	}
	return fmt.Errorf("shard %s selects none of the %d configurations (at most %d shards: 1/%d … %d/%d)", s, n, n, n, n, n)
}

// Contains reports whether the shard runs the configuration with index i.
func (s Shard) Contains(i int) bool { return s.Count == 0 || i%s.Count == s.Index-1 }

// Run is one repetition of one configuration.
type Run struct {
	Config *Config
	Rep    int // from 1
}

// Dir is the run's folder, relative to the results folder.
func (r Run) Dir() string {
	return filepath.Join("runs", r.Config.Part, r.Config.Slug, fmt.Sprintf("rep-%d", r.Rep))
}

// Schedule orders the runs of the configurations the shard selects: the first repetition of
// each, then the second, … so that slow drifts of the machine spread evenly.
func Schedule(configs []Config, reps int, shard Shard) []Run {
	var runs []Run
	for rep := 1; rep <= reps; rep++ {
		for i := range configs {
			if shard.Contains(configs[i].Index) {
				runs = append(runs, Run{Config: &configs[i], Rep: rep})
			}
		}
	}
	return runs
}

// Estimate is the expected duration of one run of the configuration, for progress and dry
// runs: the length, the setup and the process's start; for micro benchmarks their benchtime.
func (c *Config) Estimate() time.Duration {
	m := c.Params.Map()
	switch c.Kind {
	case KindKV:
		return kvEstimate(m)
	case KindMicro:
		per := 1.0
		if d, err := time.ParseDuration(m["benchtime"]); err == nil {
			per = d.Seconds()
		} else if strings.HasSuffix(m["benchtime"], "x") {
			per = 0.2
		}
		benchmarks := 10.0 // bench/peers: 5 contenders × 2 workloads
		if m["package"] == "stm" {
			benchmarks = 4
		}
		return time.Duration((benchmarks*per*1.3 + 1) * float64(time.Second))
	default:
		// Half the time to build the structure (the estimate counts setup twice); for huge and
		// giant as measured on a shared 2-core machine (16 s and 135 s: the collector works
		// through gigabytes of young heap).
		setup := map[string]float64{"tiny": 0.02, "small": 0.05, "medium": 0.4, "big": 2.5, "huge": 8, "giant": 65}[m["size"]]
		length, err := strconv.ParseFloat(m["length"], 64)
		if err != nil {
			length = 10
		}
		if _, ok := m["ops"]; ok {
			length = 5 // unknown: a guess
		}
		total := length + setup*2 + 0.3
		if m["check"] == "on" {
			total += setup * 4
		}
		if m["replay"] == "on" {
			total += length
		}
		return time.Duration(total * float64(time.Second))
	}
}
