//go:build !linux

package experiments

import "syscall"

// childAttr: elsewhere than Linux a kv run's processes share the runner's process group
// (Ctrl-C reaches them too) and are stopped by the runner only.
func childAttr() *syscall.SysProcAttr { return nil }
