package resultdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// snapshot returns the folder's files (name → content), the marker left out.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() || info.Name() == Marker {
			return nil
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		return nil
	}
	return out
}

// writeRun writes one run's files into a new result folder at dest.
func writeRun(dest string, files map[string]string, hook func(string)) error {
	f, err := Create(dest)
	if err != nil {
		return err
	}
	defer f.Abort()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(f.Path, n), []byte(files[n]), 0o644); err != nil {
			return err
		}
		if hook != nil {
			hook("wrote " + n)
		}
	}
	return f.Commit()
}

var runA = map[string]string{"summary.json": "A", "report.html": "A report", "old_protocol.png": "A only"}
var runB = map[string]string{"summary.json": "B", "report.html": "B report", "sites.csv": "B", "fig.png": "B", "fig.svg": "B"}

// A rerun replaces the whole folder: files only the old run wrote are gone.
func TestCommitReplacesTheWholeFolder(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "out")
	if err := writeRun(dest, runA, nil); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, dest); !reflect.DeepEqual(got, runA) {
		t.Fatalf("first run: %v", got)
	}
	if err := writeRun(dest, runB, nil); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, dest); !reflect.DeepEqual(got, runB) {
		t.Errorf("rerun: %v, want exactly %v", got, runB)
	}
	if left, _ := filepath.Glob(dest + ".*"); len(left) != 0 {
		t.Errorf("leftovers beside the result: %v", left)
	}
}

// A failed run leaves no folder behind, not even the parents it made.
func TestAbortLeavesNothing(t *testing.T) {
	root := t.TempDir()
	f, err := Create(filepath.Join(root, "a", "b", "out"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(f.Path, "partial.json"), []byte("{"), 0o644)
	f.Abort()
	if entries, _ := os.ReadDir(root); len(entries) != 0 {
		t.Errorf("Abort left %v", entries)
	}
}

func TestCreateRefusesBadDestinations(t *testing.T) {
	root := t.TempDir()
	foreign := filepath.Join(root, "home")
	os.Mkdir(foreign, 0o755)
	os.WriteFile(filepath.Join(foreign, "thesis.tex"), []byte("years of work"), 0o644)
	file := filepath.Join(root, "file")
	os.WriteFile(file, []byte("x"), 0o644)
	for _, tc := range []struct{ dest, want string }{
		{foreign, "did not write"},
		{file, "not a folder"},
		{filepath.Join(file, "out"), "parent folder"},
	} {
		_, err := Create(tc.dest)
		var re *Error
		if !errors.As(err, &re) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.dest) {
			t.Errorf("%s: %v, want an *Error naming the folder and %q", tc.dest, err, tc.want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(foreign, "thesis.tex")); string(b) != "years of work" {
		t.Error("a foreign folder was touched")
	}
}

// A read-only mount is found by Create, before any work (needs root and
// mount; skipped elsewhere).
func TestCreateRefusesReadOnlyMount(t *testing.T) {
	ro := filepath.Join(t.TempDir(), "ro")
	os.Mkdir(ro, 0o755)
	if err := exec.Command("mount", "-t", "tmpfs", "-o", "ro", "tmpfs", ro).Run(); err != nil {
		t.Skip("cannot mount a read-only tmpfs here:", err)
	}
	defer exec.Command("umount", ro).Run()
	for _, dest := range []string{ro, filepath.Join(ro, "run1")} {
		_, err := Create(dest)
		if err == nil || !strings.Contains(err.Error(), dest) || !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s: %v, want a read-only error naming the folder", dest, err)
		}
	}
}

// TestKillAtEveryStep kills (SIGKILL) a rerun after each of its steps —
// every file written, every step of Create and Commit — and checks that the
// destination holds either the previous complete run or the new one, never
// a mix, and that the next run cleans the leftovers. It runs with the
// folder exchange and with the two-rename fallback.
func TestKillAtEveryStep(t *testing.T) {
	for _, mode := range []string{"exchange", "two-renames"} {
		t.Run(mode, func(t *testing.T) {
			root := t.TempDir()
			dest := filepath.Join(root, "out")
			steps := 0
			for n := 1; ; n++ {
				if err := writeRun(dest, runA, nil); err != nil {
					t.Fatal(err)
				}
				cmd := exec.Command(os.Args[0], "-test.run=^TestHelperRerun$")
				cmd.Env = append(os.Environ(), "RESULTDIR_HELPER="+dest, "RESULTDIR_KILL_AT="+strconv.Itoa(n), "RESULTDIR_MODE="+mode)
				out, err := cmd.CombinedOutput()
				killed := false
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					ws, ok := ee.Sys().(syscall.WaitStatus)
					killed = ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
				}
				if err != nil && !killed {
					t.Fatalf("helper: %v\n%s", err, out)
				}
				if mode == "exchange" {
					checkOneRun(t, dest, n)
				}
				// The next run cleans up (and, in the fallback, restores a
				// result moved aside by the killed run).
				f, err := Create(dest)
				if err != nil {
					t.Fatalf("kill at step %d: Create after the kill: %v", n, err)
				}
				f.Abort()
				checkOneRun(t, dest, n)
				if left, _ := filepath.Glob(dest + ".*"); len(left) != 0 {
					t.Errorf("kill at step %d: leftovers after the next Create: %v", n, left)
				}
				if !killed {
					steps = n - 1
					break
				}
			}
			if steps < 8 {
				t.Errorf("only %d steps killed", steps)
			}
			t.Logf("%s: killed after each of %d steps", mode, steps)
		})
	}
}

