package experiments

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/microstim/microstim/experiments/paradigm"
)

// handTask is a two-choice task of 10 targets and 10 distractors at ±50 %
// signal, without levels for a psychometric fit.
func handTask() *paradigm.Binary {
	t := &paradigm.Binary{}
	for i := range 20 {
		lv := 50.0
		if i >= 10 {
			lv = -50
		}
		t.Items = append(t.Items, paradigm.Item{Level: lv, Target: i < 10})
	}
	return t
}

// handCondition is a hand-made model with a known effect: the readout says
// "target" with probability 0.8 for targets and 0.2 for distractors; a
// site's perturbation lowers the targets' probability by e, which differs
// between sites (e drawn uniformly from [0, 0.2]). A site's expected Δ
// accuracy is −50·e %, so the population's is −5 %.
func handCondition(task *paradigm.Binary, effects []float64, trials int, seed uint64) GenericCondition {
	gc := GenericCondition{Name: "hand", Fields: []string{"all"}}
	ctrl := make([][]float64, len(task.Items))
	for i, it := range task.Items {
		p := 0.2
		if it.Target {
			p = 0.8
		}
		ctrl[i] = []float64{1 - p, p}
	}
	for s, e := range effects {
		stim := make([][]float64, len(ctrl))
		for i, it := range task.Items {
			stim[i] = ctrl[i]
			if it.Target {
				stim[i] = []float64{0.2 + e, 0.8 - e}
			}
		}
		gc.Sites = append(gc.Sites, pairedSite(task, SelectedSite{}, gc.Fields, ctrl, stim, trials, 0, trialStream(seed, 0, s)))
	}
	return gc
}

func accuracyCI(t *testing.T, gc GenericCondition, reps int, seed uint64) MeasureSummary {
	t.Helper()
	sums, _, _ := summariseConditions([]GenericCondition{gc}, reps, seed)
	for _, s := range sums {
		if s.Measure == "accuracy_pct" {
			return s
		}
	}
	t.Fatal("no accuracy summary")
	return MeasureSummary{}
}

// The CIs carry the trial noise: at 5 trials per image they are wider
// than at 500 for the same sites, and over 200 repeated experiments of 20
// sites at 20 trials per image they cover the true Δ (−5 %) in ≥ 90 %.
func TestHierarchicalCI(t *testing.T) {
	task := handTask()
	r := rand.New(rand.NewPCG(1, 2))
	effects := func(n int) []float64 {
		e := make([]float64, n)
		for i := range e {
			e[i] = 0.2 * r.Float64()
		}
		return e
	}
	sites := effects(20)
	few := accuracyCI(t, handCondition(task, sites, 5, 7), 1000, 3)
	many := accuracyCI(t, handCondition(task, sites, 500, 7), 1000, 3)
	wFew, wMany := few.DeltaHi-few.DeltaLo, many.DeltaHi-many.DeltaLo
	if !(wFew > 1.5*wMany) {
		t.Errorf("CI width %.2f %% at 5 trials per image, %.2f %% at 500: want the first clearly wider", wFew, wMany)
	}
	t.Logf("CI width: %.2f %% at 5 trials per image, %.2f %% at 500", wFew, wMany)

	const runs = 200
	covered := 0
	for k := range runs {
		s := accuracyCI(t, handCondition(task, effects(20), 20, uint64(100+k)), 400, uint64(k))
		if s.DeltaLo <= -5 && -5 <= s.DeltaHi {
			covered++
		}
	}
	if covered < 90*runs/100 {
		t.Errorf("the 95 %% CIs covered the true Δ in %d of %d experiments, want ≥ 90 %%", covered, runs)
	}
	t.Logf("coverage %d of %d", covered, runs)
}

