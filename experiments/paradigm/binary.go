package paradigm

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/microstim/microstim/topography"
	"github.com/microstim/microstim/vision"
)

// Side is where an image is shown: in the left or the right visual field.
type Side int

// Visual-field sides.
const (
	LeftField Side = iota
	RightField
)

func (s Side) String() string {
	if s == LeftField {
		return "left"
	}
	return "right"
}

// Contralateral returns the visual field that hemisphere h sees: images in
// the left half of the frame drive the right hemisphere's IT sheet
// (topography.Layout.HemisphereOfCol).
func Contralateral(h topography.Hemisphere) Side {
	if h == topography.Right {
		return LeftField
	}
	return RightField
}

// Background is the grey level around an image shown in one hemifield.
const Background = 0.5

// PlaceInHemifield returns a frame of img's size, grey (Background), with
// img shrunk by scale (side fraction) and centred in the left or right
// half of the frame, vertically centred: the parafoveal presentation of
// Afraz et al. 2015 and the lateralised objects of Rajalingham & DiCarlo
// 2019, scaled into one half of the model's input frame.
func PlaceInHemifield(img *vision.Gray, side Side, scale float64) *vision.Gray {
	return img.InHemifield(side == RightField, scale, Background)
}

// AddNoise returns a copy of img in which a fraction 1 − |signal|/100 of the
// pixels, chosen without replacement, take uniformly distributed grey values
// (Afraz et al. 2006; signal 0 is pure noise, ±100 the intact image).
func AddNoise(img *vision.Gray, signal_pct float64, r *rand.Rand) *vision.Gray {
	out := &vision.Gray{W: img.W, H: img.H, Pix: append([]float32(nil), img.Pix...)}
	n := len(out.Pix)
	k := int(math.Round((1 - math.Abs(signal_pct)/100) * float64(n)))
	for _, i := range r.Perm(n)[:k] {
		out.Pix[i] = r.Float32()
	}
	return out
}

// Item is one test image of a two-choice task at one signal level.
type Item struct {
	Level  float64 // % signal: + target source, − distractor source, 0 pure noise
	Target bool    // source category: the target (class 1 of the readout)
	Source string  // stimulus file
	Img    *vision.Gray
	Placed bool // shown in one hemifield (Side), not in the full frame
	Side   Side
}

func Images(items []Item) []*vision.Gray {
	out := make([]*vision.Gray, len(items))
	for i, it := range items {
		out[i] = it.Img
	}
	return out
}

// Binary is a two-choice task: the test items and the readout's
// fitting set (label 1 for the target, 0 for the distractor).
type Binary struct {
	Items           []Item
	FitImgs         []*vision.Gray
	FitLab          []int
	Targets, Others []vision.Stimulus // the two sets, in the task's seeded order
	Levels          []float64         // signal levels (nil: intact images)
}

// Seed streams of the two task kinds' splits (kept from v0.1, so that the
// paper protocols' numbers do not change).
const (
	DetectionStream      = 0x61667261
	DiscriminationStream = 0x67656e64
)

// Split shuffles targets and others in place with (seed, stream)
// and returns nTest of each for testing and the rest, as many of each,
// for fitting the readout.
func Split(targets, others []vision.Stimulus, nTest int, seed, stream uint64) (testT, testO, fitT, fitO []vision.Stimulus, ok bool) {
	r := rand.New(rand.NewPCG(seed, stream))
	r.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	nFit := min(len(targets), len(others)) - nTest
	if nFit < 2 {
		return nil, nil, nil, nil, false
	}
	return targets[:nTest], others[:nTest], targets[nTest : nTest+nFit], others[nTest : nTest+nFit], true
}

// Detection is detection of targets among others (Afraz et al.
// 2006 for faces): nTest test images of each set at every signal level,
// each with its own noise (level > 0 targets, < 0 others, 0 both), and
// the other images at every non-zero level to fit the readout. Without
// levels the images are shown intact (targets at +100 %, others at
// −100 %). With scale > 0 every image is shown in each hemifield.
func Detection(levels []float64, targets, others []vision.Stimulus, nTest int, scale float64, seed uint64) (*Binary, error) {
	testT, testO, fitT, fitO, ok := Split(targets, others, nTest, seed, DetectionStream)
	if !ok {
		return nil, fmt.Errorf("%d targets and %d Distractors: too few for %d test images per class and a decoder set of at least 2 of each", len(targets), len(others), nTest)
	}
	t := &Binary{Targets: targets, Others: others, Levels: levels}
	itemLevels, fitLevels := levels, levels
	if len(levels) == 0 {
		itemLevels, fitLevels = []float64{-100, 100}, []float64{100}
	}
	for li, lv := range itemLevels {
		var src []vision.Stimulus
		switch {
		case lv > 0:
			src = testT
		case lv < 0:
			src = testO
		default:
			src = slices.Concat(testT, testO)
		}
		for k, s := range src {
			img := AddNoise(s.Img, lv, rand.New(rand.NewPCG(seed, uint64(li)<<20|uint64(k))))
			t.Items = append(t.Items, placements(Item{Level: lv, Target: lv > 0 || lv == 0 && k < len(testT), Source: s.File, Img: img}, scale)...)
		}
	}
	fit := slices.Concat(fitT, fitO)
	for li, lv := range fitLevels {
		if lv == 0 {
			continue
		}
		for k, s := range fit {
			img := AddNoise(s.Img, math.Abs(lv), rand.New(rand.NewPCG(seed^0x5eed, uint64(li)<<20|uint64(k))))
			for _, p := range placements(Item{Img: img}, scale) {
				t.FitImgs = append(t.FitImgs, p.Img)
				t.FitLab = append(t.FitLab, b2i(k < len(fitT)))
			}
		}
	}
	return t, nil
}

// Discrimination is two-way discrimination of a (class 0) against
// b (class 1), intact images (Afraz et al. 2015 for gender): nTest test
// images of each and the rest, as many of each, to fit the readout; with
// scale > 0 every image is shown in each hemifield.
func Discrimination(a, b []vision.Stimulus, nTest int, scale float64, seed uint64) (*Binary, error) {
	testA, testB, fitA, fitB, ok := Split(a, b, nTest, seed, DiscriminationStream)
	if !ok {
		return nil, fmt.Errorf("%d and %d images: too few for %d test images per class and a decoder set of at least 2 of each", len(a), len(b), nTest)
	}
	t := &Binary{Targets: b, Others: a}
	for k, s := range slices.Concat(testA, testB) {
		lv := -100.0
		if k >= len(testA) {
			lv = 100
		}
		t.Items = append(t.Items, placements(Item{Level: lv, Target: lv > 0, Source: s.File, Img: s.Img}, scale)...)
	}
	for k, s := range slices.Concat(fitA, fitB) {
		for _, p := range placements(Item{Img: s.Img}, scale) {
			t.FitImgs = append(t.FitImgs, p.Img)
			t.FitLab = append(t.FitLab, b2i(k >= len(fitA)))
		}
	}
	return t, nil
}

// placements returns the item in the full frame (scale 0) or shown in the
// left and then the right hemifield at scale.
func placements(it Item, scale float64) []Item {
	if scale == 0 {
		return []Item{it}
	}
	out := make([]Item, 0, 2)
	for _, side := range []Side{LeftField, RightField} {
		p := it
		p.Img, p.Placed, p.Side = PlaceInHemifield(it.Img, side, scale), true, side
		out = append(out, p)
	}
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
