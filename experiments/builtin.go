package experiments

import (
	"maps"
	"slices"
	"strings"
)

// The built-in experiments, in one place. `dustm experiment --show NAME` prints any of them
// in the file form, to copy, edit and run with -f.

// v is shorthand for a list of values.
func v(values ...string) []string { return values }

// steady are the settings every steady-state part shares: no structural modifications (with
// them the reference structure decays within seconds, and throughput depends on the run's
// length) and no long traversals (on the bigger structures they take up to seconds and
// dominate the maximum latency). Both are axes a user can turn on with --set.
func steady(settings map[string][]string) map[string][]string {
	out := map[string][]string{"sms": v("off"), "traversals": v("off")}
	maps.Copy(out, settings)
	return out
}

// latency are the runtime settings of the experiments that measure latency across an upgrade:
// the responsiveness probe on, and a collector that runs rarely enough to measure the program
// rather than its own backlog. Under GOGC=100 the big structure's live heap (100-150 MB, twice
// that during a lazy migration) is collected every 150-300 ms at the allocation rate of OP11's
// 1 MB manual strings: 15-25 % of the CPU goes to marking, a cycle is nearly always running, and
// every operation's maximum is that of one that met a mark phase (its assists, and on 2 cores the
// fractional mark worker holding a worker's processor for milliseconds). GOGC=400 makes cycles
// four to five times rarer and their share of the CPU a few percent; the 4 GiB soft memory
// limit keeps a lazy migration's retained versions from growing the heap without bound (the
// collector then runs when the limit, not GOGC, says so). Both are axes: --set gogc=100 gives
// the runtime's default back.
func latency(settings map[string][]string) map[string][]string {
	out := map[string][]string{"gogc": v("400"), "memlimit": v("4GiB"), "probe": v("on"), "threads": v("1"), "gomaxprocs": v("4")}
	maps.Copy(out, settings)
	return out
}

// Claim is one statement an experiment sets out to check, as data: package plots evaluates
// every claim with one evaluator. A claim is checked in each part (Part only, where named)
// that has a configuration matching On with one of its Metrics.
type Claim struct {
	Text string `json:"text"`
	Part string `json:"part,omitempty"`
	// Rule decides the verdict. The ratio rules compare each configuration matching On with
	// its baseline (Metrics over BaselineMetric, the medians' ratio with its 95% bootstrap
	// interval): "at-most" holds where the interval reaches below Value, "at-least" where it
	// reaches above Value, "above" where it lies above Value, "ratio" only reports the
	// ratios. "fit" fits Metrics[0] against Size as a power law, per value of By; "best"
	// names the best configuration by Metrics[0], per value of By; "within" holds where every
	// run's Metrics[0] lies between Low and High.
	Rule  string  `json:"rule"`
	Value float64 `json:"value,omitempty"`
	Low   float64 `json:"low,omitempty"`
	High  float64 `json:"high,omitempty"`
	// Metrics decide, each on its own: "a|b" is the first of a and b that both sides have
	// (the others are shown beside), "x.{}.y" every member of a family. Beside are shown,
	// never deciding. BaselineMetric is the baseline's metric where not the same (of a
	// family, the member with the largest median).
	Metrics        []string `json:"metrics"`
	Beside         []string `json:"beside,omitempty"`
	BaselineMetric string   `json:"baseline_metric,omitempty"`
	// On selects the configurations checked; Baseline the one each is compared with, which
	// agrees with it on every setting but Baseline's own keys and Ignore; only the cases
	// that match Decide decide the verdict (the others are shown beside). Best keeps, of
	// several configurations (or baselines) that agree, the best by the metric.
	On       Selection `json:"on"`
	Baseline Selection `json:"baseline,omitempty"`
	Decide   Selection `json:"decide,omitempty"`
	Ignore   []string  `json:"ignore,omitempty"`
	Best     bool      `json:"best,omitempty"`
	Size     string    `json:"size,omitempty"` // fit: the metric, or else the setting, on the x axis
	By       []string  `json:"by,omitempty"`
	Note     string    `json:"note,omitempty"` // printed with the evidence
}

