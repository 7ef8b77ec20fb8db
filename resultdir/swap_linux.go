package resultdir

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// haveLocks: flock works here, so live writers can be told from dead ones.
const haveLocks = true

var errNoExchange = errors.New("resultdir: the file system cannot exchange folders")

// exchange swaps the folders a and b in one step (renameat2
// RENAME_EXCHANGE).
func exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EOPNOTSUPP) {
		return errNoExchange
	}
	return err
}

// lockDir opens dir and takes an exclusive lock on it, held until the
// returned file is closed or the process dies.
func lockDir(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// tryLock is lockDir; an error means a live process holds dir (or it cannot
// be locked at all, which is treated the same: leave it alone).
func tryLock(dir string) (*os.File, error) { return lockDir(dir) }

func sameDevice(a, b os.FileInfo) bool {
	sa, ok1 := a.Sys().(*syscall.Stat_t)
	sb, ok2 := b.Sys().(*syscall.Stat_t)
	return !ok1 || !ok2 || sa.Dev == sb.Dev
}
