package bench

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"dustm/record"
	"dustm/stm"
	"dustm/upgrade"
)

// Every name in the table is used once: a flag, a result key or an experiment key (or
// alias) given twice would make one setting shadow another.
func TestTableNamesAreUnique(t *testing.T) {
	flags, jsons, keys := map[string]string{}, map[string]string{}, map[string]string{}
	for _, r := range SettingsTable() {
		id := r.Key + r.Flag
		for _, n := range []struct {
			seen map[string]string
			name string
		}{{flags, r.Flag}, {flags, r.Short}, {jsons, r.Pair}, {keys, r.Key}} {
			if n.name == "" {
				continue
			}
			if other, ok := n.seen[n.name]; ok {
				t.Errorf("%q is used by %s and %s", n.name, other, id)
			}
			n.seen[n.name] = id
		}
		if r.bind == nil {
			t.Errorf("%s has no field", id)
		}
		if r.Flag != "" && r.Help == "" || r.Key != "" && r.KeyHelp == "" {
			t.Errorf("%s has no help", id)
		}
	}
	for _, r := range SettingsTable() {
		for _, a := range r.Aliases() {
			if other, ok := keys[a]; ok {
				t.Errorf("alias %q of %s is the key of %s", a, r.Key, other)
			}
		}
	}
}

// The flags set the fields they name, in their own syntax.
func TestFlags(t *testing.T) {
	s := DefaultSettings()
	fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
	AddFlags(fs, &s)
	err := fs.Parse([]string{"-t", "3", "-l", "2500ms", "-w", "rw", "-g", "stm", "--stm-commit", "lock", "--no-sms",
		"--upgrade", "dates", "--migration", "lazy+sweep", "--sweepers", "2", "--upgrade-at", "1", "--interval", "0.05",
		"--gogc", "off", "--memlimit", "1GiB", "--probe", "--probe-interval", "2ms", "--json", "r.json"})
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSettings()
	want.Threads, want.Length, want.Workload, want.Backend, want.STMCommit, want.NoSMs = 3, 2500*time.Millisecond, 1, "stm", stm.LockBased, true
	want.Upgrade, want.Migration, want.Sweepers, want.UpgradeAt, want.Interval = "dates", upgrade.LazySweep, 2, time.Second, 50*time.Millisecond
	want.GOGC, want.MemoryLimit, want.Probe, want.ProbeInterval, want.JSONPath = -1, 1<<30, true, 2*time.Millisecond, "r.json"
	if s != want {
		t.Errorf("parsed\n%+v\nwant\n%+v", s, want)
	}
	for _, bad := range [][]string{{"-w", "x"}, {"--stm-commit", "fast"}, {"--migration", "sideways"}, {"-l", "0"}, {"--gogc", "lots"}} {
		s := DefaultSettings()
		fs := pflag.NewFlagSet("bench", pflag.ContinueOnError)
		fs.SetOutput(new(strings.Builder))
		AddFlags(fs, &s)
		if err := fs.Parse(bad); err == nil || !strings.Contains(err.Error(), "accepted") {
			t.Errorf("%q: error %v, want one saying what is accepted", bad, err)
		}
	}
}

// A record's configuration keeps the keys and units that committed results have, and reads
// back; so does the config object of a result of schema 2.
func TestPairsRoundTrip(t *testing.T) {
	s := DefaultSettings()
	s.Length, s.NoTraversals, s.Upgrade, s.Migration, s.UpgradeAt, s.ProbeInterval = 2500*time.Millisecond, true, "dates", upgrade.Eager, time.Second, 500*time.Microsecond
	s.Calibration = 2 * time.Second // a record holds the length its run resolved
	pairs := s.Pairs()
	for k, want := range map[string]string{"length_s": "2.5", "long_traversals": "false", "structural_modifications": "true", "upgrade": "dates",
		"migration": "eager", "upgrade_at_s": "1", "interval_s": "0.1", "probe_interval_us": "500", "stm_commit": "lockfree", "workload": "r",
		"calibration_s": "2", "gogc": "-2"} {
		if v, _ := pairs.Get(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	if _, ok := pairs.Get("sweepers"); ok {
		t.Error("sweepers 0 is written")
	}
	if back, err := FromPairs(pairs); err != nil || back != s {
		t.Errorf("read back\n%+v\nwant\n%+v (%v)", back, s, err)
	}
	// Without an upgrade, the upgrade's settings are not written.
	pairs = DefaultSettings().Pairs()
	if _, ok := pairs.Get("migration"); ok {
		t.Errorf("no upgrade, but %v", pairs)
	}
	if _, ok := pairs.Get("upgrade"); ok {
		t.Errorf("no upgrade, but %v", pairs)
	}
	if _, err := FromPairs(record.Config{{Key: "workload", Value: "x"}}); err == nil || !strings.Contains(err.Error(), "config.workload") {
		t.Errorf("a bad workload reads as %v", err)
	}
	// A record without long_traversals says they were off.
	if back, _ := FromPairs(record.Config{{Key: "threads", Value: "2"}}); !back.NoTraversals || back.Threads != 2 {
		t.Errorf("read %+v", back)
	}
}

// The experiment keys have one spelling: Normalize returns it and is idempotent, and Args
// gives the flags that set it.
func TestKeys(t *testing.T) {
	for key, c := range map[string]struct{ in, want string }{
		"length":     {"2500ms", "2.5"},
		"interval":   {"0.1", "100ms"},
		"memlimit":   {"4096MiB", "4GiB"},
		"gogc":       {"OFF", "off"},
		"traversals": {"false", "off"},
		"threads":    {"004", "4"},
		"upgrade":    {"none", "none"},
		"sweepers":   {"2", "2"},
	} {
		r, ok := LookupSetting(key)
		if !ok {
			t.Fatalf("no key %s", key)
		}
		got, err := r.Normalize(c.in)
		if err != nil || got != c.want {
			t.Errorf("%s=%s: %q (%v), want %q", key, c.in, got, err, c.want)
		}
		if again, err := r.Normalize(got); err != nil || again != got {
			t.Errorf("%s=%s normalizes to %q (%v)", key, got, again, err)
		}
	}
	for _, c := range []struct{ key, v, want string }{
		{"traversals", "off", "--no-traversals"}, {"traversals", "on", ""}, {"check", "on", "--check"},
		{"backend", "stm", "-g stm"}, {"upgrade", "none", ""}, {"upgrade-at", "2", "--upgrade-at 2s"}, {"probe", "off", "--probe=false"},
	} {
		r, _ := LookupSetting(c.key)
		if got := strings.Join(r.Args(c.v), " "); got != c.want {
			t.Errorf("%s=%s: args %q, want %q", c.key, c.v, got, c.want)
		}
	}
	for _, a := range []string{"g", "sync", "stm-commit", "w", "t", "l", "seq-replay", "upgrade-dry-run"} {
		if _, ok := LookupSetting(a); !ok {
			t.Errorf("alias %s unknown", a)
		}
	}
	if _, ok := LookupSetting("no-traversals"); ok {
		t.Error("no-traversals is an alias of traversals, which means the opposite")
	}
	r, _ := LookupSetting("migration")
	if got := r.Values(); !slices.Equal(got, []string{"lazy", "eager", "lazy+sweep"}) {
		t.Errorf("migration values %v, want package upgrade's", got)
	}
}
