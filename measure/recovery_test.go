package measure

import (
	"math"
	"testing"

	"dustm/record"
)

// (Moved from experiments.)
func TestRecovery(t *testing.T) {
	var s []record.Tick
	for i := 1; i <= 20; i++ {
		tp := 1000.0
		if i == 11 || i == 12 {
			tp = 0 // a pause right after the change at t = 1.0
		}
		s = append(s, record.Tick{T: float64(i) / 10, Values: map[string]float64{"throughput": tp, "ops": math.Floor(tp / 10)}})
	}
	rec, lost, ok := Recovery(s, 1.0)
	if !ok || math.Abs(rec-0.2) > 1e-9 || math.Abs(lost-200) > 1e-9 {
		t.Errorf("recovery %v s, %v ops lost, %v; want 0.2 s and 200", rec, lost, ok)
	}
	rec, lost, ok = Recovery(s[:10], 0.5) // no change at all
	if !ok || rec != 0 || lost != 0 {
		t.Errorf("steady: %v %v %v", rec, lost, ok)
	}
	if _, _, ok := Recovery(s, 0); ok {
		t.Error("recovery without intervals before the change")
	}
}
