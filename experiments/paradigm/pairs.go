package paradigm

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/microstim/microstim/sim"
	"github.com/microstim/microstim/stats"
	"github.com/microstim/microstim/vision"
)

// ImagePair is one same/different trial type: two photos, of the same
// person or not.
type ImagePair struct {
	A, B int // indices into the face list
	Same bool
}

// ImagePairs returns every ordered pair of distinct photos of the same
// identity and every ordered pair of photos of different identities.
func ImagePairs(ids []string) (same, different []ImagePair) {
	for a := range ids {
		for b := range ids {
			switch {
			case a == b:
			case ids[a] == ids[b]:
				same = append(same, ImagePair{a, b, true})
			default:
				different = append(different, ImagePair{a, b, false})
			}
		}
	}
	return same, different
}

// O2DPrime is the binary discrimination d′ of a task: z(hit rate) −
// z(false-alarm rate), each rate clipped to [1/(2n), 1 − 1/(2n)] for n
// trials (Rajalingham et al. 2018's O2 metric, from choice counts).
func O2DPrime(hits, nTarget, falseAlarms, nDistractor int) float64 {
	return stats.Detection(hits, nTarget, falseAlarms, nDistractor).DPrime
}

// Pair is one binary discrimination, category A against B.
type Pair struct{ A, B int }

// AllPairs returns every unordered pair of n categories.
func AllPairs(n int) []Pair {
	var out []Pair
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			out = append(out, Pair{a, b})
		}
	}
	return out
}

// ObjectItem is one test presentation of a many-category task.
type ObjectItem struct {
	File     string
	Category int
	Side     Side
}

// Pairs is discrimination of every pair of several categories with one
// readout over all of them, images in each hemifield (Rajalingham &
// DiCarlo 2019): a trial of task A-vs-B chooses between A and B with the
// readout's probabilities renormalised over the two.
type Pairs struct {
	Items   []ObjectItem
	Imgs    []*vision.Gray
	FitImgs []*vision.Gray
	FitLab  []int // category index
	Tasks   []Pair
}

// NewPairs shuffles each category's images with the seed, keeps
// test_images_per_class for testing and as many of each category as the
// smallest allows for fitting, and shows every image in each hemifield.
func NewPairs(pool []vision.Stimulus, categories []string, nTest int, scale float64, seed uint64) (*Pairs, error) {
	byCat, err := SelectDisjoint(pool, categories...)
	if err != nil {
		return nil, err
	}
	nFit := math.MaxInt
	for k, sel := range categories {
		if len(byCat[k]) < nTest+2 {
			return nil, fmt.Errorf("category %q has %d images; test_images_per_class = %d needs %d", sel, len(byCat[k]), nTest, nTest+2)
		}
		nFit = min(nFit, len(byCat[k])-nTest)
	}
	t := &Pairs{Tasks: AllPairs(len(categories))}
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

// BinaryChoice is P(choose A) in task A-vs-B from the readout's class
// probabilities: the probabilities renormalised over the two choices.
func BinaryChoice(p []float64, t Pair) float64 {
	s := p[t.A] + p[t.B]
	if s == 0 {
		return 0.5
	}
	return p[t.A] / s
}

// sessions simulates a session (trials per image and task) and returns
// the signal-detection summary (A as the signal) per visual field (index
// Side) and task.
func (t *Pairs) Sessions(probs [][]float64, trials int, lapse float64, seed uint64) [2][]stats.SDT {
	rr := rand.New(rand.NewPCG(seed, 0x6f32))
	var out [2][]stats.SDT
	for _, task := range t.Tasks {
		var hits, nT, fas, nD [2]int
		for i, it := range t.Items {
			if it.Category != task.A && it.Category != task.B {
				continue
			}
			pA := BinaryChoice(probs[i], task)
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
func (t *Pairs) ExpectedDPrime(probs [][]float64, task Pair) float64 {
	var h, f float64
	var nh, nf int
	for i, it := range t.Items {
		switch it.Category {
		case task.A:
			h += BinaryChoice(probs[i], task)
			nh++
		case task.B:
			f += BinaryChoice(probs[i], task)
			nf++
		}
	}
	const n = 1000
	return O2DPrime(int(math.Round(h/float64(nh)*n)), n, int(math.Round(f/float64(nf)*n)), n)
}
