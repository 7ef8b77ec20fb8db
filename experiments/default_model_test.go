package experiments

import (
	"fmt"
	"os"
	"testing"

	"github.com/microstim/microstim/actcache"
	"github.com/microstim/microstim/experiments/modelinfo"
	"github.com/microstim/microstim/vision"
)

// defaultModelAndPool loads the embedded default model (with its metadata
// and SHA-256) and the shipped stimulus pool.
func defaultModelAndPool(tb testing.TB) (*vision.Model, map[string]string, string, []vision.Stimulus) {
	tb.Helper()
	m, meta, sha, err := vision.Default()
	if err != nil {
		tb.Fatal(err)
	}
	if testCache != nil {
		m.UseStore(testCache, sha)
	}
	pool, err := vision.Stimuli()
	if err != nil {
		tb.Fatal(err)
	}
	return m, meta, sha, vision.AtSide(pool, m.Arch.Input)
}

// testCache is an activation cache in a temporary folder that the tests of
// this package share (the network's responses to one image set are
// computed once per test run, as a warm microstim run reuses them).
var testCache *actcache.Cache

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "microstim-test-cache-*")
	if err == nil {
		testCache, err = actcache.Open(dir, 0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "no test activation cache:", err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Expected scores of the embedded default model: the thresholds of the
// model issue (issue 25) that it meets, and every reported number pinned so
// that a change that moves one is seen in review. The default (model v3, run
// B) misses three, reported as findings in README.md and docs/model_v3.md
// and pinned with the rest: hemifield gender decoding 0.849 (≥ 0.85), the
// right hemisphere's smoothed face-d′ peak 1.26 (≥ 1.5) and near − far 0.177
// (≥ 0.2).
func TestDefaultModelCharacterisation(t *testing.T) {
	if testing.Short() {
		t.Skip("characterises the default model")
	}
	m, meta, sha, pool := defaultModelAndPool(t)
	info, err := modelinfo.Characterise(m, sha, meta, pool, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		ok   bool
		got  float64
	}{
		{"held-out top-1 ≥ 0.80", info.HeldoutTop1 >= 0.80, info.HeldoutTop1},
		{"face decoding ≥ 0.97", info.FaceDecodingAccuracy >= 0.97, info.FaceDecodingAccuracy},
		{"ipsi/contra response ≤ 0.30", info.IpsiContraRatio <= 0.30, info.IpsiContraRatio},
		{"IT units with face d′ > 1 ≥ 5 %", info.FaceSelectiveFraction >= 0.05, info.FaceSelectiveFraction},
		{"RSA with monkey IT ≥ 0.40", info.RSAMonkeyITSpearman >= 0.40, info.RSAMonkeyITSpearman},
		{"Afraz sites with d′ ≥ 1 ≥ 31 (the experiment needs 31)", info.SitesDPrimeGT1 >= 31, float64(info.SitesDPrimeGT1)},
	} {
		if !c.ok {
			t.Errorf("%s: %.4g", c.name, c.got)
		}
	}
	for h, name := range []string{"L", "R"} {
		ok := false
		for _, p := range info.FacePatches {
			if p.Hemisphere == name && p.Area_mm2 >= 1 && p.Area_mm2 <= 30 {
				ok = true
			}
		}
		if !ok {
			t.Errorf("no face patch of 1–30 mm² above the null in hemisphere %s (null p95 %.3f)", name, info.NullThreshold[h])
		}
	}
	checkPins(t, "characterisation", characterisationGuards(info))
}

// characterisationGuards are the characterisation numbers pinned in
// pinsFile.
func characterisationGuards(info *modelinfo.ModelInfo) []guard {
	const tol = 1e-6
	var patchL, patchR float64
	for _, p := range info.FacePatches {
		if p.Hemisphere == "L" && patchL == 0 {
			patchL = p.Area_mm2
		}
		if p.Hemisphere == "R" && patchR == 0 {
			patchR = p.Area_mm2
		}
	}
	return []guard{
		{"heldout_top1", info.HeldoutTop1, tol},
		{"face_decoding_accuracy", info.FaceDecodingAccuracy, tol},
		{"face_selective_fraction", info.FaceSelectiveFraction, tol},
		{"max_smoothed_dprime L", info.MaxSmoothedDPrime[0], tol},
		{"max_smoothed_dprime R", info.MaxSmoothedDPrime[1], tol},
		{"largest patch L (mm²)", patchL, tol},
		{"largest patch R (mm²)", patchR, tol},
		{"sites_dprime_gt1", float64(info.SitesDPrimeGT1), 0},
		{"max_site_dprime", info.MaxSiteDPrime, tol},
		{"corr_near_minus_far", info.CorrNearMinusFar, tol},
		{"rsa_monkey_it_spearman", info.RSAMonkeyITSpearman, tol},
		{"input_px", float64(info.InputPx), 0},
		{"it_positions rows", float64(info.ITPositions[0]), 0},
		{"it_positions cols", float64(info.ITPositions[1]), 0},
		{"hemifield_gender_decoding_accuracy", info.HemifieldGender, tol},
		{"ipsi_contra_response_ratio", info.IpsiContraRatio, tol},
		{"face_dprime_peak L", info.FaceDPrimePeak["L"], tol},
		{"face_dprime_peak R", info.FaceDPrimePeak["R"], tol},
		{"site_dprime median", info.SiteDPrimeQuantiles["median"], tol},
		{"max_channel_dprime", info.MaxChannelDPrime, tol},
		{"body_selective_fraction", info.BodySelectiveFraction, tol},
		{"body_dprime_peak L", info.BodyDPrimePeak["L"], tol},
		{"body_dprime_peak R", info.BodyDPrimePeak["R"], tol},
	}
}

// Expected score of the Afraz 2006 benchmark on the default model with the
// shipped config: regression guards, the numbers reported in the closing
// note of the run issue (re-pinned for the SIMD matrix product of package
// gemm: r moved by −1.1e-9 and p by +5.0e-10).
func TestDefaultModelAfraz2006(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the Afraz 2006 benchmark")
	}
	c, err := LoadConfig("../configs/afraz2006.toml")
	if err != nil {
		t.Fatal(err)
	}
	m, _, _, pool := defaultModelAndPool(t)
	res, err := RunAfraz2006(c, m, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Score()
	checkPins(t, "afraz2006", []guard{
		{"r_shift_dprime", s.RShiftDPrime, 1e-9},
		{"p_shift_dprime", s.PShiftDPrime, 1e-12},
		{"mean_shift_face_sites_pct", s.MeanShiftFace_pct, 1e-7},
		{"mean_shift_other_sites_pct", s.MeanShiftOther_pct, 1e-7},
		{"n_face_sites", float64(s.NFaceSites), 0},
		{"monkey_r_shift_dprime", s.MonkeyR, 1e-9},
		{"pass", b2f(s.Pass), 0},
	})
}
