// Package settings is the one table of what a user sets for a `dustm bench` run. Each row of
// Table names one setting once: its field of Settings, its flag, its key in a result's
// "config" object, its experiment key, its defaults, the values it accepts and its help. The
// flags (AddFlags), the result writer and reader (MarshalJSON, UnmarshalJSON), the
// experiment keys (Normalize, Args) and the reading of a result back as experiment settings
// all go through the table, so that adding a setting is one row (and its field).
//
// The three spellings of a value differ on purpose, since users' scripts and committed results
// depend on them: a flag takes what a person types (-l 2.5, -l 2500ms), the result records a
// number in the unit its key names (length_s), and an experiment key has one canonical
// spelling, because configurations are named by it (length=2.5).
package settings

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"dustm/internal/duration"
	"dustm/stm"
	"dustm/stmbench7"
	"dustm/upgrade"
)

// Settings is what a user sets for one run. Start from Default: the zero value is not a valid
// run.
type Settings struct {
	Threads  int                // worker threads (-t)
	Length   time.Duration      // run length (-l); ignored when Ops > 0
	Ops      int64              // > 0: every thread runs exactly this many operations (--ops)
	Workload stmbench7.Workload // read-only share of the mix (-w)
	Backend  string             // synchronization method (-g)
	Size     string             // size preset (--size), a name of stmbench7.SizeNames

	NoTraversals bool // leave long traversals out of the mix (--no-traversals)
	NoSMs        bool // leave structural modifications out of the mix (--no-sms)

	// Seed seeds every worker's generator (the reference: 3 for all threads). With
	// ThreadSeeds each thread gets its own seed derived from it.
	Seed        int64
	ThreadSeeds bool

	STMCommit stm.Algorithm // commit algorithm of the STM backends (--stm-commit)
	// Layout is how stm-plain keeps the objects' state in boxes (--stm-layout): one box per
	// object (the default) or one per mutable field, as the INESC STMBench7 on JVSTM does.
	Layout stmbench7.Layout

	TTCHistograms bool // print the reference's TTC histograms (--ttc-histograms)
	SeqReplay     bool // replay the run sequentially and compare the structures (--seq-replay)
	Check         bool // check the structural invariants before and after the run (--check)

	// Upgrade names the upgrade scenario (--upgrade; "" for none). Only the stm backend can
	// be upgraded.
	Upgrade string
	// UpgradeAt is when the upgrade is requested, since the timed phase began (--upgrade-at;
	// 0: half the run's length). Without an upgrade it places the latency window that
	// upgraded runs are compared with. A result records it resolved.
	UpgradeAt     time.Duration
	Migration     upgrade.Strategy // how objects are migrated (--migration)
	Sweepers      int              // background sweepers of lazy+sweep (--sweepers; 0: one)
	UpgradeDryRun bool             // convert everything on a snapshot first, installing nothing (--upgrade-dry-run)

	Interval    time.Duration // period of the time series and of the histogram merges (--interval)
	JSONPath    string        // where to write the JSON result ("" for none; "-" for stdout)
	SeriesPath  string        // where to write the JSON-lines series ("" for none; "-" for stdout)
	TracePath   string        // where to write every operation and its result (--trace)
	GoBenchPath string        // where to write the headline numbers in the Go benchmark format (--gobench)

	// The runtime settings and probes. The collector's settings are the process's: a run
	// applies them before the build and restores the previous ones when it returns. A
	// result records the values in effect, whether set here or inherited.
	//
	// GOGC is the collector's target percentage (debug.SetGCPercent): -1 turns the collector
	// off; KeepGOGC leaves the process's (the GOGC environment variable, else 100).
	GOGC int
	// MemoryLimit is the runtime's soft memory limit in bytes: 0 for none; KeepMemoryLimit
	// leaves the process's (the GOMEMLIMIT environment variable).
	MemoryLimit int64
	// GOMAXPROCS sets the processors the run's goroutines share; 0 leaves the process's. A
	// latency run wants more processors than workers, so that the probes and the collectors
	// need not wait for a worker's time slice to end.
	GOMAXPROCS int
	// Probe runs the responsiveness probe beside the workers.
	Probe bool
	// ProbeInterval is the period of the responsiveness probe and of the platform probe;
	// 0 means DefaultProbeInterval.
	ProbeInterval time.Duration
	// Calibration is how long the platform probe runs alone before the structure is built,
	// so that a run's probe maxima can be set against the idle platform's, measured by the
	// same binary in the same run (0: no calibration). CalibrationAuto, the default, is
	// resolved by the run (see bench.Config.CalibrationLength).
	Calibration time.Duration
}

