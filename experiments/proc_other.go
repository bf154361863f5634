//go:build !linux

package experiments

import "syscall"

// runsOwnGroup: elsewhere a run stays in the sweep's process group, and receives a
// terminal's Ctrl-C itself; without a parent-death signal, the run's inheritance of the
// folder's lock keeps a resume from starting beside a run its killed sweep left behind.
const runsOwnGroup = false

func childAttr() *syscall.SysProcAttr { return nil }
