package experiments

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"dustm/internal/duration"
	"dustm/stmbench7"
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

// UpgradeScenarios returns the upgrade scenarios of `dustm bench --upgrade`, and "none" for
// no upgrade.
func UpgradeScenarios() []string {
	return []string{"none", "atomic-point", "composite-stats", "document-lines", "dates", "chain"}
}

// Migrations returns the migration strategies of `dustm bench --migration`.
func Migrations() []string { return []string{"lazy", "lazy+sweep", "eager"} }

// MicroPackages returns the packages whose benchmarks a micro part runs: "peers" is
// bench/peers (the STM against the public Go STMs), "stm" is the STM's own benchmarks.
func MicroPackages() []string { return []string{"peers", "stm"} }

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
// tabulated. It is built by a function, so that no package-level state can change.
func specs() []spec {
	onOff := []string{"on", "off"}
	flag := func(name string) func(string) []string {
		return func(v string) []string { return []string{name, v} }
	}
	boolFlag := func(name string, when string) func(string) []string {
		return func(v string) []string {
			if v == when {
				return []string{name}
			}
			return nil
		}
	}
	return []spec{
		// STMBench7 (`dustm bench`).
		{key: "backend", kind: KindBench, def: "stm", values: slices.Clone(stmbench7.BackendNames), aliases: []string{"g", "sync"},
			help: "synchronization method (-g); none runs only with 1 thread", flags: flag("-g")},
		{key: "commit", kind: KindBench, def: "lockfree", values: []string{"lock", "lockfree"}, aliases: []string{"stm-commit"},
			help: "commit algorithm of the STM backends (--stm-commit); only applies to stm and stm-plain", flags: flag("--stm-commit")},
		{key: "workload", kind: KindBench, def: "r", values: slices.Clone(stmbench7.WorkloadNames), aliases: []string{"w"},
			help: "workload (-w): r read-dominated, rw read-write, w write-dominated, ro read-only", flags: flag("-w")},
		{key: "threads", kind: KindBench, def: "1", accepts: fmt.Sprintf("a whole number from 1 to %d", bench.MaxThreads), aliases: []string{"t"},
			help: "worker threads (-t)", norm: intBetween(1, bench.MaxThreads), flags: flag("-t")},
		{key: "size", kind: KindBench, def: "big", values: stmbench7.SizeNames(),
			help: "structure size (--size)", flags: flag("--size")},
		{key: "traversals", kind: KindBench, def: "on", values: onOff,
			help: "long traversals in the mix (off: --no-traversals)", flags: boolFlag("--no-traversals", "off")},
		{key: "sms", kind: KindBench, def: "off", values: onOff,
			help:  "structural modifications in the mix (off: --no-sms); off by default: with them the structure decays within seconds",
			flags: boolFlag("--no-sms", "off")},
		{key: "upgrade", kind: KindBench, def: "none", values: UpgradeScenarios(),
			help: "upgrade scenario (--upgrade); only with backend stm", flags: func(v string) []string {
				if v == "none" {
					return nil
				}
				return []string{"--upgrade", v}
			}},
		{key: "migration", kind: KindBench, def: "lazy", values: Migrations(),
			help: "migration strategy (--migration); only with an upgrade", flags: flag("--migration")},
		{key: "sweepers", kind: KindBench, def: "1", accepts: fmt.Sprintf("a whole number from 1 to %d", bench.MaxSweepers),
			help: "sweeper goroutines (--sweepers); only with migration lazy+sweep", norm: intBetween(1, bench.MaxSweepers), flags: flag("--sweepers")},
		{key: "upgrade-at", kind: KindBench, accepts: "seconds (2.5) or a duration (2500ms), " + upgradeAtRange.String(),
			help: "when the upgrade is requested (--upgrade-at); default half the length. Without an upgrade it places the baseline window",
			norm: secondsIn(upgradeAtRange),
			// With a unit: binaries from before bench read plain seconds there too.
			flags: func(v string) []string { return []string{"--upgrade-at", v + "s"} }},
		{key: "dry-run", kind: KindBench, def: "off", values: onOff, aliases: []string{"upgrade-dry-run"},
			help: "check the upgrade with a dry run first (--upgrade-dry-run); only with an upgrade", flags: boolFlag("--upgrade-dry-run", "on")},
		{key: "length", kind: KindBench, def: "10", accepts: "seconds (2.5) or a duration (2500ms), " + lengthRange.String(), aliases: []string{"l"},
			help: "run length in seconds (-l); ignored when ops is set", norm: secondsIn(lengthRange), flags: flag("-l")},
		{key: "ops", kind: KindBench, accepts: fmt.Sprintf("a whole number from 1 to %d", bench.MaxOps),
			help: "operations per thread instead of a length of time (--ops)", norm: intBetween(1, bench.MaxOps), flags: flag("--ops")},
		{key: "interval", kind: KindBench, def: "100ms", accepts: "a duration (100ms) or seconds (0.1), " + intervalRange.String(),
			help: "interval of the time series (--interval)", norm: durationIn(intervalRange), flags: flag("--interval")},
		{key: "seed", kind: KindBench, def: "3", accepts: "a whole number",
			help: "seed of the workers' generators (--seed)", norm: anyInt, flags: flag("--seed")},
		{key: "thread-seeds", kind: KindBench, def: "off", values: onOff,
			help: "a distinct seed per thread (--thread-seeds)", flags: boolFlag("--thread-seeds", "on")},
		{key: "check", kind: KindBench, def: "off", values: onOff,
			help: "check the structural invariants before and after (--check)", flags: boolFlag("--check", "on")},
		{key: "replay", kind: KindBench, def: "off", values: onOff, aliases: []string{"seq-replay"},
			help: "replay the run sequentially and compare (--seq-replay)", flags: boolFlag("--seq-replay", "on")},
		// The runtime settings and the probe: left out unless set (the bench process then
		// inherits GOGC and GOMEMLIMIT from the experiment's environment, and probes only
		// when it upgrades).
		{key: "gogc", kind: KindBench, accepts: "a percentage >= 0, or off",
			help: "the collector's GOGC in the bench process (--gogc)", norm: gogcValue, flags: flag("--gogc")},
		{key: "memlimit", kind: KindBench, accepts: "bytes with an optional unit (4GiB, 512MiB, 1.5GB), or off",
			help: "the runtime's soft memory limit in the bench process (--memlimit)", norm: memLimitValue, flags: flag("--memlimit")},
		{key: "gomaxprocs", kind: KindBench, accepts: fmt.Sprintf("a whole number from 1 to %d", bench.MaxProcs),
			help: "the processors of the bench process (--gomaxprocs)", norm: intBetween(1, bench.MaxProcs), flags: flag("--gomaxprocs")},
		{key: "probe", kind: KindBench, values: onOff,
			help:  "the responsiveness probe beside the workers (--probe); bench's default is on only with an upgrade",
			flags: func(v string) []string { return []string{"--probe=" + strconv.FormatBool(v == "on")} }},
		{key: "probe-interval", kind: KindBench, accepts: "a duration (1ms) or seconds (0.001), " + bench.ProbeIntervalRange.String(),
			help: "period of the probes (--probe-interval)", norm: durationIn(bench.ProbeIntervalRange), flags: flag("--probe-interval")},

		// Go micro-benchmarks.
		{key: "package", kind: KindMicro, def: "peers", values: MicroPackages(),
			help: "peers: bench/peers (the STM against public Go STMs); stm: the STM's own benchmarks"},
		{key: "cpu", kind: KindMicro, def: "1", accepts: fmt.Sprintf("a whole number from 1 to %d", bench.MaxThreads),
			help: "GOMAXPROCS of the benchmarks (go test -cpu)", norm: intBetween(1, bench.MaxThreads)},
		{key: "benchtime", kind: KindMicro, def: "1s", accepts: "a duration (500ms) or a count (1000x)",
			help: "time or iterations per benchmark (go test -benchtime)", norm: benchtime},
		{key: "bench", kind: KindMicro, accepts: "a Go regular expression",
			help: "which benchmarks (go test -bench); default Peers in peers, . in stm", norm: goRegexp},
	}
}