// Selection picks configurations by their settings: key → values separated by commas (an
// empty one matches a configuration without the key, a value may be a path.Match pattern),
// "!values" anything else, "largest" or "smallest" the numeric extreme among the part's
// configurations (where the key has two values or more). A key "k/i" is the i-th /-separated
// segment of k's value (a micro benchmark's implementation: "benchmark/1").
type Selection map[string]string

// claimRules are the rules a claim may have, the ratio rules first.
func claimRules() []string {
	return []string{"at-most", "at-least", "above", "ratio", "fit", "best", "within"}
}

// checkClaims reports the first claim a definition gets wrong.
func checkClaims(cs []Claim) error {
	for i, c := range cs {
		switch {
		case c.Text == "":
			return invalidf("claims[%d]: no text", i)
		case !slices.Contains(claimRules(), c.Rule):
			return invalidf("claims[%d] (%s): rule %q: expected one of %s", i, c.Text, c.Rule, strings.Join(claimRules(), ", "))
		case len(c.Metrics) == 0 || len(c.On) == 0:
			return invalidf("claims[%d] (%s): needs metrics and on (the configurations it is checked on)", i, c.Text)
		case c.Rule == "fit" && c.Size == "":
			return invalidf("claims[%d] (%s): a fit needs size (the metric or setting on the x axis)", i, c.Text)
		case slices.Contains(claimRules()[:4], c.Rule) && len(c.Baseline) == 0:
			return invalidf("claims[%d] (%s): rule %s needs baseline (the configuration it is compared with)", i, c.Text, c.Rule)
		}
	}
	return nil
}

// The paper's claims (Pina & Cachopo, HotSWUp 2012) and the project's, checked by the
// built-in experiments. upgradeIgnore are the settings of an upgrade but its scenario.
func upgradeIgnore() []string { return []string{"migration", "sweepers", "dry-run"} }

func lazyClaim() Claim {
	return Claim{Text: "lazy migration upgrades without affecting significantly the maximum response time",
		Rule: "at-most", Value: 2, Metrics: []string{"probe_max_us|all.max_us"},
		On: Selection{"migration": "lazy,lazy+sweep"}, Baseline: Selection{"upgrade": "none,"}, Ignore: upgradeIgnore()}
}

func eagerClaim() Claim {
	return Claim{Text: "an immediate (eager) upgrade shows maximum response times up to three orders of magnitude higher",
		Rule: "above", Value: 10, Metrics: []string{"probe_max_us|all.max_us"},
		On: Selection{"migration": "eager"}, Baseline: Selection{"upgrade": "none,"}, Ignore: upgradeIgnore()}
}

func costClaim() Claim {
	return Claim{Text: "being upgradable costs little in the steady state (throughput of stm against the plain STM, stm-plain)",
		Rule: "at-least", Value: 0.9, Metrics: []string{"throughput"},
		On: Selection{"backend": "stm", "upgrade": "none,"}, Baseline: Selection{"backend": "stm-plain"}}
}

func pauseClaims() []Claim {
	return []Claim{{Text: "an eager upgrade's time from request to commit grows with the objects it converts",
		Rule: "fit", Metrics: []string{"upgrade.commit_delay_ms"}, Size: "upgrade.objects", By: []string{"upgrade"},
		On: Selection{"migration": "eager"}, Beside: []string{"upgrade.us_per_object"},
		Note: "The paper (its abstract) gives no per-object conversion cost for its Java system: no comparison is made."},
		{Text: "a lazy upgrade only commits: its time from request to commit does not grow with the size",
			Rule: "fit", Metrics: []string{"upgrade.commit_delay_ms"}, Size: "upgrade.objects", By: []string{"upgrade"},
			On: Selection{"migration": "lazy,lazy+sweep"}}}
}

