package bench

// The settings of a run: one table (SettingsTable) names each setting once, with its field
// of Settings, its flag, its key in a run's configuration pairs, its experiment key, its
// defaults, the values it accepts and its help. The flags (AddFlags), the record's pairs
// (Pairs, FromPairs) and the experiment keys (Setting.Normalize, Setting.Args, Recorded)
// all go through the table, so that adding a setting is one row and its field.
//
// The three spellings of a value differ on purpose, since users' scripts and committed results
// depend on them: a flag takes what a person types (-l 2.5, -l 2500ms), the record a number in
// the unit its key names (length_s=2.5), and an experiment key has one canonical spelling,
// because configurations are named by it (length=2.5).

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"dustm/internal/duration"
	"dustm/record"
	"dustm/stm"
	"dustm/stmbench7"
	"dustm/upgrade"
)

// Settings is what a user sets for one run; each field's row of SettingsTable says what it
// means and accepts. Start from DefaultSettings: the zero value is not a valid run.
type Settings struct {
	Threads      int
	Length       time.Duration // ignored when Ops > 0
	Ops          int64         // > 0: every thread runs exactly this many operations
	Workload     stmbench7.Workload
	Backend      string
	Size         string
	NoTraversals bool
	NoSMs        bool
	Seed         int64
	ThreadSeeds  bool
	STMCommit    stm.Algorithm
	Layout       stmbench7.Layout

	TTCHistograms, SeqReplay, Check bool

	Upgrade       string        // "" for none
	UpgradeAt     time.Duration // 0: half the length; a record holds it resolved
	Migration     upgrade.Strategy
	Sweepers      int // 0: one
	UpgradeDryRun bool

	Interval                                     time.Duration
	JSONPath, SeriesPath, TracePath, GoBenchPath string // "" for none, "-" for stdout

	// The runtime's settings are the process's: a run applies them before the build and
	// restores the previous ones when it returns; a record holds the values in effect.
	GOGC          int   // -1 turns the collector off; KeepGOGC leaves GOGC's
	MemoryLimit   int64 // 0 for none; KeepMemoryLimit leaves GOMEMLIMIT's
	GOMAXPROCS    int   // 0 leaves the process's
	Probe         bool
	ProbeInterval time.Duration // 0: DefaultProbeInterval
	Calibration   time.Duration // 0: none; CalibrationAuto: see Config.CalibrationLength
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

const (
	// KeepGOGC and KeepMemoryLimit leave the process's collector settings as they are.
	KeepGOGC        = -2
	KeepMemoryLimit = -1
	// CalibrationAuto leaves the calibration's length to the run: a few seconds when it
	// probes its responsiveness (a latency run), none otherwise.
	CalibrationAuto time.Duration = -1
	// DefaultProbeInterval is the probes' period: 1 ms resolves pauses of a millisecond and
	// costs a thousand tiny transactions a second.
	DefaultProbeInterval = time.Millisecond
	// DefaultSeed is the seed of the workers' generators: the reference seeds every thread
	// with 3.
	DefaultSeed = 3
)

// The ranges of the duration settings.
var (
	LengthRange      = duration.Range{Min: MinLength, Max: MaxLength}
	IntervalRange    = duration.Range{Min: MinInterval, Max: MaxInterval}
	CalibrationRange = duration.Range{Max: time.Minute} // 0 turns the calibration off
	// ProbeIntervalRange: finer than 10µs the probe measures itself, coarser than a second
	// it misses the pauses it exists to see.
	ProbeIntervalRange = duration.Range{Min: 10 * time.Microsecond, Max: time.Second}
	// upgradeAtFlag takes 0 (the default: half the length); an experiment key leaves the
	// key out for that instead.
	upgradeAtFlag = duration.Range{Max: MaxLength}
	upgradeAtKey  = duration.Range{Min: time.Millisecond, Max: MaxLength}
)

// DefaultSettings returns the reference's defaults: one thread, 10 s, read-dominated, coarse
// lock, long traversals and structural modifications on, seed 3, the big structure.
func DefaultSettings() Settings {
	return Settings{
		Threads: 1, Length: 10 * time.Second, Workload: stmbench7.ReadDominated, Backend: "coarse",
		Size: stmbench7.DefaultSize, Seed: DefaultSeed, STMCommit: stm.LockFree, Interval: 100 * time.Millisecond,
		GOGC: KeepGOGC, MemoryLimit: KeepMemoryLimit, ProbeInterval: DefaultProbeInterval, Calibration: CalibrationAuto,
	}
}

// Setting is one row of the table.
type Setting struct {
	Key         string // the experiment key ("" when experiments do not set it)
	Flag, Short string // the flag of dustm bench ("" for none)
	// Negated: the flag turns the setting off (--no-traversals); the key and the record say
	// whether it is on (traversals=on, long_traversals=true).
	Negated bool
	// Pair is the key in a run's configuration (the JSON key of results of schema 2; "" when
	// runs do not record it).
	Pair          string
	Help, KeyHelp string // the flag's help; the experiment key's
	// KeyDefault is the experiment's default ("" leaves the key out unless it is set); it
	// differs from the flag's where experiments want another (backend stm, sms off).
	KeyDefault string
	// Recorded: the record's value reads back as this experiment key (see Recorded), so that
	// a loose run compares with an experiment's; not for values recorded resolved (upgrade-at)
	// or inherited (gogc).
	Recorded bool
	// Applies reports whether the key applies to a run (nil: always).
	Applies func(*Settings) bool
	omit    func(*Settings) bool         // leaves the setting out of a record (nil: never)
	args    func(v string) []string      // the flags for a key's value (nil: see Args)
	bind    func(s *Settings) fieldCodec // the setting's field in s, with its codec
}

// Values returns the accepted values when they are an enumeration (nil otherwise).
func (r Setting) Values() []string {
	if k := r.kind(); k.names != nil {
		return k.names()
	}
	return nil
}

// Accepts says what the experiment key accepts when it is not an enumeration.
func (r Setting) Accepts() string { return r.kind().accepts }

func (r Setting) kind() kind { return r.bind(new(Settings)).kind() }

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

// SetKey sets the setting in s from an experiment value.
func (r Setting) SetKey(s *Settings, v string) error { return r.bind(s).setKey(v) }

// Args returns the flags of dustm bench that set the key's (canonical) value v.
func (r Setting) Args(v string) []string {
	switch {
	case r.args != nil:
		return r.args(v)
	case r.kind().typ == "bool":
		// A boolean flag is given only to change bench's default.
		if on := v == "on"; on != r.Negated {
			return []string{"--" + r.Flag}
		}
		return nil
	case r.Short != "":
		return []string{"-" + r.Short, v}
	}
	return []string{"--" + r.Flag, v}
}

// SettingsTable returns the settings, in the order in which experiments name, expand and
// tabulate their keys and records list their pairs (keep it: configurations are named in
// this order). A function, so that no package-level state can change.
func SettingsTable() []Setting {
	return slices.Concat(mixSettings(), upgradeSettings(), lengthSettings(), runtimeSettings(), outputSettings())
}

// mixSettings are the backend, the mix and the structure.
func mixSettings() []Setting {
	stmBackend := func(s *Settings) bool { return s.Backend == "stm" || s.Backend == "stm-plain" }
	return []Setting{
		{Key: "backend", Flag: "sync", Short: "g", Pair: "backend", KeyDefault: "stm", Recorded: true,
			Help:    "synchronization method: " + strings.Join(stmbench7.BackendNames(), ", "),
			KeyHelp: "synchronization method (-g); none runs only with 1 thread",
			bind:    bind(func(s *Settings) *string { return &s.Backend }, text(stmbench7.BackendNames))},
		{Key: "commit", Flag: "stm-commit", Pair: "stm_commit", KeyDefault: "lockfree", Recorded: true, Applies: stmBackend,
			Help:    "commit algorithm of the STM backends: lock or lockfree",
			KeyHelp: "commit algorithm of the STM backends (--stm-commit); only applies to stm and stm-plain",
			bind:    bind(func(s *Settings) *stm.Algorithm { return &s.STMCommit }, enumOf(stm.ParseAlgorithm, stm.Algorithms))},
		// No experiment default: configurations of experiments that do not set the layout keep
		// their names; a result without the key (written by an older binary, or with the
		// default layout, which is left out) reads as object.
		{Key: "layout", Flag: "stm-layout", Pair: "stm_layout", Recorded: true, Applies: stmBackend,
			omit:    func(s *Settings) bool { return s.Layout == stmbench7.LayoutObject },
			Help:    "how stm-plain keeps the objects' state in versioned boxes: object (one box per object) or field (one per mutable field, as STMBench7 on JVSTM)",
			KeyHelp: "box layout of the STM backends (--stm-layout): object, or field for stm-plain only",
			bind:    bind(func(s *Settings) *stmbench7.Layout { return &s.Layout }, enum(stmbench7.ParseLayout, stmbench7.LayoutNames))},
		{Key: "workload", Flag: "workload", Short: "w", Pair: "workload", KeyDefault: "r", Recorded: true,
			Help:    "workload: r = read-dominated, rw = read-write, w = write-dominated, ro = read-only",
			KeyHelp: "workload (-w): r read-dominated, rw read-write, w write-dominated, ro read-only",
			bind:    bind(func(s *Settings) *stmbench7.Workload { return &s.Workload }, enum(stmbench7.ParseWorkload, stmbench7.WorkloadNames))},
		{Key: "threads", Flag: "threads", Short: "t", Pair: "threads", KeyDefault: "1", Recorded: true,
			Help:    fmt.Sprintf("number of worker threads (1 to %d)", MaxThreads),
			KeyHelp: "worker threads (-t)",
			bind:    bind(func(s *Settings) *int { return &s.Threads }, integer[int](1, MaxThreads))},
		{Key: "size", Flag: "size", Pair: "size", KeyDefault: "big", Recorded: true,
			Help:    "structure size: " + strings.Join(stmbench7.SizeNames(), ", "),
			KeyHelp: "structure size (--size)",
			bind:    bind(func(s *Settings) *string { return &s.Size }, text(stmbench7.SizeNames))},
		{Key: "traversals", Flag: "no-traversals", Negated: true, Pair: "long_traversals", KeyDefault: "on", Recorded: true,
			Help:    "do not use long traversals",
			KeyHelp: "long traversals in the mix (off: --no-traversals)",
			bind:    bind(func(s *Settings) *bool { return &s.NoTraversals }, boolean(true))},
		{Key: "sms", Flag: "no-sms", Negated: true, Pair: "structural_modifications", KeyDefault: "off", Recorded: true,
			Help:    "do not use structural modification operations",
			KeyHelp: "structural modifications in the mix (off: --no-sms); off by default: with them the structure decays within seconds",
			bind:    bind(func(s *Settings) *bool { return &s.NoSMs }, boolean(true))},
	}
}

// upgradeSettings are the upgrade's.
func upgradeSettings() []Setting {
	upgrading := func(s *Settings) bool { return s.Upgrade != "" }
	return []Setting{
		{Key: "upgrade", Flag: "upgrade", Pair: "upgrade", KeyDefault: "none", Recorded: true,
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
		{Key: "migration", Flag: "migration", Pair: "migration", KeyDefault: "lazy", Recorded: true, Applies: upgrading,
			Help:    "how objects are migrated: lazy, eager (stop the world) or lazy+sweep",
			KeyHelp: "migration strategy (--migration); only with an upgrade",
			omit:    func(s *Settings) bool { return s.Upgrade == "" },
			bind:    bind(func(s *Settings) *upgrade.Strategy { return &s.Migration }, enumOf(upgrade.ParseStrategy, upgrade.Strategies))},
		{Key: "sweepers", Flag: "sweepers", Pair: "sweepers", KeyDefault: "1", Recorded: true,
			Applies: func(s *Settings) bool { return s.Upgrade != "" && s.Migration == upgrade.LazySweep },
			Help:    fmt.Sprintf("background sweepers of --migration lazy+sweep, 1 to %d (default 1)", MaxSweepers),
			KeyHelp: "sweeper goroutines (--sweepers); only with migration lazy+sweep",
			omit:    func(s *Settings) bool { return s.Sweepers == 0 },
			bind:    bind(func(s *Settings) *int { return &s.Sweepers }, sweepers())},
		{Key: "upgrade-at", Flag: "upgrade-at", Pair: "upgrade_at_s",
			Help:    "when to request the upgrade, since the run began: seconds or a duration (default: half the run's length)",
			KeyHelp: "when the upgrade is requested (--upgrade-at); default half the length. Without an upgrade it places the baseline window",
			// With a unit: binaries from before package duration read only a Go duration there.
			args: func(v string) []string { return []string{"--upgrade-at", v + "s"} },
			bind: bind(func(s *Settings) *time.Duration { return &s.UpgradeAt }, seconds(upgradeAtFlag, upgradeAtKey))},
		{Key: "dry-run", Flag: "upgrade-dry-run", Pair: "upgrade_dry_run", KeyDefault: "off", Recorded: true, Applies: upgrading,
			Help:    "before upgrading, convert every object on a snapshot without installing anything, and report failures",
			KeyHelp: "check the upgrade with a dry run first (--upgrade-dry-run); only with an upgrade",
			omit:    func(s *Settings) bool { return !s.UpgradeDryRun },
			bind:    bind(func(s *Settings) *bool { return &s.UpgradeDryRun }, boolean(false))},
	}
}

// lengthSettings are the run's length, series, seeds and checks.
func lengthSettings() []Setting {
	return []Setting{
		{Key: "length", Flag: "length", Short: "l", Pair: "length_s", KeyDefault: "10", Recorded: true,
			Applies: func(s *Settings) bool { return s.Ops == 0 },
			Help:    "length of the run: seconds (2.5) or a duration (2500ms), " + LengthRange.String(),
			KeyHelp: "run length in seconds (-l); ignored when ops is set",
			bind:    bind(func(s *Settings) *time.Duration { return &s.Length }, seconds(LengthRange, LengthRange))},
		{Key: "ops", Flag: "ops", Pair: "ops", Recorded: true,
			Applies: func(s *Settings) bool { return s.Ops > 0 },
			Help:    fmt.Sprintf("run exactly this many operations per thread (1 to %d) instead of a length of time", MaxOps),
			KeyHelp: "operations per thread instead of a length of time (--ops)",
			bind:    bind(func(s *Settings) *int64 { return &s.Ops }, integer[int64](1, MaxOps))},
		{Key: "interval", Flag: "interval", Pair: "interval_s", KeyDefault: "100ms", Recorded: true,
			Applies: func(s *Settings) bool { return s.Interval > 0 },
			Help:    "interval of the time series, " + IntervalRange.String(),
			KeyHelp: "interval of the time series (--interval)",
			bind:    bind(func(s *Settings) *time.Duration { return &s.Interval }, period(IntervalRange, time.Second, 100*time.Millisecond))},
		{Key: "seed", Flag: "seed", Pair: "seed", KeyDefault: "3", Recorded: true,
			Help:    "seed of the workers' generators (the structure is always built with seed 3)",
			KeyHelp: "seed of the workers' generators (--seed)",
			bind:    bind(func(s *Settings) *int64 { return &s.Seed }, anyInteger())},
		{Key: "thread-seeds", Flag: "thread-seeds", Pair: "thread_seeds", KeyDefault: "off", Recorded: true,
			Help:    "give every thread its own seed, derived from --seed by SplitMix64 (default: all threads use --seed, as the reference)",
			KeyHelp: "a distinct seed per thread (--thread-seeds)",
			bind:    bind(func(s *Settings) *bool { return &s.ThreadSeeds }, boolean(false))},
		{Key: "check", Flag: "check", Pair: "check", KeyDefault: "off", Recorded: true,
			Help:    "check the structural invariants before and after the run",
			KeyHelp: "check the structural invariants before and after (--check)",
			bind:    bind(func(s *Settings) *bool { return &s.Check }, boolean(false))},
		{Key: "replay", Flag: "seq-replay", Pair: "seq_replay", KeyDefault: "off", Recorded: true,
			Help:    "replay the execution in a single thread and compare the structures (checks opacity)",
			KeyHelp: "replay the run sequentially and compare (--seq-replay)",
			bind:    bind(func(s *Settings) *bool { return &s.SeqReplay }, boolean(false))},
	}
}

// runtimeSettings are the runtime's settings and the probe: left out of experiments unless
// set (the bench process then inherits GOGC and GOMEMLIMIT from the experiment's environment,
// and probes only when it upgrades).
func runtimeSettings() []Setting {
	return []Setting{
		{Key: "gogc", Flag: "gogc", Pair: "gogc",
			Help:    "the collector's GOGC for the run (a percentage, or off); default: the GOGC environment variable, else 100",
			KeyHelp: "the collector's GOGC in the bench process (--gogc)",
			bind:    bind(func(s *Settings) *int { return &s.GOGC }, gogc())},
		{Key: "memlimit", Flag: "memlimit", Pair: "memlimit_bytes",
			Help:    "the runtime's soft memory limit for the run (bytes with a unit, e.g. 4GiB, or off); default: GOMEMLIMIT",
			KeyHelp: "the runtime's soft memory limit in the bench process (--memlimit)",
			bind:    bind(func(s *Settings) *int64 { return &s.MemoryLimit }, memLimit())},
		{Key: "gomaxprocs", Flag: "gomaxprocs", Pair: "gomaxprocs",
			Help:    fmt.Sprintf("the processors the run's goroutines share (1 to %d; default: GOMAXPROCS, else the CPUs); a latency run wants more than its workers", MaxProcs),
			KeyHelp: "the processors of the bench process (--gomaxprocs)",
			bind:    bind(func(s *Settings) *int { return &s.GOMAXPROCS }, integer[int](1, MaxProcs))},
		{Key: "probe", Flag: "probe", Pair: "probe",
			Help:    "run the responsiveness probe: a tiny read-only transaction every --probe-interval, open loop (default on with --upgrade)",
			KeyHelp: "the responsiveness probe beside the workers (--probe); bench's default is on only with an upgrade",
			// Always explicit: bench's default depends on --upgrade.
			args: func(v string) []string { return []string{"--probe=" + strconv.FormatBool(v == "on")} },
			bind: bind(func(s *Settings) *bool { return &s.Probe }, boolean(false))},
		{Key: "probe-interval", Flag: "probe-interval", Pair: "probe_interval_us",
			Help:    "period of the responsiveness probe and of the platform (hiccup) probe, " + ProbeIntervalRange.String(),
			KeyHelp: "period of the probes (--probe-interval)",
			bind:    bind(func(s *Settings) *time.Duration { return &s.ProbeInterval }, period(ProbeIntervalRange, time.Microsecond, time.Millisecond))},
		// Not recorded as a key: a result records the length the run resolved, as upgrade-at.
		{Key: "calibration", Flag: "calibration", Pair: "calibration_s",
			omit: func(s *Settings) bool { return s.Calibration <= 0 },
			Help: "run the platform probe alone for this long before the structure is built, to record the idle platform's oversleeps " +
				"(\"calibration\" in the result), " + CalibrationRange.String() + "; default: a quarter of the length, at most 3 s, " +
				"when the run probes its responsiveness (every upgrade run), else 0",
			KeyHelp: "the idle platform probe before the build (--calibration); default as bench's: on for runs that probe",
			args:    func(v string) []string { return []string{"--calibration", v + "s"} },
			bind:    bind(func(s *Settings) *time.Duration { return &s.Calibration }, calibration())},
	}
}

// outputSettings are flags and pairs that are not experiment keys: an experiment names the
// result files itself.
func outputSettings() []Setting {
	return []Setting{
		{Flag: "ttc-histograms", Pair: "ttc_histograms", Help: "print the TTC histograms",
			bind: bind(func(s *Settings) *bool { return &s.TTCHistograms }, boolean(false))},
		{Flag: "json", Pair: "json", Help: "write the results as one JSON document to this file (- for stdout; the report then goes to stderr)",
			omit: func(s *Settings) bool { return s.JSONPath == "" },
			bind: bind(func(s *Settings) *string { return &s.JSONPath }, text(nil))},
		{Flag: "series", Pair: "series", Help: "write a JSON-lines time series (one line per interval) to this file (- for stdout)",
			omit: func(s *Settings) bool { return s.SeriesPath == "" },
			bind: bind(func(s *Settings) *string { return &s.SeriesPath }, text(nil))},
		{Flag: "gobench", Help: "write the headline numbers as a line of Go benchmark output (benchstat compares such files) to this file (- for stdout)",
			bind: bind(func(s *Settings) *string { return &s.GoBenchPath }, text(nil))},
		{Flag: "trace", Help: "write every operation, in order, as a line \"INDEX OP RESULT\" (RESULT: FAILED for a failed one)\n" +
			"to this file; with several threads one file per thread, FILE.0, FILE.1, ...",
			bind: bind(func(s *Settings) *string { return &s.TracePath }, text(nil))},
	}
}

// LookupSetting returns the row of an experiment key or of one of its aliases.
func LookupSetting(key string) (Setting, bool) {
	for _, r := range SettingsTable() {
		if r.Key != "" && (r.Key == key || slices.Contains(r.Aliases(), key)) {
			return r, true
		}
	}
	return Setting{}, false
}

// AddFlags defines the table's flags on fs, setting s's fields; s should hold the defaults
// (DefaultSettings) first, which the flags' help shows.
func AddFlags(fs *pflag.FlagSet, s *Settings) {
	for _, r := range SettingsTable() {
		if r.Flag == "" {
			continue
		}
		f := r.bind(s)
		if fl := fs.VarPF(f, r.Flag, r.Short, r.Help); f.Type() == "bool" {
			fl.NoOptDefVal = "true"
		}
	}
}

// Pairs returns the settings a run records, as configuration pairs in table order: numbers in
// the unit their key names (length_s=2.5), switches true or false, names as they are.
func (s Settings) Pairs() record.Config {
	var out record.Config
	for _, r := range SettingsTable() {
		if r.Pair != "" && (r.omit == nil || !r.omit(&s)) {
			out = append(out, record.Pair{Key: r.Pair, Value: r.bind(&s).pair()})
		}
	}
	return out
}

// FromPairs reads the settings of a run's configuration pairs (what Pairs writes, and what
// record.ConfigFromJSON reads from a result of schema 2). A key that is absent reads as its
// zero value (false for long_traversals), as records of binaries that predate the setting
// have it; other pairs are ignored.
func FromPairs(c record.Config) (Settings, error) {
	var s Settings
	for _, r := range SettingsTable() {
		v, ok := c.Get(r.Pair)
		if r.Pair == "" || (!ok || v == "null") && !r.Negated {
			continue
		}
		if !ok || v == "null" {
			v = "false" // a record without long_traversals says they were off
		}
		if err := r.bind(&s).setPair(v); err != nil {
			return Settings{}, fmt.Errorf("config.%s: %w", r.Pair, err)
		}
	}
	return s, nil
}

// Recorded returns the experiment keys of the settings that a record holds as such and that
// apply to s, with their values, in table order: what names a run (see Setting.Recorded).
func (s Settings) Recorded() record.Config {
	var out record.Config
	for _, r := range SettingsTable() {
		if r.Key != "" && r.Recorded && (r.Applies == nil || r.Applies(&s)) {
			out = append(out, record.Pair{Key: r.Key, Value: r.bind(&s).key()})
		}
	}
	return out
}
