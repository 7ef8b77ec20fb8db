package experiments

import (
	"fmt"
	"github.com/microstim/microstim/stats"
	"io"
	"maps"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

func init() {
	Protocols["afraz2006"] = Protocol{
		Name: "afraz2006",
		Citation: "Afraz S.-R., Kiani R., Esteky H. (2006). Microstimulation of inferotemporal cortex influences face " +
			"categorization. Nature 442:692–695.",
		Defaults: afraz2006Defaults,
		Validate: validateAfraz2006Task,
		Run: func(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress, log io.Writer) (Outcome, error) {
			return RunAfraz2006(c, m, pool, progress, log)
		},
	}
}

// afraz2006Defaults follows docs/references.md#afraz2006: signal levels ±15–80 %
// and 0, 16 face and 16 non-face test images per level, 50 µA at 200 Hz
// (0.2 ms per phase, 50 ms trains), 31 sites with neighbourhood d′ > 1 and 55
// others, selectivity within 0.5 mm, and Brain-Score's readout C = 1e-3.
func afraz2006Defaults() Config {
	return Config{
		Protocol: "afraz2006", Seed: 1,
		Stimuli: StimuliConfig{Set: "embedded"},
		Task: TaskConfig{SignalLevels_pct: []float64{-80, -50, -40, -25, -15, 0, 15, 25, 40, 50, 80},
			TestImages: 16, TrialsPerImage: 10, DecoderC: 1e-3, Lapse: 0, BootstrapReps: 500, Readout: ReadoutFixed},
		Perturbation: PerturbationConfig{Kind: "microstim", Stage: "IT", SpreadLaw: "exp_kumaravelu2022",
			Current_uA: 50, Frequency_Hz: 200, PulseWidth_us: 200, Train_ms: 50, GainMode: "multiplicative",
			Expression: 1, OptoMode: "suppression"},
		Sites: SitesConfig{Rule: "dprime_split", NSelective: 31, NOther: 55, DPrimeThreshold: 1, Radius_mm: 0.5,
			Grid_mm: 0.5, Hemisphere: "both"},
		Compare: CompareConfig{Data: "afraz2006"},
	}
}

// AddNoise returns a copy of img in which a fraction 1 − |signal|/100 of the
// pixels, chosen without replacement, take uniformly distributed grey values
// (Afraz et al. 2006; signal 0 is pure noise, ±100 the intact image).
func AddNoise(img *vision.Gray, signal_pct float64, r *rand.Rand) *vision.Gray {
	out := &vision.Gray{W: img.W, H: img.H, Pix: append([]float32(nil), img.Pix...)}
	n := len(out.Pix)
	k := int(math.Round((1 - math.Abs(signal_pct)/100) * float64(n)))
	for _, i := range r.Perm(n)[:k] {
		out.Pix[i] = r.Float32()
	}
	return out
}

// TaskItem is one test image at one signal level.
type TaskItem struct {
	Level  float64 // % signal: + face source, − non-face source, 0 pure noise
	Face   bool    // source category
	Source string  // stimulus file
	Img    *vision.Gray
}

// SelectedSite is a stimulation site with its neighbourhood d′.
type SelectedSite struct {
	topography.Site
	Selective bool
}

// SelectSites draws up to nSel sites with d′ > thr and nOther with d′ ≤ thr
// from candidates, in a seeded random order. It returns fewer selective
// sites when the model has fewer; the criterion is never relaxed.
func SelectSites(candidates []topography.Site, nSel, nOther int, thr float64, hemi string, seed uint64) []SelectedSite {
	r := rand.New(rand.NewPCG(seed, 0x73697465))
	order := r.Perm(len(candidates))
	var sel, other []SelectedSite
	for _, i := range order {
		c := candidates[i]
		if hemi != "both" && c.Hemi.String() != hemi {
			continue
		}
		if c.DPrime > thr && len(sel) < nSel {
			sel = append(sel, SelectedSite{c, true})
		} else if c.DPrime <= thr && len(other) < nOther {
			other = append(other, SelectedSite{c, false})
		}
	}
	return append(sel, other...)
}

// SiteResult is one site's outcome.
type SiteResult struct {
	SelectedSite
	Shift_pct float64
	CILo      float64
	CIHi      float64
	Control   sim.Psychometric
	Stim      sim.Psychometric
	KControl  []int // "face" choices per level, control
	KStim     []int // "face" choices per level, stimulated
}

// SensitivityRow is the analysis repeated with another readout or gain.
type SensitivityRow struct {
	DecoderC      float64 `json:"decoder_C"`
	GainCap       float64 `json:"gain_cap"` // 0 = none
	R             float64 `json:"r_shift_dprime"`
	P             float64 `json:"p_shift_dprime"`
	MeanFace_pct  float64 `json:"mean_shift_face_sites_pct"`
	MeanOther_pct float64 `json:"mean_shift_other_sites_pct"`
	Configured    bool    `json:"configured"`
}

// Afraz2006Result is the outcome of the protocol.
type Afraz2006Result struct {
	Levels      []float64
	TrialsPerLv []int // trials per level (images × repeats)
	Sites       []SiteResult
	NFaceSites  int
	Candidates  []topography.Site
	UnitDPrime  []float64 // IT unit face d′ on the noise-free selectivity set
	Corr        stats.Correlation
	MeanFace    [2]float64 // mean, SEM
	MeanOther   [2]float64
	Monkey      MonkeySummary
	Sensitivity []SensitivityRow
	DecoderAcc  float64 // accuracy of the frozen decoder on unperturbed test items (levels ≠ 0)
	Notes       []string
	Model       *vision.Model // the network run (for the figures)
}

// MonkeySummary is the digitised monkey result.
type MonkeySummary struct {
	Corr      stats.Correlation
	MeanFace  [2]float64
	MeanOther [2]float64
	Sites     []SiteShift
}

// Progress reports the steps of a long run.
type Progress func(done, total int, what string)

// RunAfraz2006 runs the protocol on model m with the stimulus pool.
func RunAfraz2006(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress, log io.Writer) (*Afraz2006Result, error) {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	res := &Afraz2006Result{Levels: c.Task.SignalLevels_pct, Model: m}
	ft, err := newFaceTask(c, pool)
	if err != nil {
		return nil, err
	}
	faces, nonfaces, items, fitImgs, fitLab := ft.Faces, ft.NonFaces, ft.Items, ft.FitImgs, ft.FitLab
	progress(0, 4, "running the network on the decoder images")
	fitAct, err := m.Run(fitImgs, [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	fitX := to64(fitAct.Stages[3])

	// Site candidates: Afraz's neighbourhood d′ on a grid, from noise-free responses.
	progress(1, 4, "measuring site selectivity")
	set := append(append([]vision.Stimulus(nil), faces...), nonfaces...)
	isFace := make([]bool, len(set))
	for i := range faces {
		isFace[i] = true
	}
	selAct, err := m.Run(vision.Images(set), [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	selResp := to64(selAct.Stages[3])
	res.UnitDPrime = topography.UnitDPrimes(selResp, isFace)
	res.Candidates = topography.SiteDPrimes(m.IT(), selResp, isFace, c.Sites.Grid_mm, c.Sites.Radius_mm)
	chosen, err := c.chooseSites(m.IT(), selResp, isFace, res.UnitDPrime, res.Candidates)
	if err != nil {
		return nil, err
	}
	var note string
	if res.NFaceSites, note = c.countSelective(chosen); note != "" {
		res.Notes = append(res.Notes, note)
	}

	stage, err := sim.StageIndex(c.Perturbation.Stage)
	if err != nil {
		return nil, err
	}
	progress(2, 4, "running the network on the test images")
	eng, err := sim.NewEngine(m, stage, taskImages(items))
	if err != nil {
		return nil, err
	}
	// The readouts: the configured decoder C and those of the sensitivity
	// analysis, fitted on unperturbed images.
	decoders := map[float64]*sim.Logistic{}
	for _, C := range append([]float64{c.Task.DecoderC}, sensitivityC...) {
		if decoders[C] == nil {
			if decoders[C], err = fitLogistic(m, fitX, fitLab, 2, C); err != nil {
				return nil, err
			}
		}
	}
	Cs := slices.Sorted(maps.Keys(decoders))
	readouts := make([]*sim.Readout, len(Cs))
	for j, C := range Cs {
		readouts[j] = eng.NewReadout(decoders[C])
	}
	// Each site is perturbed once per gain-cap variant and only the
	// readouts' class probabilities are kept (probs[cap][C][site]), not the
	// perturbed IT itself.
	probs := map[float64]map[float64][][][]float64{}
	for _, capv := range append([]float64{c.Perturbation.GainCap}, sensitivityCaps(c)...) {
		if probs[capv] != nil || c.Perturbation.Kind != "microstim" && capv != c.Perturbation.GainCap {
			continue
		}
		alt := *c
		alt.Perturbation.GainCap = capv
		pert, err := alt.BuildPerturbation()
		if err != nil {
			return nil, err
		}
		byC := map[float64][][][]float64{}
		for _, C := range Cs {
			byC[C] = make([][][]float64, len(chosen))
		}
		err = sim.ParallelFor(len(chosen), func(i int) error {
			ps, err := eng.PerturbedProbabilities(pert, []sim.Site{{Hemi: chosen[i].Hemi, X_mm: chosen[i].X_mm, Y_mm: chosen[i].Y_mm}}, readouts)
			for j, C := range Cs {
				if err == nil {
					byC[C][i] = ps[j]
				}
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		probs[capv] = byC
	}
	levelIdx := map[float64]int{}
	for i, lv := range c.Task.SignalLevels_pct {
		levelIdx[lv] = i
	}
	res.TrialsPerLv = make([]int, len(res.Levels))
	for _, it := range items {
		res.TrialsPerLv[levelIdx[it.Level]] += c.Task.TrialsPerImage
	}

	analyse := func(C float64, stim [][][]float64, reps int) ([]SiteResult, float64, error) {
		ctrlP := classProbs(decoders[C], eng.IT)
		acc := 0.0
		nAcc := 0
		for i, it := range items {
			if it.Level != 0 {
				nAcc++
				if (ctrlP[i][1] > 0.5) == it.Face {
					acc++
				}
			}
		}
		out := make([]SiteResult, len(chosen))
		err = sim.ParallelFor(len(chosen), func(s int) error {
			stimP := stim[s]
			kc := levelCounts(sim.SimulateChoices(ctrlP, c.Task.TrialsPerImage, c.Task.Lapse, c.Seed+uint64(2*s)), items, levelIdx)
			ks := levelCounts(sim.SimulateChoices(stimP, c.Task.TrialsPerImage, c.Task.Lapse, c.Seed+uint64(2*s+1)), items, levelIdx)
			sr := SiteResult{SelectedSite: chosen[s], KControl: kc, KStim: ks, CILo: math.NaN(), CIHi: math.NaN()}
			fc, err1 := sim.FitPsychometric(res.Levels, kc, res.TrialsPerLv)
			fs, err2 := sim.FitPsychometric(res.Levels, ks, res.TrialsPerLv)
			if err1 != nil || err2 != nil {
				sr.Shift_pct = math.NaN()
				out[s] = sr
				return nil
			}
			sr.Control, sr.Stim, sr.Shift_pct = fc, fs, sim.Shift(fc, fs)
			if reps > 0 {
				if _, ci, err := sim.ShiftBootstrap(res.Levels, kc, res.TrialsPerLv, ks, res.TrialsPerLv, reps, 0.95, c.Seed+uint64(s)); err == nil {
					sr.CILo, sr.CIHi = ci.Lo, ci.Hi
				}
			}
			out[s] = sr
			return nil
		})
		return out, acc / float64(nAcc), err
	}
	progress(3, 4, fmt.Sprintf("simulating %d sites", len(chosen)))
	if res.Sites, res.DecoderAcc, err = analyse(c.Task.DecoderC, probs[c.Perturbation.GainCap][c.Task.DecoderC], c.Task.BootstrapReps); err != nil {
		return nil, err
	}
	res.Corr, res.MeanFace, res.MeanOther = summarise(res.Sites, c.Seed)

	// Sensitivity: readout regularisation × gain cap (the gain cap only
	// for microstimulation).
	for _, C := range sensitivityC {
		for _, capv := range sensitivityCaps(c) {
			key := capv
			if c.Perturbation.Kind != "microstim" {
				key = c.Perturbation.GainCap
			}
			srs, _, err := analyse(C, probs[key][C], 0)
			if err != nil {
				return nil, err
			}
			corr, mf, mo := summarise(srs, c.Seed)
			res.Sensitivity = append(res.Sensitivity, SensitivityRow{DecoderC: C, GainCap: capv, R: corr.R, P: corr.P,
				MeanFace_pct: mf[0], MeanOther_pct: mo[0], Configured: C == c.Task.DecoderC && capv == c.Perturbation.GainCap})
		}
	}
	progress(4, 4, "done")

	monkey, err := Afraz2006Monkey()
	if err != nil {
		return nil, err
	}
	res.Monkey = summariseMonkey(monkey, c.Seed)
	return res, nil
}

// sensitivityC are the decoder C values of the sensitivity analysis.
var sensitivityC = []float64{1e-4, 1e-3, 1e-2, 1e-1, 1}

// sensitivityCaps are the gain caps of the sensitivity analysis: none (0)
// and 2 (60/30 Hz) for microstimulation, whose gain they bound; for other
// kinds one row, labelled 0, of the configured perturbation.
func sensitivityCaps(c *Config) []float64 {
	if c.Perturbation.Kind != "microstim" {
		return []float64{0}
	}
	return []float64{0, 2}
}

func taskImages(items []TaskItem) []*vision.Gray {
	out := make([]*vision.Gray, len(items))
	for i, it := range items {
		out[i] = it.Img
	}
	return out
}

// classProbs returns the readout's class probabilities per item ([P(non-face), P(face)] for the face task).
func classProbs(dec *sim.Logistic, it [][]float32) [][]float64 {
	out := make([][]float64, len(it))
	x := make([]float64, len(it[0]))
	for i, r := range it {
		for k, v := range r {
			x[k] = float64(v)
		}
		out[i] = dec.Probabilities(x)
	}
	return out
}

// levelCounts sums "face" choices (class 1) per signal level.
func levelCounts(counts [][]int, items []TaskItem, idx map[float64]int) []int {
	k := make([]int, len(idx))
	for i, it := range items {
		k[idx[it.Level]] += counts[i][1]
	}
	return k
}

func summarise(sites []SiteResult, seed uint64) (stats.Correlation, [2]float64, [2]float64) {
	var d, s, face, other []float64
	for _, r := range sites {
		if math.IsNaN(r.Shift_pct) {
			continue
		}
		d = append(d, r.DPrime)
		s = append(s, r.Shift_pct)
		if r.Selective {
			face = append(face, r.Shift_pct)
		} else {
			other = append(other, r.Shift_pct)
		}
	}
	mf, sf := stats.MeanSEM(face)
	mo, so := stats.MeanSEM(other)
	return stats.Pearson(d, s, 2000, seed), [2]float64{mf, sf}, [2]float64{mo, so}
}

func summariseMonkey(sites []SiteShift, seed uint64) MonkeySummary {
	var d, s, face, other []float64
	for _, x := range sites {
		d = append(d, x.DPrime)
		s = append(s, x.Shift_pct)
		if x.DPrime > 1 {
			face = append(face, x.Shift_pct)
		} else {
			other = append(other, x.Shift_pct)
		}
	}
	mf, sf := stats.MeanSEM(face)
	mo, so := stats.MeanSEM(other)
	return MonkeySummary{Corr: stats.Pearson(d, s, 2000, seed), MeanFace: [2]float64{mf, sf}, MeanOther: [2]float64{mo, so}, Sites: sites}
}

// chooseSites applies the config's site rule.
func (c *Config) chooseSites(l *topography.Layout, resp [][]float64, isFace []bool, unitD []float64, cands []topography.Site) ([]SelectedSite, error) {
	sc := c.Sites
	want := func(h topography.Hemisphere) bool { return sc.Hemisphere == "both" || sc.Hemisphere == h.String() }
	at := func(h topography.Hemisphere, x, y float64) SelectedSite {
		d, n := topography.PointDPrime(l, resp, isFace, h, x, y, sc.Radius_mm)
		return SelectedSite{topography.Site{Hemi: h, X_mm: x, Y_mm: y, DPrime: d, Units: n}, d > sc.DPrimeThreshold}
	}
	var out []SelectedSite
	switch sc.Rule {
	case "dprime_split":
		return SelectSites(cands, sc.NSelective, sc.NOther, sc.DPrimeThreshold, sc.Hemisphere, c.Seed), nil
	case "random":
		r := rand.New(rand.NewPCG(c.Seed, 0x72616e64))
		for h := topography.Left; h <= topography.Right; h++ {
			if !want(h) {
				continue
			}
			var hc []topography.Site
			for _, s := range cands {
				if s.Hemi == h {
					hc = append(hc, s)
				}
			}
			for k, i := range r.Perm(len(hc)) {
				if k == sc.NPerHemisphere {
					break
				}
				out = append(out, SelectedSite{hc[i], hc[i].DPrime > sc.DPrimeThreshold})
			}
		}
	case "grid":
		for _, s := range cands {
			if want(s.Hemi) {
				out = append(out, SelectedSite{s, s.DPrime > sc.DPrimeThreshold})
			}
		}
	case "explicit":
		for _, e := range sc.Explicit {
			h, err := topography.ParseHemisphere(e.Hemisphere)
			if err != nil {
				return nil, err
			}
			out = append(out, at(h, e.X_mm, e.Y_mm))
		}
	case "face_patch_centre":
		patches, _ := topography.FacePatches(l, unitD, MapSigma_mm, MapStep_mm, NullPermutations, c.Seed)
		for h := topography.Left; h <= topography.Right; h++ {
			if !want(h) {
				continue
			}
			for _, p := range patches { // sorted by area: the first of a hemisphere is its largest
				if p.Hemi == h {
					out = append(out, at(h, p.X_mm, p.Y_mm))
					break
				}
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("sites.rule = \"face_patch_centre\": the model has no face patch above the shuffle null in hemisphere %s", sc.Hemisphere)
		}
	default:
		return nil, fmt.Errorf("sites.rule = %q: not implemented", sc.Rule)
	}
	return out, nil
}

// faceTask is the noisy face-detection task of Afraz et al. 2006: the test
// items at every signal level and the readout's fitting set.
type faceTask struct {
	Items           []TaskItem
	FitImgs         []*vision.Gray
	FitLab          []int             // 1 face, 0 non-face
	Faces, NonFaces []vision.Stimulus // the face-selectivity set, in the task's seeded order
}

// newFaceTask draws test_images_per_class faces and non-faces for testing
// (each with its own noise per level) and as many others, at every
// non-zero level, to fit the readout.
func newFaceTask(c *Config, pool []vision.Stimulus) (*faceTask, error) {
	faces, nonfaces := vision.FaceSelectivitySet(pool)
	r := rand.New(rand.NewPCG(c.Seed, 0x61667261))
	r.Shuffle(len(faces), func(i, j int) { faces[i], faces[j] = faces[j], faces[i] })
	r.Shuffle(len(nonfaces), func(i, j int) { nonfaces[i], nonfaces[j] = nonfaces[j], nonfaces[i] })
	nt := c.Task.TestImages
	if len(faces) < 2*nt || len(nonfaces) < 2*nt {
		return nil, fmt.Errorf("%s: %d faces and %d non-faces: too few for %d test images per class and a decoder set", c.Protocol, len(faces), len(nonfaces), nt)
	}
	testF, fitF := faces[:nt], faces[nt:]
	testN, fitN := nonfaces[:nt], nonfaces[nt:nt+len(fitF)]

	// Test items: per level, the face (level > 0), non-face (level < 0) or
	// both (level 0) test images with their own noise.
	var items []TaskItem
	for li, lv := range c.Task.SignalLevels_pct {
		var src []vision.Stimulus
		switch {
		case lv > 0:
			src = testF
		case lv < 0:
			src = testN
		default:
			src = append(append([]vision.Stimulus(nil), testF...), testN...)
		}
		for k, s := range src {
			nr := rand.New(rand.NewPCG(c.Seed, uint64(li)<<20|uint64(k)))
			items = append(items, TaskItem{Level: lv, Face: s.Face, Source: s.File, Img: AddNoise(s.Img, lv, nr)})
		}
	}
	// Decoder set: the other images at every non-zero level, labelled by source.
	var fitImgs []*vision.Gray
	var fitLab []int
	for li, lv := range c.Task.SignalLevels_pct {
		if lv == 0 {
			continue
		}
		for k, s := range append(append([]vision.Stimulus(nil), fitF...), fitN...) {
			nr := rand.New(rand.NewPCG(c.Seed^0x5eed, uint64(li)<<20|uint64(k)))
			fitImgs = append(fitImgs, AddNoise(s.Img, math.Abs(lv), nr))
			lab := 0
			if s.Face {
				lab = 1
			}
			fitLab = append(fitLab, lab)
		}
	}
	return &faceTask{Items: items, FitImgs: fitImgs, FitLab: fitLab, Faces: faces, NonFaces: nonfaces}, nil
}

// countSelective counts the selective sites chosen and, when the model
// offers fewer than dprime_split asked for, says so (the criterion is never
// relaxed).
func (c *Config) countSelective(chosen []SelectedSite) (n int, note string) {
	for _, s := range chosen {
		if s.Selective {
			n++
		}
	}
	if c.Sites.Rule == "dprime_split" && n < c.Sites.NSelective {
		note = fmt.Sprintf("the model offers only %d sites with neighbourhood d′ > %g (%d requested); all of them are used and the criterion is unchanged",
			n, c.Sites.DPrimeThreshold, c.Sites.NSelective)
	}
	return n, note
}
