package experiments

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// TestDeclaredFigures: "figures" takes built-in figures' names and objects that declare a
// figure; the file form reads back unchanged; a declaration a reader gets wrong is a clear
// error that says what is accepted.
func TestDeclaredFigures(t *testing.T) {
	const def = `{"name": "x", "axes": {"threads": [1, 2]}, "fixed": {"size": "tiny"},
		"figures": ["latency-percentiles", {"name": "max-threads", "title": "Max against threads", "x": "threads",
			"y": ["all.max_us", "throughput"], "log": true, "where": {"backend": "stm"}}]}`
	e, err := Parse(strings.NewReader(def))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(e.Figures, []string{"latency-percentiles", "max-threads"}) || len(e.Declared) != 1 ||
		!e.Declared[0].Log || e.Declared[0].Where["backend"] != "stm" || len(e.Declared[0].Y) != 2 {
		t.Fatalf("figures %q, declared %+v", e.Figures, e.Declared)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(bytes.NewReader(b))
	if b2, _ := json.Marshal(back); err != nil || !bytes.Equal(b, b2) || !strings.Contains(string(b), `"figures":["latency-percentiles",{"name":"max-threads"`) {
		t.Errorf("round trip: %v\n%s", err, b)
	}
	c := e.Clone()
	c.Declared[0].Y[0], c.Declared[0].Where["backend"] = "x", "y"
	if e.Declared[0].Y[0] != "all.max_us" || e.Declared[0].Where["backend"] != "stm" {
		t.Error("the clone shares a declared figure with the original")
	}
	// A definition in Go may declare a figure without naming it in Figures.
	g := &Experiment{Name: "g", Parts: []Part{{Name: "main", Settings: map[string][]string{"threads": {"1"}}}},
		Declared: []DeclaredFigure{{Name: "t", X: "threads", Y: []string{"throughput"}}}}
	if err := g.Validate(); err != nil || !slices.Equal(g.Figures, []string{"t"}) {
		t.Errorf("declared in Go: %v, figures %q", err, g.Figures)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"log": true`, `"log": true, "colour": "red"`, `declared figure "max-threads": unknown field "colour" (accepted: name, title, x, y, by, log, where)`},
		{`"log": true`, `"log": "yes"`, `log: expected true or false`},
		{`"title"`, `"Title"`, `figures[1]: key "Title" is spelled "title"`},
		{`"log": true`, `"log": true, "log": false`, `key "log" is given twice`},
		{`"y": ["all.max_us", "throughput"]`, `"y": []`, `declared figure "max-threads": needs y`},
		{`"x": "threads",`, ``, `declared figure "max-threads": needs x`},
		{`"name": "max-threads"`, `"name": "max-latency"`, `the name of a built-in figure`},
		{`"name": "max-threads"`, `"name": "Max Threads"`, `declared figure "Max Threads": use at most 100 lower-case letters`},
		{`"latency-percentiles",`, `"pie",`, `unknown figure "pie" (accepted: upgrade-headline`},
		{`"latency-percentiles",`, `3,`, `3 is neither a figure's name nor an object declaring one`},
		{`"latency-percentiles",`, `{"name": "max-threads", "x": "threads", "y": ["throughput"]},`, `two figures declare the name "max-threads"`},
	} {
		_, err := Parse(strings.NewReader(strings.Replace(def, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s → %s: %v, want an error saying %q", c.from, c.to, err, c.want)
		}
	}
}
