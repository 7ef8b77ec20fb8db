package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/microstim/microstim/experiments"
	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/vision"
)

// Tests of issue 11 ("nothing lost, nothing mixed, nothing crashes"), one or
// more per reproduced case, for every command that writes a result folder:
// run, sweep, merge and model map. They run on a small random model, on
// which a run takes about a second, so that a rerun can be killed after
// every one of its steps.

// writeTinyModel saves a small random network (64-px input, 4–16
// channels) as dir/name.
func writeTinyModel(t *testing.T, dir, name string, seed uint64) string {
	t.Helper()
	m, err := vision.NewModel(vision.Arch{Input: 64, Channels: [4]int{4, 8, 8, 16}, Kernels: [4]int{3, 3, 3, 3},
		Classes: []string{"a", "Faces_easy"}}, seed)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := m.Save(path, map[string]string{"seed": strconv.FormatUint(seed, 10)}); err != nil {
		t.Fatal(err)
	}
	return path
}

// tinyDir makes a test folder holding tiny.mstw, the model the tiny
// configs below name.
func tinyDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeTinyModel(t, dir, "tiny.mstw", 3)
	return dir
}

// tinyAfraz is a two-site Afraz 2006 run on tiny.mstw (relative to the
// config's folder).
func tinyAfraz(seed int) string {
	return `protocol = "afraz2006"
seed = ` + strconv.Itoa(seed) + `
[model]
weights = "tiny.mstw"
[task]
signal_levels_pct = [-50, 0, 50]
test_images_per_class = 2
trials_per_image = 2
bootstrap_reps = 0
[sites]
rule = "explicit"
[[sites.site]]
hemisphere = "L"
x_mm = 4.0
y_mm = 1.5
[[sites.site]]
hemisphere = "R"
x_mm = 8.0
y_mm = 2.0
`
}

// tinySweep is the four-point sweep of the Slurm tests on tiny.mstw.
func tinySweep(current string) string {
	doc := strings.Replace(slurmSweep, "[task]", "[model]\nweights = \"tiny.mstw\"\n[perturbation]\ncurrent_uA = "+current+"\n[task]", 1)
	return strings.Replace(doc, "current_uA = [20, 60]\n", "targeting_error_mm = [0.0, 1.0]\n", 1)
}

// tree maps every file under dir (relative path) to its SHA-256; nil if
// dir does not exist.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	if _, err := os.Stat(dir); err != nil {
		return nil
	}
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		h := sha256.Sum256(b)
		out[rel] = hex.EncodeToString(h[:8])
		if info.Name() == resultdir.Marker && strings.HasPrefix(string(b), resultdir.MarkerTag) {
			out[rel] = "marker" // its random id differs from run to run
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	os.RemoveAll(dst)
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if info.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHelperProcess runs the command in MICROSTIM_HELPER_ARGS and kills
// itself (SIGKILL) after the MICROSTIM_KILL_AT-th file write or step of a
// result folder's commit.
func TestHelperProcess(t *testing.T) {
	js := os.Getenv("MICROSTIM_HELPER_ARGS")
	if js == "" {
		t.Skip("helper process of the kill tests")
	}
	var args []string
	json.Unmarshal([]byte(js), &args)
	at, _ := strconv.Atoi(os.Getenv("MICROSTIM_KILL_AT"))
	n := 0
	hook := func(string) {
		if n++; n == at {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
		}
	}
	resultdir.AfterStep = hook
	os.Exit(dispatch(args))
}

// runKilled runs args in a helper process killed after step n; it reports
// whether the kill happened (false: the command finished).
func runKilled(t *testing.T, n int, args ...string) bool {
	t.Helper()
	js, _ := json.Marshal(args)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), "MICROSTIM_HELPER_ARGS="+string(js), "MICROSTIM_KILL_AT="+strconv.Itoa(n))
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
			return true
		}
	}
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return false
}

// killEveryStep kills the command after step 1, 2, … until it finishes,
// calling before() ahead of each attempt and check(n) after it; it returns
// the number of steps.
func killEveryStep(t *testing.T, before func(), check func(n int), args ...string) int {
	t.Helper()
	for n := 1; n < 500; n++ {
		before()
		killed := runKilled(t, n, args...)
		check(n)
		if !killed {
			return n - 1
		}
	}
	t.Fatal("the command never finished")
	return 0
}

