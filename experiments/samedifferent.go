package experiments

import (
	"fmt"
	"math/rand/v2"

	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/vision"
)

// sameDifferentTask is a same/different task on pairs of images: two
// photos of one person (or one category) or of two (Moeller et al. 2017).
type sameDifferentTask struct {
	Images          []vision.Stimulus
	Groups          int            // identities or categories
	Same, Different []IdentityPair // ordered pairs of distinct images
}

// newSameDifferentTask pairs the images of pool by "identity" (labelled
// photos, same = one person) or "category" (images of the categories that
// selectors name, same = one category).
func newSameDifferentTask(pool []vision.Stimulus, by string, selectors []string) (*sameDifferentTask, error) {
	t := &sameDifferentTask{}
	var keys []string
	add := func(s vision.Stimulus, key string) {
		t.Images, keys = append(t.Images, s), append(keys, key)
	}
	if by == "identity" {
		for _, s := range pool {
			if s.Identity != "" {
				add(s, s.Identity)
			}
		}
	} else {
		for _, sel := range selectors {
			for _, s := range selectStimuli(pool, sel) {
				add(s, sel)
			}
		}
	}
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	t.Groups = len(seen)
	t.Same, t.Different = IdentityPairs(keys)
	if len(t.Same) < 2 || len(t.Different) < 2 {
		return nil, fmt.Errorf("%d images of %d %s groups give %d same and %d different pairs; need ≥ 2 of each (label identities in face_labels.csv)",
			len(t.Images), t.Groups, by, len(t.Same), len(t.Different))
	}
	return t, nil
}

// fit fits the same/different readout on every same pair and as many
// different pairs, unperturbed (it[i] is image i's IT response).
func (t *sameDifferentTask) fit(eng *sim.Engine, metric string, seed uint64) (*sim.SameDifferent, error) {
	r := rand.New(rand.NewPCG(seed, 0x6d6f656c))
	pairs := append([]IdentityPair(nil), t.Same...)
	for _, k := range r.Perm(len(t.Different))[:min(len(t.Same), len(t.Different))] {
		pairs = append(pairs, t.Different[k])
	}
	var a, b [][]float32
	var same []bool
	for _, p := range pairs {
		a, b, same = append(a, eng.IT[p.A]), append(b, eng.IT[p.B]), append(same, p.Same)
	}
	return sim.FitSameDifferent(metric, a, b, same)
}

// trials simulates task.trials_per_condition trials of each condition and
// returns the correct ones: same, same stimulated, different, different
// stimulated. Stimulation replaces the second photo's response (or both,
// with stimulated_cue = "both") by its perturbed one.
func (t *sameDifferentTask) trials(ctrl, stim [][]float32, dec *sim.SameDifferent, task TaskConfig, r *rand.Rand) ([4]int, error) {
	var out [4]int
	for k, cond := range []struct {
		pairs     []IdentityPair
		stimulate bool
	}{{t.Same, false}, {t.Same, true}, {t.Different, false}, {t.Different, true}} {
		for range task.TrialsPerCond {
			p := cond.pairs[r.IntN(len(cond.pairs))]
			a, b := ctrl[p.A], ctrl[p.B]
			if cond.stimulate {
				b = stim[p.B]
				if task.StimulatedCue == "both" {
					a = stim[p.A]
				}
			}
			ps, err := dec.PSame(a, b)
			if err != nil {
				return out, err
			}
			if choice := sim.SampleChoice(r, []float64{1 - ps, ps}, task.Lapse); (choice == 1) == p.Same {
				out[k]++
			}
		}
	}
	return out, nil
}
