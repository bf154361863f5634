package settings

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"dustm/internal/duration"
	"dustm/stmbench7"
)

// codec is how one kind of setting reads and writes its three spellings: the flag's, the
// experiment key's and the result's.
type codec[T any] struct {
	typ     string                  // the flag's kind in help texts ("bool" makes a boolean flag)
	parse   func(string) (T, error) // the flag's syntax
	format  func(T) string          // the flag's default in help texts
	key     func(T) string          // the experiment key's canonical spelling
	keyIn   func(string) (T, error) // reads an experiment value (nil: parse)
	names   func() []string         // the accepted experiment values, when an enumeration
	accepts string                  // what the key accepts, when not an enumeration
	toJSON  func(T) any             // the result's value (nil: T itself)
	// fromJSON reads the result's value (nil: as T).
	fromJSON func(json.RawMessage) (T, error)
}

// field is one setting's field in a Settings, seen through its codec; it implements value.
type field[T any] struct {
	p *T
	c *codec[T]
}

func bind[T any](get func(*Settings) *T, c codec[T]) func(*Settings) value {
	return func(s *Settings) value { return &field[T]{get(s), &c} }
}

func (f *field[T]) Set(v string) error {
	x, err := f.c.parse(v)
	if err != nil {
		return err
	}
	*f.p = x
	return nil
}

func (f *field[T]) String() string {
	if f.p == nil {
		var zero T
		return f.c.format(zero)
	}
	return f.c.format(*f.p)
}

func (f *field[T]) Type() string     { return f.c.typ }
func (f *field[T]) isBool() bool     { return f.c.typ == "bool" }
func (f *field[T]) key() string      { return f.c.key(*f.p) }
func (f *field[T]) values() []string { return callOrNil(f.c.names) }
func (f *field[T]) accepts() string  { return f.c.accepts }

func callOrNil(f func() []string) []string {
	if f == nil {
		return nil
	}
	return f()
}

func (f *field[T]) setKey(v string) error {
	in := f.c.keyIn
	if in == nil {
		in = f.c.parse
	}
	x, err := in(v)
	if err != nil {
		return err
	}
	*f.p = x
	return nil
}

func (f *field[T]) json() any {
	if f.c.toJSON != nil {
		return f.c.toJSON(*f.p)
	}
	return *f.p
}

func (f *field[T]) setJSON(raw json.RawMessage) error {
	if f.c.fromJSON != nil {
		x, err := f.c.fromJSON(raw)
		if err != nil {
			return err
		}
		*f.p = x
		return nil
	}
	return json.Unmarshal(raw, f.p)
}

// names is a setting whose values are names. The flag takes any name (the run's validation
// reports an unknown one, and tests may bring their own backends); an experiment key only
// the listed ones.
func names(list func() []string) codec[string] {
	return codec[string]{
		typ:    "string",
		parse:  func(v string) (string, error) { return v, nil },
		format: func(v string) string { return v },
		key:    func(v string) string { return v },
		names:  list,
		keyIn: func(v string) (string, error) {
			return v, checkName(v, list())
		},
	}
}

func checkName(v string, list []string) error {
	for _, n := range list {
		if n == v {
			return nil
		}
	}
	return fmt.Errorf("unknown value %q (accepted: %s)", v, strings.Join(list, ", "))
}

// named is a type whose values have names (String), read by its package's parse function.
type named interface {
	comparable
	fmt.Stringer
}

// enum is a setting of a named type whose package lists the values.
func enum[T named](parse func(string) (T, error), all func() []T) codec[T] {
	return enumNamed(parse, func() []string {
		var out []string
		for _, v := range all() {
			out = append(out, v.String())
		}
		return out
	})
}

