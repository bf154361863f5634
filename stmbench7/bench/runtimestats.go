package bench

import (
	"math"
	"runtime"
	"runtime/debug"
)

// applyGCSettings applies cfg's runtime settings (the collector's, GOMAXPROCS) to the process
// and returns the collector's in effect (GOGC: -1 for off; memory limit: 0 for none) and the
// function that restores the previous ones.
func applyGCSettings(c *Config) (gogc int, memLimit int64, restore func()) {
	prevGOGC := debug.SetGCPercent(100) // reading it means setting it; restored below
	debug.SetGCPercent(prevGOGC)
	prevLimit := debug.SetMemoryLimit(-1) // a negative limit only reads
	gogc = prevGOGC
	if c.GOGC != KeepGOGC {
		gogc = c.GOGC
		debug.SetGCPercent(gogc)
	}
	memLimit = prevLimit
	if c.MemoryLimit != KeepMemoryLimit {
		memLimit = c.MemoryLimit
		if memLimit == 0 {
			memLimit = math.MaxInt64
		}
		debug.SetMemoryLimit(memLimit)
	}
	if gogc < 0 {
		gogc = -1
	}
	if memLimit == math.MaxInt64 {
		memLimit = 0
	}
	prevProcs := runtime.GOMAXPROCS(0)
	if c.GOMAXPROCS > 0 {
		runtime.GOMAXPROCS(c.GOMAXPROCS)
	}
	return gogc, memLimit, func() {
		debug.SetGCPercent(prevGOGC)
		debug.SetMemoryLimit(prevLimit)
		runtime.GOMAXPROCS(prevProcs)
	}
}