func oneOf(t *testing.T, n int, got map[string]string, runs ...map[string]string) {
	t.Helper()
	for _, r := range runs {
		if reflect.DeepEqual(got, r) {
			return
		}
	}
	t.Errorf("killed after step %d: the folder holds %d files that are none of the complete runs", n, len(got))
}

// Case 2 (class run): a rerun killed after any file write or commit step
// leaves the previous complete run or the new complete run, never a mix;
// a different protocol written into the folder leaves none of the old
// protocol's files.
func TestRunRerunKilledAtEveryStep(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs experiments")
	}
	dir := tinyDir(t)
	cfg := filepath.Join(dir, "exp.toml")
	refA, out := filepath.Join(dir, "refA"), filepath.Join(dir, "out")
	os.WriteFile(cfg, []byte(tinyAfraz(2)), 0o644)
	if err := runRun([]string{cfg, "--out", out, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	b := tree(t, out)
	os.WriteFile(cfg, []byte(tinyAfraz(1)), 0o644)
	if err := runRun([]string{cfg, "--out", out, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	a := tree(t, out)
	copyTree(t, out, refA)
	if reflect.DeepEqual(a, b) || len(a) < 10 {
		t.Fatalf("the two reference runs do not differ (%d files)", len(a))
	}
	os.WriteFile(cfg, []byte(tinyAfraz(2)), 0o644)
	steps := killEveryStep(t, func() { copyTree(t, refA, out) }, func(n int) { oneOf(t, n, tree(t, out), a, b) },
		"run", cfg, "--out", out, "--quiet")
	if !reflect.DeepEqual(tree(t, out), b) {
		t.Error("the unkilled rerun did not leave the new run")
	}
	if left, _ := filepath.Glob(out + ".*"); len(left) != 0 {
		t.Errorf("leftovers after a complete run: %v", left)
	}
	t.Logf("run: killed after each of %d steps", steps)

	// Another protocol into the same folder: nothing of the old one stays.
	os.WriteFile(cfg, []byte(strings.Replace(tinyAfraz(1), `protocol = "afraz2006"`, `protocol = "afraz2015"`, 1)+"[perturbation]\nkind = \"optogenetic\"\n"), 0o644)
	doc, _ := os.ReadFile(cfg)
	doc = []byte(strings.Replace(string(doc), "signal_levels_pct = [-50, 0, 50]\n", "", 1))
	doc = []byte(strings.Replace(string(doc), "bootstrap_reps = 0\n", "", 1))
	os.WriteFile(cfg, doc, 0o644)
	refC := filepath.Join(dir, "refC")
	for _, o := range []string{refC, out} {
		if err := runRun([]string{cfg, "--out", o, "--quiet"}); err != nil {
			t.Fatal(err)
		}
	}
	var got, want []string
	for f := range tree(t, out) {
		got = append(got, f)
	}
	for f := range tree(t, refC) {
		want = append(want, f)
	}
	sort.Strings(got)
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("after an afraz2015 run over an afraz2006 one the folder holds %v, want exactly the afraz2015 files %v", got, want)
	}
}

// Case 1 (class sweep): an edited config rerun into a sweep folder is
// refused, saying what differs, instead of reusing the old points; --force
// clears the folder and computes again.
func TestSweepEditedConfigRefused(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs sweeps")
	}
	dir := tinyDir(t)
	cfg, out := filepath.Join(dir, "tiny.toml"), filepath.Join(dir, "X")
	os.WriteFile(cfg, []byte(tinySweep("50")), 0o644)
	if err := runSweep([]string{cfg, "--out", out, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	before := tree(t, out)
	os.WriteFile(cfg, []byte(tinySweep("400")), 0o644)
	err := runSweep([]string{cfg, "--out", out, "--quiet"})
	var pm *experiments.PlanMismatchError
	if !errors.As(err, &pm) || !strings.Contains(err.Error(), "perturbation.current_uA: 50 → 400") || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("edited config: %v, want a plan mismatch naming current_uA 50 → 400 and --force", err)
	}
	if !reflect.DeepEqual(tree(t, out), before) {
		t.Error("the refused rerun changed the folder")
	}
	if err := runSweep([]string{cfg, "--out", out, "--quiet", "--force"}); err != nil {
		t.Fatal(err)
	}
	after := tree(t, out)
	if after["sweep.csv"] == before["sweep.csv"] {
		t.Error("--force kept the 50 µA results")
	}
	resolved, _ := os.ReadFile(filepath.Join(out, "config.resolved.toml"))
	if !strings.Contains(string(resolved), "current_uA = 400.0") {
		t.Errorf("config.resolved.toml does not say 400 µA")
	}
	// merge checks the same plan: shards of the 400 µA config do not merge
	// with the 50 µA config.
	os.WriteFile(cfg, []byte(tinySweep("50")), 0o644)
	merged := filepath.Join(dir, "merged")
	err = runMerge([]string{"--config", cfg, out, "--out", merged}) // flags after a shard folder too
	if err == nil || !strings.Contains(err.Error(), "another plan") || !strings.Contains(err.Error(), "current_uA") {
		t.Errorf("merge of another plan's folder: %v, want the differing key named", err)
	}
	if _, err := os.Stat(merged); err == nil {
		t.Error("the failed merge left its output folder")
	}
	if left, _ := filepath.Glob(merged + ".*"); len(left) != 0 {
		t.Errorf("the failed merge left %v", left)
	}
	// A sweep folder is never reused for a run result, nor the reverse.
	if err := runSweep([]string{cfg, "--out", dir, "--quiet"}); err == nil || !strings.Contains(err.Error(), "did not write") {
		t.Errorf("sweep into a folder of other files: %v", err)
	}
}

// Case 1: a stub or damaged point file does not count as done.
func TestSweepStubPointRecomputed(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs sweeps")
	}
	dir := tinyDir(t)
	cfg, out, ref := filepath.Join(dir, "tiny.toml"), filepath.Join(dir, "X"), filepath.Join(dir, "ref")
	os.WriteFile(cfg, []byte(tinySweep("50")), 0o644)
	if err := runSweep([]string{cfg, "--out", ref, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(out, "points"), 0o755)
	resultdir.WriteMarker(out, "a sweep") // a microstim folder, as a killed sweep leaves it
	b, _ := os.ReadFile(filepath.Join(ref, "plan.json"))
	os.WriteFile(filepath.Join(out, "plan.json"), b, 0o644)
	os.WriteFile(filepath.Join(out, "points", "000003.json"), []byte(`{"point":3}`), 0o644)
	var plan experiments.SweepPlan
	json.Unmarshal(b, &plan)
	for k := 0; k < 3; k++ { // points 0–2 stored whole, but point 2 of another plan
		p, _ := os.ReadFile(filepath.Join(ref, "points", "00000"+strconv.Itoa(k)+".json"))
		if k == 2 {
			p = []byte(strings.Replace(string(p), plan.PlanSHA256, strings.Repeat("0", 64), 1))
		}
		os.WriteFile(filepath.Join(out, "points", "00000"+strconv.Itoa(k)+".json"), p, 0o644)
	}
	m, sha, pool, err := loadModelAndPool(mustConfig(t, cfg), true)
	if err != nil {
		t.Fatal(err)
	}
	c, lines, _ := loadSweepConfig(cfg)
	res, err := experiments.RunSweep(c, m, pool, experiments.SweepOptions{Dir: out, Lines: lines, ModelSHA256: sha, Version: Version})
	if err != nil {
		t.Fatal(err)
	}
	if res.Computed != 2 || len(res.Discarded) != 2 || !strings.Contains(strings.Join(res.Discarded, "\n"), "000003.json") {
		t.Errorf("computed %d, discarded %q; want the stub point 3 and the other plan's point 2 computed again", res.Computed, res.Discarded)
	}
	for k := 0; k < 4; k++ {
		name := filepath.Join("points", "00000"+strconv.Itoa(k)+".json")
		if tree(t, out)[name] != tree(t, ref)[name] {
			t.Errorf("%s differs from the reference run", name)
		}
	}
}

func mustConfig(t *testing.T, file string) *experiments.Config {
	t.Helper()
	c, err := experiments.LoadConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Class sweep: a sweep killed after any point or file write leaves a folder
// marked INCOMPLETE.txt or the complete result, and the rerun finishes it
// with the same bytes as an uninterrupted run.
func TestSweepKilledAtEveryStep(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs sweeps")
	}
	dir := tinyDir(t)
	cfg, out, ref := filepath.Join(dir, "tiny.toml"), filepath.Join(dir, "X"), filepath.Join(dir, "ref")
	os.WriteFile(cfg, []byte(tinySweep("50")), 0o644)
	if err := runSweep([]string{cfg, "--out", ref, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	want := tree(t, ref)
	if _, ok := want[experiments.IncompleteMarker]; ok {
		t.Fatal("a complete sweep is marked incomplete")
	}
	steps := killEveryStep(t, func() { os.RemoveAll(out) }, func(n int) {
		got := tree(t, out)
		if _, marked := got[experiments.IncompleteMarker]; !marked && got != nil && !reflect.DeepEqual(got, want) {
			t.Errorf("killed after step %d: the folder is neither marked incomplete nor the complete sweep", n)
		}
		if err := runSweep([]string{cfg, "--out", out, "--quiet"}); err != nil {
			t.Fatalf("resume after a kill at step %d: %v", n, err)
		}
		if got := tree(t, out); !reflect.DeepEqual(got, want) {
			t.Errorf("killed after step %d and resumed: the folder differs from the uninterrupted sweep", n)
		}
	}, "sweep", cfg, "--out", out, "--quiet")
	t.Logf("sweep: killed after each of %d steps", steps)
}

// Class merge: a merge killed at any step leaves the previous merged result
// or the new one.
func TestMergeKilledAtEveryStep(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs sweeps")
	}
	dir := tinyDir(t)
	cfg, out := filepath.Join(dir, "tiny.toml"), filepath.Join(dir, "merged")
	shards := func(current, name string) []string {
		os.WriteFile(cfg, []byte(tinySweep(current)), 0o644)
		var dirs []string
		for i := 1; i <= 2; i++ {
			d := filepath.Join(dir, name+strconv.Itoa(i))
			if err := runSweep([]string{cfg, "--out", d, "--shard", strconv.Itoa(i) + "/2", "--quiet"}); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(filepath.Join(d, experiments.IncompleteMarker)); err == nil {
				t.Error("a finished shard is marked incomplete")
			}
			dirs = append(dirs, d)
		}
		return dirs
	}
	b := shards("400", "b")
	if err := runMerge(append([]string{"--config", cfg, "--out", out}, b...)); err != nil {
		t.Fatal(err)
	}
	tb := tree(t, out)
	a := shards("50", "a")
	if err := runMerge(append([]string{"--config", cfg, "--out", out}, a...)); err != nil {
		t.Fatal(err)
	}
	ta := tree(t, out)
	copyTree(t, out, filepath.Join(dir, "refA"))
	os.WriteFile(cfg, []byte(tinySweep("400")), 0o644)
	steps := killEveryStep(t, func() { copyTree(t, filepath.Join(dir, "refA"), out) }, func(n int) { oneOf(t, n, tree(t, out), ta, tb) },
		append([]string{"merge", "--config", cfg, "--out", out}, b...)...)
	t.Logf("merge: killed after each of %d steps", steps)
}

// Case 4 (class model map): a failing model map writes nothing — before,
// "--compare truncated.mstw" wrote three files, then failed — and a killed
// one leaves the previous maps or the new ones.
func TestModelMapAtomic(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("characterises models")
	}
	dir := t.TempDir()
	w1, w2 := writeTinyModel(t, dir, "a.mstw", 3), writeTinyModel(t, dir, "b.mstw", 4)
	good, _ := os.ReadFile(w1)
	bad := filepath.Join(dir, "truncated.mstw")
	os.WriteFile(bad, good[:len(good)/2], 0o644)
	out := filepath.Join(dir, "maps", "new")
	err := runModelMap([]string{"--weights", w1, "--compare", bad, "--out", out})
	if err == nil || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("truncated compare model: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "maps")); err == nil {
		t.Error("the failed model map left a folder behind")
	}
	refA := filepath.Join(dir, "refA")
	if err := runModelMap([]string{"--weights", w2, "--out", out}); err != nil {
		t.Fatal(err)
	}
	tb := tree(t, out)
	if err := runModelMap([]string{"--weights", w1, "--out", out}); err != nil {
		t.Fatal(err)
	}
	ta := tree(t, out)
	copyTree(t, out, refA)
	steps := killEveryStep(t, func() { copyTree(t, refA, out) }, func(n int) { oneOf(t, n, tree(t, out), ta, tb) },
		"model", "map", "--weights", w2, "--out", out)
	t.Logf("model map: killed after each of %d steps", steps)
}

// Case 4 (class run, sweep, merge): a results folder that cannot be written
// is refused before any work, with an error naming the folder (not a
// temporary file), and failing commands leave no folder behind.
func TestUnwritableOutFoundFirst(t *testing.T) {
	t.Parallel()
	dir := tinyDir(t)
	cfg, sweepCfg := filepath.Join(dir, "exp.toml"), filepath.Join(dir, "tiny.toml")
	os.WriteFile(cfg, []byte(tinyAfraz(1)), 0o644)
	os.WriteFile(sweepCfg, []byte(tinySweep("50")), 0o644)
	file := filepath.Join(dir, "plain-file")
	os.WriteFile(file, []byte("x"), 0o644)
	bad := []string{filepath.Join(file, "out")}
	ro := filepath.Join(dir, "ro")
	os.Mkdir(ro, 0o755)
	if exec.Command("mount", "-t", "tmpfs", "-o", "ro", "tmpfs", ro).Run() == nil {
		defer exec.Command("umount", ro).Run()
		bad = append(bad, ro, filepath.Join(ro, "run1"))
	} else {
		t.Log("no read-only mount here (needs root): checking an output under a plain file only")
	}
	for _, out := range bad {
		for _, args := range [][]string{
			{"run", cfg, "--out", out, "--quiet"},
			{"sweep", sweepCfg, "--out", out, "--quiet"},
			{"merge", "--config", sweepCfg, "--out", out, dir},
			{"model", "map", "--out", out},
			{"bench", "--out", out, "--quiet"},
		} {
			err := runArgs(args)
			var re *resultdir.Error
			if !errors.As(err, &re) || !strings.Contains(err.Error(), out) || strings.Contains(err.Error(), ".tmp") {
				t.Errorf("%v: %v; want a results-folder error naming %s", args, err, out)
			}
		}
	}
	// A run that fails after its folder was prepared leaves nothing: the
	// tiny random model has no face patch for this site rule.
	os.WriteFile(cfg, []byte(strings.Replace(tinyAfraz(1), `rule = "explicit"`, `rule = "face_patch_centre"`, 1)), 0o644)
	out := filepath.Join(dir, "results", "deep", "x")
	err := runRun([]string{cfg, "--out", out, "--quiet"})
	if err == nil {
		t.Skip("the tiny model has a face patch: no failing run to test")
	}
	if !errors.Is(err, experiments.ErrNoFacePatch) {
		t.Errorf("run error %v; want one wrapping experiments.ErrNoFacePatch", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "results")); err == nil {
		t.Error("a failed run left its folders behind")
	}
}

// runArgs runs one command by name, as main does.
func runArgs(args []string) error {
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(args[1:])
		}
	}
	return errors.New("no command " + args[0])
}

// Case 8: every command answers -h with its usage and exit status 0.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	for _, c := range commands {
		if got := dispatch([]string{c.name, "-h"}); got != 0 {
			t.Errorf("microstim %s -h: exit %d, want 0", c.name, got)
		}
	}
	for _, sub := range [][]string{{"model", "info", "-h"}, {"model", "map", "-h"}, {"run", "x.toml", "-h"}} {
		if got := dispatch(sub); got != 0 {
			t.Errorf("microstim %s: exit %d, want 0", strings.Join(sub, " "), got)
		}
	}
	if got := dispatch([]string{"nosuch"}); got != 2 {
		t.Errorf("unknown command: exit %d, want 2", got)
	}
}
