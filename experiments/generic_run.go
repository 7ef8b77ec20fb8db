package experiments

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/vision"
)

// BinaryMeasures are the behaviour of a two-choice task over its trials
// with a correct answer (signal level ≠ 0): % correct and the signal
// detection summary with the target (detection) or the second category
// (discrimination) as the signal.
type BinaryMeasures struct {
	Accuracy_pct   float64 `json:"accuracy_pct"`
	HitRate        float64 `json:"hit_rate"`
	FalseAlarmRate float64 `json:"false_alarm_rate"`
	DPrime         float64 `json:"dprime"`
	Criterion      float64 `json:"criterion"`
}

// Measure names, in report order; shift_pct (the psychometric curve's
// shift, control − perturbed 50 % point) exists only for tasks with signal
// levels.
var measureNames = []string{"accuracy_pct", "hit_rate", "false_alarm_rate", "dprime", "criterion", "shift_pct"}

func (b BinaryMeasures) get(name string) float64 {
	return map[string]float64{"accuracy_pct": b.Accuracy_pct, "hit_rate": b.HitRate, "false_alarm_rate": b.FalseAlarmRate,
		"dprime": b.DPrime, "criterion": b.Criterion}[name]
}

// GenericSite is one perturbed site of a condition: the measures without
// and with the perturbation per visual field (Fields of its condition).
type GenericSite struct {
	SelectedSite
	Control   []BinaryMeasures `json:"control"`
	Perturbed []BinaryMeasures `json:"perturbed"`
	Shift_pct []float64        `json:"shift_pct"` // per field; nil without signal levels
	// TaskDeltaDPrime is, for discrimination of every pair of ≥ 3
	// categories, Δd′ per field and task (the deficit pattern).
	TaskDeltaDPrime [][]float64 `json:"task_delta_dprime,omitempty"`
	// Categories are, for same/different by category, the % correct on the
	// trials that show each category.
	Categories []CategoryMeasures `json:"categories,omitempty"`
	// resample redraws the site's trials with replacement (paired control
	// and perturbed trials together) and returns field f's measures; nil
	// where the trials are not kept (the site's values stand).
	resample func(r *rand.Rand, f int) (ctrl, pert BinaryMeasures, shift float64)
	// levels returns field f's % "target" choices per signal level, control
	// and perturbed, of the site's trials (r nil) or of one resample of them.
	levels func(r *rand.Rand, f int) (ctrl, pert []float64)
}

// value is measure name's perturbed − control difference in field f (the
// shift itself for shift_pct).
func (s GenericSite) delta(name string, f int) float64 {
	if name == "shift_pct" {
		if s.Shift_pct == nil {
			return math.NaN()
		}
		return s.Shift_pct[f]
	}
	return s.Perturbed[f].get(name) - s.Control[f].get(name)
}

// GenericCondition is one condition's outcome.
type GenericCondition struct {
	Name         string        `json:"name"`
	Task         string        `json:"task"`
	Perturbation string        `json:"perturbation"`
	SiteRule     string        `json:"site_rule"`
	Fields       []string      `json:"fields"` // "all", or "contra" and "ipsi" for a task in one hemifield
	DecoderC     float64       `json:"decoder_C"`
	DecoderAcc   float64       `json:"decoder_expected_accuracy_pct"` // frozen readout, unperturbed, levels ≠ 0
	Sites        []GenericSite `json:"sites"`
	levels       []float64     // the task's signal levels (detection with levels)
	pairNames    []string      // the tasks of a discrimination over every pair, "A vs B"
	threshold    float64
	split        bool // sites were chosen by d′ split: summaries also per group
}

// GenericResult is the outcome of a generic experiment.
type GenericResult struct {
	Conditions  []GenericCondition    `json:"conditions"`
	Summaries   []MeasureSummary      `json:"summaries"`
	Differences []ConditionDifference `json:"differences"`
	Levels      []LevelSummary        `json:"levels,omitempty"`     // per signal level, detection with levels
	Pairs       []PairSummary         `json:"pairs,omitempty"`      // per category pair, discrimination over every pair
	Categories  []CategorySummary     `json:"categories,omitempty"` // per category, same/different by category
	Notes       []string              `json:"notes"`
	Model       *vision.Model         `json:"-"`
	UnitDPrime  []float64             `json:"-"`
	Seed        uint64                `json:"-"`
}

