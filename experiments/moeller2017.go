package experiments

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/experiments/primate"
	"github.com/microstim/microstim/plots"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/vision"
)

func init() {
	Register(moeller2017Protocol{named{"moeller2017", "Moeller S., Crapse T., Chang L., Tsao D. Y. (2017). The effect of face " +
		"patch microstimulation on perception of faces and objects. Nat Neurosci 20:743–752."}})
}

// Criterion of Moeller et al. (2017) in the scorecard.
const moeller2017SameDecrease = "Moeller2017.experiment1-same_decrease_different_increase"

// moeller2017Protocol is the face same/different task of Moeller et al.
// (2017) under microstimulation of a face patch.
type moeller2017Protocol struct{ named }

func (moeller2017Protocol) Defaults() Config { return moeller2017Defaults() }

func (p moeller2017Protocol) TaskKeys(*Config) ([]string, string) {
	return []string{"trials_per_condition", "lapse_rate", "stimulated_cue", "distance_metric"}, p.reader()
}

func (moeller2017Protocol) Validate(c *Config) error { return validateMoeller2017Task(c) }

func (moeller2017Protocol) CheckStimuli(_ *Config, pool []vision.Stimulus) error {
	_, err := paradigm.NewSameDifferent(pool, "identity", nil)
	return err
}

// Work: the pool's face photos, no readout fitted, four trial kinds per
// site.
func (moeller2017Protocol) Work(c *Config, sites int) Work {
	w := BaseWork()
	w.ImagesPerSite, w.ReadoutFits, w.FitImages = 200, 0, 0
	w.Trials = 4 * float64(sites) * float64(c.Task.TrialsPerCond)
	return w
}

// PatchCentreSites: the patch centre and a control site outside.
func (moeller2017Protocol) PatchCentreSites(hemispheres int) int { return 2 * hemispheres }

