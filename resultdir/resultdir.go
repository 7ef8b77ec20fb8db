package resultdir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// lockPatience is how long Lock waits for a lock another holder releases.
const (
	lockPatience = 2 * time.Second
	lockRetry    = 20 * time.Millisecond
)

// exchangeFolders swaps two folders in one step; tests replace it to
// exercise the two-rename fallback.
var exchangeFolders = exchange

// Marker is the file that makes a folder a microstim result folder: Commit
// and WriteMarker write it, with MarkerTag on its first line and a random
// id. A destination without it (and not empty) is never replaced, whatever
// other files it holds.
const Marker = ".microstim-result"

// MarkerTag opens every marker file.
const MarkerTag = "microstim result folder"

// Incomplete is the file a result folder written in place (a resumable
// sweep) holds until its results are complete.
const Incomplete = "INCOMPLETE.txt"

// AfterStep, when not nil, is called after each step of Create and Commit
// with the step's name, and after each WriteFile with "wrote <path>". It
// exists for tests that kill the process between steps; production code
// leaves it nil.
var AfterStep func(step string)

func step(name string) {
	if AfterStep != nil {
		AfterStep(name)
	}
}

// Error is a destination that cannot take a result folder.
type Error struct {
	Dest   string // the destination folder
	Reason string
	Err    error // underlying error, if any
}

func (e *Error) Error() string {
	if e.Err != nil {
		err := e.Err
		var pe *fs.PathError
		if errors.As(err, &pe) { // the reason, without the name of a probe or staging file
			err = pe.Err
		}
		return fmt.Sprintf("results folder %s: %s: %v", e.Dest, e.Reason, err)
	}
	return fmt.Sprintf("results folder %s: %s", e.Dest, e.Reason)
}

func (e *Error) Unwrap() error { return e.Err }

// BusyError is a folder another live microstim process is writing.
type BusyError struct {
	Dest string
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("results folder %s: another microstim process is writing it; wait for it to finish or choose another folder", e.Dest)
}

// Folder is a result folder being written.
type Folder struct {
	Dest    string // where the result goes
	Path    string // the staging folder to write into
	lock    *os.File
	created []string // parent folders Create made, deepest first
	done    bool
}

// Create prepares dest for a new run and returns the staging folder to
// write into. It refuses, before any work, a destination that cannot be
// written or replaced, and removes leftovers of killed runs into dest.
func Create(dest string) (*Folder, error) {
	abs, err := filepath.Abs(dest)
	if err != nil {
		return nil, &Error{Dest: dest, Reason: "bad path", Err: err}
	}
	f := &Folder{Dest: abs}
	parent := filepath.Dir(abs)
	if f.created, err = mkdirAll(parent); err != nil {
		return nil, &Error{Dest: dest, Reason: "cannot create its parent folder", Err: err}
	}
	if err := checkDest(abs); err != nil {
		f.removeCreated()
		return nil, err
	}
	cleanLeftovers(abs)
	step("cleaned")
	tag := make([]byte, 4)
	rand.Read(tag)
	f.Path = abs + ".incomplete-" + hex.EncodeToString(tag)
	if err := os.Mkdir(f.Path, 0o755); err != nil {
		f.removeCreated()
		return nil, &Error{Dest: dest, Reason: "cannot write beside it", Err: err}
	}
	if f.lock, err = lockDir(f.Path); err != nil {
		os.Remove(f.Path)
		f.removeCreated()
		return nil, &Error{Dest: dest, Reason: "cannot lock the staging folder", Err: err}
	}
	if busy := f.otherWriters(); busy {
		f.Abort()
		return nil, &BusyError{Dest: abs}
	}
	step("staged")
	return f, nil
}

// otherWriters reports whether another live process stages a run into the
// same destination. Both of two simultaneous Creates may see each other and
// refuse; neither goes on unseen.
func (f *Folder) otherWriters() bool {
	if !haveLocks {
		return false
	}
	matches, _ := filepath.Glob(globQuote(f.Dest) + ".incomplete-*")
	for _, m := range matches {
		if m == f.Path {
			continue
		}
		l, err := tryLock(m)
		if err != nil {
			if _, serr := os.Stat(m); serr == nil {
				return true
			}
			continue
		}
		l.Close()
	}
	return false
}

// checkDest accepts a missing destination, or an existing folder that is
// empty or a result folder, writable and on its parent's file system.
func checkDest(dest string) error {
	st, err := os.Stat(dest)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return &Error{Dest: dest, Reason: "cannot read it", Err: err}
	}
	if !st.IsDir() {
		return &Error{Dest: dest, Reason: "exists and is not a folder"}
	}
	entries, err := os.ReadDir(dest)
	if err != nil {
		return &Error{Dest: dest, Reason: "cannot read it", Err: err}
	}
	if len(entries) > 0 && !IsResult(dest) {
		return &Error{Dest: dest, Reason: "holds files that microstim did not write; choose a new folder (nothing there is replaced)"}
	}
	probe, err := os.CreateTemp(dest, ".write-probe-*")
	if err != nil {
		return &Error{Dest: dest, Reason: "not writable", Err: err}
	}
	probe.Close()
	os.Remove(probe.Name())
	pst, err := os.Stat(filepath.Dir(dest))
	if err == nil && !sameDevice(st, pst) {
		return &Error{Dest: dest, Reason: "is a mount point; a result folder is swapped into place, which cannot cross file systems: write into a folder inside it"}
	}
	return nil
}