// lookupSpec returns the spec of a key or one of its aliases.
func lookupSpec(key string) (spec, bool) {
	for _, s := range specs() {
		if s.key == key || slices.Contains(s.aliases, key) {
			return s, true
		}
	}
	return spec{}, false
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

// The ranges of the duration keys: those of dustm bench's flags.
var (
	lengthRange    = duration.Range{Min: bench.MinLength, Max: bench.MaxLength}
	upgradeAtRange = duration.Range{Min: time.Millisecond, Max: bench.MaxLength}
	intervalRange  = duration.Range{Min: bench.MinInterval, Max: bench.MaxInterval}
)

func intBetween(lo, hi int64) func(string) (string, error) {
	return func(v string) (string, error) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil && !isRangeErr(err) {
			return "", fmt.Errorf("not a whole number")
		}
		if err != nil || n < lo || n > hi {
			return "", fmt.Errorf("out of range")
		}
		return strconv.FormatInt(n, 10), nil
	}
}

func isRangeErr(err error) bool {
	ne, ok := errors.AsType[*strconv.NumError](err)
	return ok && ne.Err == strconv.ErrRange
}

func anyInt(v string) (string, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return "", fmt.Errorf("not a whole number")
	}
	return strconv.FormatInt(n, 10), nil
}

// secondsIn accepts a number of seconds or a Go duration in r (package duration) and
// returns the seconds.
func secondsIn(r duration.Range) func(string) (string, error) {
	return func(v string) (string, error) {
		d, err := r.Parse(v)
		if err != nil {
			return "", err
		}
		return strconv.FormatFloat(d.Seconds(), 'g', -1, 64), nil
	}
}

