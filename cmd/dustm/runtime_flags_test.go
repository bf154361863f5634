package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"dustm/experiments"
	"dustm/stmbench7/bench"
)

func TestBenchRuntimeFlags(t *testing.T) {
	cfg, _, _, err := parseBenchFlags(nil, new(bytes.Buffer))
	if err != nil || cfg.GOGC != bench.KeepGOGC || cfg.MemoryLimit != bench.KeepMemoryLimit || cfg.Probe ||
		cfg.ProbeInterval != time.Millisecond {
		t.Fatalf("defaults: gogc %d, memlimit %d, probe %v, interval %v (%v)", cfg.GOGC, cfg.MemoryLimit, cfg.Probe, cfg.ProbeInterval, err)
	}
	cfg, _, _, err = parseBenchFlags([]string{"--gogc", "off", "--memlimit", "4GiB", "--probe", "--probe-interval", "2ms"}, new(bytes.Buffer))
	if err != nil || cfg.GOGC != -1 || cfg.MemoryLimit != 4<<30 || !cfg.Probe || cfg.ProbeInterval != 2*time.Millisecond {
		t.Errorf("set: gogc %d, memlimit %d, probe %v, interval %v (%v)", cfg.GOGC, cfg.MemoryLimit, cfg.Probe, cfg.ProbeInterval, err)
	}
	// An upgrade probes unless told not to.
	up := []string{"-g", "stm", "--upgrade", "atomic-point", "-l", "2"}
	if cfg, _, _, err = parseBenchFlags(up, new(bytes.Buffer)); err != nil || !cfg.Probe {
		t.Errorf("with --upgrade: probe %v (%v)", cfg.Probe, err)
	}
	if cfg, _, _, err = parseBenchFlags(append(up, "--probe=false"), new(bytes.Buffer)); err != nil || cfg.Probe {
		t.Errorf("with --upgrade --probe=false: probe %v (%v)", cfg.Probe, err)
	}
	if cfg, _, _, err = parseBenchFlags([]string{"--gomaxprocs", "3"}, new(bytes.Buffer)); err != nil || cfg.GOMAXPROCS != 3 {
		t.Errorf("--gomaxprocs 3: %d (%v)", cfg.GOMAXPROCS, err)
	}
	for _, bad := range [][]string{{"--gogc", "-3"}, {"--gogc", "lots"}, {"--memlimit", "4 parsecs"}, {"--probe-interval", "0s"},
		{"--gomaxprocs", "0"}, {"--gomaxprocs", "5000"}} {
		_, _, _, err := parseBenchFlags(bad, new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%q: error %v, want one naming %s", bad, err, bad[0])
		}
	}
}

// The experiments' runtime keys become flags that dustm bench accepts, with the same meaning.
func TestExperimentRuntimeKeysParse(t *testing.T) {
	e, err := experiments.Parse(strings.NewReader(`{"name": "x", "description": "d", "kind": "bench",
		"axes": {"gogc": ["400"]}, "fixed": {"memlimit": "4096MiB", "probe": "on", "probe-interval": "2ms", "length": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	configs, _, err := e.Expand()
	if err != nil || len(configs) != 1 {
		t.Fatalf("%d configs, %v", len(configs), err)
	}
	args := configs[0].BenchArgs()
	if s := strings.Join(args, " "); !strings.Contains(s, "--gogc 400") || !strings.Contains(s, "--memlimit 4GiB") ||
		!strings.Contains(s, "--probe=true") || !strings.Contains(s, "--probe-interval 2ms") {
		t.Errorf("bench args %q", s)
	}
	cfg, _, _, err := parseBenchFlags(args, new(bytes.Buffer))
	if err != nil || cfg.GOGC != 400 || cfg.MemoryLimit != 4<<30 || !cfg.Probe || cfg.ProbeInterval != 2*time.Millisecond {
		t.Errorf("parsed %+v (%v)", cfg, err)
	}
}
