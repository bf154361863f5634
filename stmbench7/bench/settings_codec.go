package bench

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"dustm/internal/duration"
	"dustm/stmbench7"
)

// kind is what a setting's codec says of itself, whatever its type.
type kind struct {
	typ     string          // the flag's kind in help texts ("bool" makes a boolean flag)
	names   func() []string // the accepted experiment values, when an enumeration
	accepts string          // what the key accepts, when not an enumeration
}

// codec is how one kind of setting reads and writes its three spellings: the flag's, the
// experiment key's and the record's pair.
type codec[T any] struct {
	kind
	parse  func(string) (T, error) // the flag's syntax
	format func(T) string          // the flag's default in help texts
	key    func(T) string          // the experiment key's canonical spelling
	keyIn  func(string) (T, error) // reads an experiment value (nil: parse)
	pair   func(T) string          // the record's value (nil: key)
	unpair func(string) (T, error) // reads the record's value (nil: parse)
}

// fieldCodec is one setting's field in a Settings, seen through its codec; Set, String and
// Type (pflag.Value) are the flag's.
type fieldCodec interface {
	Set(string) error
	String() string
	Type() string
	kind() kind
	key() string
	setKey(string) error
	pair() string
	setPair(string) error
}

type field[T any] struct {
	p *T
	c *codec[T]
}

func bind[T any](get func(*Settings) *T, c codec[T]) func(*Settings) fieldCodec {
	if c.keyIn == nil {
		c.keyIn = c.parse
	}
	if c.unpair == nil {
		c.unpair = c.parse
	}
	if c.pair == nil {
		c.pair = c.key
	}
	return func(s *Settings) fieldCodec { return &field[T]{get(s), &c} }
}

func (f *field[T]) set(read func(string) (T, error), v string) error {
	x, err := read(v)
	if err == nil {
		*f.p = x
	}
	return err
}

func (f *field[T]) Set(v string) error     { return f.set(f.c.parse, v) }
func (f *field[T]) String() string         { return f.c.format(*f.p) }
func (f *field[T]) Type() string           { return f.c.typ }
func (f *field[T]) kind() kind             { return f.c.kind }
func (f *field[T]) key() string            { return f.c.key(*f.p) }
func (f *field[T]) setKey(v string) error  { return f.set(f.c.keyIn, v) }
func (f *field[T]) pair() string           { return f.c.pair(*f.p) }
func (f *field[T]) setPair(v string) error { return f.set(f.c.unpair, v) }

// text is a setting whose value is a text (a name, a path): the flag and a record take any
// text (the run's validation reports an unknown name, and tests may bring their own
// backends); an experiment key only one of list, when there is a list.
func text(list func() []string) codec[string] {
	self := func(v string) string { return v }
	c := codec[string]{kind: kind{typ: "string", names: list}, parse: func(v string) (string, error) { return v, nil },
		format: self, key: self}
	if list != nil {
		c.keyIn = func(v string) (string, error) {
			if !slices.Contains(list(), v) {
				return "", fmt.Errorf("unknown value %q (accepted: %s)", v, strings.Join(list(), ", "))
			}
			return v, nil
		}
	}
	return c
}

// scenario is the upgrade scenario: "" for none, which an experiment spells "none".
func scenario() codec[string] {
	c := text(func() []string { return append([]string{"none"}, stmbench7.ScenarioNames()...) })
	c.key = func(v string) string { return cmp.Or(v, "none") }
	keyIn := c.keyIn
	c.keyIn = func(v string) (string, error) {
		v, err := keyIn(v)
		if v == "none" {
			v = ""
		}
		return v, err
	}
	return c
}

// enum is a setting of a named type whose package lists its values' names.
func enum[T fmt.Stringer](parse func(string) (T, error), list func() []string) codec[T] {
	str := T.String
	return codec[T]{kind: kind{typ: "string", names: list}, parse: parse, format: str, key: str}
}

// enumOf is enum for a package that lists the values themselves.
func enumOf[T fmt.Stringer](parse func(string) (T, error), all func() []T) codec[T] {
	return enum(parse, func() []string {
		var out []string
		for _, v := range all() {
			out = append(out, v.String())
		}
		return out
	})
}

// boolean is a switch; an experiment spells it on or off (and accepts true/false, yes/no,
// 1/0), a record true or false. inverted: the field says the opposite of the key and the
// record (NoTraversals).
func boolean(inverted bool) codec[bool] {
	return codec[bool]{
		kind:  kind{typ: "bool", names: func() []string { return []string{"on", "off"} }},
		parse: strconv.ParseBool, format: strconv.FormatBool,
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
		pair: func(b bool) string { return strconv.FormatBool(b != inverted) },
		unpair: func(v string) (bool, error) {
			b, err := strconv.ParseBool(v)
			return b != inverted, err
		},
	}
}

