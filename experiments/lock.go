package experiments

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// LockFile is the file of a results folder on which a sweep (or compact) holds an advisory
// lock while it writes the folder, naming the process. Each run's process inherits the lock:
// a resume never starts beside a run orphaned by a killed sweep.
const LockFile = ".lock"

// ErrBusy marks a results folder that another process is writing (bad usage, not a failure).
var ErrBusy = errors.New("results folder in use")

// orphanWait is how long taking a lock waits when its holder has ended but the lock is held:
// its run, killed with it (Pdeathsig), is on its way out.
const orphanWait = 3 * time.Second

// FolderLock is a held lock on a results folder.
type FolderLock struct {
	f *os.File // nil where the platform has no advisory locks
}

// LockFolder takes the lock on a results folder for command (written in the lock file for
// whoever is refused); ErrBusy, naming the holder, when another process holds it.
func LockFolder(dir, command string) (*FolderLock, error) {
	f, err := os.OpenFile(filepath.Join(dir, LockFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("locking %s: %w", dir, err)
	}
	deadline := time.Now().Add(orphanWait)
	for {
		held, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		if held {
			break
		}
		pid, what := readHolder(f)
		if processAlive(pid) || time.Now().After(deadline) {
			f.Close()
			return nil, busyError(dir, pid, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stamp := fmt.Sprintf("%d\n%s\n%s\n", os.Getpid(), time.Now().UTC().Format(time.RFC3339), command)
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(stamp), 0) // only a message for a refused process: a failure is harmless
	}
	return &FolderLock{f: f}, nil
}

// Unlock releases the lock; the file stays (removed, two processes could lock two files of
// one name).
func (l *FolderLock) Unlock() {
	if l != nil && l.f != nil {
		l.f.Close()
		l.f = nil
	}
}

// readHolder reads the PID and the command the lock file names (0 and "" when unreadable).
func readHolder(f *os.File) (int, string) {
	b, _ := io.ReadAll(io.NewSectionReader(f, 0, 4096))
	lines := strings.SplitN(string(b), "\n", 3)
	pid, _ := strconv.Atoi(strings.TrimSpace(lines[0]))
	what := ""
	if len(lines) == 3 {
		what = strings.TrimSpace(lines[2])
		if lines[1] != "" {
			what += ", since " + lines[1]
		}
	}
	return pid, what
}

func busyError(dir string, pid int, what string) error {
	switch {
	case pid == 0:
		return fmt.Errorf("%w: %s is being written by another process (it holds %s); wait for it to end", ErrBusy, dir, filepath.Join(dir, LockFile))
	case processAlive(pid):
		return fmt.Errorf("%w: %s is being written by process %d (%s); wait for it to end, or stop it first", ErrBusy, dir, pid, what)
	}
	msg := fmt.Sprintf("%s is still locked: process %d (%s) has ended, but a process it started holds the lock", dir, pid, what)
	if runs := runningRuns(dir); len(runs) > 0 {
		msg += " (" + strings.Join(runs, "; ") + ")"
	}
	return fmt.Errorf("%w: %s; wait for it to end, or stop it first", ErrBusy, msg)
}

// runningRuns names the runs of a folder that say they are running in a live process.
func runningRuns(dir string) []string {
	infos, _ := filepath.Glob(filepath.Join(dir, "runs", "*", "*", "rep-*", RunInfoFile))
	var out []string
	for _, p := range infos {
		info, err := ReadRunInfo(filepath.Dir(p))
		if err == nil && info.Status == StatusRunning && processAlive(info.PID) {
			out = append(out, fmt.Sprintf("run %s/%s rep %d is process %d", info.Part, info.Config, info.Rep, info.PID))
		}
	}
	return out
}

// Lock takes the lock on the sweep's folder (see LockFolder), unless the sweep holds it.
func (s *Sweep) Lock(command string) error {
	if s.lock != nil {
		return nil
	}
	var err error
	if s.lock, err = LockFolder(s.Dir, command); err != nil {
		return err
	}
	// The sessions recorded by whoever held the folder before (read before the lock).
	if m, err := ReadManifest(s.Dir); err == nil && s.Manifest != nil {
		s.Manifest.Sessions = m.Sessions
	}
	return nil
}

// Unlock releases the sweep's lock on its folder, if it holds it.
func (s *Sweep) Unlock() {
	s.lock.Unlock()
	s.lock = nil
}
