package paradigm

import (
	"fmt"
	"math/rand/v2"

	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/vision"
)

// SameDifferent is a same/different task on pairs of images: two
// photos of one person (or one category) or of two (Moeller et al. 2017).
type SameDifferent struct {
	Images          []vision.Stimulus
	Groups          int         // identities or categories
	Same, Different []ImagePair // ordered pairs of distinct images
}

// NewSameDifferent pairs the images of pool by "identity" (labelled
// photos, same = one person) or "category" (images of the categories that
// selectors name, same = one category).
func NewSameDifferent(pool []vision.Stimulus, by string, selectors []string) (*SameDifferent, error) {
	t := &SameDifferent{}
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
		sets, err := SelectDisjoint(pool, selectors...)
		if err != nil {
			return nil, err
		}
		for k, sel := range selectors {
			for _, s := range sets[k] {
				add(s, sel)
			}
		}
	}
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	t.Groups = len(seen)
	t.Same, t.Different = ImagePairs(keys)
	if len(t.Same) < 2 || len(t.Different) < 2 {
		return nil, fmt.Errorf("%d images of %d %s groups give %d same and %d different pairs; need ≥ 2 of each (label identities in face_labels.csv)",
			len(t.Images), t.Groups, by, len(t.Same), len(t.Different))
	}
	return t, nil
}

// Fit fits the same/different readout on every same pair and as many
// different pairs, unperturbed (it[i] is image i's IT response).
func (t *SameDifferent) Fit(it [][]float32, metric string, seed uint64) (*sim.SameDifferent, error) {
	r := rand.New(rand.NewPCG(seed, 0x6d6f656c))
	pairs := append([]ImagePair(nil), t.Same...)
	for _, k := range r.Perm(len(t.Different))[:min(len(t.Same), len(t.Different))] {
		pairs = append(pairs, t.Different[k])
	}
	var a, b [][]float32
	var same []bool
	for _, p := range pairs {
		a, b, same = append(a, it[p.A]), append(b, it[p.B]), append(same, p.Same)
	}
	return sim.FitSameDifferent(metric, a, b, same)
}

// Trials simulates n trials of each condition and returns the correct
// ones: same, same stimulated, different, different stimulated.
// Stimulation replaces the second photo's response (or both, with cue =
// "both") by its perturbed one; a fraction lapse of trials is answered at
// random.
func (t *SameDifferent) Trials(ctrl, stim [][]float32, dec *sim.SameDifferent, n int, cue string, lapse float64, r *rand.Rand) ([4]int, error) {
	var out [4]int
	for k, cond := range []struct {
		pairs     []ImagePair
		stimulate bool
	}{{t.Same, false}, {t.Same, true}, {t.Different, false}, {t.Different, true}} {
		for range n {
			p := cond.pairs[r.IntN(len(cond.pairs))]
			a, b := ctrl[p.A], ctrl[p.B]
			if cond.stimulate {
				b = stim[p.B]
				if cue == "both" {
					a = stim[p.A]
				}
			}
			ps, err := dec.PSame(a, b)
			if err != nil {
				return out, err
			}
			if choice := sim.SampleChoice(r, []float64{1 - ps, ps}, lapse); (choice == 1) == p.Same {
				out[k]++
			}
		}
	}
	return out, nil
}
