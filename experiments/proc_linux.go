package experiments

import "os/exec"

// runsOwnGroup: a run's process leads its own process group, so that the signals sent to
// the sweep's group (a terminal's Ctrl-C, timeout(1)) reach it only from the sweep, once.
const runsOwnGroup = true

// bindToParent makes a run's process die with the sweep (the parent-death signal, so that a
// killed sweep leaves no run measuring beside the next one) and lead its own process group,
// as a kv run's processes do (childAttr).
func bindToParent(cmd *exec.Cmd) { cmd.SysProcAttr = childAttr() }
