package experiments

import (
	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/vision"
)

// newPairRun builds the pair task, fits its readout over all categories on
// unperturbed images and runs the network on the test items.
func newPairRun(c *Config, m *vision.Model, pool []vision.Stimulus) (*condRun, error) {
	t := c.Task
	pt, err := paradigm.NewPairs(pool, t.Categories, t.TestImages, t.ImageScale, c.Seed)
	if err != nil {
		return nil, err
	}
	fitAct, err := m.Run(pt.FitImgs, [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	r := &condRun{pairs: pt}
	if r.fit, err = fitReadout(m, t, vision.Float64s(fitAct.Stages[3]), pt.FitLab, len(t.Categories), c.Seed); err != nil {
		return nil, err
	}
	stage, err := sim.StageIndex(c.Perturbation.Stage)
	if err != nil {
		return nil, err
	}
	if r.eng, err = sim.NewEngine(m, stage, pt.Imgs); err != nil {
		return nil, err
	}
	r.readout = r.eng.NewReadout(r.fit.Decoder)
	r.ctrlP = classProbs(r.fit.Decoder, r.eng.IT)
	return r, nil
}

// runPairSites simulates a control and a perturbed session at each site;
// a site's measures in a field are the means over tasks, and its Δd′ per
// task is kept (TaskDeltaDPrime).
func runPairSites(c *Config, gc *GenericCondition, ci int, r *condRun, chosen []SelectedSite, pert sim.Perturbation) error {
	gc.Sites = make([]GenericSite, len(chosen))
	return sim.ParallelFor(len(chosen), func(s int) error {
		site := chosen[s]
		stimP, err := perturbedProbs(r.eng, r.readout, pert, []sim.Site{{Hemi: site.Hemi, X_mm: site.X_mm, Y_mm: site.Y_mm}})
		if err != nil {
			return err
		}
		seedC, seedS := sessionSeed(c.trialsSeed(), ci)+uint64(2*s), sessionSeed(c.trialsSeed(), ci)+uint64(2*s+1)
		if c.Task.PairedTrials { // the same stream for both sessions
			seedC = trialStream(c.trialsSeed(), ci, s)
			seedS = seedC
		}
		ctrl := r.pairs.Sessions(r.ctrlP, c.Task.TrialsPerImage, c.Task.Lapse, seedC)
		inact := r.pairs.Sessions(stimP, c.Task.TrialsPerImage, c.Task.Lapse, seedS)
		gs := GenericSite{SelectedSite: site}
		contra := paradigm.Contralateral(site.Hemi)
		for _, side := range []paradigm.Side{contra, 1 - contra} { // fields contra, ipsi
			gs.Control = append(gs.Control, meanMeasures(ctrl[side]))
			gs.Perturbed = append(gs.Perturbed, meanMeasures(inact[side]))
			var d []float64
			for k := range r.pairs.Tasks {
				d = append(d, inact[side][k].DPrime-ctrl[side][k].DPrime)
			}
			gs.TaskDeltaDPrime = append(gs.TaskDeltaDPrime, d)
		}
		gc.Sites[s] = gs
		return nil
	})
}

// meanMeasures averages the tasks' summaries (accuracy from the clipped
// rates, for equal target and distractor trials).
func meanMeasures(tasks []stats.SDT) BinaryMeasures {
	var m BinaryMeasures
	n := float64(len(tasks))
	for _, t := range tasks {
		m.Accuracy_pct += 100 * (t.HitRate + 1 - t.FalseAlarmRate) / 2 / n
		m.HitRate += t.HitRate / n
		m.FalseAlarmRate += t.FalseAlarmRate / n
		m.DPrime += t.DPrime / n
		m.Criterion += t.Criterion / n
	}
	return m
}
