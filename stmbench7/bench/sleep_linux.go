package bench

import (
	"syscall"
	"time"
)

// sleepUntil waits until due, or until quit is closed (checked at least every 10 ms), and
// reports whether it is due. On Linux it sleeps in the kernel (nanosleep) on the probe's own
// thread: a Go timer fires only when some processor looks at it, and with a worker spinning on
// the processor that holds it that is up to sysmon's 10–20 ms later, which the probes would
// report as the program's latency. The blocked thread gives its processor back as any
// syscall does.
func sleepUntil(due time.Time, quit <-chan struct{}) bool {
	for {
		if closed(quit) {
			return false
		}
		d := time.Until(due)
		if d <= 0 {
			return true
		}
		ts := syscall.NsecToTimespec(int64(min(d, 10*time.Millisecond)))
		_ = syscall.Nanosleep(&ts, nil) // EINTR only shortens the sleep; the loop resumes it
	}
}