// integer is a count. The flag takes any whole number (the run's validation reports one out
// of range with its own words); an experiment key only one in [lo, hi].
func integer[T ~int | ~int64](lo, hi int64) codec[T] {
	str := func(n T) string { return strconv.FormatInt(int64(n), 10) }
	return codec[T]{
		kind:   kind{typ: "int", accepts: fmt.Sprintf("a whole number from %d to %d", lo, hi)},
		format: str, key: str,
		parse: func(v string) (T, error) {
			n, err := strconv.ParseInt(v, 0, 64)
			return T(n), err
		},
		keyIn: func(v string) (T, error) {
			n, err := strconv.ParseInt(v, 10, 64)
			if ne, ok := errors.AsType[*strconv.NumError](err); ok && !errors.Is(ne.Err, strconv.ErrRange) {
				return 0, errors.New("not a whole number")
			}
			if err != nil || n < lo || n > hi {
				return 0, errors.New("out of range")
			}
			return T(n), nil
		},
		pair: str,
	}
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

// seconds is a length of time that the key and the record write in seconds (length=2.5,
// length_s=2.5), read as seconds or a Go duration in the flag's and the key's ranges.
func seconds(flag, key duration.Range) codec[time.Duration] {
	return codec[time.Duration]{
		kind:  kind{typ: "seconds|duration", accepts: "seconds (2.5) or a duration (2500ms), " + key.String()},
		parse: flag.Parse, keyIn: key.Parse,
		format: func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) },
		key:    func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'g', -1, 64) },
		pair:   inUnit(time.Second),
		unpair: fromUnit(time.Second),
	}
}

// inUnit writes a duration as a number of unit, as JSON writes the number (results of
// schema 2 hold these numbers).
func inUnit(unit time.Duration) func(time.Duration) string {
	return func(d time.Duration) string {
		b, _ := json.Marshal(float64(d) / float64(unit))
		return string(b)
	}
}

func fromUnit(unit time.Duration) func(string) (time.Duration, error) {
	return func(v string) (time.Duration, error) {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return 0, fmt.Errorf("%q is not a number of %s", v, strings.TrimPrefix(unit.String(), "1"))
		}
		return time.Duration(math.Round(f * float64(unit))), nil
	}
}

// calibration is a length of time in seconds, or CalibrationAuto, which the flag's help does
// not show as a default (its text says what it resolves to) and a record never holds (a run
// resolves it first).
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
// record as a number of unit (interval_s, probe_interval_us).
func period(r duration.Range, unit time.Duration, example time.Duration) codec[time.Duration] {
	c := seconds(r, r)
	c.key = time.Duration.String
	c.accepts = fmt.Sprintf("a duration (%v) or seconds (%v), %v", example, example.Seconds(), r)
	c.pair, c.unpair = inUnit(unit), fromUnit(unit)
	return c
}

// spelled is a number with a spelling of its own (gogc=off, memlimit=4GiB), which a record
// writes as the number.
func spelled[T ~int | ~int64](parse func(string) (T, error), format func(T) string, bad, accepts string) codec[T] {
	c := integer[T](math.MinInt64, math.MaxInt64)
	c.typ, c.parse, c.key, c.accepts = "string", parse, format, accepts
	c.format = func(T) string { return "" }
	c.keyIn = func(v string) (T, error) {
		n, err := parse(v)
		if err != nil {
			return 0, errors.New(bad)
		}
		return n, nil
	}
	c.unpair = func(v string) (T, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		return T(n), err
	}
	return c
}

func gogc() codec[int] {
	return spelled(ParseGOGC, FormatGOGC, "not a percentage >= 0 or off", "a percentage >= 0, or off")
}

func memLimit() codec[int64] {
	return spelled(ParseMemLimit, FormatMemLimit, "not a number of bytes or off", "bytes with an optional unit (4GiB, 512MiB, 1.5GB), or off")
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

// byteUnits are the units ParseMemLimit accepts, as GOMEMLIMIT spells them (the binary ones,
// largest first, which FormatMemLimit writes), plus the decimal ones.
var byteUnits = []struct {
	suffix string
	size   int64
}{
	{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10},
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
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), float64(u.size)
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
	for _, u := range byteUnits[:4] {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
