package bench

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"dustm/internal/duration"
	"dustm/stm"
	"dustm/stmbench7"
	"dustm/upgrade"
)

// SetupSeed seeds the generator that builds the structure, as in the reference: the initial
// structure is the same in every run.
const SetupSeed = 3

// DefaultSeed is the seed of the workers' generators: the reference seeds every thread with 3.
const DefaultSeed = 3

// Config describes one run. Start from DefaultConfig: its zero value is not a valid run.
type Config struct {
	Threads  int                // worker threads (-t)
	Length   time.Duration      // run length (-l); ignored when Ops > 0
	Ops      int64              // > 0: every thread runs exactly this many operations (--ops)
	Workload stmbench7.Workload // read-only share of the mix (-w)
	Backend  string             // synchronization method (-g)
	Size     string             // size preset (--size), a key of stmbench7.Sizes

	NoTraversals bool // leave long traversals out of the mix (--no-traversals)
	NoSMs        bool // leave structural modifications out of the mix (--no-sms)

	// Seed seeds every worker's generator (the reference: 3 for all threads). With
	// ThreadSeeds each thread gets its own seed derived from it; see ThreadSeed.
	Seed        int64
	ThreadSeeds bool

	STMCommit stm.Algorithm // commit algorithm of the STM backends (--stm-commit)

	TTCHistograms bool // print the reference's TTC histograms (--ttc-histograms)
	SeqReplay     bool // replay the run sequentially and compare the structures (--seq-replay)
	Check         bool // check the structural invariants before and after the run (--check)

	// Upgrade names the upgrade scenario to run during the run (--upgrade; "" for none). Only
	// the stm backend can be upgraded.
	Upgrade string
	// UpgradeAt is when the upgrade is requested, since the timed phase began (--upgrade-at;
	// 0: half the run's length). In runs without an upgrade it places the latency window
	// that upgraded runs are compared with.
	UpgradeAt     time.Duration
	Migration     upgrade.Strategy // how objects are migrated (--migration)
	Sweepers      int              // background sweepers of lazy+sweep (--sweepers; 0: one)
	UpgradeDryRun bool             // convert everything on a snapshot first, installing nothing (--upgrade-dry-run)

	Interval   time.Duration // period of the time series and of the histogram merges (--interval)
	JSONPath   string        // where to write the JSON result ("" for none; "-" for FilesStdout)
	SeriesPath string        // where to write the JSON-lines series ("" for none; "-" for FilesStdout)
	TracePath  string        // where to write every operation and its result (--trace; see TraceFile)
	// FilesStdout is where a result file named "-" goes; nil: Run's stdout. The command
	// line sends the report to stderr then, so that stdout is the one document.
	FilesStdout io.Writer

	// Runtime settings and probes (--gogc, --memlimit, --probe, --probe-interval). The
	// collector's settings are the process's: Run applies them before the build and restores
	// the previous ones when it returns.
	//
	// GOGC is the collector's target percentage (debug.SetGCPercent): -1 turns the collector
	// off; KeepGOGC leaves the process's (the GOGC environment variable, else 100).
	GOGC int
	// MemoryLimit is the runtime's soft memory limit in bytes (debug.SetMemoryLimit): 0 for
	// none; KeepMemoryLimit leaves the process's (the GOMEMLIMIT environment variable).
	MemoryLimit int64
	// GOMAXPROCS sets the processors the run's goroutines share (runtime.GOMAXPROCS) for
	// the run; 0 leaves the process's. A latency run wants more processors than workers, so
	// that the probes, the version collector and the Go collector's workers need not wait for
	// a worker's time slice to end.
	GOMAXPROCS int
	// Probe runs the responsiveness probe beside the workers (see probe.go).
	Probe bool
	// ProbeInterval is the period of the responsiveness probe and of the platform probe,
	// which every run has; 0 means DefaultProbeInterval.
	ProbeInterval time.Duration

	// Args is the command line the run came from, recorded in the result's manifest.
	Args []string

	// NewBackend creates the synchronization methods (the run's and, for the replay,
	// "none"); nil means stmbench7.NewBackend. Tests and experiments may substitute their own.
	NewBackend func(name string, opts stmbench7.Options) (stmbench7.Backend, error)

	// ProgressEvery is the period of the progress lines on stderr; 0 means one second.
	ProgressEvery time.Duration

	// Test hooks: diff compares final structures for the replay (nil: the canonical forms
	// of package stmbench7), check checks invariants (nil: Structure.Check).
	diff  diffFunc
	check checkFunc
}

