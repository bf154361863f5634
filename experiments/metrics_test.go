package experiments

import (
	"testing"

	"dustm/stmbench7"
)

// TestChangedObjects checks the scenarios' changed objects against what the engine counted on
// the reference structure without structural modifications (results/upgrade-latency), and
// that the share of changed objects stays within 1 when structural modifications make the
// engine count more objects than the initial structure has.
func TestChangedObjects(t *testing.T) {
	big, err := stmbench7.ParseSize("big")
	if err != nil {
		t.Fatal(err)
	}
	for sc, want := range map[string]float64{"atomic-point": 100000, "composite-stats": 500, "document-lines": 500, "dates": 101594, "chain": 100500} {
		if got, ok := ChangedObjects(sc, big); !ok || got != want {
			t.Errorf("%s: %v objects (ok %v), want %v", sc, got, ok, want)
		}
	}
	if _, ok := ChangedObjects("bogus", big); ok {
		t.Error("an unknown scenario has a count")
	}
	r := &BenchResult{Config: BenchConfig{Params: big},
		Upgrade: &Upgrade{Scenario: "dates", Objects: 186475}} // as counted with sms on
	m := BenchMetrics(r, nil)
	if f := m["upgrade.fraction_changed"]; f <= 0 || f > 1 {
		t.Errorf("fraction_changed %v with structural modifications on, want within (0, 1]", f)
	}
	r.Upgrade.Scenario = "bogus"
	if _, ok := BenchMetrics(r, nil)["upgrade.fraction_changed"]; ok {
		t.Error("an unknown scenario with structural modifications on has a fraction (the engine's count passes 1)")
	}
}
