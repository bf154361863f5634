package plots

import (
	"bytes"
	"strings"
	"testing"

	"dustm/analysis"
)

// TestVerdictsOnNothing: with every measurement zero no claim is judged on a 0/0 ratio, and
// the report says that nothing was measured.
func TestVerdictsOnNothing(t *testing.T) {
	_, f, s := fixture(t, everything)
	for _, r := range s.Rows {
		for m, st := range r.Stats {
			vs := make([]float64, len(st.Values))
			r.Stats[m] = analysis.StatOf(vs)
		}
	}
	fds := ComputeFindings(f, s)
	for _, prefix := range []string{"lazy migration", "an immediate", "being upgradable"} {
		if c := claimOf(t, fds, prefix); c.Verdict != NotMeasured {
			t.Errorf("%s: verdict %q on zeros, want %q (%s)", prefix, c.Verdict, NotMeasured, c.Measured)
		}
	}
	var buf bytes.Buffer
	Report(&buf, f, s, nil, nil)
	report := buf.String()
	for _, bad := range []string{"**does not hold**", "**holds**", "NaN"} {
		if strings.Contains(report, bad) {
			i := strings.Index(report, bad)
			t.Errorf("REPORT.md on zeros says %q: …%s…", bad, report[max(0, i-300):min(len(report), i+100)])
		}
	}
	if !strings.Contains(report, "not measured") {
		t.Errorf("REPORT.md on zeros does not say \"not measured\":\n%.3000s", report)
	}
}
