package experiments

import (
	"os/exec"
	"syscall"
)

// bindToParent makes a run's process die with the sweep (Linux: the parent-death signal), so
// that a killed sweep leaves no run measuring beside the next one.
func bindToParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
}