// The bounds of a run's counts and durations: a typo (-t 100000000, --ops 1e12, --interval
// 1ns) fails at once with the accepted range instead of exhausting the machine's memory.
const (
	MaxThreads  = 1024
	MaxOps      = 1_000_000_000 // per thread
	MinLength   = 10 * time.Millisecond
	MaxLength   = 1_000_000 * time.Second // about 11.6 days
	MinInterval = time.Millisecond
	MaxInterval = time.Hour
	MaxSweepers = 1024
	MaxProcs    = 1024 // --gomaxprocs
)

// KeepGOGC and KeepMemoryLimit leave the process's collector settings as they are.
const (
	KeepGOGC        = -2
	KeepMemoryLimit = -1
)

// CalibrationAuto leaves the calibration's length to the run: a few seconds when it probes
// its responsiveness (a latency run), none otherwise.
const CalibrationAuto time.Duration = -1

// CalibrationRange is what --calibration accepts (0 turns the calibration off).
var CalibrationRange = duration.Range{Max: time.Minute}

// DefaultProbeInterval is the probes' period: 1 ms resolves pauses of a millisecond and
// costs a thousand tiny transactions a second.
const DefaultProbeInterval = time.Millisecond

// DefaultSeed is the seed of the workers' generators: the reference seeds every thread with 3.
const DefaultSeed = 3

// The ranges of the duration settings.
var (
	LengthRange   = duration.Range{Min: MinLength, Max: MaxLength}
	IntervalRange = duration.Range{Min: MinInterval, Max: MaxInterval}
	// ProbeIntervalRange: finer than 10µs the probe measures itself, coarser than a second
	// it misses the pauses it exists to see.
	ProbeIntervalRange = duration.Range{Min: 10 * time.Microsecond, Max: time.Second}
	// upgradeAtFlag takes 0 (the default: half the length); an experiment key leaves the
	// key out for that instead.
	upgradeAtFlag = duration.Range{Max: MaxLength}
	upgradeAtKey  = duration.Range{Min: time.Millisecond, Max: MaxLength}
)

// Default returns the reference's defaults: one thread, 10 s, read-dominated, coarse lock,
// long traversals and structural modifications on, seed 3, the big structure.
func Default() Settings {
	return Settings{
		Threads:   1,
		Length:    10 * time.Second,
		Workload:  stmbench7.ReadDominated,
		Backend:   "coarse",
		Size:      stmbench7.DefaultSize,
		Seed:      DefaultSeed,
		STMCommit: stm.LockFree,
		Interval:  100 * time.Millisecond,

		GOGC:          KeepGOGC,
		MemoryLimit:   KeepMemoryLimit,
		ProbeInterval: DefaultProbeInterval,
		Calibration:   CalibrationAuto,
	}
}

// Setting is one row of the table.
type Setting struct {
	// Key is the experiment key ("" when experiments do not set it).
	Key string
	// Flag and Short are the flag of dustm bench ("" for none).
	Flag, Short string
	// Negated: the flag turns the setting off (--no-traversals); the key and the result say
	// whether it is on (traversals=on, long_traversals).
	Negated bool
	// JSON is the key in a result's config object ("" when results do not record it).
	JSON string
	// Help is the flag's help; KeyHelp the experiment key's.
	Help, KeyHelp string
	// KeyDefault is the experiment's default ("" leaves the key out unless it is set). It
	// differs from the flag's where an experiment wants another (backend stm, sms off).
	KeyDefault string
	// Recorded: a result's value reads back as this experiment key (ParamsOf), so that a
	// loose result compares with an experiment's runs. Settings that a result records
	// resolved (upgrade-at) or as inherited (gogc) are not.
	Recorded bool
	// Applies reports whether the key applies to a run (nil: always); a key that does not
	// is left out of the settings read back from a result.
	Applies func(*Settings) bool
	// omit leaves the setting out of a result (nil: always written).
	omit func(*Settings) bool
	// args overrides the flags an experiment passes for a key's value (nil: the default
	// spelling, see Args).
	args func(v string) []string
	// bind returns the setting's field in s, with its codec.
	bind func(s *Settings) value
}

