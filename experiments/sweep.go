package experiments

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"time"

	"dustm/internal/outfile"
	"dustm/stmbench7/bench"
)

// Files of a results folder.
const (
	ManifestFile   = "manifest.json"   // the Manifest
	DefinitionFile = "experiment.json" // the experiment as run (overrides applied), reusable with -f
	SummaryFile    = "summary.csv"     // one row per configuration
	// SummaryLongFile is summary.csv in long format: one value a row (configuration keys,
	// metric, statistic, value).
	SummaryLongFile = "summary-long.csv"
	MicroFile       = "micro.txt"    // every micro run's output, in Go benchmark format
	RunInfoFile     = "run.json"     // per run: its RunInfo
	ResultFile      = "result.json"  // per bench run: dustm bench --json
	SeriesFile      = "series.jsonl" // per bench run: dustm bench --series
	BenchTextFile   = "bench.txt"    // per micro run: go test -bench output
	StdoutFile      = "stdout.txt"   // per run
	StderrFile      = "stderr.txt"   // per run
	FailedFile      = "failed.json"  // per failed run: its Failure
)

// Manifest describes a results folder: the experiment (with every override), the program
// and the machine, and the sessions that ran it.
type Manifest struct {
	Experiment  string      `json:"experiment"`
	Description string      `json:"description"`
	Source      string      `json:"source"`    // "built-in" or the file the definition came from
	Overrides   []string    `json:"overrides"` // every --set, in order
	Definition  *Experiment `json:"definition"`
	Shard       *Shard      `json:"shard,omitempty"`
	Configs     int         `json:"configs"` // configurations of the whole matrix
	Runs        int         `json:"runs"`    // runs this folder holds when complete
	Created     string      `json:"created"` // RFC 3339
	Command     []string    `json:"command"`
	// Env is the program and machine (git commit, Go version, CPU model, cores, …) of the
	// session that created the folder; each run's result records its own.
	Env        bench.Env `json:"env"`
	MergedFrom []string  `json:"merged_from,omitempty"`
	Sessions   []Session `json:"sessions"`
}

// Session is one invocation that ran part of a sweep.
type Session struct {
	Started     string   `json:"started"`
	Finished    string   `json:"finished,omitempty"`
	Hostname    string   `json:"hostname,omitempty"`
	Command     []string `json:"command,omitempty"`
	Ran         int      `json:"ran"`
	Failed      int      `json:"failed"`
	Interrupted bool     `json:"interrupted,omitempty"`
}

// Sweep is a results folder and the runs it is meant to hold.
type Sweep struct {
	Dir      string
	Manifest *Manifest
	Configs  []Config
	Runs     []Run
	lock     *FolderLock // held while a session writes the folder
}

// CreateOptions describe where a sweep came from.
type CreateOptions struct {
	Source    string   // "built-in" or the definition's file
	Overrides []string // the --set overrides already applied to the experiment
	Shard     Shard
	Command   []string // the command line, for the manifest
}

// Create starts a results folder for the experiment: dir must not exist or be empty.
func Create(dir string, e *Experiment, o CreateOptions) (*Sweep, error) {
	configs, _, err := e.Expand()
	if err != nil {
		return nil, err
	}
	if err := checkNewFolder(dir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, invalidf("cannot create the results folder %s: %v", dir, err)
	}
	// Locked, and checked again: two commands creating the same folder at once do not both
	// write a manifest. The session that runs the sweep takes the lock again (Runner.Run).
	l, err := LockFolder(dir, strings.Join(o.Command, " "))
	if err != nil {
		return nil, err
	}
	defer l.Unlock()
	if err := checkNewFolder(dir); err != nil {
		return nil, err
	}
	m := &Manifest{Experiment: e.Name, Description: e.Description, Source: o.Source, Overrides: append([]string{}, o.Overrides...),
		Definition: e.Clone(), Configs: len(configs), Created: now(), Command: o.Command, Env: bench.CollectEnv(time.Now())}
	if o.Shard.Count > 0 {
		sh := o.Shard
		m.Shard = &sh
	}
	return newSweep(dir, m, configs, o.Shard)
}

