package bench

import (
	"encoding/json"
	"strings"
	"testing"

	"dustm/stmbench7"
	"dustm/upgrade"
)

// A schema 1 result (no schema_version), as the early binaries wrote it: the upgrade only in
// its measurements, the maximum as max_ttc_us, no all or max_gap_ms.
const schema1 = `{"config": {"threads": 2, "length_s": 4, "workload": "rw", "backend": "stm", "size": "small",
  "long_traversals": true, "structural_modifications": false, "stm_commit": "lock", "interval_s": 0.1,
  "args": ["dustm", "bench", "-g", "stm", "--upgrade", "dates"]},
 "elapsed_s": 4, "throughput": 100, "categories": {"OPERATION": {"successful": 3, "max_ttc_us": 42}},
 "upgrade": {"scenario": "dates", "strategy": "lazy+sweep", "sweepers": 2}}`

func TestDecodeResultSchema1(t *testing.T) {
	r, err := DecodeResult([]byte(schema1))
	if err != nil {
		t.Fatal(err)
	}
	c := r.Config
	if r.SchemaVersion != 1 || c.Threads != 2 || c.Length.Seconds() != 4 || c.Workload.String() != "rw" || c.NoTraversals || !c.NoSMs ||
		c.STMCommit.String() != "lock" || c.Interval.Seconds() != 0.1 {
		t.Errorf("config %+v (schema %d)", c, r.SchemaVersion)
	}
	if c.Upgrade != "dates" || c.Migration != upgrade.LazySweep || c.Sweepers != 2 {
		t.Errorf("the upgrade of a schema 1 result: %q %v %d", c.Upgrade, c.Migration, c.Sweepers)
	}
	if r.Categories["OPERATION"].MaxTTCUs != 42 {
		t.Errorf("max_ttc_us read as %v", r.Categories["OPERATION"].MaxTTCUs)
	}
	if r.All != nil || r.MaxGapMs != nil {
		t.Errorf("absent fields read as present: all %v, max gap %v", r.All, r.MaxGapMs)
	}
	// Only on the command line.
	r, err = DecodeResult([]byte(strings.Replace(schema1, `"upgrade": {"scenario": "dates", "strategy": "lazy+sweep", "sweepers": 2}`, `"failed": 0`, 1)))
	if err != nil || r.Config.Upgrade != "dates" || r.Config.Migration != upgrade.Lazy {
		t.Errorf("upgrade from the command line: %+v (%v)", r.Config, err)
	}
}

// What a run writes reads back as it was, at the current schema; a newer schema is refused
// with the versions this binary reads.
func TestDecodeResultCurrent(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Threads, cfg.Upgrade, cfg.Migration = 3, "dates", upgrade.Eager
	res := Result{SchemaVersion: CurrentSchema, Config: cfg.toJSON(stmbench7.Params{}), ElapsedS: 1, Categories: map[string]OpResult{},
		All: &OpResult{Successful: 5}, MaxGapMs: new(1.5)}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"schema_version":2`) {
		t.Errorf("no schema_version in %s", b)
	}
	r, err := DecodeResult(b)
	if err != nil {
		t.Fatal(err)
	}
	if r.SchemaVersion != CurrentSchema || r.Config.Settings != res.Config.Settings || r.All.Successful != 5 || *r.MaxGapMs != 1.5 {
		t.Errorf("read back %+v", r)
	}
	_, err = DecodeResult([]byte(`{"schema_version": 99, "config": {}}`))
	if err == nil || !strings.Contains(err.Error(), "schema_version 99 is newer than this dustm reads (1 to 2)") {
		t.Errorf("a newer schema: %v", err)
	}
}
