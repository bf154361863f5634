//go:build !linux

package measure

import "time"

// sleepUntil waits until due, or until quit is closed, and reports whether it is due. (On
// Linux it may sleep in the kernel instead: see sleep_linux.go.)
func sleepUntil(due time.Time, quit <-chan struct{}, kernel bool) bool {
	return timerSleepUntil(due, quit)
}

func KernelSleep(workers int) bool { return false }