// DefaultConfig returns the reference's defaults: one thread, 10 s, read-dominated, coarse
// lock, long traversals and structural modifications on, seed 3, the big structure.
func DefaultConfig() Config {
	return Config{
		Threads:   1,
		Length:    10 * time.Second,
		Workload:  stmbench7.ReadDominated,
		Backend:   "coarse",
		Size:      stmbench7.DefaultSize,
		Seed:      DefaultSeed,
		STMCommit: stm.LockFree,
		Interval:  100 * time.Millisecond,

		GOGC:        KeepGOGC,
		MemoryLimit: KeepMemoryLimit,
	}
}

// ProbeIntervalRange is what --probe-interval accepts: finer than 10µs the probe measures
// itself, coarser than a second it misses the pauses it exists to see.
var ProbeIntervalRange = duration.Range{Min: 10 * time.Microsecond, Max: time.Second}

// KeepGOGC and KeepMemoryLimit leave the process's collector settings as they are.
const (
	KeepGOGC        = -2
	KeepMemoryLimit = -1
)

// probeInterval returns the probes' period.
func (c *Config) probeInterval() time.Duration {
	if c.ProbeInterval > 0 {
		return c.ProbeInterval
	}
	return DefaultProbeInterval
}

// The bounds of a run's counts and durations, checked by Validate before anything is built:
// a typo (-t 100000000, --ops 1e12, --interval 1ns) fails at once with the accepted range
// instead of exhausting the machine's memory while it runs.
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

// ErrInvalidConfig marks errors caused by a configuration that cannot run.
var ErrInvalidConfig = errors.New("invalid configuration")

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, a...))
}

// Validate reports a configuration that cannot run; its errors wrap ErrInvalidConfig and say
// what is accepted.
func (c *Config) Validate() error {
	switch {
	case c.Threads < 1 || c.Threads > MaxThreads:
		return invalidf("threads must be at least 1 and at most %d (got %d)", MaxThreads, c.Threads)
	case c.Ops < 0 || c.Ops > MaxOps:
		return invalidf("ops must be positive and at most %d per thread (got %d); 0 runs for the length instead", MaxOps, c.Ops)
	case c.Ops == 0 && c.Length <= 0:
		return invalidf("length must be positive (got %s; accepted: %s)", fmtSeconds(c.Length), lengthRange)
	case c.Ops == 0 && (c.Length < MinLength || c.Length > MaxLength):
		return invalidf("length %s is out of range (accepted: %s)", fmtSeconds(c.Length), lengthRange)
	case c.Interval <= 0:
		return invalidf("interval must be positive (got %v; accepted: %s)", c.Interval, intervalRange)
	case c.Interval < MinInterval || c.Interval > MaxInterval:
		return invalidf("interval %v is out of range (accepted: %s)", c.Interval, intervalRange)
	case c.ProgressEvery < 0:
		return invalidf("progress period must not be negative (got %v)", c.ProgressEvery)
	case c.GOGC < -1 && c.GOGC != KeepGOGC:
		return invalidf("--gogc must be a percentage >= 0 or off (got %d)", c.GOGC)
	case c.MemoryLimit < 0 && c.MemoryLimit != KeepMemoryLimit:
		return invalidf("--memlimit must be a number of bytes >= 0 or off (got %d)", c.MemoryLimit)
	case c.ProbeInterval < 0:
		return invalidf("--probe-interval must be positive (got %v)", c.ProbeInterval)
	}
	if !c.Workload.Valid() {
		return invalidf("unknown workload %v (accepted: %s)", c.Workload, strings.Join(stmbench7.WorkloadNames, ", "))
	}
	if c.NewBackend == nil && !slices.Contains(stmbench7.BackendNames, c.Backend) {
		return invalidf("unknown synchronization method %q (accepted: %s)", c.Backend, strings.Join(stmbench7.BackendNames, ", "))
	}
	// "none" synchronizes nothing: the reference lets it run with several threads and
	// corrupts the structure; we refuse. Other backends report their limit in Run.
	if c.Backend == "none" && c.Threads > 1 {
		return invalidf("synchronization method none supports only 1 thread (got %d); use coarse, medium, stm or stm-plain", c.Threads)
	}
	if _, err := stmbench7.ParseSize(c.Size); err != nil {
		return invalidf("%v", err)
	}
	if c.STMCommit.String() == "unknown" {
		return invalidf("unknown STM commit algorithm %d (accepted: lock, lockfree)", c.STMCommit)
	}
	return c.validateUpgrade()
}