// IsResult reports whether dir is a result folder written by microstim: it
// holds a Marker file that opens with MarkerTag. No other file name counts.
func IsResult(dir string) bool {
	f, err := os.Open(filepath.Join(dir, Marker))
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(MarkerTag))
	n, _ := io.ReadFull(f, head)
	return string(head[:n]) == MarkerTag
}

// WriteMarker makes dir a result folder: it writes the Marker file, with
// what the folder holds and a random id, atomically.
func WriteMarker(dir, what string) error {
	id := make([]byte, 8)
	rand.Read(id)
	text := fmt.Sprintf("%s\nholds: %s\nid: %s\nThis file is written by microstim; a folder without it is never replaced or cleared.\n", MarkerTag, what, hex.EncodeToString(id))
	tmp, err := os.CreateTemp(dir, ".marker-*")
	if err != nil {
		return err
	}
	_, err = tmp.WriteString(text)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, Marker))
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// Lock takes an exclusive advisory lock (flock) on the result folder dir,
// held until the returned file is closed or the process dies. A folder
// another process holds gives a *BusyError. The lock is on dir's Marker,
// which must exist.
//
// A lock held for less than lockPatience is waited for: a child process
// started by another goroutine of this process shares its descriptors from
// fork until exec, so a lock just released may stay held for that moment.
func Lock(dir string) (*os.File, error) {
	marker := filepath.Join(dir, Marker)
	l, err := lockDir(marker)
	for wait := time.Duration(0); err != nil && haveLocks && exists(marker) && wait < lockPatience; wait += lockRetry {
		time.Sleep(lockRetry)
		l, err = lockDir(marker)
	}
	if err != nil {
		if exists(marker) && haveLocks {
			return nil, &BusyError{Dest: dir}
		}
		return nil, &Error{Dest: dir, Reason: "cannot lock it", Err: err}
	}
	return l, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Leftovers lists the staging folders of dest that no live process holds.
func Leftovers(dest string) []string {
	var out []string
	matches, _ := filepath.Glob(globQuote(dest) + ".incomplete-*")
	for _, m := range matches {
		if l, err := tryLock(m); err == nil {
			l.Close()
			out = append(out, m)
		}
	}
	return out
}

// cleanLeftovers restores a destination whose swap a kill interrupted and
// removes the staging folders of dead runs.
func cleanLeftovers(dest string) {
	replaced, _ := filepath.Glob(globQuote(dest) + ".replaced-*")
	for _, r := range replaced {
		if _, err := os.Stat(dest); errors.Is(err, fs.ErrNotExist) {
			if os.Rename(r, dest) == nil {
				continue
			}
		}
		os.RemoveAll(r)
	}
	for _, m := range Leftovers(dest) {
		os.RemoveAll(m)
	}
}

// Commit marks the staging folder complete and swaps it into place. The
// previous result, if any, is removed.
func (f *Folder) Commit() error {
	if f.done {
		return errors.New("resultdir: Commit after Commit or Abort")
	}
	if err := WriteMarker(f.Path, "one complete run"); err != nil {
		return f.fail("cannot write its marker", err)
	}
	syncDir(f.Path)
	step("marked")
	if err := os.Rename(f.Path, f.Dest); err == nil {
		step("swapped")
		return f.finish("")
	}
	err := exchangeFolders(f.Path, f.Dest)
	if errors.Is(err, errNoExchange) {
		return f.swapInTwoSteps()
	}
	if err != nil {
		return f.fail("cannot move the finished run into place", err)
	}
	step("swapped")
	return f.finish(f.Path) // the staging path now holds the previous result
}

// swapInTwoSteps replaces Dest where the file system cannot exchange
// folders: the old result is renamed aside first; Create undoes a kill
// between the renames.
func (f *Folder) swapInTwoSteps() error {
	aside := strings.Replace(f.Path, ".incomplete-", ".replaced-", 1)
	if err := os.Rename(f.Dest, aside); err != nil {
		return f.fail("cannot move the previous result aside", err)
	}
	step("moved-aside")
	if err := os.Rename(f.Path, f.Dest); err != nil {
		os.Rename(aside, f.Dest)
		return f.fail("cannot move the finished run into place", err)
	}
	step("swapped")
	return f.finish(aside)
}

func (f *Folder) finish(old string) error {
	f.done = true
	syncDir(filepath.Dir(f.Dest))
	f.lock.Close()
	if old != "" {
		os.RemoveAll(old)
		step("removed-old")
	}
	return nil
}

func (f *Folder) fail(reason string, err error) error {
	f.Abort()
	return &Error{Dest: f.Dest, Reason: reason, Err: err}
}

// Abort removes the staging folder and the parent folders Create made. It
// does nothing after Commit, so "defer f.Abort()" is safe.
func (f *Folder) Abort() {
	if f == nil || f.done {
		return
	}
	f.done = true
	os.RemoveAll(f.Path)
	f.lock.Close()
	f.removeCreated()
}

func (f *Folder) removeCreated() { RemoveEmpty(f.created) }

// MakeDirs makes dir and its missing parents, returning those it made,
// deepest first, for RemoveEmpty to undo.
func MakeDirs(dir string) ([]string, error) { return mkdirAll(dir) }

// RemoveEmpty removes the folders MakeDirs made, where they are empty.
func RemoveEmpty(made []string) {
	for _, d := range made {
		os.Remove(d)
	}
}

func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		for _, d := range missing {
			os.Remove(d)
		}
		return nil, err
	}
	return missing, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// globQuote escapes the glob metacharacters of a literal path.
func globQuote(p string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`, `[`, `\[`)
	return r.Replace(p)
}
