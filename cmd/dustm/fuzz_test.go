package main

import (
	"io"
	"strings"
	"testing"

	"dustm/experiments"
)

// Flag parsing of bench and experiment: any command line is a configuration that validates
// or a usage error, never a panic. The seeds run as unit tests under `go test`; `go test
// -fuzz FuzzBenchFlags ./cmd/dustm` explores further. Arguments are separated by NUL.

func FuzzBenchFlags(f *testing.F) {
	for _, s := range []string{
		"-t\x002\x00-l\x002.5", "-l\x00NaN", "-l\x001e300", "-l\x001e-9", "-t\x00100000000", "--ops\x0010000000000",
		"--upgrade\x00dates\x00-g\x00stm\x00--migration\x00lazy+sweep\x00--sweepers\x000", "--upgrade-at\x000.5",
		"--interval\x001ns", "-s\x00x", "--json\x00-\x00--series\x00-", "--json=", "-w\x00rw\x00--size\x00tiny", "--ops\x0010\x00-l\x005",
		"--upgrade\x00chain\x00-g\x00stm\x00--ops\x00100\x00--upgrade-at\x00100ms", "--\x00-t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Split(s, "\x00")
		for _, a := range args {
			// Paths are the outfile tests' business; here they could name real files.
			if strings.HasPrefix(a, "--json") || strings.HasPrefix(a, "--series") || strings.HasPrefix(a, "--cpuprofile") {
				return
			}
		}
		cfg, _, help, err := parseBenchFlags(args, io.Discard)
		if err != nil || help {
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("%q: parsed, but its configuration is invalid: %v", args, err)
		}
	})
}

func FuzzExperimentFlags(f *testing.F) {
	for _, s := range []string{
		"quick\x00--set\x00threads=1,2\x00--dry-run", "--set\x00repetitions=100000000000", "--timeout\x00-5s", "--timeout\x0090",
		"--shard\x000/2", "--shard\x002/2", "--set\x00upgrade.migration=lazy", "merg\x00x", "--resume\x00x\x00--retry-failed",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, rest, err := parseExperimentFlags(strings.Split(s, "\x00"), io.Discard)
		if err != nil || fl.help {
			return
		}
		_ = rest
		if fl.timeout != 0 && experiments.TimeoutRange().Check(fl.timeout) != nil {
			t.Fatalf("--timeout %v accepted", fl.timeout)
		}
		if fl.shard != "" {
			experiments.ParseShard(fl.shard)
		}
		e, err := experiments.Builtin("quick")
		if err != nil {
			t.Fatal(err)
		}
		e = e.Clone()
		for _, set := range fl.sets {
			if e.Set(set) != nil {
				return
			}
		}
		e.Expand()
	})
}
