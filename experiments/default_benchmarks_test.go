package experiments

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// Expected scores of the benchmarks on the embedded default model with
// the shipped configs (seed 1): every criterion's model value and verdict,
// pinned in pinsFile as regression guards, so that a change that moves a
// score shows here. Each config runs alone through the same path as
// `microstim run` and writes its outputs.
func TestDefaultModelBenchmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmarks")
	}
	m, _, _, pool := defaultModelAndPool(t)
	for _, b := range Benchmarks() {
		if b.Name == "afraz2006" {
			continue // pinned, with its shifts, by TestDefaultModelAfraz2006
		}
		t.Run(b.Config, func(t *testing.T) {
			c, err := LoadConfig(filepath.Join("..", "configs", b.Config))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(c, m, pool, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Criteria()
			if len(got) != len(b.Criteria) {
				t.Fatalf("%d criteria, want the registry's %d", len(got), len(b.Criteria))
			}
			var gs []guard
			for i, cr := range got {
				if cr.ID != b.Criteria[i] {
					t.Errorf("criterion %d is %s, the registry's %s", i+1, cr.ID, b.Criteria[i])
				}
				gs = append(gs, guard{cr.ID + " model", cr.Model, 1e-9}, guard{cr.ID + " pass", b2f(cr.Pass), 0})
			}
			checkPins(t, "benchmark "+b.Config, gs)
			dir := t.TempDir()
			if err := res.Write(dir, c, Manifest{Program: "microstim", Seed: c.Seed}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"summary.json", "manifest.json", "config.resolved.toml", "report.html"} {
				if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
					t.Errorf("%s missing or empty", f)
				}
			}
			for _, fig := range b.Figures {
				for _, ext := range []string{".png", ".svg"} {
					p := filepath.Join(dir, fig.File[:len(fig.File)-4]+ext)
					if _, err := os.Stat(p); err != nil {
						t.Errorf("figure %s missing", p)
					}
				}
			}
		})
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// The same/different benchmark gives identical numbers on 1 and 2 cores.
func TestMoeller2017Deterministic(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a benchmark twice")
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	m, _, _, pool := defaultModelAndPool(t)
	c, err := LoadConfig("../configs/moeller2017.toml")
	if err != nil {
		t.Fatal(err)
	}
	c.Task.TrialsPerCond = 100
	var out [2][]byte
	for k, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		res, err := RunMoeller2017(c, m, pool, nil)
		if err != nil {
			t.Fatal(err)
		}
		if out[k], err = marshalJSON(res.Summary()); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(out[0], out[1]) {
		t.Errorf("1 core and 2 cores differ:\n%s\n%s", out[0], out[1])
	}
}
