package bench

import (
	"testing"

	"dustm/record"
	"dustm/stmbench7"
)

// TestChangedObjects checks the scenarios' changed objects against what the engine counted on
// the reference structure without structural modifications (results/upgrade-latency), and
// that the share of changed objects stays within 1 when structural modifications make the
// engine count more objects than the initial structure has. (Moved from experiments.)
func TestChangedObjects(t *testing.T) {
	big, err := stmbench7.ParseSize("big")
	if err != nil {
		t.Fatal(err)
	}
	for sc, want := range map[string]int{"atomic-point": 100000, "composite-stats": 500, "document-lines": 500, "dates": 101594, "chain": 100500} {
		if got, ok := stmbench7.ChangedObjects(sc, big); !ok || got != want {
			t.Errorf("%s: %v objects (ok %v), want %v", sc, got, ok, want)
		}
	}
	if _, ok := stmbench7.ChangedObjects("bogus", big); ok {
		t.Error("an unknown scenario has a count")
	}
	r := &Result{Config: RunConfig{Params: big}, Upgrade: &UpgradeResult{Scenario: "dates", Objects: 186475}} // as counted with sms on
	if f := r.Record().Values["upgrade.fraction_changed"]; f <= 0 || f > 1 {
		t.Errorf("fraction_changed %v with structural modifications on, want within (0, 1]", f)
	}
	r.Upgrade.Scenario = "bogus"
	if _, ok := r.Record().Values["upgrade.fraction_changed"]; ok {
		t.Error("an unknown scenario with structural modifications on has a fraction (the engine's count passes 1)")
	}
}

// Every value a record holds, and every tick value, has its definition; no definition is
// given twice.
func TestDefinitions(t *testing.T) {
	seen := map[string]bool{}
	for _, d := range Definitions() {
		if seen[d.Name] || d.Doc == "" {
			t.Errorf("%s: defined twice or without a doc", d.Name)
		}
		seen[d.Name] = true
	}
	for _, n := range TickNames() {
		if _, ok := record.Lookup(Definitions(), n); !ok {
			t.Errorf("tick value %s has no definition", n)
		}
	}
}
