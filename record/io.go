package record

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"strings"

	"dustm/internal/outfile"
)

var nan = math.NaN()

// ErrNotRecord marks a file that is not a record of this schema.
var ErrNotRecord = errors.New("not a run record")

// Write writes r atomically to path ("-" is stdout).
func Write(path string, r *Record, stdout io.Writer) error {
	r.Schema = Schema
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return outfile.WriteFile(path, append(b, '\n'), stdout)
}

// Read reads a record (path may end in .gz).
func Read(path string) (*Record, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	r, err := Decode(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Decode reads a record's JSON document.
func Decode(b []byte) (*Record, error) {
	var head struct {
		Schema int `json:"schema"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, err
	}
	if head.Schema != Schema { // before the rest, which an older document does not fit
		return nil, fmt.Errorf("%w: schema %d, this binary reads %d (convert older results with scripts/convert-results)", ErrNotRecord, head.Schema, Schema)
	}
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// ReadSeriesFile reads a series file (path may end in .gz).
func ReadSeriesFile(path string) ([]Tick, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := ReadSeries(bytes.NewReader(b))
	if err != nil {
		return t, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

// Open opens path, decompressing it when its name ends in .gz, or path.gz when only that
// exists (a results folder's bulky files may be gzipped): the errors of a damaged gzip file
// (a *GzError) name it and say what is wrong with it. What Open returns has a Name method:
// the file it reads.
func Open(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	gzPath := path
	switch {
	case errors.Is(err, fs.ErrNotExist):
		gzPath = path + ".gz"
		gf, gerr := os.Open(gzPath)
		if gerr != nil {
			return nil, err // the error about the plain name
		}
		f = gf
	case err != nil:
		return nil, err
	case !strings.HasSuffix(path, ".gz"):
		return f, nil
	}
	g := gzReader{f: f, path: gzPath}
	if g.Reader, err = gzip.NewReader(f); err != nil {
		f.Close()
		return nil, g.damaged(err)
	}
	return g, nil
}

// gzReader names the .gz file in the errors of decompression (the file to look at, or
// restore), and says what is wrong with it.
type gzReader struct {
	*gzip.Reader
	f    *os.File
	path string
}

func (g gzReader) damaged(err error) error {
	why := err.Error()
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		why = "it ends early (cut short)"
	case errors.Is(err, gzip.ErrHeader):
		why = "it is not gzip data"
	case errors.Is(err, gzip.ErrChecksum):
		why = "its checksum does not match its contents"
	}
	return &GzError{fmt.Sprintf("%s: a damaged gzip file: %s", g.path, why)}
}

// GzError is a .gz file that does not decompress.
type GzError struct{ msg string }

func (e *GzError) Error() string { return e.msg }

func (g gzReader) Read(p []byte) (int, error) {
	n, err := g.Reader.Read(p)
	if err != nil && err != io.EOF {
		err = g.damaged(err)
	}
	return n, err
}

// Name is the file read: path.gz where Open fell back to it.
func (g gzReader) Name() string { return g.path }

func (g gzReader) Close() error {
	g.Reader.Close()
	return g.f.Close()
}

// ReadFile reads path as Open opens it.
func ReadFile(path string) ([]byte, error) {
	rc, err := Open(path)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// Exists reports whether path or path.gz exists.
func Exists(path string) bool {
	for _, p := range []string{path, path + ".gz"} {
		if _, err := os.Stat(p); err == nil {
			return true
		}
	}
	return false
}
