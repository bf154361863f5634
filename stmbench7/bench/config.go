package bench

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"dustm/stm"
	"dustm/stmbench7"
	"dustm/upgrade"
)

// SetupSeed seeds the generator that builds the structure, as in the reference: the initial
// structure is the same in every run.
const SetupSeed = 3

// Config describes one run: what the user set, and what the caller injects. Start from
// DefaultConfig: its zero value is not a valid run.
type Config struct {
	Settings
	Hooks

	// Args is the command line the run came from, recorded in the result's manifest.
	Args []string
}

// DefaultConfig returns a run of the reference's defaults (DefaultSettings) without hooks.
func DefaultConfig() Config { return Config{Settings: DefaultSettings()} }

// DefaultCalibration is the longest calibration a latency run gets by default: 3 s of 1 ms
// sleeps is 3000 oversleeps, enough for the idle platform's p99 and a maximum that a run's
// probe maxima (the floor of the upgrade experiments) can be judged against.
const DefaultCalibration = 3 * time.Second

// CalibrationLength returns how long the platform probe runs alone before the build. The
// default (CalibrationAuto) calibrates only runs that probe their responsiveness,
// whose maxima are the ones to set against the platform's: a quarter of the run's length, at
// most DefaultCalibration, so that short runs (the quick experiment's 2 s ones) stay short
// (DefaultCalibration for a run of --ops). Throughput runs get none: they report no maxima
// to calibrate, and experiments run hundreds of them.
func (c *Config) CalibrationLength() time.Duration {
	switch {
	case c.Calibration != CalibrationAuto:
		return c.Calibration
	case !c.Probe:
		return 0
	case c.Ops > 0:
		return DefaultCalibration
	}
	return min(DefaultCalibration, c.Length/4)
}

// probeInterval returns the probes' period.
func (c *Config) probeInterval() time.Duration { return cmp.Or(c.ProbeInterval, DefaultProbeInterval) }

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
	case c.Calibration != CalibrationAuto && CalibrationRange.Check(c.Calibration) != nil:
		return invalidf("--calibration %s is out of range (accepted: %s; 0 for none)", fmtSeconds(c.Calibration), CalibrationRange)
	}
	if !c.Workload.Valid() {
		return invalidf("unknown workload %v (accepted: %s)", c.Workload, strings.Join(stmbench7.WorkloadNames(), ", "))
	}
	if c.NewBackend == nil && !slices.Contains(stmbench7.BackendNames(), c.Backend) {
		return invalidf("unknown synchronization method %q (accepted: %s)", c.Backend, strings.Join(stmbench7.BackendNames(), ", "))
	}
	// "none" synchronizes nothing: the reference lets it run with several threads and
	// corrupts the structure; we refuse. Other backends report their limit in Run.
	if c.Backend == "none" && c.Threads > 1 {
		return invalidf("synchronization method none supports only 1 thread (got %d); use coarse, medium, stm or stm-plain", c.Threads)
	}
	if _, err := stmbench7.ParseSize(c.Size); err != nil {
		return invalidf("%v", err)
	}
	if c.Layout != stmbench7.LayoutObject && c.Backend != "stm-plain" && c.NewBackend == nil {
		return invalidf("--stm-layout %s applies only to -g stm-plain (got -g %s): the lock backends have no boxes, and stm keeps each upgradable object in one box", c.Layout, c.Backend)
	}
	if _, err := stmbench7.ParseLayout(c.Layout.String()); err != nil {
		return invalidf("%v", err)
	}
	if c.STMCommit.String() == "unknown" {
		return invalidf("unknown STM commit algorithm %d (accepted: %s)", c.STMCommit, stm.AlgorithmNames())
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
		return invalidf("unknown migration strategy %v (accepted: %s)", c.Migration, upgrade.StrategyNames())
	case c.Upgrade == "" && (c.Migration != upgrade.Lazy || c.Sweepers != 0 || c.UpgradeDryRun):
		return invalidf("--migration, --sweepers and --upgrade-dry-run need --upgrade (accepted scenarios: %s)",
			strings.Join(stmbench7.ScenarioNames(), ", "))
	}
	if c.Upgrade != "" {
		if _, err := stmbench7.LookupScenario(c.Upgrade); err != nil {
			return invalidf("--upgrade: %v", err)
		}
	}
	// Without an upgrade, upgrade-at places the baseline window: it too must be in the run.
	switch {
	case c.Upgrade != "" && c.Backend != "stm" && c.NewBackend == nil:
		return invalidf("--upgrade needs -g stm (got -g %s): only the stm backend's objects are upgradable", c.Backend)
	case c.Sweepers > 0 && c.Migration != upgrade.LazySweep: // with an upgrade (see above)
		return invalidf("--sweepers applies only with --migration lazy+sweep (got --migration %v)", c.Migration)
	case c.Upgrade != "" && c.Ops > 0 && c.UpgradeAt == 0:
		return invalidf("with --ops the run has no length to take half of: give --upgrade-at")
	case c.Ops == 0 && c.UpgradeAt >= c.Length:
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

func (c *Config) newBackend(name string) (stmbench7.Backend, error) {
	opts := stmbench7.Options{STMCommit: c.STMCommit, Layout: c.Layout, Serials: c.SeqReplay}
	if c.NewBackend != nil {
		return c.NewBackend(name, opts)
	}
	return stmbench7.NewBackend(name, opts)
}

// mix returns the operation mix the configuration selects.
func (c *Config) mix() *stmbench7.Mix {
	return stmbench7.NewMix(c.Workload, !c.NoTraversals, !c.NoSMs)
}