func threadClaims() []Claim {
	return []Claim{{Text: "the fastest method at the most threads", Rule: "best", Metrics: []string{"throughput"},
		On: Selection{"threads": "largest"}, By: []string{"workload"}},
		{Text: "the STM (stm, lock-free commits) scales from the fewest to the most threads", Rule: "ratio", Metrics: []string{"throughput"},
			On: Selection{"backend": "stm", "commit": "lockfree,", "threads": "largest"}, Baseline: Selection{"threads": "smallest"}}}
}

func microClaim() Claim {
	return Claim{Text: "the fastest of ours (dustm-…) against the fastest other implementation, at the most processors",
		Rule: "ratio", Metrics: []string{"ns_per_op"}, Best: true,
		On: Selection{"benchmark/1": "dustm*", "procs": "largest"}, Baseline: Selection{"benchmark/1": "!dustm*"}}
}

// DefaultClaims are the claims of an experiment that declares none: every built-in claim,
// each checked where the results have what it needs.
func DefaultClaims() []Claim {
	cs := append([]Claim{lazyClaim(), eagerClaim(), costClaim()}, pauseClaims()...)
	cs = append(append(cs, threadClaims()...), microClaim())
	for _, e := range kvBuiltins() {
		cs = append(cs, e.Claims...)
	}
	return cs
}

// inPart restricts claims to a part.
func inPart(part string, cs ...Claim) []Claim {
	for i := range cs {
		cs[i].Part = part
	}
	return cs
}

// FolderClaims are the claims a results folder is checked against: its definition's, those
// of the built-in experiment it ran (results written before claims were data), or else
// DefaultClaims.
func FolderClaims(m *Manifest) []Claim {
	if m == nil {
		return DefaultClaims()
	}
	if m.Definition != nil && len(m.Definition.Claims) > 0 {
		return m.Definition.Claims
	}
	if e, err := Builtin(m.Experiment); err == nil && m.Source == "built-in" && len(e.Claims) > 0 {
		return e.Claims
	}
	return DefaultClaims()
}