func (moeller2017Protocol) Run(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (Outcome, error) {
	return RunMoeller2017(c, m, pool, progress)
}

func (p moeller2017Protocol) Benchmarks() []Benchmark {
	return []Benchmark{{Name: p.name, Config: "moeller2017.toml", Criteria: []string{moeller2017SameDecrease},
		Figures: []Figure{{"accuracy.png", "% correct on same and different trials"}, {"sites_on_sheet.png", "Stimulation sites"}}}}
}

// moeller2017Defaults follows docs/references.md#moeller2017: same/different face
// identity, 300 µA at 150 Hz (0.2 ms pulses, 200 ms trains) at the centre
// of the strongest face patch (the model's "AM"), a control site outside
// the face patches (every grid site within 2 mm below d′ 0.85, as in the
// Brain-Score benchmark), 500 trials per condition.
func moeller2017Defaults() Config {
	return Config{
		Protocol: "moeller2017", Seed: 1,
		Stimuli: StimuliConfig{Set: "embedded"},
		Task:    TaskConfig{TrialsPerCond: 500, Lapse: 0, StimulatedCue: "second", DistanceMetric: "l1"},
		Perturbation: PerturbationConfig{Kind: "microstim", Stage: "IT", SpreadLaw: "exp_kumaravelu2022",
			Current_uA: 300, Frequency_Hz: 150, PulseWidth_us: 200, Train_ms: 200, GainMode: "multiplicative",
			Expression: 1, OptoMode: "suppression", Volume_uL: 1},
		Sites: SitesConfig{Rule: "face_patch_centre", DPrimeThreshold: 1, Radius_mm: 0.5, Grid_mm: 0.5, Hemisphere: "both",
			OutsideDPrime: 0.85, Outside_mm: 2},
		Compare: CompareConfig{Data: "moeller2017"},
	}
}

func validateMoeller2017Task(c *Config) error {
	t := c.Task
	if err := checkRange("task.trials_per_condition", float64(t.TrialsPerCond), 10, 1e6, " trials"); err != nil {
		return err
	}
	if err := checkRange("task.lapse_rate", t.Lapse, 0, 0.5, ""); err != nil {
		return err
	}
	if err := oneOf("task.stimulated_cue", t.StimulatedCue, "second", "both"); err != nil {
		return err
	}
	if err := oneOf("task.distance_metric", t.DistanceMetric, "l1", "correlation"); err != nil {
		return err
	}
	if err := checkRange("sites.outside_dprime_max", c.Sites.OutsideDPrime, -5, 5, ""); err != nil {
		return err
	}
	return checkRange("sites.outside_radius_mm", c.Sites.Outside_mm, 0, 10, " mm")
}

// SameDifferentSite is the outcome at one stimulation site: trials and
// correct trials on "same" and "different" trials, without and with
// stimulation.
type SameDifferentSite struct {
	SelectedSite
	Role                                   string // "patch centre" or "outside patches"
	N                                      int    // trials per condition
	SameCorrect, SameCorrectStim           int
	DifferentCorrect, DifferentCorrectStim int
}

// Accuracies returns % correct (same, same stimulated, different,
// different stimulated).
func (s SameDifferentSite) Accuracies() (same, sameStim, diff, diffStim float64) {
	pc := func(k int) float64 { return 100 * float64(k) / float64(s.N) }
	return pc(s.SameCorrect), pc(s.SameCorrectStim), pc(s.DifferentCorrect), pc(s.DifferentCorrectStim)
}

// Moeller2017Result is the outcome of the protocol.
type Moeller2017Result struct {
	Faces      int // photos used
	Identities int
	Sites      []SameDifferentSite
	Decoder    *sim.SameDifferent
	UnitDPrime []float64
	Monkey     []primate.SameDifferentCounts
	Notes      []string
	Model      *vision.Model
	Seed       uint64
}

// RunMoeller2017 runs the same/different identity task with
// microstimulation at the face-patch centre and outside the patches.
func RunMoeller2017(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (*Moeller2017Result, error) {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	res := &Moeller2017Result{Model: m, Seed: c.Seed}
	sd, err := paradigm.NewSameDifferent(pool, "identity", nil)
	if err != nil {
		return nil, fmt.Errorf("moeller2017: %w", err)
	}
	res.Faces, res.Identities = len(sd.Images), sd.Groups
	progress(0, 3, "measuring site selectivity")
	fs, err := measureFaceSelectivity(c, m, pool)
	if err != nil {
		return nil, err
	}
	res.UnitDPrime = fs.UnitDPrime
	centres, err := c.chooseSites(m.IT(), fs.Resp, fs.IsFace, fs.UnitDPrime, fs.Candidates)
	if err != nil {
		return nil, err
	}
	var sites []SelectedSite
	var roles []string
	for _, ctr := range centres {
		sites, roles = append(sites, ctr), append(roles, "patch centre")
		if out, ok := outsideSite(fs.Candidates, ctr, c.Sites.OutsideDPrime, c.Sites.Outside_mm); ok {
			sites, roles = append(sites, out), append(roles, "outside patches")
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("hemisphere %s: no grid site whose %g mm neighbourhood stays below d′ %g; no outside control",
				ctr.Hemi, c.Sites.Outside_mm, c.Sites.OutsideDPrime))
		}
	}

	progress(1, 3, "fitting the same/different readout")
	stage, err := sim.StageIndex(c.Perturbation.Stage)
	if err != nil {
		return nil, err
	}
	eng, err := sim.NewEngine(m, stage, vision.Images(sd.Images))
	if err != nil {
		return nil, err
	}
	if res.Decoder, err = sd.Fit(eng.IT, c.Task.DistanceMetric, c.Seed); err != nil {
		return nil, err
	}
	pert, err := c.BuildPerturbation()
	if err != nil {
		return nil, err
	}
	progress(2, 3, fmt.Sprintf("simulating %d sites", len(sites)))
	res.Sites = make([]SameDifferentSite, len(sites))
	err = sim.ParallelFor(len(sites), func(i int) error {
		site := sites[i]
		stim, err := eng.Perturb(pert, []sim.Site{{Hemi: site.Hemi, X_mm: site.X_mm, Y_mm: site.Y_mm}})
		if err != nil {
			return err
		}
		out := SameDifferentSite{SelectedSite: site, Role: roles[i], N: c.Task.TrialsPerCond}
		k, err := sd.Trials(eng.IT, stim, res.Decoder, c.Task.TrialsPerCond, c.Task.StimulatedCue, c.Task.Lapse, rand.New(rand.NewPCG(c.Seed, uint64(i)<<8|0x73)))
		if err != nil {
			return err
		}
		out.SameCorrect, out.SameCorrectStim, out.DifferentCorrect, out.DifferentCorrectStim = k[0], k[1], k[2], k[3]
		res.Sites[i] = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	if res.Monkey, err = primate.Moeller2017(); err != nil {
		return nil, err
	}
	progress(3, 3, "done")
	return res, nil
}

// pooled sums the trials of the sites with role.
func (r *Moeller2017Result) pooled(role string) (SameDifferentSite, int) {
	var p SameDifferentSite
	n := 0
	for _, s := range r.Sites {
		if s.Role == role {
			p.N += s.N
			p.SameCorrect += s.SameCorrect
			p.SameCorrectStim += s.SameCorrectStim
			p.DifferentCorrect += s.DifferentCorrect
			p.DifferentCorrectStim += s.DifferentCorrectStim
			n++
		}
	}
	return p, n
}

// monkeyPooled sums the monkeys' AM (within face patch) face trials.
func (r *Moeller2017Result) monkeyPooled(location string) primate.SameDifferentCounts {
	var p primate.SameDifferentCounts
	for _, m := range r.Monkey {
		if m.Location == location {
			p.SameHit += m.SameHit
			p.SameMiss += m.SameMiss
			p.DiffHit += m.DiffHit
			p.DiffMiss += m.DiffMiss
			p.SameHitStim += m.SameHitStim
			p.SameMissStim += m.SameMissStim
			p.DiffHitStim += m.DiffHitStim
			p.DiffMissStim += m.DiffMissStim
		}
	}
	return p
}

// Criteria returns benchmark 6 of docs/references.md#schrimpf2024, decided on the trials
// pooled over the patch-centre sites.
func (r *Moeller2017Result) Criteria() []Criterion {
	p, n := r.pooled("patch centre")
	if n == 0 || p.N == 0 {
		return nil
	}
	s, ss, d, ds := p.Accuracies()
	_, pSame := stats.TwoProportionZ(p.SameCorrectStim, p.N, p.SameCorrect, p.N)
	_, pDiff := stats.TwoProportionZ(p.DifferentCorrectStim, p.N, p.DifferentCorrect, p.N)
	k := r.monkeyPooled("within_facepatch")
	ks, kss, kd, kds := k.Accuracies()
	score := (DifferenceOfFractions(RetainedFraction(ss, s, 50), RetainedFraction(kss, ks, 50)) +
		DifferenceOfFractions(RetainedFraction(ds, d, 50), RetainedFraction(kds, kd, 50))) / 2
	cr := Criterion{ID: moeller2017SameDecrease, Benchmark: "moeller2017",
		Measure: fmt.Sprintf("Δ%% correct on \"same\" trials (\"different\": %.1f → %.1f %%, p = %s), %d patch-centre site(s), %d trials per condition",
			d, ds, pnum(pDiff), n, p.N),
		Unit: "percentage points", Model: ss - s, ModelCI: propDiffCI(p.SameCorrectStim, p.SameCorrect, p.N), ModelP: math.Max(pSame, pDiff),
		Monkey: kss - ks, MonkeyErr: math.NaN(),
		Source: fmt.Sprintf("Moeller et al. 2017, AM, both monkeys pooled: same %.1f → %.1f %%, different %.1f → %.1f %%", ks, kss, kd, kds),
		Rule:   "\"same\" accuracy falls and \"different\" accuracy rises, both significant (two-proportion z-test, p < 0.05; p shown is the larger)",
		Score:  score, ScoreRule: "1 − mean over same/different of |f_model − f_monkey|, f = (stim − 50 %)/(no stim − 50 %)"}
	cr.Pass = ss < s && ds > d && pSame < 0.05 && pDiff < 0.05
	cr.Verdict = verdictText(cr.Pass, cr.Rule)
	return []Criterion{cr}
}

// propDiffCI is the normal-approximation 95 % CI of k1/n − k2/n in %.
func propDiffCI(k1, k2, n int) [2]float64 {
	p1, p2 := float64(k1)/float64(n), float64(k2)/float64(n)
	se := math.Sqrt(p1*(1-p1)/float64(n) + p2*(1-p2)/float64(n))
	d := p1 - p2
	return [2]float64{100 * (d - 1.96*se), 100 * (d + 1.96*se)}
}

// Moeller2017Summary is summary.json.
type Moeller2017Summary struct {
	Protocol   string            `json:"protocol"`
	Faces      int               `json:"faces"`
	Identities int               `json:"identities"`
	Sites      []moellerSiteJSON `json:"sites"`
	Readout    sim.Psychometric  `json:"readout_psame_vs_distance"`
	Criteria   []Criterion       `json:"criteria"`
	Notes      []string          `json:"notes"`
}

type moellerSiteJSON struct {
	Role         string  `json:"role"`
	Hemisphere   string  `json:"hemisphere"`
	X_mm         float64 `json:"x_mm"`
	Y_mm         float64 `json:"y_mm"`
	DPrime       float64 `json:"dprime"`
	Trials       int     `json:"trials_per_condition"`
	Same_pct     float64 `json:"same_pct"`
	SameStim_pct float64 `json:"same_stim_pct"`
	Diff_pct     float64 `json:"different_pct"`
	DiffStim_pct float64 `json:"different_stim_pct"`
	PSame        float64 `json:"p_same_change"`
	PDifferent   float64 `json:"p_different_change"`
}

// Summary collects the result's numbers.
func (r *Moeller2017Result) Summary() Moeller2017Summary {
	s := Moeller2017Summary{Protocol: "moeller2017", Faces: r.Faces, Identities: r.Identities, Readout: r.Decoder.Curve, Criteria: r.Criteria(), Notes: r.Notes}
	for _, x := range r.Sites {
		a, b, c, d := x.Accuracies()
		_, p1 := stats.TwoProportionZ(x.SameCorrectStim, x.N, x.SameCorrect, x.N)
		_, p2 := stats.TwoProportionZ(x.DifferentCorrectStim, x.N, x.DifferentCorrect, x.N)
		s.Sites = append(s.Sites, moellerSiteJSON{Role: x.Role, Hemisphere: x.Hemi.String(), X_mm: x.X_mm, Y_mm: x.Y_mm, DPrime: x.DPrime,
			Trials: x.N, Same_pct: a, SameStim_pct: b, Diff_pct: c, DiffStim_pct: d, PSame: p1, PDifferent: p2})
	}
	return s
}

// Print writes the terminal summary.
func (r *Moeller2017Result) Print(w io.Writer) {
	s := r.Summary()
	fmt.Fprintf(w, "Moeller et al. 2017 — same/different identity, %d photos of %d people\n", s.Faces, s.Identities)
	for _, x := range s.Sites {
		fmt.Fprintf(w, "  %-15s %s (%.1f, %.1f mm, d′ %.2f): same %.1f → %.1f %%, different %.1f → %.1f %%\n",
			x.Role, x.Hemisphere, x.X_mm, x.Y_mm, x.DPrime, x.Same_pct, x.SameStim_pct, x.Diff_pct, x.DiffStim_pct)
	}
	printCriteria(w, s.Criteria)
	for _, n := range s.Notes {
		fmt.Fprintf(w, "  note: %s\n", n)
	}
}

// Write stores summary.json, the figures and report.html.
func (r *Moeller2017Result) Write(dir string, c *Config, man Manifest) error {
	sum := r.Summary()
	files, err := runFiles(c, sum, man)
	if err != nil {
		return err
	}
	if err := writeFiles(dir, files); err != nil {
		return err
	}
	cond := []float64{0, 1}
	var series []plots.Series
	for _, role := range []string{"patch centre", "outside patches"} {
		p, n := r.pooled(role)
		if n == 0 {
			continue
		}
		a, b, c2, d := p.Accuracies()
		series = append(series,
			plots.Series{Name: "model " + role + ", same", X: cond, Y: []float64{a, b}},
			plots.Series{Name: "model " + role + ", different", X: cond, Y: []float64{c2, d}})
	}
	for _, loc := range []string{"within_facepatch", "outside_facepatch"} {
		k := r.monkeyPooled(loc)
		if k.SameHit+k.SameMiss == 0 {
			continue
		}
		a, b, c2, d := k.Accuracies()
		name := "monkeys AM"
		if loc == "outside_facepatch" {
			name = "monkeys outside"
		}
		series = append(series,
			plots.Series{Name: name + ", same", X: cond, Y: []float64{a, b}},
			plots.Series{Name: name + ", different", X: cond, Y: []float64{c2, d}})
	}
	if err := plots.WriteLinePlot(filepath.Join(dir, "accuracy"), "Same/different identity under microstimulation",
		"condition (0 = no stimulation, 1 = stimulation)", "% correct", series); err != nil {
		return err
	}
	var sel []SelectedSite
	var vals []float64
	for _, x := range r.Sites {
		a, b, _, _ := x.Accuracies()
		sel, vals = append(sel, x.SelectedSite), append(vals, b-a)
	}
	if err := writeSitesOnSheet(filepath.Join(dir, "sites_on_sheet"), r.Model.IT(), r.UnitDPrime, r.Seed, sel, vals,
		"Stimulation sites coloured by Δ% correct on \"same\" trials; grey: face d′ (σ = 0.5 mm)", "Δ% correct, same"); err != nil {
		return err
	}
	var rows [][]string
	for _, x := range sum.Sites {
		rows = append(rows, []string{x.Role, x.Hemisphere, fnum(x.X_mm, 1) + ", " + fnum(x.Y_mm, 1), fnum(x.DPrime, 2),
			fnum(x.Same_pct, 1) + " → " + fnum(x.SameStim_pct, 1), pnum(x.PSame), fnum(x.Diff_pct, 1) + " → " + fnum(x.DiffStim_pct, 1), pnum(x.PDifferent)})
	}
	sort.SliceStable(rows, func(i, j int) bool { return rows[i][0] > rows[j][0] })
	return writeReport(dir, c, reportPage{
		Title:    "Moeller, Crapse, Chang & Tsao 2017: face-patch microstimulation and face identity",
		Manifest: man, Criteria: sum.Criteria, Notes: r.Notes,
		Tables: []Table{{Caption: "Per site (% correct, no stimulation → stimulation; p: two-proportion z-test)",
			Header: []string{"site", "hemisphere", "x, y (mm)", "d′", "same", "p", "different", "p"}, Rows: rows}},
		Figures: []Figure{{"accuracy.png", "% correct on same and different trials"}, {"sites_on_sheet.png", "Stimulation sites"}},
		Files:   []string{"summary.json", "config.resolved.toml", "manifest.json"},
	})
}

var _ Outcome = (*Moeller2017Result)(nil)
