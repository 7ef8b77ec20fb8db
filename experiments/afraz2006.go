package experiments

import (
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/experiments/primate"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

func init() { Register(afraz2006Protocol{faceTaskProtocol{afraz2006Paper}}) }

var afraz2006Paper = named{"afraz2006", "Afraz S.-R., Kiani R., Esteky H. (2006). Microstimulation of inferotemporal cortex influences face " +
	"categorization. Nature 442:692–695."}

// Criterion of Afraz et al. (2006) in the scorecard.
const afraz2006ShiftSignificant = "Afraz2006-shift_significant"

// afraz2006Protocol is the face-detection task under microstimulation of
// Afraz et al. (2006), with its readout × gain-cap sensitivity analysis.
type afraz2006Protocol struct{ faceTaskProtocol }

func (afraz2006Protocol) Defaults() Config { return afraz2006Defaults() }

func (afraz2006Protocol) Validate(c *Config) error { return validateAfraz2006Task(c) }

// Work: besides the face task, the sensitivity analysis fits 5 decoders
// and reads each site out with them at 2 gain caps.
func (afraz2006Protocol) Work(c *Config, sites int) Work {
	w := faceTaskWork(c, sites)
	w.ReadoutFits, w.Decoders = len(sensitivityC), 2*float64(len(sensitivityC))
	if !slices.Contains(sensitivityC, c.Task.DecoderC) {
		w.ReadoutFits++
	}
	w.Fits += float64(sites) * 2 * w.Decoders
	w.KeptBytes = 2 * 8 * w.Decoders // two class probabilities per readout
	return w
}

func (afraz2006Protocol) Run(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (Outcome, error) {
	return RunAfraz2006(c, m, pool, progress)
}

func (p afraz2006Protocol) Benchmarks() []Benchmark {
	return []Benchmark{{Name: p.name, Config: "afraz2006.toml", Criteria: []string{afraz2006ShiftSignificant},
		Figures: []Figure{{"shift_vs_dprime.png", "Shift against site face d′"}, {"sites_on_sheet.png", "Sites on the IT sheets"}}}}
}

// afraz2006Defaults follows docs/references.md#afraz2006: signal levels ±15–80 %
// and 0, 16 face and 16 non-face test images per level, 50 µA at 200 Hz
// (0.2 ms per phase, 50 ms trains), 31 sites with neighbourhood d′ > 1 and 55
// others, selectivity within 0.5 mm, and Brain-Score's readout C = 1e-3.
func afraz2006Defaults() Config {
	return Config{
		Protocol: "afraz2006", Seed: 1,
		Stimuli:      StimuliConfig{Set: "embedded"},
		Task:         faceDetectionTask(),
		Perturbation: afrazMicrostim(),
		Sites: SitesConfig{Rule: "dprime_split", NSelective: 31, NOther: 55, DPrimeThreshold: 1, Radius_mm: 0.5,
			Grid_mm: 0.5, Hemisphere: "both"},
		Compare: CompareConfig{Data: "afraz2006"},
	}
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
	Sites     []primate.SiteShift
}

// RunAfraz2006 runs the protocol on model m with the stimulus pool.
func RunAfraz2006(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (*Afraz2006Result, error) {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	res := &Afraz2006Result{Levels: c.Task.SignalLevels_pct, Model: m}
	ft, err := newFaceTask(c, pool)
	if err != nil {
		return nil, err
	}
	faces, nonfaces, items, fitImgs, fitLab := ft.Targets, ft.Others, ft.Items, ft.FitImgs, ft.FitLab
	progress(0, 4, "running the network on the decoder images")
	fitAct, err := m.Run(fitImgs, [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	fitX := vision.Float64s(fitAct.Stages[3])

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
	selResp := vision.Float64s(selAct.Stages[3])
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
	eng, err := sim.NewEngine(m, stage, paradigm.Images(items))
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
				if (ctrlP[i][1] > 0.5) == it.Target {
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

	monkey, err := primate.Afraz2006()
	if err != nil {
		return nil, err
	}
	res.Monkey = summariseMonkey(monkey, c.Seed)
	return res, nil
}

// sensitivityCaps are the gain caps of the sensitivity analysis: none (0)
// and 2 (60/30 Hz) for microstimulation, whose gain they bound; for other
// kinds one row, labelled 0, of the configured perturbation.
func sensitivityCaps(c *Config) []float64 {
	if c.Perturbation.Kind != "microstim" {
		return []float64{0}
	}
	return []float64{0, 2}
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

func summariseMonkey(sites []primate.SiteShift, seed uint64) MonkeySummary {
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