// enumNamed is enum for a package that lists the values' names.
func enumNamed[T named](parse func(string) (T, error), list func() []string) codec[T] {
	str := func(v T) string { return v.String() }
	return codec[T]{
		typ:    "string",
		parse:  parse,
		format: str,
		key:    str,
		names:  list,
		toJSON: func(v T) any { return v.String() },
		fromJSON: func(raw json.RawMessage) (T, error) {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				var zero T
				return zero, err
			}
			return parse(s)
		},
	}
}

// scenario is the upgrade scenario: "" for none, which an experiment spells "none".
func scenario() codec[string] {
	list := func() []string { return append([]string{"none"}, stmbench7.ScenarioNames()...) }
	return codec[string]{
		typ:    "string",
		parse:  func(v string) (string, error) { return v, nil }, // the run's validation checks it
		format: func(v string) string { return v },
		key: func(v string) string {
			if v == "" {
				return "none"
			}
			return v
		},
		keyIn: func(v string) (string, error) {
			if err := checkName(v, list()); err != nil {
				return "", err
			}
			if v == "none" {
				return "", nil
			}
			return v, nil
		},
		names: list,
	}
}

func path() codec[string] {
	return codec[string]{typ: "string", parse: func(v string) (string, error) { return v, nil },
		format: func(v string) string { return v }, key: func(v string) string { return v }}
}

// boolean is a switch; an experiment spells it on or off (and accepts true/false, yes/no,
// 1/0). inverted: the field says the opposite of the key and the result (NoTraversals).
func boolean(inverted bool) codec[bool] {
	return codec[bool]{
		typ:    "bool",
		parse:  strconv.ParseBool,
		format: strconv.FormatBool,
		key: func(b bool) string {
			if b != inverted {
				return "on"
			}
			return "off"
		},
		keyIn: func(v string) (bool, error) {
			switch strings.ToLower(v) {
			case "on", "true", "yes", "1":
				return !inverted, nil
			case "off", "false", "no", "0":
				return inverted, nil
			}
			return false, fmt.Errorf("unknown value %q (accepted: on, off)", v)
		},
		names:  func() []string { return []string{"on", "off"} },
		toJSON: func(b bool) any { return b != inverted },
		fromJSON: func(raw json.RawMessage) (bool, error) {
			var b bool
			err := json.Unmarshal(raw, &b)
			return b != inverted, err
		},
	}
}

type integers interface{ ~int | ~int64 }

// integer is a count. The flag takes any whole number (the run's validation reports one out
// of range with its own words); an experiment key only one in [lo, hi].
func integer[T integers](lo, hi int64) codec[T] {
	return codec[T]{
		typ: "int",
		parse: func(v string) (T, error) {
			n, err := strconv.ParseInt(v, 0, 64)
			return T(n), err
		},
		format: func(n T) string { return strconv.FormatInt(int64(n), 10) },
		key:    func(n T) string { return strconv.FormatInt(int64(n), 10) },
		keyIn: func(v string) (T, error) {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil && !isRangeErr(err) {
				return 0, errors.New("not a whole number")
			}
			if err != nil || n < lo || n > hi {
				return 0, errors.New("out of range")
			}
			return T(n), nil
		},
		accepts: fmt.Sprintf("a whole number from %d to %d", lo, hi),
	}
}

func isRangeErr(err error) bool {
	ne, ok := errors.AsType[*strconv.NumError](err)
	return ok && errors.Is(ne.Err, strconv.ErrRange)
}

func anyInteger() codec[int64] {
	c := integer[int64](math.MinInt64, math.MaxInt64)
	c.keyIn = func(v string) (int64, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, errors.New("not a whole number")
		}
		return n, nil
	}
	c.accepts = "a whole number"
	return c
}

// sweepers is a count whose zero means one: the key and the flag say 1.
func sweepers() codec[int] {
	c := integer[int](1, MaxSweepers)
	c.key = func(n int) string { return strconv.Itoa(max(n, 1)) }
	return c
}