// durationIn accepts a number of seconds or a Go duration in r and returns the Go duration.
func durationIn(r duration.Range) func(string) (string, error) {
	return func(v string) (string, error) {
		d, err := r.Parse(v)
		if err != nil {
			return "", err
		}
		return d.String(), nil
	}
}

// positiveDuration is what go test -benchtime takes as a time.
func positiveDuration(v string) (string, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return "", fmt.Errorf("not a duration")
	}
	if d <= 0 || d > time.Hour {
		return "", fmt.Errorf("out of range (between 1ns and 1h)")
	}
	return d.String(), nil
}

func gogcValue(v string) (string, error) {
	n, err := bench.ParseGOGC(v)
	if err != nil {
		return "", errors.New("not a percentage >= 0 or off")
	}
	return bench.FormatGOGC(n), nil
}

// memLimitValue spells a memory limit in the largest binary unit that divides it.
func memLimitValue(v string) (string, error) {
	n, err := bench.ParseMemLimit(v)
	if err != nil {
		return "", errors.New("not a number of bytes or off")
	}
	if n == 0 {
		return "off", nil
	}
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix, nil
		}
	}
	return strconv.FormatInt(n, 10), nil
}

var benchtimeCount = regexp.MustCompile(`^[1-9][0-9]*x$`)

func benchtime(v string) (string, error) {
	if benchtimeCount.MatchString(v) {
		return v, nil
	}
	return positiveDuration(v)
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

// Equal reports whether both hold the same settings.
func (ps Params) Equal(o Params) bool { return slices.Equal(ps, o) }

func (ps Params) sort() {
	slices.SortStableFunc(ps, func(a, b Param) int {
		if r := keyRank(a.Key) - keyRank(b.Key); r != 0 {
			return r
		}
		return strings.Compare(a.Key, b.Key)
	})
}

// MarshalJSON writes the settings as one object, in order.
func (ps Params) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(p.Key)
		v, _ := json.Marshal(p.Value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
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
