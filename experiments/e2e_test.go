package experiments

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/microstim/microstim/vision"
)

// An end-to-end run of a small Afraz config on an untrained model writes
// every output, and gives identical numbers on 1 and 2 cores.
func TestAfraz2006EndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end run")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	dir := t.TempDir()
	m, err := vision.NewModel(vision.DefaultArch([]string{"a", "b", "Faces_easy"}), 7)
	if err != nil {
		t.Fatal(err)
	}
	weights := filepath.Join(dir, "m.mstw")
	if err := m.Save(weights, nil); err != nil {
		t.Fatal(err)
	}
	doc := `protocol = "afraz2006"
seed = 5
[model]
weights = "` + weights + `"
[task]
signal_levels_pct = [-60, -20, 0, 20, 60]
test_images_per_class = 6
trials_per_image = 4
bootstrap_reps = 20
[sites]
n_selective = 3
n_other = 4
`
	cfgPath := filepath.Join(dir, "small.toml")
	os.WriteFile(cfgPath, []byte(doc), 0o644)
	c, err := LoadConfig(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := vision.Stimuli()
	pool = vision.AtSide(pool, 64) // at the small test network's input
	if err != nil {
		t.Fatal(err)
	}
	var summaries [2][]byte
	for k, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		model, _, sha, err := vision.Load(weights)
		if err != nil {
			t.Fatal(err)
		}
		res, err := RunAfraz2006(c, model, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Sites) == 0 || len(res.Sites) > 7 || len(res.Sensitivity) != 10 {
			t.Fatalf("%d sites, %d sensitivity rows", len(res.Sites), len(res.Sensitivity))
		}
		out := filepath.Join(dir, "out", string(rune('a'+k)))
		os.MkdirAll(out, 0o755)
		man := Manifest{Program: "microstim", ConfigFile: cfgPath, ConfigSHA256: c.ConfigHash(), ModelSHA256: sha, Seed: c.Seed}
		if err := WriteAfraz2006(out, c, res, man); err != nil {
			t.Fatal(err)
		}
		if err := Afraz2006Figures(out, c, res, model); err != nil {
			t.Fatal(err)
		}
		if err := Afraz2006Report(out, c, res, man); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"summary.json", "sites.csv", "config.resolved.toml", "manifest.json", "report.html",
			"shift_vs_dprime.png", "shift_vs_dprime.svg", "psychometric_examples.png", "sites_on_sheet.svg", "sensitivity.png"} {
			if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
				t.Errorf("missing output %s", f)
			}
		}
		summaries[k], _ = os.ReadFile(filepath.Join(out, "summary.json"))
		var s map[string]any
		if err := json.Unmarshal(summaries[k], &s); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"r_shift_dprime", "p_shift_dprime", "mean_shift_face_sites_pct", "mean_shift_other_sites_pct", "monkey_r_shift_dprime", "pass"} {
			if _, ok := s[key]; !ok {
				t.Errorf("summary.json lacks %s", key)
			}
		}
		// the resolved config reproduces the run's config
		rc, err := LoadConfig(filepath.Join(out, "config.resolved.toml"))
		if err != nil || rc.ConfigHash() != c.ConfigHash() {
			t.Errorf("resolved config: %v", err)
		}
	}
	if !bytes.Equal(summaries[0], summaries[1]) {
		t.Error("summary.json differs between 1 and 2 cores")
	}
}
