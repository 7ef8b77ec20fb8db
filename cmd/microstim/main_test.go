package main

import (
	"encoding/json"
	"errors"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microstim/microstim/experiments"
)

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	if err := runValidate([]string{"../../configs/afraz2006.toml"}); err != nil {
		t.Errorf("shipped config: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.toml")
	os.WriteFile(bad, []byte("protocol = \"afraz2006\"\n[perturbation]\nfrequency_Hz = 5000\n"), 0o644)
	err := runValidate([]string{bad})
	if err == nil || !strings.Contains(err.Error(), "bad.toml:3") || !strings.Contains(err.Error(), "perturbation.frequency_Hz = 5000") {
		t.Errorf("bad config: %v", err)
	}
	if err := runValidate(nil); err == nil {
		t.Error("no file accepted")
	}
	// Flags after the file are flags, not a second file.
	if err := runValidate([]string{"../../configs/afraz2006.toml", "--quiet"}); err != nil {
		t.Errorf("validate FILE --quiet: %v", err)
	}
	if err := runValidate([]string{"../../configs/afraz2006.toml", "-h"}); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("validate FILE -h: %v, want the usage", err)
	}
}

func TestRunRejectsBadInvocation(t *testing.T) {
	t.Parallel()
	if err := runRun(nil); err == nil || !strings.Contains(err.Error(), "config file") {
		t.Errorf("no config: %v", err)
	}
	if err := runRun([]string{"a.toml", "b.toml"}); err == nil {
		t.Error("two configs accepted")
	}
	if err := runModel([]string{"sideways"}); err == nil || !strings.Contains(err.Error(), "sideways") {
		t.Errorf("unknown model subcommand: %v", err)
	}
}

func TestTrainRejectsMissingData(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	err := runTrain([]string{"--data", filepath.Join(dir, "nothing"), "--out", dir, "--quiet"})
	if err == nil || !strings.Contains(err.Error(), "nothing") {
		t.Errorf("missing data folder: %v", err)
	}
}

// --face-head on folders without a face class is refused, naming the flag.
func TestTrainFaceHeadNeedsFaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, cat := range []string{"cup", "ball"} {
		os.MkdirAll(filepath.Join(dir, cat), 0o755)
		for i := 0; i < 4; i++ {
			f, _ := os.Create(filepath.Join(dir, cat, string(rune('a'+i))+".png"))
			png.Encode(f, image.NewGray(image.Rect(0, 0, 80, 80)))
			f.Close()
		}
	}
	err := runTrain([]string{"--data", dir, "--face-head", "--out", t.TempDir(), "--quiet"})
	if err == nil || !strings.Contains(err.Error(), "--face-head") {
		t.Errorf("face head without face classes: %v", err)
	}
}

