package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"dustm/internal/outfile"
	"dustm/internal/settings"
	"dustm/record"
	"dustm/stmbench7"
)

// Result is everything a run measured, as the report and the checks need it; Record turns
// it into the run's record (--json), the one document of a run.
type Result struct {
	Config ConfigJSON `json:"config"`
	Env    Env        `json:"env"`

	ElapsedS             float64 `json:"elapsed_s"`
	Throughput           float64 `json:"throughput"`             // successful operations per second
	ThroughputWithFailed float64 `json:"throughput_with_failed"` // all operations per second
	Successful           int64   `json:"successful"`
	Failed               int64   `json:"failed"`
	BuildS               float64 `json:"build_s"`
	HeapBytesAfterBuild  uint64  `json:"heap_bytes_after_build"`
	// HeapBytesAtEnd is the live heap once the workers have stopped, measured after a
	// collection: with an upgrade, it holds the pre-upgrade versions only if the migration
	// has not finished (its pin keeps them), so beside a run without an upgrade it shows
	// whether the old state was given back.
	HeapBytesAtEnd uint64 `json:"heap_bytes_at_end,omitempty"`
	// Interrupted reports a run cut short by its context (Ctrl-C): what was measured until
	// then is reported, over the time it ran.
	Interrupted bool `json:"interrupted,omitempty"`
	// Error is the error that stopped the run early, if any.
	Error string `json:"error,omitempty"`

	Categories map[string]OpResult `json:"categories"` // keyed by the reference's type names

	// STM is the backend's own counters (Backend.Stats), if it has any.
	STM any `json:"stm,omitempty"`
	// Check is the outcome of the invariant checks (--check).
	Check *CheckResult `json:"check,omitempty"`
	// Replay is the outcome of the sequential replay (--seq-replay).
	Replay *ReplayResult `json:"replay,omitempty"`

	// All is every operation together (with the latency percentile curve); absent from
	// schema 1 results of early binaries.
	All *OpResult `json:"all,omitempty"`
	// MaxGapMs is the longest time during which no operation completed; absent from schema
	// 1 results of early binaries.
	MaxGapMs *float64 `json:"max_gap_ms,omitempty"`
	// Window is the latency of the operations completing in the second after the upgrade's
	// commit, or after --upgrade-at in a run without an upgrade (the baseline).
	Window *WindowResult `json:"window,omitempty"`
	// Upgrade is the upgrade's measurements (--upgrade).
	Upgrade *UpgradeResult `json:"upgrade,omitempty"`

	// Probe is the responsiveness probe's latency (--probe), Hiccup the platform probe's
	// oversleep (every run), Runtime what the Go runtime did during the timed phase.
	Probe   *ProbeResult   `json:"probe,omitempty"`
	Hiccup  *ProbeResult   `json:"hiccup,omitempty"`
	Runtime *RuntimeResult `json:"runtime,omitempty"`
	// Calibration is the platform probe alone before the build (--calibration): the idle
	// platform's oversleeps, to set the run's probe maxima against.
	Calibration *CalibrationResult `json:"calibration,omitempty"`
	// Ticks are the series' ticks (their values only), for the recovery from the upgrade.
	Ticks []record.Tick `json:"-"`
}

// Percentile is one point of a latency percentile curve.
type Percentile struct {
	P  float64 `json:"p"`
	Us float64 `json:"us"`
}

// curvePoints are the percentiles of the latency curves in results.
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
		out[i] = Percentile{P: p, Us: float64(ns) / 1e3}
	}
	return out
}

// OpResult is the measurements of one operation or one category. Latencies are of successful
// operations, in microseconds; percentiles come from the HDR histograms (0.1 % precision),
// the maximum is exact.
type OpResult struct {
	Successful int64 `json:"successful"`
	Failed     int64 `json:"failed"`
	// MaxTTCUs is the exact maximum latency: "max_us", as in the series (results written
	// before the names agreed call it "max_ttc_us"; UnmarshalJSON reads both).
	MaxTTCUs float64 `json:"max_us"`
	// MaxTTCRefMs is the reference's "maxttc": the label of the maximum's TTC bucket, in ms.
	MaxTTCRefMs int64   `json:"max_ttc_ref_ms"`
	P50Us       float64 `json:"p50_us"`
	P99Us       float64 `json:"p99_us"`
	P999Us      float64 `json:"p999_us"`
	MeanUs      float64 `json:"mean_us"`
	// Percentiles is the latency percentile curve (categories and all operations only).
	Percentiles []Percentile `json:"percentiles,omitempty"`
}