// Builtins returns the built-in experiments, sorted by name.
func Builtins() []*Experiment {
	es := []*Experiment{
		upgradeLatency(),
		{
			Name: "upgrade-overhead",
			Description: "The steady-state cost of being upgradable: throughput of STMBench7 on the STM with upgrade " +
				"support compiled in but no upgrade (stm) against the plain STM (stm-plain), per workload and thread " +
				"count. Six repetitions, so that every configuration has a 95% confidence interval of its median.",
			Repetitions: 6,
			Figures:     []string{"overhead", "latency-percentiles"},
			Claims:      append([]Claim{costClaim()}, threadClaims()...),
			Parts: []Part{{Name: "main", Kind: KindBench, Settings: steady(map[string][]string{
				"backend": v("stm-plain", "stm"), "workload": v("r", "rw", "w"), "threads": v("1", "2"),
				"size": v("big"), "length": v("10"),
			})}},
		},
		{
			Name: "pause-vs-size",
			Description: "How the upgrade's pause and the maximum latency around it grow with the size of the state: " +
				"every structure size up to giant (30 times the reference's composite parts: 3 million atomic parts, " +
				"about 3.2 GB of heap and 7 GB resident while an eager upgrade holds both versions; what fits a 24 GiB " +
				"machine with room for the rest), every scenario (each changes the type of a different share of the " +
				"objects), eager against lazy migration, and the same runs without an upgrade (the floor the ratios " +
				"are taken against). The giant structure takes about 2 minutes to build on 2 cores. With the " +
				"responsiveness probe, GOGC=400, one worker and GOMAXPROCS=4 as upgrade-latency (why: see there), and " +
				"a 12 GiB memory limit, which the giant structure's two versions need.",
			Repetitions: 3,
			Figures:     []string{"pause-objects", "pause-size", "pause-fraction", "max-latency"},
			Claims:      append([]Claim{lazyClaim(), eagerClaim(), costClaim()}, pauseClaims()...),
			Parts: []Part{{Name: "main", Kind: KindBench, Settings: latency(steady(map[string][]string{
				"backend": v("stm"), "workload": v("rw"), "length": v("8"), "memlimit": v("12GiB"),
				"size":      v("tiny", "small", "medium", "big", "huge", "giant"),
				"upgrade":   v("none", "atomic-point", "composite-stats", "document-lines", "dates"),
				"migration": v("eager", "lazy"),
			}))}},
		},
		{
			Name: "scalability",
			Description: "Throughput against the number of threads for every synchronization method (the coarse " +
				"lock, the reference's medium-grained locks, the STM with and without upgrade support, each STM with " +
				"both commit algorithms, and the unsynchronized single-threaded baseline), per workload.",
			Repetitions: 3,
			Figures:     []string{"throughput-threads", "latency-percentiles"},
			Claims:      append([]Claim{costClaim()}, threadClaims()...),
			Parts: []Part{{Name: "main", Kind: KindBench, Settings: steady(map[string][]string{
				"backend": v("none", "coarse", "medium", "stm-plain", "stm"), "commit": v("lock", "lockfree"),
				"workload": v("r", "rw", "w"), "threads": v("1", "2", "4"), "size": v("medium"), "length": v("5"),
			})}},
		},
		{
			Name: "stm-micro",
			Description: "Micro-benchmarks of the STM against the public Go STMs (github.com/anacrolix/stm, " +
				"github.com/lukechampine/stm) and a global sync.RWMutex: a read-only transaction reading 10 of 1000 " +
				"boxes (ro10) and a read-write one incrementing 2 (inc2); plus the STM's own benchmarks with both " +
				"commit algorithms. Each repetition is a fresh go test process; the raw output (micro.txt) is in Go " +
				"benchmark format, for benchstat.",
			Repetitions: 6,
			Figures:     []string{"micro"},
			Claims:      []Claim{microClaim()},
			Parts: []Part{{Name: "main", Kind: KindMicro, Settings: map[string][]string{
				"package": v("peers", "stm"), "cpu": v("1", "2"), "benchtime": v("1s"),
			}}},
		},
		quick(),
	}
	es = append(es, kvBuiltins()...)
	slices.SortFunc(es, func(a, b *Experiment) int { return strings.Compare(a.Name, b.Name) })
	return es
}

// Builtin returns the named built-in experiment.
func Builtin(name string) (*Experiment, error) {
	var names []string
	for _, e := range Builtins() {
		if e.Name == name {
			return e, nil
		}
		names = append(names, e.Name)
	}
	return nil, invalidf("unknown experiment %q (built-in: %s; or -f FILE)", name, strings.Join(names, ", "))
}

// upgradeLatency is the paper's figure, with the claims it checks.
func upgradeLatency() *Experiment {
	return &Experiment{
		Name: "upgrade-latency",
		Description: "The paper's figure: throughput and maximum latency over time across an atomic upgrade of " +
			"the running STMBench7, for each upgrade scenario and each migration strategy (lazy: convert objects " +
			"on first touch; lazy+sweep: lazy plus a background sweeper; eager: stop the world and convert " +
			"everything at the upgrade), against the same run without an upgrade. The upgrade is requested " +
			"halfway through each run. The paper's setting: the big (reference-size) structure, 2 threads, " +
			"the read-dominated workload without long traversals, 20 s runs, with structural modifications " +
			"off (the steady figure) and on (the reference structure decays within seconds); the three " +
			"scenarios that change the most objects or read other objects (document-lines and chain: " +
			"--set upgrade=...). Every run has the responsiveness probe (a tiny read-only transaction every " +
			"millisecond, open loop: what a client would have waited) and runs with GOGC=400 and a 4 GiB " +
			"memory limit, so that the maximum latency measures the program and the upgrade, not the " +
			"collector's backlog: under the default GOGC=100 the live heap of the big structure is marked " +
			"every few hundred milliseconds (15-25 % of the CPU) and most maxima are a mark phase's. " +
			"One worker thread and GOMAXPROCS=4 (both in every result): on the 2-core reference machine, 2 workers " +
			"with GOMAXPROCS=2 leave a woken probe waiting for a worker's time slice (the platform probe's " +
			"maximum was 51 ms, its p99 17 ms, with nothing else running), which hides the stopped world; with " +
			"one worker and more processors than workers the floor falls to about 10 ms. On a machine with N " +
			"cores, --set threads=N-1,gomaxprocs=2N keeps the same shape.",
		Repetitions: 3,
		Figures:     []string{"upgrade-headline", "max-latency", "upgrade-timeline", "upgrade-migration", "pause-objects", "latency-percentiles"},
		Claims:      append([]Claim{lazyClaim(), eagerClaim(), costClaim()}, pauseClaims()...),
		// 10 ms intervals: the headline figure shows the seconds around the commit.
		Parts: []Part{{Name: "main", Kind: KindBench, Settings: latency(steady(map[string][]string{
			"backend": v("stm"), "workload": v("r"), "size": v("big"), "length": v("20"), "interval": v("10ms"),
			"sms":       v("off", "on"),
			"upgrade":   v("none", "atomic-point", "composite-stats", "dates"),
			"migration": v("lazy", "lazy+sweep", "eager"),
		}))}},
	}
}

