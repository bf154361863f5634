package experiments

import "syscall"

// runsOwnGroup: a run's processes lead their own process group, so that the signals sent to
// the sweep's group (a terminal's Ctrl-C, timeout(1)) reach them only from the sweep, once,
// and in order (a kv run's client, then its server, which writes its result).
const runsOwnGroup = true

// childAttr has the kernel kill a run's process if the sweep dies (Pdeathsig: strictly, when
// the thread that started it ends, which Go's runtime does not do to such threads), so that
// a killed sweep leaves no run measuring beside the next one nor a server holding its port.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