// newSweep writes a new results folder's manifest and experiment.json.
func newSweep(dir string, m *Manifest, configs []Config, shard Shard) (*Sweep, error) {
	s := &Sweep{Dir: dir, Manifest: m, Configs: configs, Runs: Schedule(configs, m.Definition.Reps(), shard)}
	m.Runs = len(s.Runs)
	if err := s.SaveManifest(); err != nil {
		return nil, err
	}
	return s, writeJSONAtomic(filepath.Join(dir, DefinitionFile), m.Definition)
}

// checkNewFolder refuses a results folder to be that exists as a file or as a folder with
// anything in it: nothing there is overwritten, and a sweep is continued with --resume.
func checkNewFolder(dir string) error {
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, syscall.ENAMETOOLONG):
		return invalidf("%s: a name in this path is too long (a file system takes at most 255 bytes a name): name a shorter results folder", dir)
	case errors.Is(err, syscall.ENOTDIR):
		return invalidf("%s: a part of this path is a file, not a folder: name a results folder in a folder", dir)
	case err != nil:
		return invalidf("%s: %v", dir, outfile.WithoutPath(err))
	case !st.IsDir():
		return invalidf("%s exists and is a file, not a folder: name a new results folder", dir)
	}
	entries, _ := os.ReadDir(dir)
	entries = slices.DeleteFunc(entries, func(e fs.DirEntry) bool { return e.Name() == LockFile })
	if len(entries) > 0 {
		if _, err := os.Stat(filepath.Join(dir, ManifestFile)); err == nil {
			return invalidf("%s exists and is not empty (to continue the sweep there, use --resume %s)", dir, dir)
		}
		return invalidf("%s exists and is not empty: name a new results folder", dir)
	}
	return nil
}

// Open reads a results folder's manifest and reconstructs its runs.
func Open(dir string) (*Sweep, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	configs, _, err := m.Definition.Expand()
	if err != nil {
		return nil, fmt.Errorf("%s: the recorded definition: %w", dir, err)
	}
	shard := m.Selection()
	if err := shard.Selects(len(configs)); err != nil {
		return nil, fmt.Errorf("%s is damaged: %v", filepath.Join(dir, ManifestFile), err)
	}
	return &Sweep{Dir: dir, Manifest: m, Configs: configs, Runs: Schedule(configs, m.Definition.Reps(), shard)}, nil
}

// Selection is the shard of the matrix the folder holds (the zero Shard: all of it).
func (m *Manifest) Selection() Shard {
	if m.Shard == nil {
		return Shard{}
	}
	return *m.Shard
}

// ReadManifest reads a results folder's manifest.
func ReadManifest(dir string) (*Manifest, error) {
	if st, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s does not exist", dir)
	} else if err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s is a file, not a results folder", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s is not a results folder (no %s; results folders are made by `dustm experiment`)", dir, ManifestFile)
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := cmp.Or(checkStrictJSON(b, reflect.TypeFor[Manifest]()), json.Unmarshal(b, &m)); err != nil {
		return nil, fmt.Errorf("%s is damaged: %s", filepath.Join(dir, ManifestFile), jsonProblem(err))
	}
	if m.Definition == nil {
		return nil, fmt.Errorf("%s is damaged: it has no definition", filepath.Join(dir, ManifestFile))
	}
	if sh := m.Shard; sh != nil && (sh.Count < 1 || sh.Count > MaxConfigurations || sh.Index < 1 || sh.Index > sh.Count) {
		return nil, fmt.Errorf("%s is damaged: its shard is %d/%d (a shard is i/n with 1 <= i <= n <= %d)",
			filepath.Join(dir, ManifestFile), sh.Index, sh.Count, MaxConfigurations)
	}
	return &m, nil
}

