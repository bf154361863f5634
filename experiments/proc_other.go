//go:build !linux

package experiments

import "os/exec"

// bindToParent: only Linux has a parent-death signal; elsewhere a run's process inherits the
// folder's lock, so that a resume cannot start beside a run its killed sweep left behind.
func bindToParent(*exec.Cmd) {}
