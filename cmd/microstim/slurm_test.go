package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const slurmSweep = `protocol = "hardware"
seed = 2
[task]
signal_levels_pct = [-60, 0, 60]
test_images_per_class = 4
trials_per_image = 2
bootstrap_reps = 20
[device]
type = "grid"
n_electrodes = 4
[placement]
target = "explicit"
hemisphere = "R"
x_mm = 5.0
y_mm = 5.0
n_placements = 2
n_seeds = 1
[sweep]
pitch_um = [200, 800]
current_uA = [20, 60]
`

// slurmReady reports whether a Slurm controller answers and has an idle
// node (.ci/slurm-up starts one on localhost).
func slurmReady() bool {
	if _, err := exec.LookPath("sbatch"); err != nil {
		return false
	}
	out, err := exec.Command("sinfo", "-h", "-o", "%t").Output()
	return err == nil && strings.Contains(string(out), "idle")
}

// A small sweep submitted to a real Slurm cluster as a job array, then
// merged, gives the same files as the unsharded run.
func TestSlurmIntegration(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("submits jobs")
	}
	if !slurmReady() {
		t.Skip("no Slurm cluster answering (start one with .ci/slurm-up, as .ci/run does)")
	}
	dir := filepath.Join(t.TempDir(), "sp ace") // paths with spaces reach the job intact (issue 11, case 9)
	os.Mkdir(dir, 0o755)
	bin := buildBinary(t, dir)
	cfg := filepath.Join(dir, "sweep.toml")
	os.WriteFile(cfg, []byte(slurmSweep), 0o644)
	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, args[0], args[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	single := filepath.Join(dir, "single")
	run(bin, "sweep", cfg, "--out", single, "--quiet")
	shards := filepath.Join(dir, "shards")
	script := filepath.Join(dir, "sweep.sbatch")
	run(bin, "slurm", cfg, "--shards", "2", "--cpus", "1", "--out", shards, "--script", script, "--binary", bin, "--time", "00:20:00")
	run("sbatch", "--wait", script)
	run("bash", "-c", mergeLine(t, script)) // the merge command exactly as the script's header prints it
	merged := filepath.Join(shards, "merged")
	for _, f := range []string{"sweep.csv", "summary.json", "report.html", "pareto.png", "heatmap_shift.png", "dose_response_control.svg"} {
		a, err1 := os.ReadFile(filepath.Join(single, f))
		b, err2 := os.ReadFile(filepath.Join(merged, f))
		if err1 != nil || err2 != nil || !bytes.Equal(a, b) {
			t.Errorf("%s: merged shards differ from the unsharded run (%v, %v)", f, err1, err2)
		}
	}
	for i := 1; i <= 2; i++ {
		pts, _ := filepath.Glob(filepath.Join(shards, "shard_"+string(rune('0'+i)), "points", "*.json"))
		if len(pts) != 2 {
			t.Errorf("shard %d holds %d points, want 2", i, len(pts))
		}
	}
}

// buildBinary builds microstim into dir.
func buildBinary(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "microstim")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	return bin
}

// mergeLine is the merge command of a Slurm script's header.
func mergeLine(t *testing.T, script string) string {
	t.Helper()
	b, _ := os.ReadFile(script)
	for _, l := range strings.Split(string(b), "\n") {
		if cmd, ok := strings.CutPrefix(l, "# Then:"); ok {
			return strings.TrimSpace(cmd)
		}
	}
	t.Fatalf("no merge command in the header of %s:\n%s", script, b)
	return ""
}

// The merge command the script's header prints works as printed: run with
// shard folders standing in for the jobs', it merges them.
func TestSlurmMergeLineRuns(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	dir := filepath.Join(t.TempDir(), "sp ace")
	os.Mkdir(dir, 0o755)
	bin := buildBinary(t, dir)
	cfg := filepath.Join(dir, "sweep.toml")
	os.WriteFile(cfg, []byte(slurmSweep), 0o644)
	out := filepath.Join(dir, "o")
	script := filepath.Join(dir, "s.sbatch")
	if b, err := exec.Command(bin, "slurm", cfg, "--shards", "2", "--out", out, "--script", script, "--binary", bin).CombinedOutput(); err != nil {
		t.Fatalf("slurm: %v\n%s", err, b)
	}
	for i := 1; i <= 2; i++ { // what the array's jobs run
		cmd := exec.Command("bash", script)
		cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID="+strconv.Itoa(i))
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("job %d: %v\n%s", i, err, b)
		}
	}
	os.WriteFile(filepath.Join(out, "slurm-1_1.log"), []byte("log"), 0o644) // Slurm's logs sit beside the shards
	if b, err := exec.Command("bash", "-c", mergeLine(t, script)).CombinedOutput(); err != nil {
		t.Fatalf("the header's merge command: %v\n%s", err, b)
	}
	if _, err := os.Stat(filepath.Join(out, "merged", "sweep.csv")); err != nil {
		t.Errorf("no merged sweep.csv: %v", err)
	}
	// The script is not rewritten without --force, and never over the config.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--script", script}, "--force"},
		{[]string{"--script", cfg, "--force"}, "config file itself"},
	} {
		b, err := exec.Command(bin, append([]string{"slurm", cfg, "--shards", "2", "--out", out}, tc.args...)...).CombinedOutput()
		if err == nil || !strings.Contains(string(b), tc.want) {
			t.Errorf("slurm %q: %v\n%s, want a refusal about %s", tc.args, err, b, tc.want)
		}
	}
	if b, _ := os.ReadFile(cfg); string(b) != slurmSweep {
		t.Error("the config was overwritten")
	}
}