// value is one setting's field seen through its codec.
type value interface {
	pflag.Value // the flag's syntax
	isBool() bool
	key() string
	setKey(string) error
	values() []string
	accepts() string
	json() any
	setJSON(json.RawMessage) error
}

// Field returns the row's field in s as a flag value (a pflag.Value).
func (r Setting) Field(s *Settings) pflag.Value { return r.bind(s) }

// Values returns the accepted values when they are an enumeration (nil otherwise).
func (r Setting) Values() []string { var s Settings; return r.bind(&s).values() }

// Accepts says what the experiment key accepts when it is not an enumeration.
func (r Setting) Accepts() string { var s Settings; return r.bind(&s).accepts() }

// Aliases are the other names an experiment accepts for the key: its flag's names.
func (r Setting) Aliases() []string {
	if r.Negated || r.Key == "" {
		return nil
	}
	var out []string
	for _, a := range []string{r.Short, r.Flag} {
		if a != "" && a != r.Key {
			out = append(out, a)
		}
	}
	return out
}

// Normalize checks an experiment value of the key and returns its canonical spelling.
func (r Setting) Normalize(v string) (string, error) {
	var s Settings
	f := r.bind(&s)
	if err := f.setKey(strings.TrimSpace(v)); err != nil {
		return "", err
	}
	return f.key(), nil
}

// KeyOf returns the setting's value in s as the experiment key spells it.
func (r Setting) KeyOf(s *Settings) string { return r.bind(s).key() }

// SetKey sets the setting in s from an experiment value.
func (r Setting) SetKey(s *Settings, v string) error { return r.bind(s).setKey(v) }

// Args returns the flags of dustm bench that set the key's (canonical) value v.
func (r Setting) Args(v string) []string {
	if r.args != nil {
		return r.args(v)
	}
	var s Settings
	f := r.bind(&s)
	if f.isBool() {
		// A boolean flag is given only to change bench's default.
		if on := v == "on"; on != r.Negated {
			return []string{"--" + r.Flag}
		}
		return nil
	}
	if r.Short != "" {
		return []string{"-" + r.Short, v}
	}
	return []string{"--" + r.Flag, v}
}