// Control and perturbed trials of a site share their noise (paired): an
// item the perturbation leaves unchanged gives the same choices in both,
// so a perturbation without effect has Δ exactly 0. Two conditions, or two
// sites, never share noise: their control choices differ.
func TestTrialNoiseStreams(t *testing.T) {
	task := handTask()
	none := handCondition(task, []float64{0, 0, 0}, 50, 1)
	for _, s := range none.Sites {
		if d := s.delta("accuracy_pct", 0); d != 0 {
			t.Errorf("a perturbation without effect gave Δ %v %%, want exactly 0 (paired trials)", d)
		}
	}
	seen := map[uint64]string{}
	for ci := range 3 {
		for s := range 3 {
			k := trialStream(1, ci, s)
			if prev, ok := seen[k]; ok {
				t.Errorf("condition %d site %d shares its trial stream with %s", ci, s, prev)
			}
			seen[k] = "another"
		}
	}
	a, b := none.Sites[0].Control[0], none.Sites[1].Control[0]
	if a == b {
		t.Errorf("two sites drew the same control trials: %+v", a)
	}
	if math.IsNaN(a.Accuracy_pct) {
		t.Error("no control accuracy")
	}
}

// Detection with levels reports each level: on a hand-made model whose
// perturbation lowers the target choices of the +50 % targets alone by e
// (uniform in [0, 0.2]), the +50 % level's Δ has a CI around −100·e's mean
// and the untouched levels have Δ exactly 0 (paired trials).
func TestLevelSummaries(t *testing.T) {
	task := &paradigm.Binary{Levels: []float64{-50, 0, 50}}
	for i := range 30 {
		lv := []float64{-50, 0, 50}[i%3]
		task.Items = append(task.Items, paradigm.Item{Level: lv, Target: lv > 0 || lv == 0 && i%2 == 0})
	}
	r := rand.New(rand.NewPCG(5, 6))
	gc := GenericCondition{Name: "hand", Fields: []string{"all"}, levels: task.Levels}
	var meanE float64
	for s := range 20 {
		e := 0.2 * r.Float64()
		meanE += e / 20
		ctrl, stim := make([][]float64, len(task.Items)), make([][]float64, len(task.Items))
		for i, it := range task.Items {
			p := 0.5 + it.Level/125 // 0.1, 0.5, 0.9
			ctrl[i], stim[i] = []float64{1 - p, p}, []float64{1 - p, p}
			if it.Level == 50 {
				stim[i] = []float64{1 - p + e, p - e}
			}
		}
		gc.Sites = append(gc.Sites, pairedSite(task, SelectedSite{}, gc.Fields, ctrl, stim, 50, 0, trialStream(1, 0, s)))
	}
	ls := summariseLevels([]GenericCondition{gc}, 1000, 2)
	if len(ls) != 3 {
		t.Fatalf("%d level summaries, want 3", len(ls))
	}
	for _, l := range ls {
		switch l.Level_pct {
		case 50:
			if !(l.DeltaLo <= -100*meanE && -100*meanE <= l.DeltaHi) || !(l.DeltaHi < 0) {
				t.Errorf("+50 %%: Δ %.2f [%.2f, %.2f], want a CI below 0 covering %.2f", l.Delta_pct, l.DeltaLo, l.DeltaHi, -100*meanE)
			}
		default:
			if l.Delta_pct != 0 || l.DeltaLo != 0 || l.DeltaHi != 0 {
				t.Errorf("%+g %%: Δ %v [%v, %v], want exactly 0", l.Level_pct, l.Delta_pct, l.DeltaLo, l.DeltaHi)
			}
		}
	}
}

// Pair tasks are tabulated per pair: the mean Δd′ over sites, with a CI
// from 3 sites on and none below.
func TestPairSummaries(t *testing.T) {
	site := func(d ...float64) GenericSite { return GenericSite{TaskDeltaDPrime: [][]float64{d}} }
	gc := GenericCondition{Name: "c", Fields: []string{"contra"}, pairNames: []string{"a vs b", "a vs c"},
		Sites: []GenericSite{site(-1, 0), site(-2, 0.5), site(-3, math.NaN())}}
	ps := summarisePairs([]GenericCondition{gc}, 500, 1)
	if len(ps) != 2 || ps[0].Pair != "a vs b" || ps[0].DeltaD != -2 || !(ps[0].DeltaLo < -2 && -2 < ps[0].DeltaHi) {
		t.Fatalf("pairs %+v, want a vs b at −2 with a CI", ps)
	}
	if ps[1].Sites != 2 || ps[1].DeltaD != 0.25 || !math.IsNaN(ps[1].DeltaLo) {
		t.Errorf("a vs c %+v, want 2 sites, mean 0.25 and no CI", ps[1])
	}
}
