//go:build !linux

package experiments

import "os/exec"

// runsOwnGroup: elsewhere a run stays in the sweep's process group, and receives a
// terminal's Ctrl-C itself.
const runsOwnGroup = false

// bindToParent: only Linux has a parent-death signal; elsewhere a run's process inherits the
// folder's lock, so that a resume cannot start beside a run its killed sweep left behind.
func bindToParent(*exec.Cmd) {}
