package experiments

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"dustm/record"
	"dustm/stmbench7/bench"
)

// readRecord reads a run's record (or its .gz).
func readRecord(path string) (*record.Record, error) {
	b, err := record.ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := record.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable result: %s", path, jsonProblem(err))
	}
	return r, nil
}

// readRunRecord reads what a run measured: a bench run's result, a kv run's server and client
// records joined, a micro run's benchmarks.
func readRunRecord(dir string, k Kind) (*record.Record, error) {
	switch k {
	case KindKV:
		return readKVRun(dir)
	case KindMicro:
		return readMicroRun(dir)
	}
	return readRecord(filepath.Join(dir, ResultFile))
}

// ParamsOf is a record's configuration as experiment settings.
func ParamsOf(r *record.Record) Params {
	c := r.Config
	if r.App == "stmbench7" {
		if s, err := bench.FromPairs(c); err == nil {
			c = s.Recorded()
		}
	}
	ps := make(Params, len(c))
	for i, p := range c {
		ps[i] = Param{p.Key, p.Value}
	}
	return ps
}

// Folder is the results of a sweep as loaded from disk, or of loose result files.
type Folder struct {
	Dir string
	// Manifest is nil for loose result files.
	Manifest *Manifest
	// Configs are the sweep's configurations (nil for loose files).
	Configs []Config
	Runs    []*RunData

	// Warnings name the damaged files found while loading and reading (a run.json or
	// result.json that does not read, a truncated series): each run concerned is skipped
	// or counted as failed, and the warning says which file and what is wrong with it.
	Warnings []string
	warnMu   sync.Mutex
	// Damaged counts the runs found whose files do not read (skipped, or counted as failed)
	// or that are not the folder's (not counted).
	Damaged int
}

// Warn records a problem with one of the folder's files (see Warnings).
func (f *Folder) Warn(format string, a ...any) {
	f.warnMu.Lock()
	defer f.warnMu.Unlock()
	w := fmt.Sprintf(format, a...)
	if !slices.Contains(f.Warnings, w) {
		f.Warnings = append(f.Warnings, w)
	}
}

// RunData is one run as found on disk.
type RunData struct {
	Dir  string
	Info RunInfo
	// Record is what the run measured: a bench run's result.json, a kv run's server and
	// client records joined, a micro run's benchmarks; nil when none reads.
	Record *record.Record
	// Failure is the failed.json of a failed run.
	Failure *Failure
	// Problem says why a run recorded as ok has no usable results.
	Problem string
	// seriesPath is where the run's time series is ("" for none).
	seriesPath string
}

// OK reports a successful run with usable results.
func (r *RunData) OK() bool {
	return r.Info.Status == StatusOK && r.Problem == "" && r.Record != nil
}

// Interrupted reports a run that was interrupted (or never recorded its end): it runs again
// on resume, and is neither successful nor failed until then.
func (r *RunData) Interrupted() bool {
	return r.Info.Status == StatusInterrupted || r.Info.Status == StatusRunning
}

// Series reads the run's time series.
func (r *RunData) Series() ([]record.Tick, error) {
	if r.seriesPath == "" {
		return nil, fmt.Errorf("%s: the run has no time series", r.Dir)
	}
	rc, err := record.Open(r.seriesPath)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	path := rc.(interface{ Name() string }).Name() // the file that holds the lines
	t, err := record.ReadSeries(rc)
	if err != nil {
		if _, named := errors.AsType[*record.GzError](err); named {
			return t, err
		}
		var line int
		if _, serr := fmt.Sscanf(err.Error(), "line %d:", &line); serr == nil && errors.Unwrap(err) != nil {
			return t, fmt.Errorf("%s:%d: not a series line: %s", path, line, jsonProblem(errors.Unwrap(err)))
		}
		return t, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// HasSeries reports whether the run has a time series.
func (r *RunData) HasSeries() bool { return r.seriesPath != "" && record.Exists(r.seriesPath) }

// LoadFolder loads a results folder: its manifest and every run under runs/.
func LoadFolder(dir string) (*Folder, error) {
	s, err := Open(dir)
	if err != nil {
		return nil, err
	}
	f := &Folder{Dir: dir, Manifest: s.Manifest, Configs: s.Configs}
	at := s.runAt()
	root := filepath.Join(dir, "runs")
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && path == root {
				return fs.SkipAll
			}
			return err
		}
		if d.IsDir() && d.Name() == "previous" {
			return fs.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, RunInfoFile)); !d.IsDir() || err != nil {
			return nil
		}
		r, err := loadRun(path)
		if err != nil {
			f.Warn("%v; the run is skipped", err)
			f.Damaged++
			return fs.SkipDir
		}
		if why := s.foreign(at, path, r); why != "" {
			f.Warn("%s: %s; the run is not counted", path, why)
			f.Damaged++
			return fs.SkipDir
		}
		if r.Problem != "" {
			f.Warn("%s; the run counts as failed", r.Problem)
			f.Damaged++
		}
		f.Runs = append(f.Runs, r)
		return fs.SkipDir
	})
	if err != nil {
		return nil, err
	}
	f.sortRuns()
	return f, nil
}

