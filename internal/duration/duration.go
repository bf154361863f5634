// Package duration is the one way the commands read a length of time: a plain number is
// seconds ("2.5"), anything else a Go duration ("2500ms", "1m30s"). Every flag and key that
// takes a duration goes through Parse with its own Range, so that they accept the same
// spellings and say the same things about a bad one.
package duration

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Accepted describes the spellings Parse takes, for messages and help texts.
const Accepted = "seconds as a number (2.5) or a Go duration (2500ms, 1m30s)"

// errTooLong is a number of seconds beyond what a time.Duration holds (about ±292 years).
var errTooLong = errors.New("too long for a duration (at most about 292 years)")

// Parse reads seconds or a Go duration. It rejects what is not a finite duration that fits
// a time.Duration (NaN, Inf, 1e300), but not zero or negative values: that is Range's job.
func Parse(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty (accepted: %s)", Accepted)
	}
	f, err := strconv.ParseFloat(s, 64)
	if ne, ok := errors.AsType[*strconv.NumError](err); err == nil || ok && errors.Is(ne.Err, strconv.ErrRange) {
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return 0, fmt.Errorf("%q is not a number of seconds (accepted: %s)", s, Accepted)
		case math.Abs(f) > float64(math.MaxInt64)/float64(time.Second):
			return 0, fmt.Errorf("%q seconds: %w", s, errTooLong)
		}
		return time.Duration(math.Round(f * float64(time.Second))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q is neither seconds nor a duration (accepted: %s)", s, Accepted)
	}
	return d, nil
}

// Range is an inclusive range of durations. Zero allows 0 itself below Min (for "0: the
// default" flags).
type Range struct {
	Min, Max time.Duration
	Zero     bool
}

// String says what the range accepts, e.g. "between 10ms and 277h46m40s".
func (r Range) String() string {
	s := fmt.Sprintf("between %s and %s", Format(r.Min), Format(r.Max))
	if r.Zero {
		s = "0 or " + s
	}
	return s
}

// Check reports a duration outside the range.
func (r Range) Check(d time.Duration) error {
	if (d == 0 && r.Zero) || (d >= r.Min && d <= r.Max) {
		return nil
	}
	return fmt.Errorf("%s is out of range (accepted: %s)", Format(d), r)
}

// Parse reads s as Parse does and checks it against the range.
func (r Range) Parse(s string) (time.Duration, error) {
	d, err := Parse(s)
	switch {
	case errors.Is(err, errTooLong):
		return 0, fmt.Errorf("%q seconds is out of range (accepted: %s)", strings.TrimSpace(s), r)
	case err != nil:
		return 0, err
	case r.Check(d) != nil:
		return 0, fmt.Errorf("%q is out of range (accepted: %s)", strings.TrimSpace(s), r)
	}
	return d, nil
}

// Format writes a duration as seconds when it is a whole or simple number of them, so that
// messages use the spelling the flags document.
func Format(d time.Duration) string {
	if d%time.Millisecond == 0 && d >= time.Second {
		return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
	}
	return d.String()
}

// Value is a pflag.Value (Set, String, Type) for a duration flag in a range.
type Value struct {
	D     *time.Duration
	Range Range
}

// NewValue sets *p to def and returns the flag value that parses into it.
func NewValue(p *time.Duration, def time.Duration, r Range) *Value {
	*p = def
	return &Value{D: p, Range: r}
}

// Set parses s into the duration.
func (v *Value) Set(s string) error {
	d, err := v.Range.Parse(s)
	if err == nil {
		*v.D = d
	}
	return err
}

// String writes the current value as seconds.
func (v *Value) String() string {
	if v.D == nil {
		return "0"
	}
	return strconv.FormatFloat(v.D.Seconds(), 'f', -1, 64)
}

// Type names the flag's kind in help texts.
func (v *Value) Type() string { return "seconds|duration" }
