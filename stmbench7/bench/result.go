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
	"dustm/stmbench7"
	"dustm/upgrade"
)

// Result is everything a run measured; it is also the JSON document --json writes, and the
// type that experiments read results into: the one schema of a result. Its version is
// SchemaVersion (see ReadResult for the older ones). Fields that results of older binaries lack
// are pointers or omitempty, so that a reader tells "absent" from zero.
type Result struct {
	// SchemaVersion is the version of the document's schema: CurrentSchema when written,
	// 0 in results written before the field existed (schema 1).
	SchemaVersion int        `json:"schema_version,omitempty"`
	Config        ConfigJSON `json:"config"`
	Env           Env        `json:"env"`

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

	Operations map[string]OpResult `json:"operations"` // keyed by operation name (T1 … SM8)
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

// UnmarshalJSON reads an OpResult, also from results that name the maximum "max_ttc_us".
func (r *OpResult) UnmarshalJSON(data []byte) error {
	type plain OpResult // without this method
	var x struct {
		plain
		LegacyMaxUs *float64 `json:"max_ttc_us"`
	}
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	*r = OpResult(x.plain)
	if x.LegacyMaxUs != nil && r.MaxTTCUs == 0 {
		r.MaxTTCUs = *x.LegacyMaxUs
	}
	return nil
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

// UnmarshalJSON reads what MarshalJSON writes, and the config of older results (absent keys
// read as zero values).
func (c *ConfigJSON) UnmarshalJSON(data []byte) error {
	var d configDerived
	if err := json.Unmarshal(data, &d); err != nil {
		return err
	}
	if err := json.Unmarshal(data, &c.Settings); err != nil {
		return err
	}
	c.Params, c.Seeds, c.SetupSeed, c.Args = d.Params, d.Seeds, d.SetupSeed, d.Args
	return nil
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

// SeriesPoint is one line of the time series: one interval.
type SeriesPoint struct {
	TS          float64                   `json:"t_s"`        // end of the interval, since the start
	Ops         int64                     `json:"ops"`        // successful operations in the interval
	Failed      int64                     `json:"failed"`     // failed operations in the interval
	Throughput  float64                   `json:"throughput"` // successful operations per second in the interval
	TotalOps    int64                     `json:"total_ops"`  // successful operations since the start
	TotalFailed int64                     `json:"total_failed"`
	Categories  map[string]SeriesCategory `json:"categories"`
	// Over every category: the interval's max and p99 latency of successful operations
	// (absent from early binaries' series: see MaxLatencyUs, P99LatencyUs).
	MaxUs *float64 `json:"max_us,omitempty"`
	P99Us *float64 `json:"p99_us,omitempty"`
	// Aborts is the STM's aborted attempts in the interval (STM backends; written when
	// not zero).
	Aborts *int64 `json:"aborts,omitempty"`
	// Objects converted by an upgrade: in the interval (by operations, by sweepers), and in
	// all so far (written when not zero).
	ConvertedForeground *int64 `json:"converted_foreground,omitempty"`
	ConvertedSweeper    *int64 `json:"converted_sweeper,omitempty"`
	ConvertedTotal      *int64 `json:"converted_total,omitempty"`
	// HeapBytes is the heap in use at the end of the interval.
	HeapBytes *uint64 `json:"heap_bytes,omitempty"`
	// Events are the upgrade's instants that fell in the interval.
	Events []SeriesEvent `json:"events,omitempty"`

	// The probes in the interval (see probe.go): the responsiveness probe's maximum, p99 and
	// count (with --probe, always written then: an interval in which no probe returned has a
	// count of 0), and the platform probe's maximum oversleep.
	ProbeMaxUs  *float64 `json:"probe_max_us,omitempty"`
	ProbeP99Us  *float64 `json:"probe_p99_us,omitempty"`
	ProbeCount  *int64   `json:"probe_count,omitempty"`
	HiccupMaxUs *float64 `json:"hiccup_max_us,omitempty"`
	// Hist is the interval's whole latency histogram of successful operations (every category
	// together), ProbeHist the responsiveness probe's, both in nanoseconds, encoded by
	// hdrhistogram's V2 compressed encoding as base64 text (DecodeHist, MergeHists); absent
	// when empty. Older series files do not have them.
	Hist      string `json:"hist,omitempty"`
	ProbeHist string `json:"probe_hist,omitempty"`
}

// SeriesCategory is one category's share of an interval.
type SeriesCategory struct {
	Ops    int64   `json:"ops"`
	Failed int64   `json:"failed"`
	MaxUs  float64 `json:"max_us"`
	P99Us  float64 `json:"p99_us"`
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
		err = WriteGoBench(p.w, GoBenchName(s.Recorded()), r)
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

// CurrentSchema is the version of the result schema that this binary writes. The versions:
//
//  1. results without schema_version: early binaries leave out the fields added since
//     (config.upgrade, all, max_gap_ms, window, the probes, …; OpResult's max_us was
//     max_ttc_us), which read as absent.
//  2. schema_version, and the config written through the table of package settings
//     (the same keys and units as 1's).
const CurrentSchema = 2

// DecodeResult reads a result document of any schema version up to CurrentSchema, bringing an
// older one to the current types: what it lacks stays absent (nil), what it spells otherwise
// is read where the current schema has it.
func DecodeResult(data []byte) (*Result, error) {
	var r Result
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, err
	}
	switch {
	case r.SchemaVersion > CurrentSchema:
		return nil, fmt.Errorf("schema_version %d is newer than this dustm reads (1 to %d): read it with the dustm that wrote it, or a newer one",
			r.SchemaVersion, CurrentSchema)
	case r.SchemaVersion < 0:
		return nil, fmt.Errorf("bad schema_version %d (accepted: 1 to %d, or none for 1)", r.SchemaVersion, CurrentSchema)
	case r.SchemaVersion == 0:
		r.SchemaVersion = 1
		// The early binaries of schema 1 name the upgrade in its measurements, or only on
		// the command line.
		c := &r.Config
		if u := r.Upgrade; u != nil && c.Upgrade == "" {
			c.Upgrade, c.Sweepers = u.Scenario, u.Sweepers
			if m, err := upgrade.ParseStrategy(u.Strategy); err == nil {
				c.Migration = m
			}
		}
		if c.Upgrade == "" {
			c.Upgrade = argValue(c.Args, "--upgrade")
		}
	}
	return &r, nil
}

// argValue finds "--name value" or "--name=value" in a command line.
func argValue(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
	}
	return ""
}

// ResponseMaxUs is the interval's maximum response time as the figures draw it: the probe's
// when the series has it (a pause of the whole program shows there even when no operation
// completes in the interval), else that of all operations; probe reports which.
func (p *SeriesPoint) ResponseMaxUs() (us float64, probe bool) {
	if p.ProbeMaxUs != nil {
		return *p.ProbeMaxUs, true
	}
	return p.MaxLatencyUs(), false
}

// MaxLatencyUs is the interval's maximum latency: max_us, or the largest of the categories'.
func (p *SeriesPoint) MaxLatencyUs() float64 {
	if p.MaxUs != nil {
		return *p.MaxUs
	}
	m := 0.0
	for _, c := range p.Categories {
		m = max(m, c.MaxUs)
	}
	return m
}

// P99LatencyUs is the interval's p99 over all operations when the series has it; otherwise
// the largest of the categories' p99 (an upper bound), and exact reports false.
func (p *SeriesPoint) P99LatencyUs() (us float64, exact bool) {
	if p.P99Us != nil {
		return *p.P99Us, true
	}
	m := 0.0
	for _, c := range p.Categories {
		if c.Ops > 0 {
			m = max(m, c.P99Us)
		}
	}
	return m, false
}
