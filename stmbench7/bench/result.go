package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"dustm/internal/outfile"
	"dustm/measure"
	"dustm/record"
	"dustm/stmbench7"
)

// Result is everything a run measured, as the report and the checks need it; Record turns
// it into the run's record (--json), the one document of a run. Latencies are µs.
type Result struct {
	Config                                     RunConfig
	Env                                        Env
	ElapsedS, Throughput, ThroughputWithFailed float64 // successful (with failed) operations per second
	Successful, Failed                         int64
	BuildS                                     float64
	HeapBytesAfterBuild                        uint64
	// HeapBytesAtEnd is the live heap after a collection once the workers have stopped: it
	// holds the pre-upgrade versions only while a migration is unfinished (its pin keeps them).
	HeapBytesAtEnd uint64
	// Interrupted: the context (Ctrl-C) cut the run short; Error stopped it early.
	Interrupted bool
	Error       string
	Categories  map[string]OpResult // by the reference's type names
	All         *OpResult           // every operation, with the percentile curve
	STM         any                 // the backend's counters (Backend.Stats)
	Check       *CheckResult        // --check
	Replay      *ReplayResult       // --seq-replay
	MaxGapMs    *float64            // the longest time during which no operation completed
	// Window is the latency of the operations completing in the second after the upgrade's
	// commit, or after upgrade-at in a run without an upgrade (the baseline).
	Window  *WindowResult
	Upgrade *UpgradeResult
	// The responsiveness probe (--probe), the platform probe (always), the runtime during the
	// timed phase, and the platform probe alone before the build (--calibration).
	Probe, Hiccup *ProbeResult
	Runtime       *measure.Runtime
	Calibration   *measure.Calibration
	// Ticks are the series' ticks (their values only), for the recovery from the upgrade.
	Ticks []record.Tick
}

// ProbeResult is a probe's measurements (package measure).
type ProbeResult = measure.Result

// Percentile is one point of a latency percentile curve.
type Percentile struct{ P, Us float64 }

// curvePoints are the percentiles of the latency curve.
var curvePoints = []float64{0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99, 99.995, 99.999, 100}

func percentileCurve(a *agg) []Percentile {
	if a.hist == nil || a.ok == 0 {
		return nil
	}
	out := make([]Percentile, len(curvePoints))
	for i, p := range curvePoints {
		ns := a.maxNs
		if p < 100 {
			ns = a.percentileNs(p)
		}
		out[i] = Percentile{P: p, Us: us(ns)}
	}
	return out
}

// OpResult is the measurements of one category or of all operations: latencies of successful
// operations, percentiles from the HDR histograms (0.1 % precision), the maximum exact.
type OpResult struct {
	Successful, Failed                  int64
	MaxUs, P50Us, P99Us, P999Us, MeanUs float64
	Percentiles                         []Percentile // the latency percentile curve (all operations only)
}

func opResult(a *agg) OpResult {
	r := OpResult{Successful: a.ok, Failed: a.failed, MaxUs: us(a.maxNs),
		P50Us: us(a.percentileNs(50)), P99Us: us(a.percentileNs(99)), P999Us: us(a.percentileNs(99.9))}
	if a.hist != nil {
		r.MeanUs = a.hist.Mean() / 1e3
	}
	return r
}

// OpResultOf summarizes ok successful operations whose latencies (ns) h holds, with their
// exact maximum, and failed ones; curve adds the percentile curve: for other applications'
// runners (the kv server, package dustm/kv) that name their values as a bench run's.
func OpResultOf(h *hdrhistogram.Histogram, ok, failed, maxNs int64, curve bool) OpResult {
	a := &agg{hist: h, ok: ok, failed: failed, maxNs: maxNs}
	r := opResult(a)
	if curve {
		r.Percentiles = percentileCurve(a)
	}
	return r
}

// RunConfig is the resolved configuration: the settings, resolved where the run resolves
// them (upgrade_at_s, the runtime's settings in effect), and what the run derived from them.
type RunConfig struct {
	Settings
	Params stmbench7.Params // the structure's parameters (of Size)
	Seeds  []int64          // per thread, as used
	Args   []string
}

// Pairs are the record's configuration: the settings' pairs, then the derived values as JSON
// text.
func (c *RunConfig) Pairs() record.Config {
	args := c.Args
	if args == nil {
		args = []string{}
	}
	out := c.Settings.Pairs()
	for _, d := range []struct {
		key string
		v   any
	}{{"params", c.Params}, {"seeds", c.Seeds}, {"setup_seed", SetupSeed}, {"args", args}} {
		b, _ := json.Marshal(d.v)
		out = append(out, record.Pair{Key: d.key, Value: string(b)})
	}
	return out
}

func (c *Config) resolve(p stmbench7.Params) RunConfig {
	seeds := make([]int64, c.Threads)
	for i := range seeds {
		seeds[i] = c.ThreadSeed(i)
	}
	s := c.Settings
	if s.Upgrade == "" { // the upgrade's settings are recorded only with an upgrade
		s.Migration, s.Sweepers, s.UpgradeDryRun = 0, 0, false
	}
	s.UpgradeAt, s.GOMAXPROCS, s.ProbeInterval = c.upgradeAt(), runtime.GOMAXPROCS(0), c.probeInterval()
	s.Calibration = c.CalibrationLength()
	return RunConfig{Settings: s, Params: p, Seeds: seeds, Args: c.Args}
}

// Env is the manifest of the machine and program a run came from (the record's env pairs).
type Env = measure.Env

// CollectEnv describes the running program and machine; start is the run's start time.
func CollectEnv(start time.Time) Env { return measure.CollectEnv(start) }

// CheckResult is the outcome of the invariant checks: "ok" or the error.
type CheckResult struct{ Initial, Final string }

// ReplayResult is the outcome of the sequential replay: the log entries replayed, the first
// one whose choice, result or failure differed from the log (Mismatch), the first
// differences between the final structures when they were compared, and the upgrade steps
// it committed at their serial points.
type ReplayResult struct {
	Passed, Compared bool
	Operations       int64
	DurationS        float64
	Mismatch, Error  string
	Differences      []string
	Upgrades         int
}

// commitWith writes a result file's content with fn and commits it (aborts it on an error).
func commitWith(f *outfile.File, fn func(io.Writer) error) error {
	if err := fn(f); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", f.Name(), err)
	}
	return f.Commit()
}

// writeGoBench writes the result in the Go benchmark format (see WriteGoBench).
func writeGoBench(w io.Writer, r *Result) error {
	if err := WriteGoBenchHeader(w, r.Env); err != nil {
		return err
	}
	return WriteGoBench(w, GoBenchName(r.Config.Recorded()), r)
}

// writeRecord writes the run's record, indented.
func writeRecord(w io.Writer, r *record.Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err == nil {
		_, err = w.Write(append(b, '\n'))
	}
	return err
}
