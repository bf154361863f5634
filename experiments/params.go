package experiments

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"dustm/stmbench7/bench"
)

// Kind is what the runs of a part execute.
type Kind string

const (
	// KindBench runs `dustm bench` (STMBench7) once per run.
	KindBench Kind = "bench"
	// KindMicro runs the Go micro-benchmarks of the STM and of its public peers (go test
	// -bench, in stm/ and bench/peers/) once per run.
	KindMicro Kind = "micro"
)

// mustRow is a row of the settings table that this package's tables refer to.
func mustRow(key string) bench.Setting {
	row, ok := bench.LookupSetting(key)
	if !ok {
		panic("experiments: the settings table has no key " + key) // a programming error, caught by every test
	}
	return row
}

// spec describes one key of an experiment: one setting of a run, an axis when it has several
// values. The table below is the one place that knows how a key becomes command-line flags.
type spec struct {
	key     string
	kind    Kind
	def     string   // default value; "" means the key is left out unless set
	values  []string // accepted values when they are an enumeration
	accepts string   // what is accepted, for errors and --keys, when not an enumeration
	help    string
	aliases []string
	// norm checks and normalizes a value that is not an enumeration.
	norm func(string) (string, error)
	// flags returns the command-line flags of the value.
	flags func(v string) []string
}

// specs is the table of keys, in the order in which configurations are named, expanded and
// tabulated: the bench keys are the rows of package settings' table (which knows how a value
// becomes flags), the micro keys are this package's. It is built by a function, so that no
// package-level state can change.
func specs() []spec {
	var out []spec
	for _, row := range bench.SettingsTable() {
		if row.Key == "" {
			continue
		}
		out = append(out, spec{key: row.Key, kind: KindBench, def: row.KeyDefault, values: row.Values(), accepts: row.Accepts(),
			help: row.KeyHelp, aliases: row.Aliases(), norm: row.Normalize, flags: row.Args})
	}
	out = append(out, []spec{
		// Go micro-benchmarks.
		{key: "package", kind: KindMicro, def: "peers", values: []string{"peers", "stm"},
			help: "peers: bench/peers (the STM against public Go STMs); stm: the STM's own benchmarks"},
		{key: "cpu", kind: KindMicro, def: "1", accepts: fmt.Sprintf("a whole number from 1 to %d", bench.MaxThreads),
			help: "GOMAXPROCS of the benchmarks (go test -cpu)", norm: intBetween(1, bench.MaxThreads)},
		{key: "benchtime", kind: KindMicro, def: "1s", accepts: "a duration (500ms) or a count (1000x)",
			help: "time or iterations per benchmark (go test -benchtime)", norm: benchtime},
		{key: "bench", kind: KindMicro, accepts: "a Go regular expression",
			help: "which benchmarks (go test -bench); default Peers in peers, . in stm", norm: goRegexp},
	}...)
	return append(out, kvSpecs()...)
}

// lookupSpecOf returns the spec of a key or one of its aliases for a kind of part: kinds may
// share a key's name (backend, upgrade) with their own values.
func lookupSpecOf(k Kind, key string) (spec, bool) {
	for _, s := range specs() {
		if s.kind == k && (s.key == key || slices.Contains(s.aliases, key)) {
			return s, true
		}
	}
	return spec{}, false
}

// Kinds returns the kinds of parts.
func Kinds() []Kind { return []Kind{KindBench, KindMicro, KindKV} }

func kindList() string {
	var out []string
	for _, k := range Kinds() {
		out = append(out, string(k))
	}
	return strings.Join(out, ", ")
}

// keysOf lists the keys of a kind, in table order.
func keysOf(k Kind) []string {
	var keys []string
	for _, s := range specs() {
		if s.kind == k {
			keys = append(keys, s.key)
		}
	}
	return keys
}

// keyRank orders keys as the table does; unknown keys sort after them.
func keyRank(key string) int {
	for i, s := range specs() {
		if s.key == key {
			return i
		}
	}
	return len(specs())
}

// normalize checks a value of the key and returns its canonical spelling.
func (s spec) normalize(v string) (string, error) {
	v = strings.TrimSpace(v)
	if s.values != nil {
		if v2, ok := onOffAlias(v); ok && slices.Equal(s.values, []string{"on", "off"}) {
			v = v2
		}
		if !slices.Contains(s.values, v) {
			return "", fmt.Errorf("%s: unknown value %q (accepted: %s)", s.key, v, strings.Join(s.values, ", "))
		}
		return v, nil
	}
	n, err := s.norm(v)
	if err != nil {
		if strings.Contains(err.Error(), "(accepted: ") { // the range's own message says it
			return "", fmt.Errorf("%s: bad value %q: %v", s.key, v, err)
		}
		return "", fmt.Errorf("%s: bad value %q: %v (accepted: %s)", s.key, v, err, s.accepts)
	}
	return n, nil
}

