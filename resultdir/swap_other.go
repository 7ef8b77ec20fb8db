//go:build !linux

package resultdir

import (
	"errors"
	"os"
)

// haveLocks: without flock, a second writer cannot be detected.
const haveLocks = false

var errNoExchange = errors.New("resultdir: the file system cannot exchange folders")

// exchange is not available here: Commit renames in two steps.
func exchange(a, b string) error { return errNoExchange }

// lockDir opens dir; without flock, staging folders are not locked.
func lockDir(dir string) (*os.File, error) { return os.Open(dir) }

// tryLock never succeeds here, so staging folders of other runs are kept.
func tryLock(dir string) (*os.File, error) {
	return nil, errors.New("resultdir: no folder locks on this system")
}

// sameDevice cannot tell here; a cross-device swap fails at Commit.
func sameDevice(a, b os.FileInfo) bool { return true }
