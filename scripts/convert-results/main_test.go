package main

import (
	"strings"
	"testing"
)

// A schema 1 result (no schema_version), as the early binaries wrote it: the upgrade only in
// its measurements, the maximum as max_ttc_us, no all or max_gap_ms.
const schema1 = `{"config": {"threads": 2, "length_s": 4, "workload": "rw", "backend": "stm", "size": "small",
  "long_traversals": true, "structural_modifications": false, "stm_commit": "lock", "interval_s": 0.1,
  "args": ["dustm", "bench", "-g", "stm", "--upgrade", "dates"]},
 "elapsed_s": 4, "throughput": 100, "categories": {"OPERATION": {"successful": 3, "max_ttc_us": 42}},
 "upgrade": {"scenario": "dates", "strategy": "lazy+sweep", "sweepers": 2}}`

func TestConvertSchema1(t *testing.T) {
	rec, _, err := convertResult([]byte(schema1), nil)
	if err != nil {
		t.Fatal(err)
	}
	c := rec.Config
	for k, want := range map[string]string{"threads": "2", "length_s": "4", "workload": "rw", "long_traversals": "true",
		"structural_modifications": "false", "stm_commit": "lock", "interval_s": "0.1", "upgrade": "dates", "migration": "lazy+sweep", "sweepers": "2"} {
		if got, _ := c.Get(k); got != want {
			t.Errorf("config %s = %q, want %q (%v)", k, got, want, c)
		}
	}
	if rec.Values["cat.OPERATION.max_us"] != 42 || rec.Values["all.max_us"] != 42 {
		t.Errorf("max_ttc_us read as %v", rec.Values)
	}
	if _, ok := rec.Values["max_gap_ms"]; ok {
		t.Errorf("an absent field read as present: %v", rec.Values)
	}
	for name := range rec.Values {
		if _, ok := rec.Metric(name); !ok {
			t.Errorf("%s has no definition", name)
		}
	}
	// Only on the command line.
	rec, _, err = convertResult([]byte(strings.Replace(schema1, `"upgrade": {"scenario": "dates", "strategy": "lazy+sweep", "sweepers": 2}`, `"failed": 0`, 1)), nil)
	if up, _ := rec.Config.Get("upgrade"); err != nil || up != "dates" {
		t.Errorf("upgrade from the command line: %+v (%v)", rec.Config, err)
	}
	if _, _, err := convertResult([]byte(`{"schema_version": 99, "config": {}, "env": {}}`), nil); err == nil || !strings.Contains(err.Error(), "schema_version 99") {
		t.Errorf("a newer schema: %v", err)
	}
}
