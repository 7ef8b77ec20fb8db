package plots

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// AfterWrite, when not nil, is called with each path WriteAtomic has
// written. Tests use it to interrupt a run between two files; production
// code leaves it nil.
var AfterWrite func(path string)

// WriteAtomic writes data to path so that path either keeps its old content
// or holds all of data: it writes a temporary file in the same directory,
// syncs it to disk and renames it over path. The file gets mode 0644. On
// error the temporary file is removed.
func WriteAtomic(path string, data []byte) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // name the file asked for, not the temporary one
			err = pe.Err
		}
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			err = fmt.Errorf("writing %s: %w", path, err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp, path); err != nil {
		return err
	}
	// Make the rename itself durable; not every file system supports
	// syncing a directory, so a failure here is not an error.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	if AfterWrite != nil {
		AfterWrite(path)
	}
	return nil
}

// writePair writes png to pathNoExt+".png" and svg to pathNoExt+".svg".
func writePair(pathNoExt string, png, svg []byte) error {
	if err := WriteAtomic(pathNoExt+".png", png); err != nil {
		return err
	}
	return WriteAtomic(pathNoExt+".svg", svg)
}
