// Package outfile opens the files the commands write their results to (bench --json and
// --series, --cpuprofile, …) without ever replacing what is not a regular file.
//
// A regular file (or a name that does not exist yet) is written to a temporary file beside
// it and renamed over it on Commit, so that a reader never sees half a result and an
// interrupted run leaves the earlier file as it was. A symbolic link is followed: the file it
// points to is the one replaced, the link stays. Anything else is written through: a FIFO
// (which must already have a reader: opening it would otherwise block before the run), a
// character device such as /dev/null, or /dev/stdout. "-" is the command's standard output.
// A directory, a missing parent directory or a socket is refused by Check and Create, before
// anything is measured.
package outfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// ErrPath marks an output path that cannot be written: bad input the user can fix.
var ErrPath = errors.New("bad output path")

// Stdout is the name that means standard output.
const Stdout = "-"

// IsStdout reports a name of standard output: "-", /dev/stdout and its aliases (written to
// the command's stdout, which may not be the process's).
func IsStdout(path string) bool {
	switch filepath.Clean(path) {
	case Stdout, "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1":
		return true
	}
	return false
}

func pathErrorf(path, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrPath, path, fmt.Sprintf(format, a...))
}

// kind is how a path is written: a temporary file renamed over the target, in place (FIFO,
// device, /proc link), or to stdout.
type kind int

const (
	kindAtomic kind = iota
	kindThrough
	kindStdout
)

// maxLinks bounds the symbolic links followed, as the kernel does (ELOOP).
const maxLinks = 40

// resolve says how path is written and where: for atomic writes the regular file (or the
// name to create) at the end of any symbolic links.
func resolve(path string) (target string, k kind, err error) {
	if IsStdout(path) {
		return path, kindStdout, nil
	}
	if path == "" {
		return "", 0, pathErrorf(`""`, "empty file name")
	}
	cur := path
	for range maxLinks {
		st, err := os.Lstat(cur)
		if errors.Is(err, fs.ErrNotExist) {
			return cur, kindAtomic, checkParent(path, cur)
		}
		through := false
		if err == nil && st.Mode()&fs.ModeSymlink != 0 {
			link, lerr := os.Readlink(cur)
			if lerr != nil {
				return "", 0, pathErrorf(path, "%v", WithoutPath(lerr))
			}
			if !strings.HasPrefix(cur, "/proc/") && !strings.HasPrefix(link, "/proc/") {
				if !filepath.IsAbs(link) {
					link = filepath.Join(filepath.Dir(cur), link)
				}
				cur = link
				continue
			}
			// /proc/self/fd/N (where /dev/stdout leads) are not paths to rename over: the
			// open file they name is written through.
			st, err = os.Stat(path)
			through = true
		}
		if err != nil {
			return "", 0, pathErrorf(path, "%v", WithoutPath(err))
		}
		switch m := st.Mode(); {
		case m.IsRegular() && !through:
			return cur, kindAtomic, nil
		case m.IsDir():
			return "", 0, pathErrorf(path, "is a directory; name a file (in it, e.g. %s)", filepath.Join(path, "out.json"))
		case m&fs.ModeSocket != 0:
			return "", 0, pathErrorf(path, "is a socket; name a regular file, a FIFO, a device or - for standard output")
		}
		return path, kindThrough, nil // FIFO, character or block device, /proc's open file
	}
	return "", 0, pathErrorf(path, "more than %d symbolic links", maxLinks)
}

// WithoutPath is a file system error without the path it names, for messages that name the file
// themselves: the temporary file an atomic write goes through is no business of the user's.
func WithoutPath(err error) error {
	if pe, ok := errors.AsType[*fs.PathError](err); ok {
		return pe.Err
	}
	if le, ok := errors.AsType[*os.LinkError](err); ok {
		return le.Err
	}
	return err
}

// checkParent checks that the folder a new file goes in exists.
func checkParent(path, target string) error {
	dir := filepath.Dir(target)
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return pathErrorf(path, "folder %s does not exist (create it first)", dir)
	case err != nil:
		return pathErrorf(path, "%v", WithoutPath(err))
	case !st.IsDir():
		return pathErrorf(path, "%s is not a folder", dir)
	}
	return nil
}

// Check reports, before anything runs, an output path that Create would refuse; it creates
// nothing.
func Check(path string) error {
	_, _, err := resolve(path)
	return err
}

// Distinct reports two flags (names) naming one output (paths; "" for not given): the
// second would overwrite the first.
func Distinct(names, paths []string) error {
	for i := range paths {
		for j := i + 1; j < len(paths); j++ {
			a, b := paths[i], paths[j]
			if a == "" || b == "" {
				continue
			}
			same := a == b || (IsStdout(a) && IsStdout(b))
			if !same && !IsStdout(a) && !IsStdout(b) {
				ra, erra := resolveQuiet(a)
				rb, errb := resolveQuiet(b)
				same = erra == nil && errb == nil && ra == rb
			}
			if same && !isCharDevice(a) { // /dev/null twice is fine
				return fmt.Errorf("%w: %s and %s both write to %s: give each its own file", ErrPath, names[i], names[j], a)
			}
		}
	}
	return nil
}