func opResult(a *agg) OpResult {
	r := OpResult{
		Successful:  a.ok,
		Failed:      a.failed,
		MaxTTCUs:    float64(a.maxNs) / 1e3,
		MaxTTCRefMs: refMaxTTC(a.maxNs),
		P50Us:       float64(a.percentileNs(50)) / 1e3,
		P99Us:       float64(a.percentileNs(99)) / 1e3,
		P999Us:      float64(a.percentileNs(99.9)) / 1e3,
	}
	if a.hist != nil {
		r.MeanUs = a.hist.Mean() / 1e3
	}
	return r
}

// ConfigJSON is the resolved configuration, as recorded in results: every setting (the table
// of package settings writes and reads them), resolved where the run resolves it (upgrade_at_s,
// the runtime's settings in effect), and what the run derived from them.
type ConfigJSON struct {
	Settings
	Params    stmbench7.Params // the structure's parameters (of Size)
	Seeds     []int64          // per thread, as used
	SetupSeed int64
	Args      []string
}

// configDerived is the JSON of what a run derives from its settings.
type configDerived struct {
	Params    stmbench7.Params `json:"params"`
	Seeds     []int64          `json:"seeds"`
	SetupSeed int64            `json:"setup_seed"`
	Args      []string         `json:"args"`
}

// MarshalJSON writes the settings and the derived values as one object.
func (c ConfigJSON) MarshalJSON() ([]byte, error) {
	return c.Settings.MarshalWith(configDerived{c.Params, c.Seeds, c.SetupSeed, c.Args})
}

func (c *Config) toJSON(p stmbench7.Params) ConfigJSON {
	seeds := make([]int64, c.Threads)
	for i := range seeds {
		seeds[i] = c.ThreadSeed(i)
	}
	args := c.Args
	if args == nil {
		args = []string{}
	}
	s := c.Settings
	if s.Upgrade == "" { // the upgrade's settings are recorded only with an upgrade
		s.Migration, s.Sweepers, s.UpgradeDryRun = 0, 0, false
	}
	s.UpgradeAt, s.GOMAXPROCS, s.ProbeInterval = c.upgradeAt(), runtime.GOMAXPROCS(0), c.probeInterval()
	s.Calibration = c.CalibrationLength()
	return ConfigJSON{Settings: s, Params: p, Seeds: seeds, SetupSeed: SetupSeed, Args: args}
}

// Env is the manifest of the machine and program a result came from.
type Env struct {
	GitCommit  string `json:"git_commit"`
	GitDirty   *bool  `json:"git_dirty,omitempty"` // uncommitted changes, when known
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	NumCPU     int    `json:"num_cpu"`
	CPUModel   string `json:"cpu_model"`
	Hostname   string `json:"hostname"`
	StartTime  string `json:"start_time"` // RFC 3339; when the run began (before the setup)
	// RuntimeVars are the Go runtime's environment variables that were set (GOGC, GOMEMLIMIT,
	// GOMAXPROCS, GODEBUG): they are what a run without --gogc or --memlimit inherits, and
	// what an experiment passes to the runs it starts.
	RuntimeVars map[string]string `json:"runtime_vars,omitempty"`
}

// CollectEnv describes the running program and machine; start is the run's start time.
func CollectEnv(start time.Time) Env {
	e := Env{
		GoVersion:  runtime.Version(),
		GOOS:       runtime.GOOS,
		GOARCH:     runtime.GOARCH,
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU:     runtime.NumCPU(),
		CPUModel:   cpuModel(),
		StartTime:  start.Format(time.RFC3339),
	}
	e.Hostname, _ = os.Hostname()
	e.GitCommit, e.GitDirty = gitCommit()
	for _, k := range []string{"GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG"} {
		if v, ok := os.LookupEnv(k); ok {
			if e.RuntimeVars == nil {
				e.RuntimeVars = map[string]string{}
			}
			e.RuntimeVars[k] = v
		}
	}
	return e
}