func checkOneRun(t *testing.T, dest string, n int) {
	t.Helper()
	got := snapshot(t, dest)
	if !reflect.DeepEqual(got, runA) && !reflect.DeepEqual(got, runB) {
		t.Errorf("kill at step %d: the folder holds %v: neither run A nor run B", n, got)
	}
}

// TestHelperRerun is the process TestKillAtEveryStep kills: it writes run
// B over run A and SIGKILLs itself after step RESULTDIR_KILL_AT.
func TestHelperRerun(t *testing.T) {
	dest := os.Getenv("RESULTDIR_HELPER")
	if dest == "" {
		t.Skip("helper process for TestKillAtEveryStep")
	}
	at, _ := strconv.Atoi(os.Getenv("RESULTDIR_KILL_AT"))
	if os.Getenv("RESULTDIR_MODE") == "two-renames" {
		exchangeFolders = func(a, b string) error { return errNoExchange }
	}
	n := 0
	hook := func(string) {
		if n++; n == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	AfterStep = hook
	if err := writeRun(dest, runB, hook); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
}

// A second writer into a destination a live run is staging is refused
// with a *BusyError, and the live run's staging folder is kept.
func TestSecondWriterIsRefused(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "out")
	a, err := Create(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	_, err = Create(dest)
	var busy *BusyError
	if !errors.As(err, &busy) || !strings.Contains(err.Error(), dest) {
		t.Fatalf("second Create: %v, want a *BusyError naming %s", err, dest)
	}
	if _, err := os.Stat(a.Path); err != nil {
		t.Fatalf("a live staging folder was removed: %v", err)
	}
	os.WriteFile(filepath.Join(a.Path, "x"), []byte("a"), 0o644)
	if err := a.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := snapshot(t, dest); got["x"] != "a" || len(got) != 1 {
		t.Errorf("after the commit: %v, want run a", got)
	}
	b, err := Create(dest) // once a is done, the next run goes ahead
	if err != nil {
		t.Fatal(err)
	}
	b.Abort()
}

// Only microstim's marker makes a result folder: a user's folder holding
// files with the names microstim writes (manifest.json, plan.json, …), or a
// marker-named file of other content, is refused and left as it was.
func TestUserFolderWithResultNamesIsKept(t *testing.T) {
	for _, name := range []string{"manifest.json", "plan.json", "scorecard.json", Incomplete, Marker} {
		t.Run(name, func(t *testing.T) {
			dest := filepath.Join(t.TempDir(), "v")
			os.MkdirAll(filepath.Join(dest, "src"), 0o755)
			os.WriteFile(filepath.Join(dest, name), []byte("{}\n"), 0o644)
			os.WriteFile(filepath.Join(dest, "thesis.txt"), []byte("draft"), 0o644)
			if IsResult(dest) {
				t.Errorf("a folder holding %s is taken for a result folder", name)
			}
			err := writeRun(dest, runA, nil)
			var re *Error
			if !errors.As(err, &re) || !strings.Contains(err.Error(), "did not write") {
				t.Errorf("run into it: %v, want a refusal", err)
			}
			if b, _ := os.ReadFile(filepath.Join(dest, "thesis.txt")); string(b) != "draft" {
				t.Error("thesis.txt lost")
			}
			if _, err := os.Stat(filepath.Join(dest, "src")); err != nil {
				t.Error("src/ lost")
			}
		})
	}
}

// Lock holds a result folder against a second locker until released.
func TestLock(t *testing.T) {
	dir := t.TempDir()
	if _, err := Lock(dir); err == nil {
		t.Fatal("locked a folder without a marker")
	}
	if err := WriteMarker(dir, "test"); err != nil {
		t.Fatal(err)
	}
	if !IsResult(dir) {
		t.Fatal("WriteMarker did not make a result folder")
	}
	l, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	var busy *BusyError
	if _, err := Lock(dir); !errors.As(err, &busy) {
		t.Errorf("second Lock: %v, want a *BusyError", err)
	}
	l.Close()
	l2, err := Lock(dir)
	if err != nil {
		t.Errorf("Lock after release: %v", err)
	}
	l2.Close()
}

// Lock waits for a holder that lets go within lockPatience, as a child
// process between fork and exec does with an inherited descriptor.
func TestLockWaitsForBriefHolder(t *testing.T) {
	dir := t.TempDir()
	if err := WriteMarker(dir, "test"); err != nil {
		t.Fatal(err)
	}
	held, err := Lock(dir)
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(lockPatience / 10)
		held.Close()
	}()
	l, err := Lock(dir)
	if err != nil {
		t.Fatalf("Lock while the holder lets go after %v: %v", lockPatience/10, err)
	}
	l.Close()
}

// WriteFile replaces a file whole, with mode 0644, leaves no temporary file
// behind, and names the path when its folder is missing.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "f.txt")
	for _, content := range []string{"first", "second, longer", ""} {
		if err := WriteFile(path, []byte(content)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != content {
			t.Fatalf("read %q, %v; want %q", got, err, content)
		}
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, %v; want 0644", fi.Mode(), err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("folder holds %d entries, want 1 (temporary file left behind?)", len(ents))
	}
	missing := filepath.Join(dir, "no", "such", "dir", "f")
	err := WriteFile(missing, nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing folder: %v, want fs.ErrNotExist naming %s", err, missing)
	}
}

// IsTemp tells WriteFile's temporary files from the files it writes.
func TestIsTemp(t *testing.T) {
	for name, want := range map[string]bool{".f.txt.tmp-123": true, ".f.act.tmp123": true, "f.txt": false, ".microstim-result": false, "a.tmp-1": false} {
		if got := IsTemp(name); got != want {
			t.Errorf("IsTemp(%q) = %t, want %t", name, got, want)
		}
	}
}
