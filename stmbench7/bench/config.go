package bench

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

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
	JSONPath   string        // where to write the JSON result ("" for none)
	SeriesPath string        // where to write the JSON-lines series ("" for none)
	TracePath  string        // where to write every operation and its result (--trace; see TraceFile)

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
	}
}

// ErrInvalidConfig marks errors caused by a configuration that cannot run.
var ErrInvalidConfig = errors.New("invalid configuration")

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalidConfig, fmt.Sprintf(format, a...))
}

// Validate reports a configuration that cannot run; its errors wrap ErrInvalidConfig and say
// what is accepted.
func (c *Config) Validate() error {
	switch {
	case c.Threads < 1:
		return invalidf("threads must be at least 1 (got %d)", c.Threads)
	case c.Ops < 0:
		return invalidf("ops must be positive (got %d); 0 runs for the length instead", c.Ops)
	case c.Ops == 0 && c.Length <= 0:
		return invalidf("length must be positive (got %v)", c.Length)
	case c.Interval <= 0:
		return invalidf("interval must be positive (got %v)", c.Interval)
	case c.ProgressEvery < 0:
		return invalidf("progress period must not be negative (got %v)", c.ProgressEvery)
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
	case c.Sweepers < 0:
		return invalidf("--sweepers must not be negative (got %d)", c.Sweepers)
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
