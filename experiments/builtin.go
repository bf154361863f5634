package experiments

import (
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
	for k, vs := range settings {
		out[k] = vs
	}
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
	for k, vs := range settings {
		out[k] = vs
	}
	return out
}

// Builtins returns the built-in experiments, sorted by name.
func Builtins() []*Experiment {
	es := []*Experiment{
		{
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
			// 10 ms intervals: the headline figure shows the seconds around the commit.
			Parts: []Part{{Name: "main", Kind: KindBench, Settings: latency(steady(map[string][]string{
				"backend": v("stm"), "workload": v("r"), "size": v("big"), "length": v("20"), "interval": v("10ms"),
				"sms":       v("off", "on"),
				"upgrade":   v("none", "atomic-point", "composite-stats", "dates"),
				"migration": v("lazy", "lazy+sweep", "eager"),
			}))}},
		},
		{
			Name: "upgrade-overhead",
			Description: "The steady-state cost of being upgradable: throughput of STMBench7 on the STM with upgrade " +
				"support compiled in but no upgrade (stm) against the plain STM (stm-plain), per workload and thread " +
				"count. Six repetitions, so that every configuration has a 95% confidence interval of its median.",
			Repetitions: 6,
			Figures:     []string{"overhead", "latency-percentiles"},
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
			Parts: []Part{{Name: "main", Kind: KindMicro, Settings: map[string][]string{
				"package": v("peers", "stm"), "cpu": v("1", "2"), "benchtime": v("1s"),
			}}},
		},
		{
			Name: "quick",
			Description: "A first look in a few minutes on a laptop, touching every figure: an upgrade of the small " +
				"structure under each migration strategy, the overhead of upgrade support, throughput against " +
				"threads, the pause against the structure size, and the STM micro-benchmarks. Short runs, two " +
				"repetitions: a check that everything works and a rough picture, not a measurement to publish.",
			Repetitions: 2,
			Figures: []string{"upgrade-headline", "max-latency", "upgrade-timeline", "upgrade-migration", "overhead", "throughput-threads",
				"latency-percentiles", "pause-objects", "pause-size", "pause-fraction", "micro"},
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
		},
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