// seconds is a length of time that the key and the result write in seconds (length=2.5,
// length_s), read as seconds or a Go duration in the flag's and the key's ranges.
func seconds(flag, key duration.Range) codec[time.Duration] {
	return codec[time.Duration]{
		typ:     "seconds|duration",
		parse:   flag.Parse,
		format:  func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) },
		key:     func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'g', -1, 64) },
		keyIn:   key.Parse,
		accepts: "seconds (2.5) or a duration (2500ms), " + key.String(),
		toJSON:  func(d time.Duration) any { return d.Seconds() },
		fromJSON: func(raw json.RawMessage) (time.Duration, error) {
			var f float64
			err := json.Unmarshal(raw, &f)
			return time.Duration(math.Round(f * float64(time.Second))), err
		},
	}
}

// calibration is a length of time in seconds, or CalibrationAuto, which the flag's help does
// not show as a default (its text says what it resolves to) and the result never records
// (a run resolves it first).
func calibration() codec[time.Duration] {
	c := seconds(CalibrationRange, CalibrationRange)
	format := c.format
	c.format = func(d time.Duration) string {
		if d == CalibrationAuto {
			return ""
		}
		return format(d)
	}
	return c
}

// period is a length of time that the key writes as a Go duration (interval=100ms) and the
// result as a number of unit (interval_s, probe_interval_us).
func period(r duration.Range, unit time.Duration, example time.Duration) codec[time.Duration] {
	c := seconds(r, r)
	c.key = time.Duration.String
	c.accepts = fmt.Sprintf("a duration (%v) or seconds (%v), %v", example, example.Seconds(), r)
	c.toJSON = func(d time.Duration) any { return float64(d) / float64(unit) }
	c.fromJSON = func(raw json.RawMessage) (time.Duration, error) {
		var f float64
		err := json.Unmarshal(raw, &f)
		return time.Duration(math.Round(f * float64(unit))), err
	}
	return c
}

func gogc() codec[int] {
	return codec[int]{
		typ:    "string",
		parse:  ParseGOGC,
		format: func(int) string { return "" },
		key:    FormatGOGC,
		keyIn: func(v string) (int, error) {
			n, err := ParseGOGC(v)
			if err != nil {
				return 0, errors.New("not a percentage >= 0 or off")
			}
			return n, nil
		},
		accepts: "a percentage >= 0, or off",
	}
}

func memLimit() codec[int64] {
	return codec[int64]{
		typ:    "string",
		parse:  ParseMemLimit,
		format: func(int64) string { return "" },
		key:    FormatMemLimit,
		keyIn: func(v string) (int64, error) {
			n, err := ParseMemLimit(v)
			if err != nil {
				return 0, errors.New("not a number of bytes or off")
			}
			return n, nil
		},
		accepts: "bytes with an optional unit (4GiB, 512MiB, 1.5GB), or off",
	}
}

// ParseGOGC reads a --gogc value: a percentage >= 0, or "off" (returned as -1).
func ParseGOGC(s string) (int, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad GOGC %q (accepted: a whole percentage >= 0, or off)", s)
	}
	return n, nil
}

// FormatGOGC writes a GOGC value as ParseGOGC reads it.
func FormatGOGC(n int) string {
	if n < 0 {
		return "off"
	}
	return strconv.Itoa(n)
}

// byteUnits are the units ParseMemLimit accepts, as GOMEMLIMIT spells them (plus the decimal
// ones).
var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// ParseMemLimit reads a --memlimit value: bytes, optionally with a unit (4GiB, 512MiB, 1.5GB,
// 1000000B), or "off" (returned as 0, no limit).
func ParseMemLimit(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return 0, nil
	}
	num, mult := s, 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f > 0) || f*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("bad memory limit %q (accepted: a positive number of bytes with an optional unit B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, e.g. 4GiB; or off)", s)
	}
	return int64(f * mult), nil
}

// FormatMemLimit spells a memory limit in the largest binary unit that divides it, "off" for
// none.
func FormatMemLimit(n int64) string {
	if n == 0 {
		return "off"
	}
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
