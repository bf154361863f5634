package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParseGOGC reads a --gogc value: a percentage >= 0, or "off" (returned as -1).
func ParseGOGC(s string) (int, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad GOGC %q (accepted: a whole percentage >= 0, or off)", s)
	}
	return n, nil
}

// FormatGOGC writes a GOGC value as ParseGOGC reads it.
func FormatGOGC(n int) string {
	if n < 0 {
		return "off"
	}
	return strconv.Itoa(n)
}

// byteUnits are the units ParseMemLimit accepts, as GOMEMLIMIT spells them (plus the decimal
// ones).
var byteUnits = []struct {
	suffix string
	mult   float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// ParseMemLimit reads a --memlimit value: bytes, optionally with a unit (4GiB, 512MiB, 1.5GB,
// 1000000B), or "off" (returned as 0, no limit).
func ParseMemLimit(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return 0, nil
	}
	num, mult := s, 1.0
	for _, u := range byteUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || !(f > 0) || f*mult >= math.MaxInt64 {
		return 0, fmt.Errorf("bad memory limit %q (accepted: a positive number of bytes with an optional unit B, KiB, MiB, GiB, TiB, KB, MB, GB, TB, e.g. 4GiB; or off)", s)
	}
	return int64(f * mult), nil
}