func (c *Config) validateUpgrade() error {
	switch {
	case c.UpgradeAt < 0:
		return invalidf("--upgrade-at must not be negative (got %v)", c.UpgradeAt)
	case c.Sweepers < 0 || c.Sweepers > MaxSweepers:
		return invalidf("--sweepers must be at least 1 and at most %d (got %d)", MaxSweepers, c.Sweepers)
	case c.UpgradeAt > MaxLength:
		return invalidf("--upgrade-at %s is out of range (accepted: %s)", fmtSeconds(c.UpgradeAt), lengthRange)
	case c.Migration.String() != "lazy" && c.Migration.String() != "eager" && c.Migration.String() != "lazy+sweep":
		return invalidf("unknown migration strategy %v (accepted: lazy, eager, lazy+sweep)", c.Migration)
	}
	if c.Upgrade == "" {
		if c.Migration != upgrade.Lazy || c.Sweepers != 0 || c.UpgradeDryRun {
			return invalidf("--migration, --sweepers and --upgrade-dry-run need --upgrade (accepted scenarios: %s)",
				strings.Join(stmbench7.ScenarioNames(), ", "))
		}
		if c.Ops == 0 && c.UpgradeAt >= c.Length {
			return invalidf("--upgrade-at %v is not within the run's length %v", c.UpgradeAt, c.Length)
		}
		return nil
	}
	if _, err := stmbench7.LookupScenario(c.Upgrade); err != nil {
		return invalidf("--upgrade: %v", err)
	}
	if c.Backend != "stm" && c.NewBackend == nil {
		return invalidf("--upgrade needs -g stm (got -g %s): only the stm backend's objects are upgradable", c.Backend)
	}
	if c.Sweepers > 0 && c.Migration != upgrade.LazySweep {
		return invalidf("--sweepers applies only with --migration lazy+sweep (got --migration %v)", c.Migration)
	}
	if c.Ops > 0 && c.UpgradeAt == 0 {
		return invalidf("with --ops the run has no length to take half of: give --upgrade-at")
	}
	if c.Ops == 0 && c.UpgradeAt >= c.Length {
		return invalidf("--upgrade-at %v is not within the run's length %v", c.UpgradeAt, c.Length)
	}
	return nil
}

var (
	lengthRange   = fmt.Sprintf("between %s and %s", fmtSeconds(MinLength), fmtSeconds(MaxLength))
	intervalRange = fmt.Sprintf("between %v and %v", MinInterval, MaxInterval)
)

// fmtSeconds writes a duration in seconds, the unit -l documents.
func fmtSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + " s"
}

// upgradeAt returns when the upgrade (or, without one, the latency window) starts; 0 when the
// run has no length to place it in.
func (c *Config) upgradeAt() time.Duration {
	if c.UpgradeAt > 0 || c.Ops > 0 {
		return c.UpgradeAt
	}
	return c.Length / 2
}

// ThreadSeed returns the seed of worker thread i's generator. By default every thread gets
// Seed, as in the reference (its threads start with identical operation sequences). With
// ThreadSeeds, thread i gets the (i+1)-th output of SplitMix64 started at Seed (Steele, Lea
// and Flood's generator: state += 0x9e3779b97f4a7c15, then two xor-shift-multiply rounds), a
// well-mixed, distinct seed that depends only on Seed and i.
func (c *Config) ThreadSeed(i int) int64 {
	if !c.ThreadSeeds {
		return c.Seed
	}
	z := uint64(c.Seed) + uint64(i+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return int64(z ^ (z >> 31))
}

func (c *Config) stdoutFiles(stdout io.Writer) io.Writer {
	if c.FilesStdout != nil {
		return c.FilesStdout
	}
	return stdout
}

func (c *Config) newBackend(name string) (stmbench7.Backend, error) {
	opts := stmbench7.Options{STMCommit: c.STMCommit, Serials: c.SeqReplay}
	if c.NewBackend != nil {
		return c.NewBackend(name, opts)
	}
	return stmbench7.NewBackend(name, opts)
}

// mix returns the operation mix the configuration selects.
func (c *Config) mix() *stmbench7.Mix {
	return stmbench7.NewMix(c.Workload, !c.NoTraversals, !c.NoSMs)
}
