package measure

import "time"

// timerSleepUntil is sleepUntil on a Go timer.
func timerSleepUntil(due time.Time, quit <-chan struct{}) bool {
	d := time.Until(due)
	if d <= 0 {
		return !closed(quit)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-quit:
		return false
	case <-t.C:
		return true
	}
}

func closed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}