// bench --only runs one benchmark and writes the scorecard files and the
// benchmark's folder; an unknown name is refused with the list.
func TestBenchCommand(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a benchmark")
	}
	err := runBench([]string{"--only", "nosuch"})
	if err == nil || !strings.Contains(err.Error(), "rajalingham2019") {
		t.Errorf("unknown benchmark: %v", err)
	}
	dir := t.TempDir()
	if err := runBench([]string{"--only", "moeller2017", "--out", dir, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"scorecard.json", "scorecard.csv", "report.html", "moeller2017/summary.json", "moeller2017/report.html", "moeller2017/accuracy.png"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	js, _ := os.ReadFile(filepath.Join(dir, "scorecard.json"))
	if !strings.Contains(string(js), `"Moeller2017.experiment1-same_decrease_different_increase"`) {
		t.Errorf("scorecard.json lacks the Moeller criterion:\n%s", js)
	}
	// Moeller has no logistic readout: the calibrated scorecard reuses the run.
	cal, _ := os.ReadFile(filepath.Join(dir, "calibrated", "scorecard.json"))
	if !strings.Contains(string(cal), `"readout": "calibrated"`) || !strings.Contains(string(cal), `"dir": "../moeller2017"`) {
		t.Errorf("calibrated scorecard does not point at the shared Moeller run:\n%s", cal)
	}
}

// The calibrated scorecard reruns Afraz 2015 with C calibrated to the
// monkeys' 85.9 % control accuracy, on unperturbed trials, and says so.
func TestBenchCalibratedReadout(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a benchmark twice")
	}
	dir := t.TempDir()
	if err := runBench([]string{"--only", "afraz2015_muscimol", "--out", dir, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if cfg := read("calibrated/afraz2015_muscimol/config.resolved.toml"); !strings.Contains(cfg, `readout = "calibrated"`) {
		t.Errorf("calibrated run's resolved config:\n%s", cfg)
	}
	if cfg := read("afraz2015_muscimol/config.resolved.toml"); !strings.Contains(cfg, `readout = "fixed"`) {
		t.Errorf("fixed run's resolved config:\n%s", cfg)
	}
	if sum := read("calibrated/afraz2015_muscimol/summary.json"); !strings.Contains(sum, "readout calibrated: C = ") || !strings.Contains(sum, "monkeys' control 85.9 %") {
		t.Errorf("calibrated summary does not report the calibration:\n%s", sum)
	}
}

// Every shipped config validates.
func TestShippedConfigsValidate(t *testing.T) {
	t.Parallel()
	files, _ := filepath.Glob("../../configs/*.toml")
	if len(files) < 5 {
		t.Fatalf("%d configs found", len(files))
	}
	for _, f := range files {
		if err := runValidate([]string{f}); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// A benchmark config runs alone through microstim run.
func TestRunBenchmarkConfig(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs a benchmark")
	}
	dir := t.TempDir()
	if err := runRun([]string{"../../configs/moeller2017.toml", "--out", dir, "--quiet"}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"summary.json", "report.html", "manifest.json", "config.resolved.toml", "accuracy.png", "sites_on_sheet.svg"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestMain keeps the tests' activation cache in a temporary folder.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "microstim-cache-*")
	if err != nil {
		panic(err)
	}
	os.Setenv("MICROSTIM_CACHE_DIR", dir)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// model info --json carries the characterisation keys, with
// face_dprime_peak keyed by hemisphere and it_positions as rows, columns.
// It runs on the tiny random model: the default model's values are pinned
// in package experiments.
func TestModelInfoJSONKeys(t *testing.T) {
	t.Parallel()
	info, _, err := characterise(writeTinyModel(t, t.TempDir(), "tiny.mstw", 3), "", 1)
	if err != nil {
		t.Fatal(err)
	}
	b, err := experiments.MarshalJSONSafe(info)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"input_px", "it_positions", "hemifield_gender_decoding_accuracy", "ipsi_contra_response_ratio",
		"face_dprime_peak", "site_dprime_quantiles", "heldout_top1", "face_decoding_accuracy", "face_patches", "sites_dprime_gt1",
		"corr_near_minus_far", "rsa_monkey_it_spearman"} {
		if _, ok := got[k]; !ok {
			t.Errorf("model info JSON lacks %q", k)
		}
	}
	peak, _ := got["face_dprime_peak"].(map[string]any)
	if _, l := peak["L"]; !l || len(peak) != 2 {
		t.Errorf("face_dprime_peak = %v, want {L: …, R: …}", got["face_dprime_peak"])
	}
	if pos, _ := got["it_positions"].([]any); len(pos) != 2 {
		t.Errorf("it_positions = %v, want [rows, cols]", got["it_positions"])
	}
}

// validate builds the tasks on the stimulus set: a folder without
// identity labels cannot carry a same/different task, and a target that
// names no image cannot be detected; both are refused before any run.
func abs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestValidateChecksStimuli(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, cat := range []string{"faces", "cars"} {
		os.MkdirAll(filepath.Join(dir, "set", cat), 0o755)
		for i := 0; i < 6; i++ {
			f, _ := os.Create(filepath.Join(dir, "set", cat, string(rune('a'+i))+".png"))
			png.Encode(f, image.NewGray(image.Rect(0, 0, 8, 8)))
			f.Close()
		}
	}
	for _, tc := range []struct{ config, want string }{
		{"protocol = \"moeller2017\"\n[stimuli]\nset = \"folder\"\nfolder = \"set\"\n", "same and 0 different pairs"},
		{"protocol = \"generic\"\n[task]\nkind = \"detection\"\ntarget = \"zebra\"\ntest_images_per_class = 2\n", `detection of "zebra"`},
		{"protocol = \"generic\"\n[task]\ntarget = \"face\"\ndistractors = \"gender:male\"\n", `share 46 images`}, // the labelled males are partly outside the face-selectivity set
		// A patch rule on the α = 0 control, which has no face patch.
		{"protocol = \"generic\"\n[model]\nweights = \"" + abs(t, "../../models/control_alpha0.mstw") + "\"\n[sites]\nrule = \"face_patch_centre\"\n", "no face patch"},
	} {
		file := filepath.Join(dir, "c.toml")
		os.WriteFile(file, []byte(tc.config), 0o644)
		if err := runValidate([]string{file}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: %v; want an error naming %q", tc.config, err, tc.want)
		}
	}
}