// condRun is what conditions with the same task and stage share.
type condRun struct {
	pairs   *paradigm.Pairs         // discrimination of every pair of ≥ 3 categories
	sd      *paradigm.SameDifferent // same/different tasks
	sdDec   *sim.SameDifferent      // their readout
	task    *paradigm.Binary
	fit     *ReadoutFit
	eng     *sim.Engine
	readout *sim.Readout
	ctrlP   [][]float64
}

// RunGeneric runs every condition of a generic experiment (or the file's
// own task, sites and perturbation when it has none) and compares them.
func RunGeneric(c *Config, m *vision.Model, pool []vision.Stimulus, progress Progress) (*GenericResult, error) {
	if progress == nil {
		progress = func(int, int, string) {}
	}
	conds := []*Config{c}
	names := []string{"main"}
	if len(c.Conditions) > 0 {
		conds, names = nil, nil
		for i, k := range c.Conditions {
			conds, names = append(conds, c.conditionConfig(i)), append(names, k.Name)
		}
	}
	res := &GenericResult{Model: m, Seed: c.Seed}
	runs := map[string]*condRun{}
	sel := map[string]*faceSelectivity{}
	for i, cc := range conds {
		progress(i, len(conds), fmt.Sprintf("condition %q", names[i]))
		key := fmt.Sprintf("%+v|%s", cc.Task, cc.Perturbation.Stage)
		if runs[key] == nil {
			r, err := newCondRun(cc, m, pool)
			if err != nil {
				return nil, fmt.Errorf("condition %q: %w", names[i], err)
			}
			runs[key] = r
		}
		skey := fmt.Sprint(cc.Sites.Grid_mm, cc.Sites.Radius_mm)
		if sel[skey] == nil {
			fs, err := measureFaceSelectivity(cc, m, pool)
			if err != nil {
				return nil, err
			}
			sel[skey] = fs
		}
		res.UnitDPrime = sel[skey].UnitDPrime
		gc, err := runCondition(cc, names[i], i, runs[key], sel[skey], m)
		if err != nil {
			return nil, fmt.Errorf("condition %q: %w", names[i], err)
		}
		if n := runs[key].fit.note(); n != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("condition %q: %s", names[i], n))
		}
		res.Conditions = append(res.Conditions, *gc)
	}
	var notes []string
	res.Summaries, res.Differences, notes = summariseConditions(res.Conditions, c.Task.BootstrapReps, c.trialsSeed())
	res.Notes = append(res.Notes, notes...)
	res.Levels = summariseLevels(res.Conditions, c.Task.BootstrapReps, c.trialsSeed())
	res.Pairs = summarisePairs(res.Conditions, c.Task.BootstrapReps, c.trialsSeed())
	res.Categories = summariseCategories(res.Conditions, c.Task.BootstrapReps, c.trialsSeed())
	progress(len(conds), len(conds), "done")
	return res, nil
}