// Table returns the settings, in the order in which experiments name, expand and tabulate
// their keys (configurations are named in this order: keep it). It is built by a function,
// so that no package-level state can change.
func Table() []Setting {
	upgrading := func(s *Settings) bool { return s.Upgrade != "" }
	stmBackend := func(s *Settings) bool { return s.Backend == "stm" || s.Backend == "stm-plain" }
	return []Setting{
		{Key: "backend", Flag: "sync", Short: "g", JSON: "backend", KeyDefault: "stm", Recorded: true,
			Help:    "synchronization method: " + strings.Join(stmbench7.BackendNames(), ", "),
			KeyHelp: "synchronization method (-g); none runs only with 1 thread",
			bind:    bind(func(s *Settings) *string { return &s.Backend }, names(stmbench7.BackendNames))},
		{Key: "commit", Flag: "stm-commit", JSON: "stm_commit", KeyDefault: "lockfree", Recorded: true, Applies: stmBackend,
			Help:    "commit algorithm of the STM backends: lock or lockfree",
			KeyHelp: "commit algorithm of the STM backends (--stm-commit); only applies to stm and stm-plain",
			bind:    bind(func(s *Settings) *stm.Algorithm { return &s.STMCommit }, enum(stm.ParseAlgorithm, stm.Algorithms))},
		// No experiment default: configurations of experiments that do not set the layout keep
		// their names; a result without the key (written by an older binary, or with the
		// default layout, which is left out) reads as object.
		{Key: "layout", Flag: "stm-layout", JSON: "stm_layout", Recorded: true, Applies: stmBackend,
			omit:    func(s *Settings) bool { return s.Layout == stmbench7.LayoutObject },
			Help:    "how stm-plain keeps the objects' state in versioned boxes: object (one box per object) or field (one per mutable field, as STMBench7 on JVSTM)",
			KeyHelp: "box layout of the STM backends (--stm-layout): object, or field for stm-plain only",
			bind:    bind(func(s *Settings) *stmbench7.Layout { return &s.Layout }, enumNamed(stmbench7.ParseLayout, stmbench7.LayoutNames))},
		{Key: "workload", Flag: "workload", Short: "w", JSON: "workload", KeyDefault: "r", Recorded: true,
			Help:    "workload: r = read-dominated, rw = read-write, w = write-dominated, ro = read-only",
			KeyHelp: "workload (-w): r read-dominated, rw read-write, w write-dominated, ro read-only",
			bind:    bind(func(s *Settings) *stmbench7.Workload { return &s.Workload }, enumNamed(stmbench7.ParseWorkload, stmbench7.WorkloadNames))},
		{Key: "threads", Flag: "threads", Short: "t", JSON: "threads", KeyDefault: "1", Recorded: true,
			Help:    fmt.Sprintf("number of worker threads (1 to %d)", MaxThreads),
			KeyHelp: "worker threads (-t)",
			bind:    bind(func(s *Settings) *int { return &s.Threads }, integer[int](1, MaxThreads))},
		{Key: "size", Flag: "size", JSON: "size", KeyDefault: "big", Recorded: true,
			Help:    "structure size: " + strings.Join(stmbench7.SizeNames(), ", "),
			KeyHelp: "structure size (--size)",
			bind:    bind(func(s *Settings) *string { return &s.Size }, names(stmbench7.SizeNames))},
		{Key: "traversals", Flag: "no-traversals", Negated: true, JSON: "long_traversals", KeyDefault: "on", Recorded: true,
			Help:    "do not use long traversals",
			KeyHelp: "long traversals in the mix (off: --no-traversals)",
			bind:    bind(func(s *Settings) *bool { return &s.NoTraversals }, boolean(true))},
		{Key: "sms", Flag: "no-sms", Negated: true, JSON: "structural_modifications", KeyDefault: "off", Recorded: true,
			Help:    "do not use structural modification operations",
			KeyHelp: "structural modifications in the mix (off: --no-sms); off by default: with them the structure decays within seconds",
			bind:    bind(func(s *Settings) *bool { return &s.NoSMs }, boolean(true))},
		{Key: "upgrade", Flag: "upgrade", JSON: "upgrade", KeyDefault: "none", Recorded: true,
			Help:    "upgrade the running benchmark (-g stm only) with this scenario: " + strings.Join(stmbench7.ScenarioNames(), ", "),
			KeyHelp: "upgrade scenario (--upgrade); only with backend stm",
			omit:    func(s *Settings) bool { return s.Upgrade == "" },
			args: func(v string) []string {
				if v == "none" {
					return nil
				}
				return []string{"--upgrade", v}
			},
			bind: bind(func(s *Settings) *string { return &s.Upgrade }, scenario())},
		{Key: "migration", Flag: "migration", JSON: "migration", KeyDefault: "lazy", Recorded: true, Applies: upgrading,
			Help:    "how objects are migrated: lazy, eager (stop the world) or lazy+sweep",
			KeyHelp: "migration strategy (--migration); only with an upgrade",
			omit:    func(s *Settings) bool { return s.Upgrade == "" },
			bind:    bind(func(s *Settings) *upgrade.Strategy { return &s.Migration }, enum(upgrade.ParseStrategy, upgrade.Strategies))},
		{Key: "sweepers", Flag: "sweepers", JSON: "sweepers", KeyDefault: "1", Recorded: true,
			Applies: func(s *Settings) bool { return s.Upgrade != "" && s.Migration == upgrade.LazySweep },
			Help:    fmt.Sprintf("background sweepers of --migration lazy+sweep, 1 to %d (default 1)", MaxSweepers),
			KeyHelp: "sweeper goroutines (--sweepers); only with migration lazy+sweep",
			omit:    func(s *Settings) bool { return s.Sweepers == 0 },
			bind:    bind(func(s *Settings) *int { return &s.Sweepers }, sweepers())},
		{Key: "upgrade-at", Flag: "upgrade-at", JSON: "upgrade_at_s",
			Help:    "when to request the upgrade, since the run began: seconds or a duration (default: half the run's length)",
			KeyHelp: "when the upgrade is requested (--upgrade-at); default half the length. Without an upgrade it places the baseline window",
			// With a unit: binaries from before package duration read only a Go duration there.
			args: func(v string) []string { return []string{"--upgrade-at", v + "s"} },
			bind: bind(func(s *Settings) *time.Duration { return &s.UpgradeAt }, seconds(upgradeAtFlag, upgradeAtKey))},
		{Key: "dry-run", Flag: "upgrade-dry-run", JSON: "upgrade_dry_run", KeyDefault: "off", Recorded: true, Applies: upgrading,
			Help:    "before upgrading, convert every object on a snapshot without installing anything, and report failures",
			KeyHelp: "check the upgrade with a dry run first (--upgrade-dry-run); only with an upgrade",
			omit:    func(s *Settings) bool { return !s.UpgradeDryRun },
			bind:    bind(func(s *Settings) *bool { return &s.UpgradeDryRun }, boolean(false))},
		{Key: "length", Flag: "length", Short: "l", JSON: "length_s", KeyDefault: "10", Recorded: true,
			Applies: func(s *Settings) bool { return s.Ops == 0 },
			Help:    "length of the run: seconds (2.5) or a duration (2500ms), " + LengthRange.String(),
			KeyHelp: "run length in seconds (-l); ignored when ops is set",
			bind:    bind(func(s *Settings) *time.Duration { return &s.Length }, seconds(LengthRange, LengthRange))},
		{Key: "ops", Flag: "ops", JSON: "ops", Recorded: true,
			Applies: func(s *Settings) bool { return s.Ops > 0 },
			Help:    fmt.Sprintf("run exactly this many operations per thread (1 to %d) instead of a length of time", MaxOps),
			KeyHelp: "operations per thread instead of a length of time (--ops)",
			bind:    bind(func(s *Settings) *int64 { return &s.Ops }, integer[int64](1, MaxOps))},
		{Key: "interval", Flag: "interval", JSON: "interval_s", KeyDefault: "100ms", Recorded: true,
			Applies: func(s *Settings) bool { return s.Interval > 0 },
			Help:    "interval of the time series, " + IntervalRange.String(),
			KeyHelp: "interval of the time series (--interval)",
			bind:    bind(func(s *Settings) *time.Duration { return &s.Interval }, period(IntervalRange, time.Second, 100*time.Millisecond))},
		{Key: "seed", Flag: "seed", JSON: "seed", KeyDefault: "3", Recorded: true,
			Help:    "seed of the workers' generators (the structure is always built with seed 3)",
			KeyHelp: "seed of the workers' generators (--seed)",
			bind:    bind(func(s *Settings) *int64 { return &s.Seed }, anyInteger())},
		{Key: "thread-seeds", Flag: "thread-seeds", JSON: "thread_seeds", KeyDefault: "off", Recorded: true,
			Help:    "give every thread its own seed, derived from --seed by SplitMix64 (default: all threads use --seed, as the reference)",
			KeyHelp: "a distinct seed per thread (--thread-seeds)",
			bind:    bind(func(s *Settings) *bool { return &s.ThreadSeeds }, boolean(false))},
		{Key: "check", Flag: "check", JSON: "check", KeyDefault: "off", Recorded: true,
			Help:    "check the structural invariants before and after the run",
			KeyHelp: "check the structural invariants before and after (--check)",
			bind:    bind(func(s *Settings) *bool { return &s.Check }, boolean(false))},
		{Key: "replay", Flag: "seq-replay", JSON: "seq_replay", KeyDefault: "off", Recorded: true,
			Help:    "replay the execution in a single thread and compare the structures (checks opacity)",
			KeyHelp: "replay the run sequentially and compare (--seq-replay)",
			bind:    bind(func(s *Settings) *bool { return &s.SeqReplay }, boolean(false))},
		// The runtime settings and the probe: left out of experiments unless set (the bench
		// process then inherits GOGC and GOMEMLIMIT from the experiment's environment, and
		// probes only when it upgrades).
		{Key: "gogc", Flag: "gogc", JSON: "gogc",
			Help:    "the collector's GOGC for the run (a percentage, or off); default: the GOGC environment variable, else 100",
			KeyHelp: "the collector's GOGC in the bench process (--gogc)",
			bind:    bind(func(s *Settings) *int { return &s.GOGC }, gogc())},
		{Key: "memlimit", Flag: "memlimit", JSON: "memlimit_bytes",
			Help:    "the runtime's soft memory limit for the run (bytes with a unit, e.g. 4GiB, or off); default: GOMEMLIMIT",
			KeyHelp: "the runtime's soft memory limit in the bench process (--memlimit)",
			bind:    bind(func(s *Settings) *int64 { return &s.MemoryLimit }, memLimit())},
		{Key: "gomaxprocs", Flag: "gomaxprocs", JSON: "gomaxprocs",
			Help:    fmt.Sprintf("the processors the run's goroutines share (1 to %d; default: GOMAXPROCS, else the CPUs); a latency run wants more than its workers", MaxProcs),
			KeyHelp: "the processors of the bench process (--gomaxprocs)",
			bind:    bind(func(s *Settings) *int { return &s.GOMAXPROCS }, integer[int](1, MaxProcs))},
		{Key: "probe", Flag: "probe", JSON: "probe",
			Help:    "run the responsiveness probe: a tiny read-only transaction every --probe-interval, open loop (default on with --upgrade)",
			KeyHelp: "the responsiveness probe beside the workers (--probe); bench's default is on only with an upgrade",
			// Always explicit: bench's default depends on --upgrade.
			args: func(v string) []string { return []string{"--probe=" + strconv.FormatBool(v == "on")} },
			bind: bind(func(s *Settings) *bool { return &s.Probe }, boolean(false))},
		{Key: "probe-interval", Flag: "probe-interval", JSON: "probe_interval_us",
			Help:    "period of the responsiveness probe and of the platform (hiccup) probe, " + ProbeIntervalRange.String(),
			KeyHelp: "period of the probes (--probe-interval)",
			bind:    bind(func(s *Settings) *time.Duration { return &s.ProbeInterval }, period(ProbeIntervalRange, time.Microsecond, time.Millisecond))},
		// Not recorded as a key: a result records the length the run resolved, as upgrade-at.
		{Key: "calibration", Flag: "calibration", JSON: "calibration_s",
			omit: func(s *Settings) bool { return s.Calibration <= 0 },
			Help: "run the platform probe alone for this long before the structure is built, to record the idle platform's oversleeps " +
				"(\"calibration\" in the result), " + CalibrationRange.String() + "; default: a quarter of the length, at most 3 s, " +
				"when the run probes its responsiveness (every upgrade run), else 0",
			KeyHelp: "the idle platform probe before the build (--calibration); default as bench's: on for runs that probe",
			args:    func(v string) []string { return []string{"--calibration", v + "s"} },
			bind:    bind(func(s *Settings) *time.Duration { return &s.Calibration }, calibration())},

		// Flags and result keys that are not experiment keys: an experiment names the result
		// files itself.
		{Flag: "ttc-histograms", JSON: "ttc_histograms", Help: "print the TTC histograms",
			bind: bind(func(s *Settings) *bool { return &s.TTCHistograms }, boolean(false))},
		{Flag: "json", JSON: "json", Help: "write the results as one JSON document to this file (- for stdout; the report then goes to stderr)",
			omit: func(s *Settings) bool { return s.JSONPath == "" },
			bind: bind(func(s *Settings) *string { return &s.JSONPath }, path())},
		{Flag: "series", JSON: "series", Help: "write a JSON-lines time series (one line per interval) to this file (- for stdout)",
			omit: func(s *Settings) bool { return s.SeriesPath == "" },
			bind: bind(func(s *Settings) *string { return &s.SeriesPath }, path())},
		{Flag: "gobench", Help: "write the headline numbers as a line of Go benchmark output (benchstat compares such files) to this file (- for stdout)",
			bind: bind(func(s *Settings) *string { return &s.GoBenchPath }, path())},
		{Flag: "trace", Help: "write every operation, in order, as a line \"INDEX OP RESULT\" (RESULT: FAILED for a failed one)\n" +
			"to this file; with several threads one file per thread, FILE.0, FILE.1, ...",
			bind: bind(func(s *Settings) *string { return &s.TracePath }, path())},
	}
}

