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
	Group           []int       // each image's group, an index into GroupNames
	GroupNames      []string    // the identities, or the selectors of the categories
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
	index := map[string]int{}
	for _, k := range keys {
		if _, ok := index[k]; !ok {
			index[k] = len(t.GroupNames)
			t.GroupNames = append(t.GroupNames, k)
		}
		t.Group = append(t.Group, index[k])
	}
	t.Groups = len(t.GroupNames)
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
	out, _, err := t.TrialsByGroup(ctrl, stim, dec, n, cue, lapse, r)
	return out, err
}

// TrialsByGroup is Trials that also counts, per group g, the trials whose
// pair shows g (a same pair of g, or a different pair with g on either
// side): byGroup[g] = {same correct control, same correct perturbed,
// different correct control, different correct perturbed} and trials[g]
// the matching trial counts.
func (t *SameDifferent) TrialsByGroup(ctrl, stim [][]float32, dec *sim.SameDifferent, n int, cue string, lapse float64, r *rand.Rand) (out [4]int, byGroup [][2][4]int, err error) {
	byGroup = make([][2][4]int, len(t.GroupNames)) // [g][0]: correct, [g][1]: trials
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
				return out, nil, err
			}
			correct := sim.SampleChoice(r, []float64{1 - ps, ps}, lapse) == 1 == p.Same
			if correct {
				out[k]++
			}
			for _, g := range groupsOf(t, p) {
				byGroup[g][1][k]++
				if correct {
					byGroup[g][0][k]++
				}
			}
		}
	}
	return out, byGroup, nil
}

// groupsOf returns the groups a pair shows (one for a same pair).
func groupsOf(t *SameDifferent, p ImagePair) []int {
	if t.Group == nil {
		return nil
	}
	a, b := t.Group[p.A], t.Group[p.B]
	if a == b {
		return []int{a}
	}
	return []int{a, b}
}
