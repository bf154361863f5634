package experiments

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// howEnded says how a run's process that failed ended, for its failed.json and the progress
// line: its exit status and the last line of its error output (usually its message), or the
// signal that killed it by name ("killed by SIGKILL"), which os.ProcessState reports only as
// exit status -1. The sweep's own kills (a timeout, an interruption) are reported where
// they happen; a signal here came from elsewhere.
func howEnded(ps *os.ProcessState, lastLine string) string {
	if ps == nil {
		return "ended without an exit status: " + lastLine
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return fmt.Sprintf("exit status %d: %s", ps.ExitCode(), lastLine)
	}
	sig := ws.Signal()
	name := unix.SignalName(sig)
	if name == "" {
		name = fmt.Sprintf("signal %d", int(sig))
	}
	msg := fmt.Sprintf("killed by %s (%s)", name, sig)
	if sig == syscall.SIGKILL {
		msg += ", not by this sweep: by another process or the kernel's out-of-memory killer"
	}
	if ws.CoreDump() {
		msg += "; core dumped"
	}
	if lastLine != "" {
		msg += "; the last line it printed: " + lastLine
	}
	return msg
}