// Lookup returns the row of an experiment key or of one of its aliases.
func Lookup(key string) (Setting, bool) {
	for _, r := range Table() {
		if r.Key != "" && (r.Key == key || slices.Contains(r.Aliases(), key)) {
			return r, true
		}
	}
	return Setting{}, false
}

// AddFlags defines the table's flags on fs, setting s's fields; s should hold the defaults
// (Default) first, which the flags' help shows.
func AddFlags(fs *pflag.FlagSet, s *Settings) {
	for _, r := range Table() {
		if r.Flag == "" {
			continue
		}
		f := r.bind(s)
		fl := fs.VarPF(f, r.Flag, r.Short, r.Help)
		if f.isBool() {
			fl.NoOptDefVal = "true"
		}
	}
}

// MarshalJSON writes the settings that results record, as one object in table order.
func (s Settings) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	if err := s.writeJSON(&b); err != nil {
		return nil, err
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// writeJSON writes the members of the settings' object (without the braces).
func (s *Settings) writeJSON(b *bytes.Buffer) error {
	first := true
	for _, r := range Table() {
		if r.JSON == "" || (r.omit != nil && r.omit(s)) {
			continue
		}
		v, err := json.Marshal(r.bind(s).json())
		if err != nil {
			return fmt.Errorf("settings: %s: %w", r.JSON, err)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		fmt.Fprintf(b, "%q:", r.JSON)
		b.Write(v)
	}
	return nil
}

// UnmarshalJSON reads the settings of a result's config object. A key that is absent reads as
// its zero value (false for long_traversals), as results of binaries that predate the setting
// have it.
func (s *Settings) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	return s.readJSON(m)
}

func (s *Settings) readJSON(m map[string]json.RawMessage) error {
	*s = Settings{}
	for _, r := range Table() {
		raw, ok := m[r.JSON]
		if r.JSON == "" || ((!ok || string(raw) == "null") && !r.Negated) {
			continue
		}
		if !ok || string(raw) == "null" {
			raw = json.RawMessage("false") // a result without long_traversals says they were off
		}
		if err := r.bind(s).setJSON(raw); err != nil {
			return fmt.Errorf("config.%s: %w", r.JSON, err)
		}
	}
	return nil
}

// MarshalWith writes the settings and the members of extra (a struct or map encoded as a JSON
// object) as one object: results record the settings beside what the run derived from them.
func (s *Settings) MarshalWith(extra any) ([]byte, error) {
	x, err := json.Marshal(extra)
	if err != nil {
		return nil, err
	}
	x = bytes.TrimSpace(x)
	if len(x) < 2 || x[0] != '{' {
		return nil, fmt.Errorf("settings: the extra members are not a JSON object")
	}
	var b bytes.Buffer
	b.WriteByte('{')
	if err := s.writeJSON(&b); err != nil {
		return nil, err
	}
	if inner := bytes.TrimSpace(x[1 : len(x)-1]); len(inner) > 0 {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.Write(inner)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// KeyValue is one experiment key and its value.
type KeyValue struct{ Key, Value string }

// Recorded returns the experiment keys of the settings that a result records as such and that
// apply to s, with their values, in table order: what names a run (see Setting.Recorded).
func Recorded(s *Settings) []KeyValue {
	var out []KeyValue
	for _, r := range Table() {
		if r.Key != "" && r.Recorded && (r.Applies == nil || r.Applies(s)) {
			out = append(out, KeyValue{r.Key, r.KeyOf(s)})
		}
	}
	return out
}