// gitCommit asks git for the commit of the working directory (the usual case: go run from the
// repository), else reads the commit stamped into the binary at build time, else asks git in
// the folder this file was compiled from: a binary built with -buildvcs=false (or by go
// run) and run from elsewhere, an experiment's runs, still record the commit of the tree it
// was built from, as the manifest does.
func gitCommit() (string, *bool) {
	if commit, dirty, ok := gitAt(""); ok {
		return commit, dirty
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		commit := ""
		var dirty *bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				d := s.Value == "true"
				dirty = &d
			}
		}
		if commit != "" {
			return commit, dirty
		}
	}
	// runtime.Caller names the source file as compiled (not with -trimpath, whose paths
	// are not absolute).
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		if commit, dirty, ok := gitAt(filepath.Dir(file)); ok {
			return commit, dirty
		}
	}
	return "unknown", nil
}

// gitAt asks git for the commit (and whether the tree has uncommitted changes) of dir, ""
// for the working directory.
func gitAt(dir string) (commit string, dirty *bool, ok bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	git := func(args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, "git", args...)
		cmd.Dir = dir
		return cmd.Output()
	}
	out, err := git("rev-parse", "HEAD")
	if err != nil {
		return "", nil, false
	}
	commit = strings.TrimSpace(string(out))
	if st, err := git("status", "--porcelain", "--untracked-files=no"); err == nil {
		d := len(bytes.TrimSpace(st)) > 0
		dirty = &d
	}
	return commit, dirty, true
}

// cpuModel returns the first "model name" of /proc/cpuinfo, or "unknown".
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// CheckResult is the outcome of the invariant checks: "ok" or the error.
type CheckResult struct {
	Initial string `json:"initial"`
	Final   string `json:"final,omitempty"`
}

// ReplayResult is the outcome of the sequential replay.
type ReplayResult struct {
	Passed     bool    `json:"passed"`
	Operations int64   `json:"operations"` // log entries replayed
	DurationS  float64 `json:"duration_s"`
	// Mismatch describes the first replayed operation whose choice, result or failure
	// differed from the log.
	Mismatch string `json:"mismatch,omitempty"`
	// Differences lists the first differences between the final structures.
	Differences []string `json:"differences,omitempty"`
	// Compared reports whether the final structures were compared.
	Compared bool   `json:"compared"`
	Error    string `json:"error,omitempty"`
	// Upgrades counts the upgrade steps the replay committed at their serial points.
	Upgrades int `json:"upgrades,omitempty"`
}

// pendingFile is a result file being written (package outfile: a regular file under a
// temporary name, renamed into place by Commit; a FIFO, a device or "-" written through).
type pendingFile struct {
	*outfile.File
	w io.Writer
}

func createPending(path string, stdout io.Writer) (*pendingFile, error) {
	f, err := outfile.Create(path, stdout)
	if err != nil {
		return nil, err
	}
	return &pendingFile{File: f, w: f}, nil
}

// writeGoBench writes the result in the Go benchmark format (see WriteGoBench) and commits.
func (p *pendingFile) writeGoBench(r *Result) error {
	s := r.Config.Settings
	err := WriteGoBenchHeader(p.w, r.Env)
	if err == nil {
		err = WriteGoBench(p.w, GoBenchName(settings.Recorded(&s)), r)
	}
	if err != nil {
		p.Abort()
		return fmt.Errorf("writing %s: %w", p.Name(), err)
	}
	return p.Commit()
}

// writeJSON encodes v as indented JSON into the pending file and commits it.
func (p *pendingFile) writeJSON(v any) error {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		p.Abort()
		return fmt.Errorf("writing %s: %w", p.Name(), err)
	}
	return p.Commit()
}
