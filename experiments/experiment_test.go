package experiments

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestBuiltinsAreValid(t *testing.T) {
	names := []string{}
	for _, e := range Builtins() {
		names = append(names, e.Name)
		configs, _, err := e.Expand()
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if len(configs) == 0 {
			t.Fatalf("%s: no configurations", e.Name)
		}
		// The file form reads back to the same definition.
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := Parse(strings.NewReader(string(b)))
		if err != nil {
			t.Fatalf("%s: the file form does not parse: %v\n%s", e.Name, err, b)
		}
		b2, _ := json.Marshal(back)
		if string(b) != string(b2) {
			t.Errorf("%s: round trip changed the definition:\n%s\n%s", e.Name, b, b2)
		}
	}
	for _, want := range []string{"upgrade-latency", "upgrade-overhead", "pause-vs-size", "scalability", "stm-micro", "quick"} {
		if !slices.Contains(names, want) {
			t.Errorf("no built-in experiment %s (have %v)", want, names)
		}
	}
}

func TestExamplesParse(t *testing.T) {
	files, err := filepath.Glob("examples/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		e, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if _, _, err := e.Expand(); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

func mustParse(t *testing.T, s string) *Experiment {
	t.Helper()
	e, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return e
}

func TestExpandMatrix(t *testing.T) {
	e := mustParse(t, `{"name": "m", "axes": {
		"backend": ["none", "coarse", "stm"], "threads": [1, 2], "commit": ["lock", "lockfree"],
		"upgrade": ["none", "atomic-point"], "migration": ["lazy", "eager"]},
		"fixed": {"size": "tiny", "length": 1}}`)
	configs, excl, err := e.Expand()
	if err != nil {
		t.Fatal(err)
	}
	// none: 1 thread only, no commit, no upgrade → 1. coarse: 2 threads, no upgrade → 2.
	// stm: 2 threads × 2 commits × (none + 2 migrations) → 12.
	if len(configs) != 15 {
		for _, c := range configs {
			t.Log(c.Slug)
		}
		t.Fatalf("%d configurations, want 15", len(configs))
	}
	rules := map[string]int{}
	for _, x := range excl {
		rules[x.Rule] = x.Count
	}
	if rules["backend none runs only with 1 thread"] == 0 || rules["an upgrade needs backend stm"] == 0 {
		t.Errorf("exclusions %v", excl)
	}
	seen := map[string]bool{}
	for i, c := range configs {
		if c.Index != i {
			t.Errorf("config %d has index %d", i, c.Index)
		}
		if seen[c.Slug] {
			t.Errorf("slug %s twice", c.Slug)
		}
		seen[c.Slug] = true
		m := c.Params.Map()
		if _, ok := m["commit"]; ok != (m["backend"] == "stm") {
			t.Errorf("%s: commit applies only to the stm backends", c.Slug)
		}
		if _, ok := m["migration"]; ok != (m["upgrade"] != "none") {
			t.Errorf("%s: migration applies only with an upgrade", c.Slug)
		}
		if m["size"] != "tiny" || m["length"] != "1" || m["sms"] != "off" || m["workload"] != "r" {
			t.Errorf("%s: fixed settings and defaults: %v", c.Slug, m)
		}
	}
	first := configs[0]
	if first.Slug != "backend=none,threads=1,upgrade=none" {
		t.Errorf("first slug %q", first.Slug)
	}
	args := strings.Join(configs[len(configs)-1].BenchArgs(), " ")
	want := "-g stm --stm-commit lockfree -w r -t 2 --size tiny --no-sms --upgrade atomic-point --migration eager -l 1 --interval 100ms --seed 3"
	if args != want {
		t.Errorf("args\n got %s\nwant %s", args, want)
	}
	// Slugs are stable: the same definition gives the same names.
	again, _, _ := mustParse(t, `{"name": "m", "fixed": {"length": 1, "size": "tiny"}, "axes": {
		"migration": ["lazy", "eager"], "upgrade": ["none", "atomic-point"], "commit": ["lock", "lockfree"],
		"threads": [1, 2], "backend": ["none", "coarse", "stm"]}}`).Expand()
	for i := range configs {
		if again[i].Slug != configs[i].Slug {
			t.Errorf("slug %d: %s then %s", i, configs[i].Slug, again[i].Slug)
		}
	}
}

// The layout axis names the STM configurations by their layout, leaves the lock backends
// without one, and drops the field layout where only stm-plain has it.
func TestLayoutAxis(t *testing.T) {
	configs, excl, err := mustParse(t, `{"name": "l", "axes": {
		"backend": ["coarse", "stm-plain", "stm"], "layout": ["object", "field"]},
		"fixed": {"size": "tiny", "length": 1}}`).Expand()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range configs {
		got = append(got, c.Slug)
	}
	want := []string{"backend=coarse", "backend=stm-plain,layout=object", "backend=stm-plain,layout=field", "backend=stm,layout=object"}
	if !slices.Equal(got, want) {
		t.Errorf("slugs %q, want %q", got, want)
	}
	if args := strings.Join(configs[2].BenchArgs(), " "); !strings.Contains(args, "--stm-layout field") {
		t.Errorf("field layout's args %s", args)
	}
	if len(excl) != 1 || excl[0].Rule != "layout field needs backend stm-plain" {
		t.Errorf("exclusions %+v", excl)
	}
}

func TestRejectsBadDefinitions(t *testing.T) {
	cases := map[string]string{
		`{"name": "x", "axes": {"thread": [1]}}`:                                             `unknown key "thread" for a bench part (accepted: backend, commit`,
		`{"name": "x", "axes": {"backend": ["stm", "tl2"]}}`:                                 `backend: unknown value "tl2" (accepted: coarse, medium, none, stm, stm-plain)`,
		`{"name": "x", "axes": {"threads": [0]}}`:                                            `threads: bad value "0": out of range (accepted: a whole number from 1 to 1024)`,
		`{"name": "x", "fixed": {"length": "soon"}}`:                                         `length: bad value "soon"`,
		`{"name": "x", "fixed": {"threads": [1, 2]}}`:                                        `a list of values belongs under axes`,
		`{"name": "x", "axes": {"upgrade": ["atomic-point"], "backend": ["coarse"]}}`:        "every combination is left out: an upgrade needs backend stm",
		`{"name": "X", "axes": {}}`:                                                          `name "X"`,
		`{"name": "x", "figures": ["pie"], "fixed": {"threads": 1}}`:                         `unknown figure "pie"`,
		`{"name": "x", "colour": "blue"}`:                                                    `unknown field "colour"`,
		`{"name": "x", "parts": [{"name": "a", "kind": "micro", "axes": {"threads": [1]}}]}`: `unknown key "threads" for a micro part (accepted: package, cpu, benchtime, bench)`,
		`{"name": "x", "parts": [{"name": "a", "kind": "gpu"}]}`:                             `unknown kind "gpu"`,
		`{"name": "x"}`: `has no parts`,
	}
	for in, want := range cases {
		e, err := Parse(strings.NewReader(in))
		if err == nil {
			_, _, err = e.Expand()
		}
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got %v\nwant an ErrInvalid containing %q", in, err, want)
		}
	}
}

func TestSetOverrides(t *testing.T) {
	e, err := Builtin("quick")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Set("threads=1,2,4"); err != nil {
		t.Fatal(err)
	}
	for _, p := range e.Parts {
		if p.Kind == KindBench && !slices.Equal(p.Settings["threads"], []string{"1", "2", "4"}) {
			t.Errorf("part %s threads %v", p.Name, p.Settings["threads"])
		}
	}
	if err := e.Set("upgrade.migration=eager"); err != nil {
		t.Fatal(err)
	}
	if got := e.Parts[0].Settings["migration"]; !slices.Equal(got, []string{"eager"}) {
		t.Errorf("upgrade part's migration %v", got)
	}
	if err := e.Set("t=2"); err != nil { // an alias
		t.Fatal(err)
	}
	if err := e.Set("repetitions=5"); err != nil || e.Reps() != 5 {
		t.Errorf("repetitions: %v %d", err, e.Reps())
	}
	if err := e.Set("benchtime=50ms"); err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"colour=red":           `unknown key "colour"`,
		"threads=two":          `threads: bad value "two"`,
		"workload=rw,x":        `workload: unknown value "x" (accepted: r, rw, w, ro)`,
		"nosuch.threads=1":     `no bench part named "nosuch"`,
		"threads":              "expected key=value",
		"repetitions=0":        "repetitions",
		"micro.threads=2":      `no bench part named "micro"`,
		"migration=sideways":   `accepted: lazy, eager, lazy+sweep`,
		"upgrade=atomic-point": "", // valid
	} {
		err := e.Clone().Set(in)
		if want == "" {
			if err != nil {
				t.Errorf("%s: %v", in, err)
			}
			continue
		}
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("--set %s:\n got %v\nwant %q", in, err, want)
		}
	}
}

