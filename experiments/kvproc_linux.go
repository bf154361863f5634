package experiments

import "syscall"

// childAttr puts a kv run's processes in their own process group, so that Ctrl-C reaches
// the runner only and it stops them in order (the client, then the server, which writes
// its result), and has the kernel kill them if the runner dies (Pdeathsig: strictly, when
// the thread that started them ends, which Go's runtime does not do to such threads).
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
