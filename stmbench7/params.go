package stmbench7

import (
	"fmt"
	"sort"
	"strings"
)

// Params are the size parameters of the structure (the reference's Parameters.java). The
// derived sizes (initial totals and id-pool sizes) are computed from them as the reference does.
type Params struct {
	NumAtomicPerComp int // atomic parts per composite part
	NumConnPerAtomic int // outgoing connections per atomic part
	DocumentSize     int // target document text length (chars)
	ManualSize       int // target manual text length (chars)
	NumCompPerModule int // composite parts in the design library initially
	NumAssmPerAssm   int // children per complex assembly
	NumAssmLevels    int // levels of the assembly tree (root = NumAssmLevels, base assemblies = 1)
	NumCompPerAssm   int // component references per base assembly initially
}

// Date ranges and other constants of the reference that do not depend on the size.
const (
	MinModuleDate    = 1000
	MaxModuleDate    = 1999
	MinAssmDate      = 1000
	MaxAssmDate      = 1999
	MinAtomicDate    = 1000
	MaxAtomicDate    = 1999
	MinOldCompDate   = 0
	MaxOldCompDate   = 999
	MinYoungCompDate = 2000
	MaxYoungCompDate = 2999
	YoungCompFrac    = 10 // percent of composite parts with a young date
	NumTypes         = 10 // type strings "type #0" … "type #9"
	XYRange          = 100000
)

// InitialTotalCompParts is the number of composite parts built initially.
func (p Params) InitialTotalCompParts() int { return p.NumCompPerModule }

// InitialTotalBaseAssemblies is NumAssmPerAssm^(NumAssmLevels-1).
func (p Params) InitialTotalBaseAssemblies() int { return ipow(p.NumAssmPerAssm, p.NumAssmLevels-1) }

// InitialTotalComplexAssemblies is (1 - k^(levels-1)) / (1 - k), as the reference computes it.
func (p Params) InitialTotalComplexAssemblies() int {
	return (1 - ipow(p.NumAssmPerAssm, p.NumAssmLevels-1)) / (1 - p.NumAssmPerAssm)
}

// MaxCompParts is the size of the composite-part (and document) id pool.
func (p Params) MaxCompParts() int { return int(1.05 * float64(p.InitialTotalCompParts())) }

// MaxAtomicParts is the size of the atomic-part id pool.
func (p Params) MaxAtomicParts() int { return p.MaxCompParts() * p.NumAtomicPerComp }

// MaxBaseAssemblies is the size of the base-assembly id pool.
func (p Params) MaxBaseAssemblies() int { return int(1.05 * float64(p.InitialTotalBaseAssemblies())) }

// MaxComplexAssemblies is the size of the complex-assembly id pool.
func (p Params) MaxComplexAssemblies() int {
	return int(1.05 * float64(p.InitialTotalComplexAssemblies()))
}

func ipow(b, e int) int {
	r := 1
	for range e {
		r *= b
	}
	return r
}

// Validate reports parameters the benchmark cannot run with.
func (p Params) Validate() error {
	switch {
	case p.NumAtomicPerComp < 1, p.NumConnPerAtomic < 1, p.NumCompPerModule < 1,
		p.NumAssmPerAssm < 2, p.NumAssmLevels < 2, p.NumCompPerAssm < 0:
		return fmt.Errorf("stmbench7: invalid size parameters %+v (need at least 1 atomic part per composite, "+
			"1 connection per atomic part, 1 composite part, 2 children per assembly and 2 levels)", p)
	case p.DocumentSize < 60 || p.ManualSize < 60:
		return fmt.Errorf("stmbench7: document and manual sizes must hold at least one line of text")
	}
	return nil
}

// sizes are the named size presets (ParseSize reads them, SizeNames lists them). "big" is the reference's size and the default for runs;
// "small" and "medium" follow the C++ port's presets (20 atomic parts per composite part, 50 and
// 500 composite parts), and "tiny" is for tests. "huge" (10× big's composite parts: a million
// atomic parts, about 1.2 GB of heap) and "giant" (30×: three million atomic parts, about 3.5 GB,
// twice that while an eager upgrade holds both versions) are beyond the reference, to show how an
// eager upgrade's pause grows with the state; the structure keeps big's assembly tree and
// documents, so only the number of composite parts (and with them the atomic parts) grows.
var sizes = map[string]Params{
	"giant":  {NumAtomicPerComp: 200, NumConnPerAtomic: 6, DocumentSize: 20000, ManualSize: 1000000, NumCompPerModule: 15000, NumAssmPerAssm: 3, NumAssmLevels: 7, NumCompPerAssm: 3},
	"huge":   {NumAtomicPerComp: 200, NumConnPerAtomic: 6, DocumentSize: 20000, ManualSize: 1000000, NumCompPerModule: 5000, NumAssmPerAssm: 3, NumAssmLevels: 7, NumCompPerAssm: 3},
	"big":    {NumAtomicPerComp: 200, NumConnPerAtomic: 6, DocumentSize: 20000, ManualSize: 1000000, NumCompPerModule: 500, NumAssmPerAssm: 3, NumAssmLevels: 7, NumCompPerAssm: 3},
	"medium": {NumAtomicPerComp: 20, NumConnPerAtomic: 6, DocumentSize: 20000, ManualSize: 1000000, NumCompPerModule: 500, NumAssmPerAssm: 3, NumAssmLevels: 7, NumCompPerAssm: 3},
	"small":  {NumAtomicPerComp: 20, NumConnPerAtomic: 6, DocumentSize: 2000, ManualSize: 100000, NumCompPerModule: 50, NumAssmPerAssm: 3, NumAssmLevels: 5, NumCompPerAssm: 3},
	"tiny":   {NumAtomicPerComp: 6, NumConnPerAtomic: 3, DocumentSize: 200, ManualSize: 1000, NumCompPerModule: 10, NumAssmPerAssm: 3, NumAssmLevels: 3, NumCompPerAssm: 3},
}

// DefaultSize is the preset runs use unless told otherwise: the reference's size.
const DefaultSize = "big"

// ParseSize returns the named preset.
func ParseSize(name string) (Params, error) {
	if p, ok := sizes[name]; ok {
		return p, nil
	}
	return Params{}, fmt.Errorf("unknown size %q (accepted: %s)", name, strings.Join(SizeNames(), ", "))
}

// SizeNames lists the presets, smallest first.
func SizeNames() []string {
	names := make([]string, 0, len(sizes))
	for n := range sizes {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return sizes[names[i]].MaxAtomicParts() < sizes[names[j]].MaxAtomicParts()
	})
	return names
}
