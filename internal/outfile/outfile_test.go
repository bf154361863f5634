package outfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func write(t *testing.T, path, text string, stdout io.Writer) error {
	t.Helper()
	f, err := Create(path, stdout)
	if err != nil {
		return err
	}
	if _, err := io.WriteString(f, text); err != nil {
		t.Fatal(err)
	}
	return f.Commit()
}

func TestRegularFileReplacedAtomically(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "r.json")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "new")
	f.Flush()
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("before Commit the file reads %q, want the old content", b)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Errorf("after Commit: %q, mode %v; want new and the replaced file's 0600", b, st.Mode())
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestAbortKeepsTheOldFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.json")
	os.WriteFile(p, []byte("old"), 0o644)
	f, err := Create(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(f, "half")
	f.Abort()
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Errorf("after Abort: %q", b)
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

func TestSymlinkFollowed(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "sub"), 0o755)
	target := filepath.Join(dir, "sub", "target.json")
	os.WriteFile(target, []byte("old"), 0o644)
	link := filepath.Join(dir, "link.json")
	if err := os.Symlink("sub/target.json", link); err != nil {
		t.Fatal(err)
	}
	dangling := filepath.Join(dir, "dangling.json")
	os.Symlink("sub/new.json", dangling)
	for _, p := range []string{link, dangling} {
		if err := write(t, p, "new", nil); err != nil {
			t.Fatal(err)
		}
		if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s is no longer a symbolic link", p)
		}
	}
	for _, p := range []string{target, filepath.Join(dir, "sub", "new.json")} {
		if b, _ := os.ReadFile(p); string(b) != "new" {
			t.Errorf("%s: %q, want new", p, b)
		}
	}
}

func TestFIFOWrittenThroughOrRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if _, err := Create(p, nil); !errors.Is(err, ErrPath) || !strings.Contains(err.Error(), "without a reader") {
		t.Fatalf("a FIFO without a reader: %v", err)
	}
	r, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	// A read of a FIFO with no writer open returns end of file at once, so the test holds a
	// writer of its own until the one under test has written: the reader then sees all of it.
	hold, err := os.OpenFile(p, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		got <- string(b)
	}()
	if err := write(t, p, "through", nil); err != nil {
		t.Fatal(err)
	}
	hold.Close()
	if s := <-got; s != "through" {
		t.Errorf("the reader got %q", s)
	}
	if st, _ := os.Lstat(p); st.Mode()&os.ModeNamedPipe == 0 {
		t.Error("the FIFO was replaced")
	}
}

func TestDeviceWrittenThrough(t *testing.T) {
	if _, err := os.Stat("/dev/null"); err != nil {
		t.Skip(err)
	}
	if err := write(t, "/dev/null", "x", nil); err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Lstat("/dev/null"); st.Mode()&os.ModeCharDevice == 0 {
		t.Fatal("/dev/null is no longer a device")
	}
	if err := Distinct([]string{"--json", "--series"}, []string{"/dev/null", "/dev/null"}); err != nil {
		t.Errorf("/dev/null twice: %v", err)
	}
}

func TestStdout(t *testing.T) {
	for _, name := range []string{"-", "/dev/stdout"} {
		var out bytes.Buffer
		if err := write(t, name, "doc", &out); err != nil || out.String() != "doc" {
			t.Errorf("%s: %q %v", name, out.String(), err)
		}
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`a file named "-" was created`)
	}
}

func TestRefusedBeforeAnythingIsWritten(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	for _, c := range []struct{ path, want string }{
		{dir, "is a directory"},
		{filepath.Join(dir, "no", "r.json"), "does not exist"},
		{"", "empty file name"},
		{sock, "socket"},
	} {
		if c.path == sock {
			fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
			if err != nil || syscall.Bind(fd, &syscall.SockaddrUnix{Name: sock}) != nil {
				continue
			}
			defer syscall.Close(fd)
		}
		err := Check(c.path)
		if !errors.Is(err, ErrPath) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%q) = %v, want %q", c.path, err, c.want)
		}
		if _, err := Create(c.path, nil); !errors.Is(err, ErrPath) {
			t.Errorf("Create(%q) = %v", c.path, err)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 1 {
		t.Errorf("files created: %v", entries)
	}
	if err := Distinct([]string{"--json", "--series"}, []string{"a.json", "./a.json"}); err == nil {
		t.Error("one file twice is not refused")
	}
}
