package experiments

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"dustm/internal/duration"
	"dustm/stmbench7/bench"
)

// ErrInvalid marks errors in an experiment's definition or its overrides: bad input that the
// user can fix.
var ErrInvalid = errors.New("invalid experiment")

func invalidf(format string, a ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, a...))
}

// DefaultRepetitions is how often each configuration runs unless an experiment says otherwise.
const DefaultRepetitions = 3

// The bounds of an experiment, checked before anything is expanded or scheduled: a typo in a
// file or a --set (repetitions=100000000000) fails at once with the accepted range instead of
// materializing billions of runs, even for a dry run.
const (
	MaxRepetitions    = 1000
	MaxCombinations   = 100_000 // one part's cartesian product, before the rules drop any
	MaxConfigurations = 10_000  // all parts together
	MaxRuns           = 100_000 // configurations × repetitions
	MaxFileBytes      = 1 << 20 // an experiment file
	// MaxNameLength bounds the names of an experiment and its parts, which name folders: it
	// leaves room for the default results folder's timestamp and shard in 255 bytes.
	MaxNameLength = 100
)

// TimeoutRange is what a run's timeout may be (the file's "timeout", --set timeout=, and
// `dustm experiment --timeout`).
func TimeoutRange() duration.Range { return duration.Range{Min: time.Second, Max: bench.MaxLength} }

// Experiment is a named matrix of runs. It has one or more parts; each part is a matrix of its
// own (the cartesian product of its keys' values, less the combinations that make no sense),
// and every configuration of every part runs Repetitions times, each time in a fresh process.
type Experiment struct {
	Name        string
	Description string
	// Repetitions of every configuration (DefaultRepetitions when 0).
	Repetitions int
	// Timeout of one run; 0 derives it from the configuration (three times its expected
	// duration plus a minute).
	Timeout time.Duration
	// Figures names the figures the experiment is designed for: built-in ones (see
	// FigureNames) and those it declares; `dustm plot` draws every figure the results
	// support, and says why an expected one could not be.
	Figures  []string
	Declared []DeclaredFigure // figures declared as data (see DeclaredFigure)
	Parts    []Part
	Claims   []Claim // what the experiment sets out to check (see Claim)
}

// Part is one matrix of an experiment. Settings maps each key (see Keys) to its values: a key
// with several values is an axis, one with a single value a fixed setting. Keys left out take
// their defaults.
type Part struct {
	Name        string
	Kind        Kind
	Description string
	Settings    map[string][]string
}

// FigureNames returns the figures package plots can draw, by name.
func FigureNames() []string {
	return []string{
		"upgrade-headline",   // max response time in the seconds around the upgrade, a small panel per strategy
		"max-latency",        // max latency per strategy (all operations, probe, categories), ratio to no upgrade
		"upgrade-timeline",   // throughput and max/p99 latency over time across an upgrade, per scenario
		"upgrade-migration",  // objects converted and heap over time across an upgrade
		"throughput-threads", // throughput against threads, per backend and commit, per workload
		"latency-percentiles",
		"overhead",       // throughput of stm against stm-plain, per workload
		"pause-size",     // upgrade pause and max latency against structure size
		"pause-fraction", // upgrade pause and max latency against the fraction of objects changed
		"pause-objects",  // eager's pause against the objects converted, with its fit; lazy's commit time
		"micro",          // Go micro-benchmarks: time per operation
		"kv-timeline",    // kv: the client-visible latency over time across the upgrade (the server's series)
		"kv-pause-size",  // kv: the upgrade's pause and the client's max latency against the keyspace size
		"kv-peers",       // kv: requests per second and p99/max latency per backend and redis-server
	}
}