func loadRun(dir string) (*RunData, error) {
	info, err := ReadRunInfo(dir)
	if err != nil {
		return nil, fmt.Errorf("%s: %s", filepath.Join(dir, RunInfoFile), jsonProblem(err))
	}
	if info.Part == "" || info.Config == "" || info.Status == "" {
		return nil, fmt.Errorf("%s: not a run description (no part, config or status)", filepath.Join(dir, RunInfoFile))
	}
	r := &RunData{Dir: dir, Info: info, seriesPath: filepath.Join(dir, SeriesFile)}
	if b, err := os.ReadFile(filepath.Join(dir, FailedFile)); err == nil {
		var fl Failure
		if json.Unmarshal(b, &fl) == nil {
			r.Failure = &fl
		}
	}
	r.Record, err = readRunRecord(dir, info.Kind)
	if info.Status == StatusOK {
		switch {
		case err != nil:
			r.Problem = err.Error()
		case r.Record.Interrupted:
			r.Problem = "the run was interrupted"
		}
	}
	return r, nil
}

// sortRuns orders runs by configuration (the matrix's order) and repetition.
func (f *Folder) sortRuns() {
	index := map[string]int{}
	for _, c := range f.Configs {
		index[c.ID()] = c.Index
	}
	at := func(r *RunData) int { // a run of no configuration of the folder's after the others
		if i, ok := index[r.Info.Part+"/"+r.Info.Config]; ok {
			return i
		}
		return math.MaxInt
	}
	slices.SortStableFunc(f.Runs, func(a, b *RunData) int {
		return cmp.Or(cmp.Compare(at(a), at(b)), strings.Compare(a.Info.Part+"/"+a.Info.Config, b.Info.Part+"/"+b.Info.Config), a.Info.Rep-b.Info.Rep)
	})
}

// Config returns the folder's configuration of a run (nil for loose files).
func (f *Folder) Config(r *RunData) *Config {
	for i := range f.Configs {
		if f.Configs[i].Part == r.Info.Part && f.Configs[i].Slug == r.Info.Config {
			return &f.Configs[i]
		}
	}
	return nil
}

// Parts lists the parts present, in the definition's order.
func (f *Folder) Parts() []string {
	var parts []string
	if f.Manifest != nil {
		for _, p := range f.Manifest.Definition.Parts {
			parts = append(parts, p.Name)
		}
	}
	for _, r := range f.Runs {
		if !slices.Contains(parts, r.Info.Part) {
			parts = append(parts, r.Info.Part)
		}
	}
	return parts
}

// Part returns the definition of a part (nil for loose files).
func (f *Folder) Part(name string) *Part {
	if f.Manifest == nil {
		return nil
	}
	for i, p := range f.Manifest.Definition.Parts {
		if p.Name == name {
			return &f.Manifest.Definition.Parts[i]
		}
	}
	return nil
}

// LoadAny loads what a path names: a results folder; a configuration's or a run's folder
// inside one (only its runs); or a single result JSON file (a run of `dustm bench --json`).
func LoadAny(path string) (*Folder, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		return LoadResultFile(path)
	}
	if _, err := os.Stat(filepath.Join(path, ManifestFile)); err == nil {
		return LoadFolder(path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	for d := filepath.Dir(abs); filepath.Dir(d) != d; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ManifestFile)); err != nil {
			continue
		}
		f, err := LoadFolder(d)
		if err != nil {
			return nil, err
		}
		f.Runs = slices.DeleteFunc(f.Runs, func(r *RunData) bool {
			ra, err := filepath.Abs(r.Dir)
			return err != nil || (ra != abs && !strings.HasPrefix(ra, abs+string(filepath.Separator)))
		})
		if len(f.Runs) == 0 {
			return nil, fmt.Errorf("%s holds no runs of the results folder %s", path, d)
		}
		f.Dir = path
		return f, nil
	}
	if record.Exists(filepath.Join(path, ResultFile)) {
		return LoadResultFile(filepath.Join(path, ResultFile))
	}
	return nil, fmt.Errorf("%s is neither a results folder (no %s), a folder inside one, nor a result file", path, ManifestFile)
}

// LoadResultFile loads one run record (`dustm bench --json`, `dustm kv serve --json`) as a
// folder of one run, with the parameters read from its configuration. Its series is the
// file beside it: series.jsonl beside a run folder's result.json, NAME.jsonl beside NAME.json.
func LoadResultFile(path string) (*Folder, error) {
	rec, err := readRecord(path)
	if err != nil {
		return nil, err
	}
	info := RunInfo{Part: "main", Kind: KindBench, Config: "default", Rep: 1, Params: ParamsOf(rec), Status: StatusOK}
	if rec.App == "kv" {
		info.Kind = KindKV
	}
	if rec.Interrupted || rec.Error != "" {
		info.Status = StatusFailed
	}
	run := &RunData{Dir: filepath.Dir(path), Info: info, Record: rec}
	sibling, named := filepath.Join(filepath.Dir(path), SeriesFile), strings.TrimSuffix(path, ".json")+".jsonl"
	switch {
	case filepath.Base(path) == ResultFile && record.Exists(sibling):
		run.seriesPath = sibling
	case strings.HasSuffix(path, ".json") && record.Exists(named):
		run.seriesPath = named
	}
	return &Folder{Dir: path, Runs: []*RunData{run}}, nil
}