// newCondRun builds the task, fits its readout on unperturbed images and
// runs the network on the test items.
func newCondRun(c *Config, m *vision.Model, pool []vision.Stimulus) (*condRun, error) {
	t := c.Task
	if t.Kind == "same_different" {
		return newSameDifferentRun(c, m, pool)
	}
	if t.Kind == "discrimination" && len(t.Categories) > 2 {
		return newPairRun(c, m, pool)
	}
	var task *paradigm.Binary
	var err error
	if task, err = binaryTask(t, pool, t.SignalLevels_pct, c.Seed); err != nil {
		return nil, err
	}
	fitAct, err := m.Run(task.FitImgs, [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	r := &condRun{task: task}
	if r.fit, err = fitReadout(m, t, vision.Float64s(fitAct.Stages[3]), task.FitLab, 2, c.Seed); err != nil {
		return nil, err
	}
	stage, err := sim.StageIndex(c.Perturbation.Stage)
	if err != nil {
		return nil, err
	}
	if r.eng, err = sim.NewEngine(m, stage, paradigm.Images(task.Items)); err != nil {
		return nil, err
	}
	r.readout = r.eng.NewReadout(r.fit.Decoder)
	r.ctrlP = classProbs(r.fit.Decoder, r.eng.IT)
	return r, nil
}

// newSameDifferentRun pairs the images, runs the network on them and fits
// the same/different readout on unperturbed pairs.
func newSameDifferentRun(c *Config, m *vision.Model, pool []vision.Stimulus) (*condRun, error) {
	sd, err := paradigm.NewSameDifferent(pool, c.Task.Pairs, c.Task.Categories)
	if err != nil {
		return nil, fmt.Errorf("same/different: %w", err)
	}
	stage, err := sim.StageIndex(c.Perturbation.Stage)
	if err != nil {
		return nil, err
	}
	r := &condRun{sd: sd, fit: &ReadoutFit{}}
	if r.eng, err = sim.NewEngine(m, stage, vision.Images(sd.Images)); err != nil {
		return nil, err
	}
	r.sdDec, err = sd.Fit(r.eng.IT, c.Task.DistanceMetric, c.Seed)
	return r, err
}

// runCondition perturbs each chosen site and measures behaviour without
// and with the perturbation, from simulated choices.
func runCondition(c *Config, name string, ci int, r *condRun, fs *faceSelectivity, m *vision.Model) (*GenericCondition, error) {
	chosen, err := c.chooseSites(m.IT(), fs.Resp, fs.IsFace, fs.UnitDPrime, fs.Candidates)
	if err != nil {
		return nil, err
	}
	pert, err := c.BuildPerturbation()
	if err != nil {
		return nil, err
	}
	gc := &GenericCondition{Name: name, Task: describeTask(c.Task), Perturbation: describePerturbation(c.Perturbation),
		SiteRule: c.Sites.Rule, Fields: []string{"all"}, DecoderC: r.fit.C, threshold: c.Sites.DPrimeThreshold, split: c.Sites.Rule == "dprime_split"}
	if c.Task.ImageScale > 0 {
		gc.Fields = []string{"contra", "ipsi"}
	}
	if r.sd != nil {
		gc.DecoderAcc = math.NaN()
		return gc, runSameDifferent(c, gc, ci, r, chosen, pert)
	}
	if r.pairs != nil {
		gc.DecoderAcc = math.NaN()
		for _, p := range r.pairs.Tasks {
			gc.pairNames = append(gc.pairNames, c.Task.Categories[p.A]+" vs "+c.Task.Categories[p.B])
		}
		return gc, runPairSites(c, gc, ci, r, chosen, pert)
	}
	items, trials := r.task.Items, c.Task.TrialsPerImage
	gc.DecoderAcc = expectedAccuracy(items, r.ctrlP)
	gc.levels = r.task.Levels
	gc.Sites = make([]GenericSite, len(chosen))
	err = sim.ParallelFor(len(chosen), func(s int) error {
		site := chosen[s]
		stimP, err := perturbedProbs(r.eng, r.readout, pert, []sim.Site{{Hemi: site.Hemi, X_mm: site.X_mm, Y_mm: site.Y_mm}})
		if err != nil {
			return err
		}
		if c.Task.PairedTrials {
			gc.Sites[s] = pairedSite(r.task, site, gc.Fields, r.ctrlP, stimP, trials, c.Task.Lapse, trialStream(c.trialsSeed(), ci, s))
		} else {
			base := sessionSeed(c.trialsSeed(), ci)
			gc.Sites[s] = separateSite(r.task, site, gc.Fields, r.ctrlP, stimP, trials, c.Task.Lapse, base+uint64(2*s), base+uint64(2*s+1))
		}
		return nil
	})
	return gc, err
}

// pairedSite simulates a site's paired control and perturbed trials
// (class probabilities ctrlP and stimP per item) and measures each field;
// its resample redraws the paired trials within the site.
func pairedSite(task *paradigm.Binary, site SelectedSite, fields []string, ctrlP, stimP [][]float64, trials int, lapse float64, seed uint64) GenericSite {
	joint := sim.PairedBinaryChoices(ctrlP, stimP, trials, lapse, seed)
	gs := GenericSite{SelectedSite: site}
	ins := fieldFilters(site, fields)
	for fi := range fields {
		ctrl, pert, shift := fieldMeasures(task, joint, trials, ins[fi])
		gs.Control, gs.Perturbed = append(gs.Control, ctrl), append(gs.Perturbed, pert)
		if len(task.Levels) > 0 {
			gs.Shift_pct = append(gs.Shift_pct, shift)
		}
	}
	redraw := func(r *rand.Rand, f int) [][4]int {
		if r == nil {
			return joint
		}
		re := make([][4]int, len(joint))
		for i, it := range task.Items {
			if ins[f](it) {
				re[i] = sim.ResampleJoint(r, joint[i], trials)
			}
		}
		return re
	}
	gs.resample = func(r *rand.Rand, f int) (BinaryMeasures, BinaryMeasures, float64) {
		return fieldMeasures(task, redraw(r, f), trials, ins[f])
	}
	if len(task.Levels) > 0 {
		gs.levels = func(r *rand.Rand, f int) ([]float64, []float64) {
			kc, ks := splitJoint(redraw(r, f), trials)
			return levelChoices(task.Levels, task.Items, kc, ks, trials, ins[f])
		}
	}
	return gs
}

// separateSite is pairedSite for control and perturbed trials simulated
// as separate sessions (seeds seedC and seedS); its resample redraws each
// item's control and perturbed trials independently.
func separateSite(task *paradigm.Binary, site SelectedSite, fields []string, ctrlP, stimP [][]float64, trials int, lapse float64, seedC, seedS uint64) GenericSite {
	kc := sim.SimulateChoices(ctrlP, trials, lapse, seedC)
	ks := sim.SimulateChoices(stimP, trials, lapse, seedS)
	gs := GenericSite{SelectedSite: site}
	ins := fieldFilters(site, fields)
	for _, in := range ins {
		gs.Control = append(gs.Control, binaryMeasures(task.Items, kc, trials, in))
		gs.Perturbed = append(gs.Perturbed, binaryMeasures(task.Items, ks, trials, in))
		if len(task.Levels) > 0 {
			gs.Shift_pct = append(gs.Shift_pct, psychometricShift(task.Levels, task.Items, kc, ks, trials, in))
		}
	}
	redraw := func(r *rand.Rand, f int) (rc, rs [][]int) {
		if r == nil {
			return kc, ks
		}
		rc, rs = make([][]int, len(kc)), make([][]int, len(ks))
		for i, it := range task.Items {
			rc[i], rs[i] = []int{trials, 0}, []int{trials, 0}
			if ins[f](it) {
				c, s := binomial(r, trials, float64(kc[i][1])/float64(trials)), binomial(r, trials, float64(ks[i][1])/float64(trials))
				rc[i], rs[i] = []int{trials - c, c}, []int{trials - s, s}
			}
		}
		return rc, rs
	}
	gs.resample = func(r *rand.Rand, f int) (BinaryMeasures, BinaryMeasures, float64) {
		rc, rs := redraw(r, f)
		shift := math.NaN()
		if len(task.Levels) > 0 {
			shift = psychometricShift(task.Levels, task.Items, rc, rs, trials, ins[f])
		}
		return binaryMeasures(task.Items, rc, trials, ins[f]), binaryMeasures(task.Items, rs, trials, ins[f]), shift
	}
	if len(task.Levels) > 0 {
		gs.levels = func(r *rand.Rand, f int) ([]float64, []float64) {
			rc, rs := redraw(r, f)
			return levelChoices(task.Levels, task.Items, rc, rs, trials, ins[f])
		}
	}
	return gs
}

// fieldFilters returns, per field, which items it holds for a site.
func fieldFilters(site SelectedSite, fields []string) []func(paradigm.Item) bool {
	ins := make([]func(paradigm.Item) bool, len(fields))
	for fi, f := range fields {
		ins[fi] = func(it paradigm.Item) bool {
			return f == "all" || (it.Side == paradigm.Contralateral(site.Hemi)) == (f == "contra")
		}
	}
	return ins
}

// sessionSeed is the base seed of condition ci's separate sessions: the
// trials seed itself for the first condition (so the paper protocols keep
// their numbers), a hash of it and ci for the others, so conditions never
// share noise.
func sessionSeed(trialsSeed uint64, ci int) uint64 {
	if ci == 0 {
		return trialsSeed
	}
	return trialStream(trialsSeed, ci, -1)
}

// trialStream is the seed of the trial noise of site s of condition ci:
// conditions and sites never share noise, and a site's control and
// perturbed trials share it (sim.PairedBinaryChoices).
func trialStream(trialsSeed uint64, ci, s int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "trials %d condition %d site %d", trialsSeed, ci, s)
	return h.Sum64()
}

// splitJoint returns the control and perturbed choice counts of paired
// trials.
func splitJoint(joint [][4]int, trials int) (kc, ks [][]int) {
	kc, ks = make([][]int, len(joint)), make([][]int, len(joint))
	for i, j := range joint {
		c, s := j[2]+j[3], j[1]+j[3]
		kc[i], ks[i] = []int{trials - c, c}, []int{trials - s, s}
	}
	return kc, ks
}

// fieldMeasures are the control and perturbed measures and the
// psychometric shift (NaN without levels) of a field from paired counts.
func fieldMeasures(task *paradigm.Binary, joint [][4]int, trials int, in func(paradigm.Item) bool) (ctrl, pert BinaryMeasures, shift float64) {
	kc, ks := splitJoint(joint, trials)
	shift = math.NaN()
	if len(task.Levels) > 0 {
		shift = psychometricShift(task.Levels, task.Items, kc, ks, trials, in)
	}
	return binaryMeasures(task.Items, kc, trials, in), binaryMeasures(task.Items, ks, trials, in), shift
}

// runSameDifferent simulates the same/different trials at each site: "same"
// is the signal, so the hit rate is the % correct on same trials and one
// minus the false-alarm rate the % correct on different trials.
func runSameDifferent(c *Config, gc *GenericCondition, ci int, r *condRun, chosen []SelectedSite, pert sim.Perturbation) error {
	gc.Sites = make([]GenericSite, len(chosen))
	n := c.Task.TrialsPerCond
	measures := func(sameCorrect, diffCorrect int) BinaryMeasures {
		d := stats.Detection(sameCorrect, n, n-diffCorrect, n)
		return BinaryMeasures{Accuracy_pct: 100 * float64(sameCorrect+diffCorrect) / float64(2*n),
			HitRate: d.HitRate, FalseAlarmRate: d.FalseAlarmRate, DPrime: d.DPrime, Criterion: d.Criterion}
	}
	return sim.ParallelFor(len(chosen), func(i int) error {
		site := chosen[i]
		stim, err := r.eng.Perturb(pert, []sim.Site{{Hemi: site.Hemi, X_mm: site.X_mm, Y_mm: site.Y_mm}})
		if err != nil {
			return err
		}
		k, byGroup, err := r.sd.TrialsByGroup(r.eng.IT, stim, r.sdDec, n, c.Task.StimulatedCue, c.Task.Lapse, rand.New(rand.NewPCG(trialStream(c.trialsSeed(), ci, i), 0x73)))
		if err != nil {
			return err
		}
		var cats []CategoryMeasures
		if c.Task.Pairs == "category" {
			cats = categoryMeasures(r.sd.GroupNames, byGroup)
		}
		gc.Sites[i] = GenericSite{SelectedSite: site, Control: []BinaryMeasures{measures(k[0], k[2])}, Perturbed: []BinaryMeasures{measures(k[1], k[3])}, Categories: cats,
			resample: func(rr *rand.Rand, _ int) (BinaryMeasures, BinaryMeasures, float64) {
				var re [4]int
				for j := range re {
					re[j] = binomial(rr, n, float64(k[j])/float64(n))
				}
				return measures(re[0], re[2]), measures(re[1], re[3]), math.NaN()
			}}
		return nil
	})
}

// binomial draws Binomial(n, p) as n Bernoulli trials (trials resampled
// with replacement from n of which a fraction p was correct).
func binomial(r *rand.Rand, n int, p float64) int {
	k := 0
	for range n {
		if r.Float64() < p {
			k++
		}
	}
	return k
}

// binaryMeasures summarises choice counts k (k[i][1]: "target" choices of
// item i over trials) over the items in the field with a correct answer.
func binaryMeasures(items []paradigm.Item, k [][]int, trials int, in func(paradigm.Item) bool) BinaryMeasures {
	var hits, nT, fas, nD int
	for i, it := range items {
		if !in(it) || it.Level == 0 {
			continue
		}
		if it.Target {
			hits, nT = hits+k[i][1], nT+trials
		} else {
			fas, nD = fas+k[i][1], nD+trials
		}
	}
	d := stats.Detection(hits, nT, fas, nD)
	return BinaryMeasures{Accuracy_pct: 100 * float64(hits+nD-fas) / float64(nT+nD),
		HitRate: d.HitRate, FalseAlarmRate: d.FalseAlarmRate, DPrime: d.DPrime, Criterion: d.Criterion}
}

// psychometricShift fits the psychometric curve of "target" choices
// against signal level without (kc) and with (ks) the perturbation and
// returns the shift of its 50 % point (sim.Shift; NaN when a fit fails).
func psychometricShift(levels []float64, items []paradigm.Item, kc, ks [][]int, trials int, in func(paradigm.Item) bool) float64 {
	c, s, n := perLevel(levels, items, kc, ks, trials, in)
	fc, err1 := sim.FitPsychometric(levels, c, n)
	fs, err2 := sim.FitPsychometric(levels, s, n)
	if err1 != nil || err2 != nil {
		return math.NaN()
	}
	return sim.Shift(fc, fs)
}

// perLevel sums the "target" choices without (c) and with (s) the
// perturbation, and the trials (n), of the field's items at each level.
func perLevel(levels []float64, items []paradigm.Item, kc, ks [][]int, trials int, in func(paradigm.Item) bool) (c, s, n []int) {
	idx := map[float64]int{}
	for i, lv := range levels {
		idx[lv] = i
	}
	c, s, n = make([]int, len(levels)), make([]int, len(levels)), make([]int, len(levels))
	for i, it := range items {
		if in(it) {
			j := idx[it.Level]
			c[j], s[j], n[j] = c[j]+kc[i][1], s[j]+ks[i][1], n[j]+trials
		}
	}
	return c, s, n
}

// expectedAccuracy is the frozen readout's expected % correct on the
// items with a correct answer.
func expectedAccuracy(items []paradigm.Item, p [][]float64) float64 {
	var acc float64
	var n int
	for i, it := range items {
		if it.Level != 0 {
			acc += p[i][b2i(it.Target)]
			n++
		}
	}
	return 100 * acc / float64(n)
}

func describeTask(t TaskConfig) string {
	var b strings.Builder
	if t.Kind == "detection" {
		fmt.Fprintf(&b, "detection of %s", t.Target)
		if t.Distractors != "" {
			fmt.Fprintf(&b, " among %s", t.Distractors)
		}
		if len(t.SignalLevels_pct) > 0 {
			fmt.Fprintf(&b, " at %d signal levels", len(t.SignalLevels_pct))
		}
	} else if t.Kind == "same_different" {
		fmt.Fprintf(&b, "same/different %s (%s distance, stimulation on the %s photo)", t.Pairs, t.DistanceMetric, t.StimulatedCue)
	} else if len(t.Categories) > 2 {
		fmt.Fprintf(&b, "discrimination of every pair of %s", strings.Join(t.Categories, ", "))
	} else {
		fmt.Fprintf(&b, "discrimination of %s against %s", t.Categories[0], t.Categories[1])
	}
	if t.ImageScale > 0 {
		fmt.Fprintf(&b, ", in one hemifield at scale %g", t.ImageScale)
	}
	return b.String()
}

func describePerturbation(p PerturbationConfig) string {
	switch p.Kind {
	case "microstim":
		return fmt.Sprintf("microstimulation %g µA, %g Hz in %s", p.Current_uA, p.Frequency_Hz, p.Stage)
	case "optogenetic":
		return fmt.Sprintf("optogenetic %s %g mW in %s", p.OptoMode, p.Power_mW, p.Stage)
	case "muscimol":
		return fmt.Sprintf("muscimol %g µL in %s", p.Volume_uL, p.Stage)
	}
	return fmt.Sprintf("lesion of radius %g mm in %s", p.Radius_mm, p.Stage)
}

// binaryTask builds a generic detection (at levels) or two-way
// discrimination on the pool, its stimulus sets compared as sets.
func binaryTask(t TaskConfig, pool []vision.Stimulus, levels []float64, seed uint64) (*paradigm.Binary, error) {
	if t.Kind == "detection" {
		targets, others, err := paradigm.DetectionSets(pool, t.Target, t.Distractors)
		if err == nil {
			var task *paradigm.Binary
			if task, err = paradigm.Detection(levels, targets, others, t.TestImages, t.ImageScale, seed); err == nil {
				return task, nil
			}
		}
		return nil, fmt.Errorf("detection of %q: %w", t.Target, err)
	}
	sets, err := paradigm.SelectDisjoint(pool, t.Categories[0], t.Categories[1])
	if err == nil {
		var task *paradigm.Binary
		if task, err = paradigm.Discrimination(sets[0], sets[1], t.TestImages, t.ImageScale, seed); err == nil {
			return task, nil
		}
	}
	return nil, fmt.Errorf("discrimination of %q against %q: %w", t.Categories[0], t.Categories[1], err)
}