func TestShardAndSchedule(t *testing.T) {
	if _, err := ParseShard("0/4"); err == nil || !strings.Contains(err.Error(), "count from 1") {
		t.Errorf("0/4: %v", err)
	}
	for _, bad := range []string{"5/4", "1", "a/b", "1/0"} {
		if _, err := ParseShard(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	e := mustParse(t, `{"name": "s", "repetitions": 2, "axes": {"threads": [1, 2, 3, 4, 5]}}`)
	configs, _, err := e.Expand()
	if err != nil {
		t.Fatal(err)
	}
	all := Schedule(configs, 2, Shard{})
	if len(all) != 10 || all[0].Rep != 1 || all[4].Rep != 1 || all[5].Rep != 2 || all[5].Config != all[0].Config {
		t.Errorf("repetitions are not interleaved: %v", all)
	}
	covered := map[string]int{}
	for i := 1; i <= 3; i++ {
		sh, err := ParseShard(strings.Join([]string{string(rune('0' + i)), "3"}, "/"))
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range Schedule(configs, 2, sh) {
			covered[r.Dir()]++
		}
	}
	if len(covered) != 10 {
		t.Errorf("shards cover %d runs, want 10", len(covered))
	}
	for d, n := range covered {
		if n != 1 {
			t.Errorf("%s in %d shards", d, n)
		}
	}
	if d := all[0].Dir(); d != filepath.Join("runs", "main", "threads=1", "rep-1") {
		t.Errorf("run folder %s", d)
	}
}

func TestKeysDocumented(t *testing.T) {
	b, err := os.ReadFile("examples/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range Keys() {
		if !strings.Contains(string(b), "`"+k.Key+"`") {
			t.Errorf("examples/README.md does not describe the key %s", k.Key)
		}
	}
}
