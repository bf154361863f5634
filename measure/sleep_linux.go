package measure

import (
	"runtime"
	"syscall"
	"time"
)

// sleepUntil waits until due, or until quit is closed (checked at least every 10 ms), and
// reports whether it is due. With kernel set (see KernelSleep) it sleeps in the kernel
// (nanosleep) on the probe's own thread: a Go timer fires only when some processor looks at it,
// and with a worker spinning on the processor that holds it that is up to sysmon's 10–20 ms
// later, which the probes would report as the program's latency.
func sleepUntil(due time.Time, quit <-chan struct{}, kernel bool) bool {
	if !kernel {
		return timerSleepUntil(due, quit)
	}
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

// KernelSleep reports whether the probes should sleep in the kernel: only with a processor to
// spare beyond the workers (and the probe itself). A thread asleep in a syscall keeps its
// processor until sysmon takes it back, up to 10 ms later; without a spare one that
// processor is a worker's (measured: 2 workers at GOMAXPROCS=2 lost 22% of their throughput).
func KernelSleep(workers int) bool { return runtime.GOMAXPROCS(0) > workers+1 }
