package experimentstest

import (
	"math"
	"strings"
	"testing"

	"dustm/experiments"
)

// Parse reads an experiment definition from a test's JSON, failing the test on an error.
func Parse(t testing.TB, s string) *experiments.Experiment {
	t.Helper()
	e, err := experiments.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Within reports whether a is within rel (relative) of b.
func Within(a, b, rel float64) bool {
	return math.Abs(a-b) <= rel*b
}
