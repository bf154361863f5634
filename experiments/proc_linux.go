package experiments

import (
	"os/exec"
	"syscall"
)

// runsOwnGroup: a run's process is the leader of its own process group, so that the signals
// sent to the sweep's group (a terminal's Ctrl-C, timeout(1)) reach it only from the sweep,
// once (see session.wait).
const runsOwnGroup = true

// bindToParent makes a run's process die with the sweep (the parent-death signal), so that a
// killed sweep leaves no run measuring beside the next one, and puts it in its own process
// group.
func bindToParent(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	cmd.SysProcAttr.Setpgid = true
}