var (
	nameRE     = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	partNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`)
)

// fileExperiment is the JSON form of an experiment: a plain file that users copy and edit.
// A single-part experiment may give kind, axes and fixed at the top instead of parts.
type fileExperiment struct {
	Name        string        `json:"name"`
	Description string        `json:"description,omitempty"`
	Repetitions int           `json:"repetitions,omitempty"`
	Timeout     string        `json:"timeout,omitempty"`
	Figures     []figureEntry `json:"figures,omitempty"`
	Kind        Kind          `json:"kind,omitempty"`
	Axes        fileValues    `json:"axes,omitempty"`
	Fixed       fileFixed     `json:"fixed,omitempty"`
	Parts       []filePart    `json:"parts,omitempty"`
	Claims      []Claim       `json:"claims,omitempty"`
}

type filePart struct {
	Name        string     `json:"name"`
	Kind        Kind       `json:"kind,omitempty"`
	Description string     `json:"description,omitempty"`
	Axes        fileValues `json:"axes,omitempty"`
	Fixed       fileFixed  `json:"fixed,omitempty"`
}

// fileValues maps keys to lists of values; a value may be a string, a number or a boolean.
type fileValues map[string][]string

func (v *fileValues) UnmarshalJSON(data []byte) error {
	*v = fileValues{}
	return eachKey(data, func(k string, r json.RawMessage) error {
		var list []json.RawMessage
		if err := json.Unmarshal(r, &list); err != nil {
			list = []json.RawMessage{r} // a single value is a list of one
		}
		(*v)[k] = []string{} // an empty list stays: Validate refuses it, not run by default
		for _, x := range list {
			s, err := scalar(x)
			if err != nil {
				return fmt.Errorf("axes.%s: %v", k, err)
			}
			(*v)[k] = append((*v)[k], s)
		}
		return nil
	})
}

// fileFixed maps keys to one value each.
type fileFixed map[string]string

func (v *fileFixed) UnmarshalJSON(data []byte) error {
	*v = fileFixed{}
	return eachKey(data, func(k string, r json.RawMessage) error {
		s, err := scalar(r)
		if err != nil {
			return fmt.Errorf("fixed.%s: %v (a list of values belongs under axes)", k, err)
		}
		(*v)[k] = s
		return nil
	})
}

// MarshalJSON writes the keys in table order.
func (v fileValues) MarshalJSON() ([]byte, error) { return orderedObject(v) }

func (v fileFixed) MarshalJSON() ([]byte, error) { return orderedObject(v) }

// eachKey calls f with every key of a JSON object and its value.
func eachKey(data []byte, f func(string, json.RawMessage) error) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return err
	}
	for k, r := range raw {
		if err := f(k, r); err != nil {
			return err
		}
	}
	return nil
}

// orderedObject writes a map of keys as a JSON object, the keys in table order.
func orderedObject[V any](m map[string]V) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range slices.SortedFunc(maps.Keys(m), keyOrder) {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		vb, err := json.Marshal(m[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// scalar turns a JSON string, number or boolean into a string.
func scalar(r json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(r, &s); err == nil {
		return s, nil
	}
	var n json.Number
	if err := json.Unmarshal(r, &n); err == nil {
		return n.String(), nil
	}
	var b bool
	if err := json.Unmarshal(r, &b); err == nil {
		if b {
			return "on", nil
		}
		return "off", nil
	}
	return "", fmt.Errorf("expected a string, a number or a boolean, got %s", bytes.TrimSpace(r))
}

// Parse reads an experiment from its JSON form and validates it.
func Parse(r io.Reader) (*Experiment, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > MaxFileBytes {
		return nil, invalidf("larger than %d bytes: not an experiment file", MaxFileBytes)
	}
	if err := checkStrictJSON(b, reflect.TypeFor[fileExperiment]()); err != nil {
		return nil, invalidf("%s (the format is described in experiments/examples/README.md)", jsonProblem(err))
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f fileExperiment
	if err := dec.Decode(&f); err != nil {
		return nil, invalidf("%s (the format is described in experiments/examples/README.md)", jsonProblem(err))
	}
	e := &Experiment{Name: f.Name, Description: f.Description, Repetitions: f.Repetitions, Claims: f.Claims}
	e.Figures, e.Declared = splitFigures(f.Figures)
	if err := checkClaims(f.Claims); err != nil {
		return nil, err
	}
	if f.Timeout != "" {
		d, err := TimeoutRange().Parse(f.Timeout)
		if err != nil {
			return nil, invalidf("timeout: %v", err)
		}
		e.Timeout = d
	}
	top := f.Kind != "" || len(f.Axes) > 0 || len(f.Fixed) > 0
	switch {
	case top && len(f.Parts) > 0:
		return nil, invalidf("give either parts, or kind/axes/fixed at the top for a single part, not both")
	case top:
		f.Parts = []filePart{{Name: "main", Kind: f.Kind, Axes: f.Axes, Fixed: f.Fixed}}
	}
	for _, fp := range f.Parts {
		p := Part{Name: fp.Name, Kind: fp.Kind, Description: fp.Description, Settings: map[string][]string{}}
		maps.Copy(p.Settings, fp.Axes)
		for k, v := range fp.Fixed {
			if _, dup := p.Settings[k]; dup {
				return nil, invalidf("part %q: %s is both an axis and fixed", fp.Name, k)
			}
			p.Settings[k] = []string{v}
		}
		e.Parts = append(e.Parts, p)
	}
	if err := e.Validate(); err != nil {
		return nil, err
	}
	return e, nil
}

// jsonProblem says what is wrong with a JSON document in the user's terms, without the Go
// types it was to be decoded into.
func jsonProblem(err error) string {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		want := "another kind of value"
		switch te.Type.Kind() {
		case reflect.String:
			want = "a string"
		case reflect.Int, reflect.Int64, reflect.Int32, reflect.Uint, reflect.Uint64, reflect.Float64:
			want = "a number"
		case reflect.Bool:
			want = "true or false"
		case reflect.Slice, reflect.Array:
			want = "a list"
		case reflect.Map, reflect.Struct:
			want = "an object"
		}
		if te.Field == "" {
			return fmt.Sprintf("expected one JSON object ({…}), got a JSON %s", te.Value)
		}
		return fmt.Sprintf("%s: expected %s, got a JSON %s", te.Field, want, te.Value)
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Sprintf("not valid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(se.Error(), "json: "))
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the JSON ends early (an empty or truncated file)"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// Load reads an experiment from a JSON file (at most MaxFileBytes).
func Load(path string) (*Experiment, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, invalidf("%s: no such file", path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return nil, invalidf("%s is a folder, not an experiment file", path)
	}
	e, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return e, nil
}

// MarshalJSON writes the experiment in its file form (single-part experiments whose part is
// "main" in the short form).
func (e *Experiment) MarshalJSON() ([]byte, error) {
	f := fileExperiment{Name: e.Name, Description: e.Description, Repetitions: e.Reps(), Figures: e.figureEntries(), Claims: e.Claims}
	if e.Timeout > 0 {
		f.Timeout = e.Timeout.String()
	}
	for _, p := range e.Parts {
		fp := filePart{Name: p.Name, Kind: p.Kind, Description: p.Description, Axes: fileValues{}, Fixed: fileFixed{}} // empty: omitted
		for k, vs := range p.Settings {
			if len(vs) == 1 {
				fp.Fixed[k] = vs[0]
			} else {
				fp.Axes[k] = vs
			}
		}
		f.Parts = append(f.Parts, fp)
	}
	if len(f.Parts) == 1 && f.Parts[0].Name == "main" && f.Parts[0].Description == "" {
		p := f.Parts[0]
		f.Parts, f.Kind, f.Axes, f.Fixed = nil, p.Kind, p.Axes, p.Fixed
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads the file form.
func (e *Experiment) UnmarshalJSON(data []byte) error {
	x, err := Parse(bytes.NewReader(data))
	if err != nil {
		return err
	}
	*e = *x
	return nil
}

// Clone returns a deep copy.
func (e *Experiment) Clone() *Experiment {
	c := *e
	c.Figures, c.Declared = slices.Clone(e.Figures), cloneDeclared(e.Declared)
	c.Parts = make([]Part, len(e.Parts))
	for i, p := range e.Parts {
		p.Settings = maps.Clone(p.Settings)
		for k, vs := range p.Settings {
			p.Settings[k] = slices.Clone(vs)
		}
		c.Parts[i] = p
	}
	return &c
}

// Reps returns the number of repetitions of every configuration.
func (e *Experiment) Reps() int { return cmp.Or(e.Repetitions, DefaultRepetitions) }

// Validate checks the definition and normalizes its values (canonical key names and value
// spellings, parts' kinds defaulted to bench). Its errors wrap ErrInvalid and say what is
// accepted.
func (e *Experiment) Validate() error {
	switch {
	case len(e.Name) > MaxNameLength:
		return invalidf("name %.40q… is %d characters long (accepted: at most %d; it names the results folder)", e.Name, len(e.Name), MaxNameLength)
	case !nameRE.MatchString(e.Name):
		return invalidf("name %q: use lower-case letters, digits, '.', '_' and '-', starting with a letter or digit", e.Name)
	case e.Repetitions < 0 || e.Repetitions > MaxRepetitions:
		return invalidf("repetitions must be at least 1 and at most %d (got %d)", MaxRepetitions, e.Repetitions)
	case e.Timeout != 0 && TimeoutRange().Check(e.Timeout) != nil:
		return invalidf("timeout: %v", TimeoutRange().Check(e.Timeout))
	case len(e.Parts) == 0:
		return invalidf("experiment %s has no parts (give axes/fixed, or parts)", e.Name)
	}
	if err := e.checkFigures(); err != nil {
		return err
	}
	seen := map[string]bool{}
	for i := range e.Parts {
		p := &e.Parts[i]
		if len(p.Name) > MaxNameLength {
			return invalidf("part name %.40q… is %d characters long (accepted: at most %d; it names a folder of the results)", p.Name, len(p.Name), MaxNameLength)
		}
		if !partNameRE.MatchString(p.Name) {
			return invalidf("part name %q: use lower-case letters, digits, '_' and '-', starting with a letter or digit", p.Name)
		}
		if seen[p.Name] {
			return invalidf("two parts are named %q", p.Name)
		}
		seen[p.Name] = true
		if p.Kind == "" {
			p.Kind = KindBench
		}
		if !slices.Contains(Kinds(), p.Kind) {
			return invalidf("part %s: unknown kind %q (accepted: %s)", p.Name, p.Kind, kindList())
		}
		norm := make(map[string][]string, len(p.Settings))
		for k, vs := range p.Settings {
			s, ok := lookupSpecOf(p.Kind, k)
			if !ok {
				return invalidf("part %s: unknown key %q for a %s part (accepted: %s)", p.Name, k, p.Kind, strings.Join(keysOf(p.Kind), ", "))
			}
			if _, dup := norm[s.key]; dup {
				return invalidf("part %s: %s is given twice (once by an alias)", p.Name, s.key)
			}
			if len(vs) == 0 {
				return invalidf("part %s: %s has no values", p.Name, s.key)
			}
			out, err := s.normalizeAll(vs)
			if err != nil {
				return invalidf("part %s: %v", p.Name, err)
			}
			norm[s.key] = out
		}
		p.Settings = norm
		if p.Kind == KindKV {
			if err := validateKV(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// Set applies one override, "key=value[,value…]": the key's values in every part whose kind
// has the key, or "part.key=…" for one part. "repetitions=N" and "timeout=DURATION" set the
// experiment's. The experiment is validated again afterwards.
func (e *Experiment) Set(override string) error {
	k, v, ok := strings.Cut(override, "=")
	k = strings.TrimSpace(k)
	switch {
	case !ok || k == "":
		return invalidf("--set %q: expected key=value[,value…]", override)
	case k == "repetitions" || k == "reps":
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 1 || n > MaxRepetitions {
			return invalidf("--set repetitions: %q is not a whole number from 1 to %d", v, MaxRepetitions)
		}
		e.Repetitions = n
		return nil
	case k == "timeout":
		d, err := TimeoutRange().Parse(v)
		if err != nil {
			return invalidf("--set timeout: %v", err)
		}
		e.Timeout = d
		return nil
	}
	values := slices.DeleteFunc(strings.Split(v, ","), func(x string) bool { return strings.TrimSpace(x) == "" })
	if len(values) == 0 {
		return invalidf("--set %s: no values", k)
	}
	partName, key, scoped := strings.Cut(k, ".")
	if !scoped {
		key, partName = k, ""
	} else if partName == "" || key == "" {
		return invalidf("--set %q: expected key=… or part.key=… (a part's name, a dot, a key; parts: %s)", override, strings.Join(e.partNames(), ", "))
	}
	var has []string // the kinds that have the key
	for _, kd := range Kinds() {
		if _, ok := lookupSpecOf(kd, key); ok {
			has = append(has, string(kd))
		}
	}
	if len(has) == 0 {
		return invalidf("--set: unknown key %q (accepted: repetitions, timeout, %s; prefix part. to set one part's)", key, strings.Join(allKeys(), ", "))
	}
	applied := false
	for i := range e.Parts {
		p := &e.Parts[i]
		s, ok := lookupSpecOf(p.Kind, key) // a key may exist for several kinds (backend)
		if !ok || partName != "" && p.Name != partName {
			continue
		}
		norm, err := s.normalizeAll(values)
		if err != nil {
			return invalidf("--set: %v", err)
		}
		for alias := range p.Settings { // drop a setting given under an alias
			if as, ok := lookupSpecOf(p.Kind, alias); ok && as.key == s.key {
				delete(p.Settings, alias)
			}
		}
		p.Settings[s.key] = norm
		applied = true
	}
	switch {
	case !applied && partName != "":
		return invalidf("--set %s: experiment %s has no %s part named %q (parts: %s)", k, e.Name, strings.Join(has, " or "), partName, strings.Join(e.partNames(), ", "))
	case !applied:
		return invalidf("--set %s: experiment %s has no %s part to apply it to", k, e.Name, strings.Join(has, " or "))
	}
	return e.Validate()
}

func (e *Experiment) partNames() []string {
	names := make([]string, len(e.Parts))
	for i, p := range e.Parts {
		names[i] = p.Name
	}
	return names
}

// KeyHelp describes one key for `dustm experiment --keys`.
type KeyHelp struct {
	Key, Kind, Default, Accepts, Help string
	Aliases                           []string
}

// Keys describes every key an experiment may set, in table order.
func Keys() []KeyHelp {
	var out []KeyHelp
	for _, s := range specs() {
		out = append(out, KeyHelp{Key: s.key, Kind: string(s.kind), Default: s.def, Accepts: s.acceptsText(), Help: s.help, Aliases: s.aliases})
	}
	return out
}