// quick is the first look, every figure and claim on small runs.
func quick() *Experiment {
	return &Experiment{
		Name: "quick",
		Description: "A first look in a few minutes on a laptop, touching every figure: an upgrade of the small " +
			"structure under each migration strategy, the overhead of upgrade support, throughput against " +
			"threads, the pause against the structure size, and the STM micro-benchmarks. Short runs, two " +
			"repetitions: a check that everything works and a rough picture, not a measurement to publish.",
		Repetitions: 2,
		Figures: []string{"upgrade-headline", "max-latency", "upgrade-timeline", "upgrade-migration", "overhead", "throughput-threads",
			"latency-percentiles", "pause-objects", "pause-size", "pause-fraction", "micro"},
		Claims: slices.Concat(inPart("upgrade", append([]Claim{lazyClaim(), eagerClaim(), costClaim()}, pauseClaims()...)...),
			inPart("overhead", costClaim()), inPart("scalability", threadClaims()...), inPart("pause", pauseClaims()...), inPart("micro", microClaim())),
		Parts: []Part{
			{Name: "upgrade", Kind: KindBench, Description: "an upgrade halfway through, per migration strategy",
				Settings: latency(steady(map[string][]string{
					"backend": v("stm"), "threads": v("2"), "workload": v("rw"), "size": v("small"), "length": v("2"),
					"upgrade": v("none", "atomic-point"), "migration": v("lazy", "lazy+sweep", "eager"),
				}))},
			{Name: "overhead", Kind: KindBench, Description: "stm against stm-plain, no upgrade",
				Settings: steady(map[string][]string{
					"backend": v("stm-plain", "stm"), "workload": v("r", "w"), "threads": v("2"), "size": v("small"), "length": v("2"),
				})},
			{Name: "scalability", Kind: KindBench, Description: "throughput against threads",
				Settings: steady(map[string][]string{
					"backend": v("coarse", "medium", "stm"), "commit": v("lock", "lockfree"), "threads": v("1", "2"),
					"size": v("small"), "length": v("1.5"),
				})},
			{Name: "pause", Kind: KindBench, Description: "the upgrade's pause against the structure size",
				Settings: steady(map[string][]string{
					"backend": v("stm"), "threads": v("2"), "workload": v("rw"), "size": v("tiny", "small", "medium"), "length": v("1.5"),
					"upgrade": v("atomic-point", "composite-stats"), "migration": v("eager", "lazy"),
				})},
			{Name: "micro", Kind: KindMicro, Description: "the STM against the public Go STMs",
				Settings: map[string][]string{"package": v("peers"), "cpu": v("1", "2"), "benchtime": v("100ms")}},
		},
	}
}
