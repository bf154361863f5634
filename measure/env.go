package measure

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
)

// Env is the manifest of the machine and program a run came from (the record's env pairs).
// RuntimeVars are the Go runtime's environment variables that were set (GOGC, GOMEMLIMIT,
// GOMAXPROCS, GODEBUG): what a run without --gogc or --memlimit inherits.
type Env struct {
	GitCommit   string            `json:"git_commit"`
	GitDirty    *bool             `json:"git_dirty,omitempty"` // uncommitted changes, when known
	GoVersion   string            `json:"go_version"`
	GOOS        string            `json:"goos"`
	GOARCH      string            `json:"goarch"`
	GOMAXPROCS  int               `json:"gomaxprocs"`
	NumCPU      int               `json:"num_cpu"`
	CPUModel    string            `json:"cpu_model"`
	Hostname    string            `json:"hostname"`
	StartTime   string            `json:"start_time"` // RFC 3339; when the run began (before the setup)
	RuntimeVars map[string]string `json:"runtime_vars,omitempty"`
}

// CollectEnv describes the running program and machine; start is the run's start time.
func CollectEnv(start time.Time) Env {
	e := Env{GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH, GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU: runtime.NumCPU(), CPUModel: cpuModel(), StartTime: start.Format(time.RFC3339)}
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
		vcs := map[string]string{}
		for _, s := range info.Settings {
			vcs[s.Key] = s.Value
		}
		if c := vcs["vcs.revision"]; c != "" {
			var dirty *bool
			if m, ok := vcs["vcs.modified"]; ok {
				dirty = new(m == "true")
			}
			return c, dirty
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