// normalizeAll normalizes a key's values, the duplicates dropped (in linear time: a file may
// list many values).
func (s spec) normalizeAll(vs []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool, len(vs))
	for _, v := range vs {
		n, err := s.normalize(v)
		if err != nil {
			return nil, err
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out, nil
}

// allKeys lists the keys of every kind, in table order, each once.
func allKeys() []string {
	var all []string
	for _, s := range specs() {
		if !slices.Contains(all, s.key) {
			all = append(all, s.key)
		}
	}
	return all
}

// acceptsText says what a key accepts.
func (s spec) acceptsText() string {
	if s.values != nil {
		return strings.Join(s.values, "|")
	}
	return s.accepts
}

func onOffAlias(v string) (string, bool) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return "on", true
	case "off", "false", "no", "0":
		return "off", true
	}
	return "", false
}

func intBetween(lo, hi int64) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		switch {
		case errors.Is(err, strconv.ErrRange) || err == nil && (n < lo || n > hi):
			return "", errors.New("out of range")
		case err != nil:
			return "", errors.New("not a whole number")
		}
		return strconv.FormatInt(n, 10), nil
	}
}

var benchtimeCount = regexp.MustCompile(`^[1-9][0-9]*x$`)

// benchtime is what go test -benchtime takes: a count, or a positive duration.
func benchtime(v string) (string, error) {
	if benchtimeCount.MatchString(v) {
		return v, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return "", fmt.Errorf("not a duration")
	}
	if d <= 0 || d > time.Hour {
		return "", fmt.Errorf("out of range (between 1ns and 1h)")
	}
	return d.String(), nil
}

func goRegexp(v string) (string, error) {
	if v == "" {
		return "", fmt.Errorf("empty")
	}
	if _, err := regexp.Compile(v); err != nil {
		return "", err
	}
	return v, nil
}

// Param is one setting of a configuration.
type Param struct {
	Key, Value string
}

// Params are the settings of a configuration, in the table's key order. They encode as a
// JSON object in that order.
type Params []Param

// Get returns the value of key and whether it is set.
func (ps Params) Get(key string) (string, bool) {
	for _, p := range ps {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// Value returns the value of key, or "" when it is not set.
func (ps Params) Value(key string) string {
	v, _ := ps.Get(key)
	return v
}

// With returns a copy with key set to value, in table order.
func (ps Params) With(key, value string) Params {
	out := make(Params, 0, len(ps)+1)
	for _, p := range ps {
		if p.Key != key {
			out = append(out, p)
		}
	}
	out = append(out, Param{key, value})
	out.sort()
	return out
}

// Without returns a copy without key.
func (ps Params) Without(key string) Params {
	return slices.DeleteFunc(slices.Clone(ps), func(p Param) bool { return p.Key == key })
}

// Map returns the settings as a map.
func (ps Params) Map() map[string]string {
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.Key] = p.Value
	}
	return m
}

// String writes the settings as key=value pairs separated by spaces.
func (ps Params) String() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Key + "=" + p.Value
	}
	return strings.Join(parts, " ")
}

// Equal reports whether both hold the same settings, in any order (a decoded Params is in
// the table's order, which knows only the bench keys; a matrix's follows its kind's table).
func (ps Params) Equal(o Params) bool {
	if len(ps) != len(o) {
		return false
	}
	for _, p := range ps {
		if v, ok := o.Get(p.Key); !ok || v != p.Value {
			return false
		}
	}
	return true
}

func (ps Params) sort() {
	slices.SortStableFunc(ps, func(a, b Param) int { return keyOrder(a.Key, b.Key) })
}

// keyOrder orders keys as the table does, unknown keys after them by name.
func keyOrder(a, b string) int {
	return cmp.Or(keyRank(a)-keyRank(b), strings.Compare(a, b))
}

// SettingKeys is every key of the settings given, in the table's order.
func SettingKeys(ps ...Params) []string {
	var ks []string
	for _, p := range slices.Concat(ps...) {
		if !slices.Contains(ks, p.Key) {
			ks = append(ks, p.Key)
		}
	}
	slices.SortFunc(ks, keyOrder)
	return ks
}

// MarshalJSON writes the settings as one object, in table order.
func (ps Params) MarshalJSON() ([]byte, error) {
	return orderedObject(ps.Map())
}

// UnmarshalJSON reads an object of string values.
func (ps *Params) UnmarshalJSON(data []byte) error {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	out := make(Params, 0, len(m))
	for k, v := range m {
		out = append(out, Param{k, v})
	}
	out.sort()
	*ps = out
	return nil
}