func TestSlurmScriptAndShardFlag(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "sweep.toml")
	os.WriteFile(cfg, []byte(slurmSweep), 0o644)
	script := filepath.Join(dir, "s.sbatch")
	if err := runSlurm([]string{cfg, "--shards", "3", "--out", filepath.Join(dir, "o"), "--script", script, "--binary", "/opt/microstim"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(script)
	for _, want := range []string{"#SBATCH --array=1-3", `--shard "${SLURM_ARRAY_TASK_ID}/3"`, "'/opt/microstim' merge --config '" + cfg + "'", "shard_3"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("script lacks %q:\n%s", want, b)
		}
	}
	for _, bad := range []string{"0/2", "3/2", "x", "1/0"} {
		if _, err := parseShard(bad); err == nil {
			t.Errorf("--shard %q accepted", bad)
		}
	}
	if s, err := parseShard("2/5"); err != nil || s != [2]int{2, 5} {
		t.Errorf("2/5: %v %v", s, err)
	}
}

// A sweep killed (SIGKILL) midway and run again finishes without
// recomputing the points it had stored.
func TestSweepKillAndResume(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a sweep")
	}
	dir := t.TempDir()
	bin := buildBinary(t, dir)
	cfg := filepath.Join(dir, "sweep.toml")
	doc := strings.Replace(slurmSweep, "current_uA = [20, 60]", "current_uA = [20, 30, 40, 50, 60, 70]", 1)
	doc = strings.Replace(doc, "n_placements = 2", "n_placements = 40", 1) // about 1 s per point: time to kill midway
	os.WriteFile(cfg, []byte(doc), 0o644)
	out := filepath.Join(dir, "out")
	cmd := exec.Command(bin, "sweep", cfg, "--out", out, "--quiet")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Minute)
	var stored []string
	for time.Now().Before(deadline) {
		stored, _ = filepath.Glob(filepath.Join(out, "points", "*.json"))
		if len(stored) >= 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	stored, _ = filepath.Glob(filepath.Join(out, "points", "*.json"))
	if len(stored) == 0 || len(stored) >= 12 {
		t.Fatalf("%d of 12 points stored when the sweep was killed", len(stored))
	}
	t.Logf("killed with %d of 12 points stored", len(stored))
	before := map[string][]byte{}
	for _, f := range stored {
		before[f], _ = os.ReadFile(f)
	}
	b, err := exec.Command(bin, "sweep", cfg, "--out", out, "--quiet").CombinedOutput()
	if err != nil {
		t.Fatalf("rerun: %v\n%s", err, b)
	}
	want := "12 points (" + strconv.Itoa(12-len(stored)) + " computed now)"
	if !strings.Contains(string(b), want) {
		t.Errorf("rerun output lacks %q:\n%s", want, b)
	}
	for f, data := range before {
		now, _ := os.ReadFile(f)
		if !bytes.Equal(now, data) {
			t.Errorf("%s was rewritten by the rerun", f)
		}
	}
}

// Case 9 of issue 11: every value in the script is quoted, so a path with
// spaces or quotes reaches the command intact, and flag values that could
// inject a line are refused.
func TestSlurmScriptQuoting(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "sp ace", "it's")
	os.MkdirAll(dir, 0o755)
	cfg := filepath.Join(dir, "t.toml")
	os.WriteFile(cfg, []byte(slurmSweep), 0o644)
	// A stand-in binary that records its arguments, one per line.
	stub := filepath.Join(dir, "micro stim")
	argsFile := filepath.Join(dir, "args.txt")
	os.WriteFile(stub, []byte("#!/bin/bash\nprintf '%s\\n' \"$@\" > \"$(dirname \"$0\")/args.txt\"\n"), 0o755)
	out := filepath.Join(dir, "o u t")
	script := filepath.Join(dir, "s.sbatch")
	if err := runSlurm([]string{cfg, "--shards", "2", "--out", out, "--script", script, "--binary", stub, "--time", "1-02:00:00"}); err != nil {
		t.Fatal(err)
	}
	if b, err := exec.Command("bash", "-n", script).CombinedOutput(); err != nil {
		t.Fatalf("bash -n: %v\n%s", err, b)
	}
	b, _ := os.ReadFile(script)
	if !strings.Contains(string(b), `#SBATCH --output="`+out+`/slurm-%A_%a.log"`) {
		t.Errorf("the #SBATCH output path is not quoted:\n%s", b)
	}
	cmd := exec.Command("bash", script)
	cmd.Env = append(os.Environ(), "SLURM_ARRAY_TASK_ID=2")
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("running the script: %v\n%s", err, o)
	}
	got, _ := os.ReadFile(argsFile)
	want := strings.Join([]string{"sweep", cfg, "--shard", "2/2", "--out", out + "/shard_2", "--quiet"}, "\n") + "\n"
	if string(got) != want {
		t.Errorf("the job ran with arguments\n%s\nwant\n%s", got, want)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--time", "01:00:00\necho INJECTED"}, "--time"},
		{[]string{"--time", "soon"}, "--time"},
		{[]string{"--cpus", "0"}, "--cpus"},
		{[]string{"--shards", "0"}, "--shards"},
		{[]string{"--shards", "5"}, "at most one shard per point"},
		{[]string{"--out", dir + "/x\ny"}, "line breaks"},
		{[]string{"--binary", `/opt/"micro"`}, "double quotes"},
	} {
		err := runSlurm(append([]string{cfg, "--script", filepath.Join(dir, "bad.sbatch")}, tc.args...))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v, want an error about %s", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "bad.sbatch")); err == nil {
		t.Error("a refused call wrote its script")
	}
}
