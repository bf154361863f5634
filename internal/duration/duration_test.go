package duration

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	r := Range{Min: 10 * time.Millisecond, Max: 1000 * time.Second}
	for _, c := range []struct {
		in   string
		want time.Duration
		err  string
	}{
		{"2.5", 2500 * time.Millisecond, ""},
		{"10", 10 * time.Second, ""},
		{"2500ms", 2500 * time.Millisecond, ""},
		{"1m30s", 90 * time.Second, ""},
		{" 3 ", 3 * time.Second, ""},
		{"NaN", 0, "not a number of seconds"},
		{"inf", 0, "not a number of seconds"},
		{"1e300", 0, `"1e300" seconds is out of range (accepted: between 10ms and 1000s)`},
		{"1e-9", 0, `"1e-9" is out of range (accepted: between 10ms and 1000s)`},
		{"0", 0, "out of range"},
		{"-5s", 0, "out of range"},
		{"2000", 0, "out of range"},
		{"5 minutes", 0, "neither seconds nor a duration"},
		{"", 0, "empty"},
	} {
		got, err := r.Parse(c.in)
		switch {
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("Parse(%q) = %v, %v; want %v", c.in, got, err, c.want)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Parse(%q) = %v, %v; want an error containing %q", c.in, got, err, c.err)
		}
	}
	if err := (Range{Min: time.Second, Max: time.Hour, Zero: true}).Check(0); err != nil {
		t.Errorf("Zero range refuses 0: %v", err)
	}
}

// FuzzParse: any input is a duration in range or an error, never a panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2.5", "1m", "NaN", "1e300", "-0", "9223372036.854775807", "1h1m1s1ms", "0x10", "1_000"} {
		f.Add(s)
	}
	r := Range{Min: time.Millisecond, Max: time.Hour}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := r.Parse(s)
		if err == nil && (d < r.Min || d > r.Max) {
			t.Fatalf("Parse(%q) = %v, outside %v", s, d, r)
		}
	})
}
