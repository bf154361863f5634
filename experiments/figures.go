package experiments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// DeclaredFigure is a figure an experiment declares as data (an object in its "figures"):
// package plots draws each metric of Y, one panel each with its unit from the metric's
// definition, against X, one line per combination of the settings that vary (By, where
// given), from the configurations Where selects. A metric is taken by name, so a figure of
// a new metric, or of a new application's runs, needs no code.
type DeclaredFigure struct {
	Name  string `json:"name"`            // its file's name: like a part's, not a built-in figure's
	Title string `json:"title,omitempty"` // by default "Y against X"
	// X is a setting whose values are numbers (threads, preload), or else a metric (its median).
	X string   `json:"x"`
	Y []string `json:"y"`
	// By are the settings one line each is drawn for; by default every setting that varies
	// among the configurations drawn but X.
	By    []string  `json:"by,omitempty"`
	Log   bool      `json:"log,omitempty"`   // both axes logarithmic
	Where Selection `json:"where,omitempty"` // the syntax of a claim's "on"
}

// declaredFields are a declared figure's keys, for the error that names an unknown one.
const declaredFields = "name, title, x, y, by, log, where"

// figureEntry is one entry of a file's "figures": a built-in figure's name, or an object that
// declares a figure.
type figureEntry struct {
	name     string
	declared *DeclaredFigure
}

func (f *figureEntry) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if bytes.HasPrefix(data, []byte(`"`)) {
		return json.Unmarshal(data, &f.name)
	}
	if !bytes.HasPrefix(data, []byte("{")) {
		return fmt.Errorf("figures: %s is neither a figure's name nor an object declaring one ({\"name\", \"x\", \"y\", …})", data)
	}
	var d DeclaredFigure
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return fmt.Errorf("figures: declared figure %q: %s (accepted: %s)", d.Name, jsonProblem(err), declaredFields)
	}
	f.name, f.declared = d.Name, &d
	return nil
}

// strictObject makes the strict walk of a file check a declared figure's keys as
// DeclaredFigure's (strictjson.go), though the entry decodes itself.
func (figureEntry) strictObject() reflect.Type { return reflect.TypeFor[DeclaredFigure]() }

func (f figureEntry) MarshalJSON() ([]byte, error) {
	if f.declared != nil {
		return json.Marshal(f.declared)
	}
	return json.Marshal(f.name)
}

// splitFigures turns a file's entries into the experiment's figure names and declared figures.
func splitFigures(entries []figureEntry) (names []string, declared []DeclaredFigure) {
	for _, f := range entries {
		if f.declared != nil {
			declared = append(declared, *f.declared)
		}
		names = append(names, f.name)
	}
	return names, declared
}

// figureEntries is the file form of the experiment's figures, in their order.
func (e *Experiment) figureEntries() []figureEntry {
	var out []figureEntry
	for _, n := range e.Figures {
		f := figureEntry{name: n}
		if i := slices.IndexFunc(e.Declared, func(d DeclaredFigure) bool { return d.Name == n }); i >= 0 {
			f.declared = &e.Declared[i]
		}
		out = append(out, f)
	}
	return out
}

func cloneDeclared(ds []DeclaredFigure) []DeclaredFigure {
	out := slices.Clone(ds)
	for i, d := range out {
		out[i].Y, out[i].By, out[i].Where = slices.Clone(d.Y), slices.Clone(d.By), maps.Clone(d.Where)
	}
	return out
}

// checkFigures checks the figures' names and declarations, and lists every declared figure
// among Figures (a definition in Go may declare one without naming it again).
func (e *Experiment) checkFigures() error {
	for i, d := range e.Declared {
		name := fmt.Sprintf("declared figure %q", d.Name)
		switch {
		case !partNameRE.MatchString(d.Name) || len(d.Name) > MaxNameLength:
			return invalidf("%s: use at most %d lower-case letters, digits, '_' and '-', starting with a letter or digit (it names the figure's files)",
				name, MaxNameLength)
		case slices.Contains(FigureNames(), d.Name):
			return invalidf("%s: the name of a built-in figure (%s): give the declared one a name of its own", name, strings.Join(FigureNames(), ", "))
		case slices.ContainsFunc(e.Declared[:i], func(o DeclaredFigure) bool { return o.Name == d.Name }):
			return invalidf("two figures declare the name %q", d.Name)
		case d.X == "":
			return invalidf("%s: needs x (a setting whose values are numbers, such as threads or preload, or a metric's name)", name)
		case len(d.Y) == 0 || slices.Contains(d.Y, ""):
			return invalidf("%s: needs y, a list of metrics' names (one panel each)", name)
		}
		if !slices.Contains(e.Figures, d.Name) {
			e.Figures = append(e.Figures, d.Name)
		}
	}
	for _, f := range e.Figures {
		if !slices.Contains(FigureNames(), f) && !slices.ContainsFunc(e.Declared, func(d DeclaredFigure) bool { return d.Name == f }) {
			return invalidf("unknown figure %q (accepted: %s; or an object that declares a figure: {\"name\", \"x\", \"y\", …})", f, strings.Join(FigureNames(), ", "))
		}
	}
	return nil
}
