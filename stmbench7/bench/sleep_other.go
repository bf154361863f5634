//go:build !linux

package bench

import "time"

// sleepUntil waits until due, or until quit is closed, and reports whether it is due. (On
// Linux it sleeps in the kernel instead: see sleep_linux.go.)
func sleepUntil(due time.Time, quit <-chan struct{}) bool {
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