func isCharDevice(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode()&fs.ModeCharDevice != 0
}

func resolveQuiet(p string) (string, error) {
	t, _, err := resolve(p)
	if err != nil {
		return "", err
	}
	return filepath.Abs(t)
}

// File is an output being written: Commit puts it in place (a regular file appears
// complete, or not at all), Abort gives up (leaving a regular file's earlier content).
type File struct {
	name   string // as given
	target string // the regular file renamed over (atomic writes)
	k      kind
	f      *os.File // the temporary file, or the file written through
	w      *bufio.Writer
	done   bool
}

// Create opens path for writing as the package comment describes; "-" writes to stdout.
// Errors about the path wrap ErrPath.
func Create(path string, stdout io.Writer) (*File, error) {
	target, k, err := resolve(path)
	if err != nil {
		return nil, err
	}
	out := &File{name: path, target: target, k: k}
	switch k {
	case kindStdout:
		if stdout == nil {
			stdout = os.Stdout
		}
		out.w = bufio.NewWriter(stdout)
	case kindThrough:
		// O_NONBLOCK: a FIFO without a reader fails at once (ENXIO) instead of blocking the
		// command before its run; os.File writes to it through the poller all the same.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|syscall.O_NONBLOCK, 0)
		if errors.Is(err, syscall.ENXIO) {
			return nil, pathErrorf(path, "is a FIFO without a reader: start the reader first (e.g. cat %s), then this command", path)
		}
		if err != nil {
			return nil, pathErrorf(path, "%v", WithoutPath(err))
		}
		out.f, out.w = f, bufio.NewWriter(f)
	default:
		f, err := os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+tmpInfix+"*")
		if err != nil {
			return nil, pathErrorf(path, "cannot create a file in %s: %v", filepath.Dir(target), WithoutPath(err))
		}
		out.f, out.w = f, bufio.NewWriter(f)
	}
	return out, nil
}

// tmpInfix marks the temporary file of an atomic write: .NAME.tmp-RANDOM beside NAME.
const tmpInfix = ".tmp-"

// TemporaryOf reports a temporary file a killed writer left, and the NAME it was to replace.
func TemporaryOf(name string) (string, bool) {
	i := strings.LastIndex(name, tmpInfix)
	if !strings.HasPrefix(name, ".") || i <= 1 {
		return "", false
	}
	return name[1:i], true
}

// Name is the path as given.
func (o *File) Name() string { return o.name }

// Write buffers p. Its errors are the system's without the file's name (the caller's gives it).
func (o *File) Write(p []byte) (int, error) {
	n, err := o.w.Write(p)
	return n, WithoutPath(err)
}

// Flush pushes what was written so far out of the buffer.
func (o *File) Flush() error { return WithoutPath(o.w.Flush()) }

// Commit writes out the rest and puts the file in place.
func (o *File) Commit() error {
	if o.done {
		return nil
	}
	o.done = true
	err := o.w.Flush()
	switch o.k {
	case kindStdout:
	case kindThrough:
		if cerr := o.f.Close(); err == nil {
			err = cerr
		}
	default:
		if err == nil {
			err = o.f.Sync()
		}
		if cerr := o.f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			// CreateTemp makes the file 0600: keep the mode of the file replaced, else the
			// mode of an ordinary file.
			mode := fs.FileMode(0o644)
			if st, serr := os.Stat(o.target); serr == nil {
				mode = st.Mode().Perm()
			}
			err = os.Chmod(o.f.Name(), mode)
		}
		if err == nil {
			err = os.Rename(o.f.Name(), o.target)
		}
		if err != nil {
			os.Remove(o.f.Name())
		}
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", o.name, WithoutPath(err))
	}
	return nil
}

// Abort gives up the file: a temporary file is removed, the target left as it was.
func (o *File) Abort() {
	if o.done {
		return
	}
	o.done = true
	switch o.k {
	case kindThrough:
		o.f.Close()
	case kindAtomic:
		o.f.Close()
		os.Remove(o.f.Name())
	}
}

// CheckFile reports what would stop WriteFile from writing path, writing nothing: a caller
// that writes several files checks them all first, so that one refused leaves the others as
// they were.
func CheckFile(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("writing %s: it is a folder, where a file belongs: move it away", path)
	}
	return Check(path)
}

// WriteFile writes data to path as Create and Commit do, for the files a program names
// itself (a summary, a figure): a folder in the way is reported as such.
func WriteFile(path string, data []byte, stdout io.Writer) error {
	if err := CheckFile(path); err != nil {
		return err
	}
	f, err := Create(path, stdout)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Commit()
}
