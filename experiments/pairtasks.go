package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/vision"
)

// ObjectItem is one test presentation of a many-category task.
type ObjectItem struct {
	File     string
	Category int
	Side     Side
}

// pairTask is discrimination of every pair of several categories with one
// readout over all of them, images in each hemifield (Rajalingham &
// DiCarlo 2019): a trial of task A-vs-B chooses between A and B with the
// readout's probabilities renormalised over the two.
type pairTask struct {
	Items   []ObjectItem
	Imgs    []*vision.Gray
	FitImgs []*vision.Gray
	FitLab  []int // category index
	Tasks   []Task
}

// newPairTask shuffles each category's images with the seed, keeps
// test_images_per_class for testing and as many of each category as the
// smallest allows for fitting, and shows every image in each hemifield.
func newPairTask(pool []vision.Stimulus, categories []string, nTest int, scale float64, seed uint64) (*pairTask, error) {
	byCat := make([][]vision.Stimulus, len(categories))
	nFit := math.MaxInt
	for k, sel := range categories {
		byCat[k] = selectStimuli(pool, sel)
		if len(byCat[k]) < nTest+2 {
			return nil, fmt.Errorf("category %q has %d images; test_images_per_class = %d needs %d", sel, len(byCat[k]), nTest, nTest+2)
		}
		nFit = min(nFit, len(byCat[k])-nTest)
	}
	t := &pairTask{Tasks: AllPairs(len(categories))}
	r := rand.New(rand.NewPCG(seed, 0x72616a61))
	for k, list := range byCat {
		r.Shuffle(len(list), func(i, j int) { list[i], list[j] = list[j], list[i] })
		for i, s := range list[:nTest+nFit] {
			for _, side := range []Side{LeftField, RightField} {
				img := PlaceInHemifield(s.Img, side, scale)
				if i < nTest {
					t.Items, t.Imgs = append(t.Items, ObjectItem{File: s.File, Category: k, Side: side}), append(t.Imgs, img)
				} else {
					t.FitImgs, t.FitLab = append(t.FitImgs, img), append(t.FitLab, k)
				}
			}
		}
	}
	return t, nil
}

// binaryChoice is P(choose A) in task A-vs-B from the readout's class
// probabilities: the probabilities renormalised over the two choices.
func binaryChoice(p []float64, t Task) float64 {
	s := p[t.A] + p[t.B]
	if s == 0 {
		return 0.5
	}
	return p[t.A] / s
}

// sessions simulates a session (trials per image and task) and returns
// the signal-detection summary (A as the signal) per visual field (index
// Side) and task.
func (t *pairTask) sessions(probs [][]float64, trials int, lapse float64, seed uint64) [2][]stats.SDT {
	rr := rand.New(rand.NewPCG(seed, 0x6f32))
	var out [2][]stats.SDT
	for _, task := range t.Tasks {
		var hits, nT, fas, nD [2]int
		for i, it := range t.Items {
			if it.Category != task.A && it.Category != task.B {
				continue
			}
			pA := binaryChoice(probs[i], task)
			for k := 0; k < trials; k++ {
				chooseA := sim.SampleChoice(rr, []float64{1 - pA, pA}, lapse) == 1
				if it.Category == task.A {
					nT[it.Side]++
					hits[it.Side] += b2i(chooseA)
				} else {
					nD[it.Side]++
					fas[it.Side] += b2i(chooseA)
				}
			}
		}
		for f := 0; f < 2; f++ {
			out[f] = append(out[f], stats.Detection(hits[f], nT[f], fas[f], nD[f]))
		}
	}
	return out
}

// expectedDPrime is a task's d′ from expected choice rates over all items
// (rates clipped as for 1000 trials).
func (t *pairTask) expectedDPrime(probs [][]float64, task Task) float64 {
	var h, f float64
	var nh, nf int
	for i, it := range t.Items {
		switch it.Category {
		case task.A:
			h += binaryChoice(probs[i], task)
			nh++
		case task.B:
			f += binaryChoice(probs[i], task)
			nf++
		}
	}
	const n = 1000
	return O2DPrime(int(math.Round(h/float64(nh)*n)), n, int(math.Round(f/float64(nf)*n)), n)
}

// newPairRun builds the pair task, fits its readout over all categories on
// unperturbed images and runs the network on the test items.
func newPairRun(c *Config, m *vision.Model, pool []vision.Stimulus) (*condRun, error) {
	t := c.Task
	pt, err := newPairTask(pool, t.Categories, t.TestImages, t.ImageScale, c.Seed)
	if err != nil {
		return nil, err
	}
	fitAct, err := m.Run(pt.FitImgs, [4]bool{false, false, false, true})
	if err != nil {
		return nil, err
	}
	r := &condRun{pairs: pt}
	if r.fit, err = fitReadout(m, t, to64(fitAct.Stages[3]), pt.FitLab, len(t.Categories), c.Seed); err != nil {
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
func runPairSites(c *Config, gc *GenericCondition, r *condRun, chosen []SelectedSite, pert sim.Perturbation) error {
	gc.Sites = make([]GenericSite, len(chosen))
	return sim.ParallelFor(len(chosen), func(s int) error {
		site := chosen[s]
		stimP, err := perturbedProbs(r.eng, r.readout, pert, []sim.Site{{Hemi: site.Hemi, X_mm: site.X_mm, Y_mm: site.Y_mm}})
		if err != nil {
			return err
		}
		ctrl := r.pairs.sessions(r.ctrlP, c.Task.TrialsPerImage, c.Task.Lapse, c.Seed+uint64(2*s))
		inact := r.pairs.sessions(stimP, c.Task.TrialsPerImage, c.Task.Lapse, c.Seed+uint64(2*s+1))
		gs := GenericSite{SelectedSite: site}
		contra := Contralateral(site.Hemi)
		for _, side := range []Side{contra, 1 - contra} { // fields contra, ipsi
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
