package experiments

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestClaimsInFiles: an experiment file declares claims in the built-ins' shape, they come
// back from the file form unchanged, and a claim a reader gets wrong is a clear error.
func TestClaimsInFiles(t *testing.T) {
	const def = `{"name": "x", "kind": "bench", "axes": {"backend": ["stm", "stm-plain"]},
		"claims": [{"text": "stm is as fast", "rule": "at-least", "value": 0.9, "metrics": ["throughput"],
			"on": {"backend": "stm"}, "baseline": {"backend": "stm-plain"}}]}`
	e, err := Parse(strings.NewReader(def))
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Claims) != 1 || e.Claims[0].Value != 0.9 || e.Claims[0].Baseline["backend"] != "stm-plain" {
		t.Fatalf("claims %+v", e.Claims)
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Parse(bytes.NewReader(b))
	if err != nil || len(back.Claims) != 1 || back.Claims[0].Text != "stm is as fast" {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	for _, c := range []struct{ from, to, want string }{
		{`"rule": "at-least"`, `"rule": "most"`, "expected one of at-most"},
		{`"rule": "at-least"`, `"rule": "fit"`, "a fit needs size"},
		{`"metrics": ["throughput"]`, `"metrics": []`, "needs metrics and on"},
		{`"baseline"`, `"Baseline"`, `spelled "baseline"`},
	} {
		bad, want := c.to, c.want
		d := strings.Replace(def, c.from, c.to, 1)
		if _, err := Parse(strings.NewReader(d)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want an error saying %q", bad, err, want)
		}
	}
	for _, e := range Builtins() {
		if err := checkClaims(e.Claims); err != nil || len(e.Claims) == 0 {
			t.Errorf("built-in %s: %d claims, %v", e.Name, len(e.Claims), err)
		}
	}
}
