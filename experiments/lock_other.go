//go:build !unix

package experiments

import "os"

// tryLock: without advisory locks (Windows, Plan 9) a folder is not protected against a
// second sweep; the lock file still names the last process that took it.
func tryLock(*os.File) (bool, error) { return true, nil }

func processAlive(int) bool { return false }