// SaveManifest writes the manifest.
func (s *Sweep) SaveManifest() error {
	return writeJSONAtomic(filepath.Join(s.Dir, ManifestFile), s.Manifest)
}

// RunDir is the absolute-or-relative (as Dir is) folder of a run.
func (s *Sweep) RunDir(r Run) string { return filepath.Join(s.Dir, r.Dir()) }

// RunInfo is a run's run.json: what ran and how it ended.
type RunInfo struct {
	Experiment string   `json:"experiment"`
	Part       string   `json:"part"`
	Kind       Kind     `json:"kind"`
	Config     string   `json:"config"` // the configuration's slug within its part
	Rep        int      `json:"rep"`
	Params     Params   `json:"params"`
	Command    []string `json:"command,omitempty"`
	Status     string   `json:"status"` // running, ok, failed or interrupted
	Started    string   `json:"started,omitempty"`
	Finished   string   `json:"finished,omitempty"`
	DurationS  float64  `json:"duration_s,omitempty"`
	ExitCode   int      `json:"exit_code"`
	Error      string   `json:"error,omitempty"`
	// PID is the run's process while it runs (the lock's message names it).
	PID int `json:"pid,omitempty"`
}

// Run statuses.
const (
	StatusRunning     = "running"
	StatusOK          = "ok"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// NewRunInfo describes a run that has not started.
func (s *Sweep) NewRunInfo(r Run) RunInfo {
	return RunInfo{
		Experiment: s.Manifest.Experiment, Part: r.Config.Part, Kind: r.Config.Kind,
		Config: r.Config.Slug, Rep: r.Rep, Params: r.Config.Params,
	}
}

// Failure is a failed run's failed.json.
type Failure struct {
	ExitCode   int      `json:"exit_code"` // -1 when the process did not exit by itself
	Error      string   `json:"error"`
	StderrTail string   `json:"stderr_tail,omitempty"`
	Command    []string `json:"command,omitempty"`
	Time       string   `json:"time"`
}

// WriteRunInfo writes a run's run.json.
func WriteRunInfo(dir string, info RunInfo) error {
	return writeJSONAtomic(filepath.Join(dir, RunInfoFile), info)
}

// ReadRunInfo reads a run's run.json.
func ReadRunInfo(dir string) (RunInfo, error) {
	var info RunInfo
	b, err := os.ReadFile(filepath.Join(dir, RunInfoFile))
	if err != nil {
		return info, err
	}
	err = json.Unmarshal(b, &info)
	return info, err
}

func writeJSONAtomic(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return outfile.WriteFile(path, append(b, '\n'), nil)
}

// Compact gzips the bulky files (result, series, stdout, stderr) of the runs of a results
// folder that ended, which the loaders read transparently; a folder being written is refused
// (ErrBusy). It returns the bytes saved and the runs left alone (running or interrupted).
func Compact(dir string) (saved int64, skipped int, err error) {
	l, err := LockFolder(dir, "dustm experiment compact "+dir)
	if err != nil {
		return 0, 0, err
	}
	defer l.Unlock()
	ended := map[string]bool{} // run folder → whether its run ended
	err = filepath.WalkDir(filepath.Join(dir, "runs"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if info, err := ReadRunInfo(path); err == nil {
				ended[path] = info.Status == StatusOK || info.Status == StatusFailed
				if !ended[path] {
					skipped++
				}
			}
			return nil
		}
		switch d.Name() {
		case ResultFile, SeriesFile, StdoutFile, StderrFile, BenchTextFile:
		default:
			return nil
		}
		if !ended[filepath.Dir(path)] {
			return nil
		}
		n, err := gzipFile(path)
		saved += n
		return err
	})
	return saved, skipped, err
}

// gzipFile replaces a file by its gzipped copy, returning the bytes saved.
func gzipFile(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		return 0, err
	}
	if err := outfile.WriteFile(path+".gz", z.Bytes(), nil); err != nil {
		return 0, err
	}
	return int64(len(b) - z.Len()), os.Remove(path)
}
