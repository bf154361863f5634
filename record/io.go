package record

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
	b, err := readMaybeGz(path)
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
	b, err := readMaybeGz(path)
	if err != nil {
		return nil, err
	}
	t, err := ReadSeries(bytes.NewReader(b))
	if err != nil {
		return t, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}

func readMaybeGz(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return b, err
	}
	z, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(z)
}
