package experiments

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// pin is a criterion's expected outcome on the default model.
type pin struct {
	model float64
	pass  bool
}

// Expected scores of the benchmarks on the embedded default model with
// the shipped configs (seed 1), as reported in the benchmark issue's
// closing note: regression guards, so that a change that moves a score
// shows here. Re-pinned for the SIMD matrix product of package gemm, which
// rounds differently (fused multiply-add): Afraz 2015 optogenetic r moved
// by −1.7e-9; Rajalingham 2019 global Δd′ by −2.8e-5, lateral difference
// by +5.6e-5 and spatial r by +2.3e-4 (choices are drawn from the
// readout's probabilities, so a last-bit change can flip a trial); every
// verdict is unchanged. Each config runs
// alone through the same path as `microstim run` and writes its outputs.
func TestDefaultModelBenchmarks(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the benchmarks")
	}
	m, _, _, pool := defaultModelAndPool(t)
	for _, tc := range []struct {
		config string
		want   map[string]pin
	}{
		{"afraz2015_optogenetics.toml", map[string]pin{
			"Afraz2015.optogenetics-contra_accuracy_significant": {-1.0784313725490184, false},
			"Afraz2015.optogenetics-ipsi_accuracy_insignificant": {-0.9068627450980395, true},
			"Afraz2015.optogenetics-delta_accuracy_correlated":   {0.024286264269900153, false},
		}},
		{"afraz2015_muscimol.toml", map[string]pin{
			"Afraz2015.muscimol-delta_accuracy_significant": {-0.5555555555555559, false},
		}},
		{"moeller2017.toml", map[string]pin{
			"Moeller2017.experiment1-same_decrease_different_increase": {-50.39999999999999, true},
		}},
		{"rajalingham2019.toml", map[string]pin{
			"Rajalingham2019-global_deficits_significant":     {-0.03376619386006008, true},
			"Rajalingham2019-lateral_deficit_difference":      {-0.022786497215295416, false},
			"Rajalingham2019-spatial_correlation_significant": {0.038723636017082494, false},
		}},
	} {
		t.Run(tc.config, func(t *testing.T) {
			c, err := LoadConfig(filepath.Join("..", "configs", tc.config))
			if err != nil {
				t.Fatal(err)
			}
			res, err := Run(c, m, pool, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Criteria()
			if len(got) != len(tc.want) {
				t.Fatalf("%d criteria, want %d", len(got), len(tc.want))
			}
			for _, cr := range got {
				w, ok := tc.want[cr.ID]
				if !ok {
					t.Errorf("unexpected criterion %s", cr.ID)
					continue
				}
				if cr.Pass != w.pass || !(abs(cr.Model-w.model) <= 1e-9) {
					t.Errorf("%s: model %v (pass %v), want %v (pass %v); %s", cr.ID, cr.Model, cr.Pass, w.model, w.pass, cr.Verdict)
				}
			}
			dir := t.TempDir()
			if err := res.Write(dir, c, Manifest{Program: "microstim", Seed: c.Seed}); err != nil {
				t.Fatal(err)
			}
			for _, f := range []string{"summary.json", "manifest.json", "config.resolved.toml", "report.html"} {
				if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
					t.Errorf("%s missing or empty", f)
				}
			}
			name := tc.config[:len(tc.config)-len(".toml")]
			for _, fig := range FiguresOf(name) {
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
