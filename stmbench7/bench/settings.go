package bench

import "dustm/internal/settings"

// ParseGOGC reads a --gogc value: a percentage >= 0, or "off" (returned as -1).
func ParseGOGC(s string) (int, error) { return settings.ParseGOGC(s) }

// FormatGOGC writes a GOGC value as ParseGOGC reads it.
func FormatGOGC(n int) string { return settings.FormatGOGC(n) }

// ParseMemLimit reads a --memlimit value: bytes, optionally with a unit (4GiB, 512MiB, 1.5GB,
// 1000000B), or "off" (returned as 0, no limit).
func ParseMemLimit(s string) (int64, error) { return settings.ParseMemLimit(s) }
