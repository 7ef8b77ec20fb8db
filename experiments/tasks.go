package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/microstim/microstim/stats"
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
// 2019, scaled into one half of the model's 64×64 input.
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

// TaskItem is one test image of a two-choice task at one signal level.
type TaskItem struct {
	Level  float64 // % signal: + target source, − distractor source, 0 pure noise
	Target bool    // source category: the target (class 1 of the readout)
	Source string  // stimulus file
	Img    *vision.Gray
	Placed bool // shown in one hemifield (Side), not in the full frame
	Side   Side
}

func taskImages(items []TaskItem) []*vision.Gray {
	out := make([]*vision.Gray, len(items))
	for i, it := range items {
		out[i] = it.Img
	}
	return out
}

// binaryTask is a two-choice task: the test items and the readout's
// fitting set (label 1 for the target, 0 for the distractor).
type binaryTask struct {
	Items           []TaskItem
	FitImgs         []*vision.Gray
	FitLab          []int
	Targets, Others []vision.Stimulus // the two sets, in the task's seeded order
	Levels          []float64         // signal levels (nil: intact images)
}

// Seed streams of the two task kinds' splits (kept from v0.1, so that the
// paper protocols' numbers do not change).
const (
	detectionStream      = 0x61667261
	discriminationStream = 0x67656e64
)

// splitBinary shuffles targets and others in place with (seed, stream)
// and returns nTest of each for testing and the rest, as many of each,
// for fitting the readout.
func splitBinary(targets, others []vision.Stimulus, nTest int, seed, stream uint64) (testT, testO, fitT, fitO []vision.Stimulus, ok bool) {
	r := rand.New(rand.NewPCG(seed, stream))
	r.Shuffle(len(targets), func(i, j int) { targets[i], targets[j] = targets[j], targets[i] })
	r.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
	nFit := min(len(targets), len(others)) - nTest
	if nFit < 2 {
		return nil, nil, nil, nil, false
	}
	return targets[:nTest], others[:nTest], targets[nTest : nTest+nFit], others[nTest : nTest+nFit], true
}

// newDetectionTask is detection of targets among others (Afraz et al.
// 2006 for faces): nTest test images of each set at every signal level,
// each with its own noise (level > 0 targets, < 0 others, 0 both), and
// the other images at every non-zero level to fit the readout. Without
// levels the images are shown intact (targets at +100 %, others at
// −100 %). With scale > 0 every image is shown in each hemifield.
func newDetectionTask(levels []float64, targets, others []vision.Stimulus, nTest int, scale float64, seed uint64) (*binaryTask, error) {
	testT, testO, fitT, fitO, ok := splitBinary(targets, others, nTest, seed, detectionStream)
	if !ok {
		return nil, fmt.Errorf("%d targets and %d distractors: too few for %d test images per class and a decoder set of at least 2 of each", len(targets), len(others), nTest)
	}
	t := &binaryTask{Targets: targets, Others: others, Levels: levels}
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
			t.Items = append(t.Items, placements(TaskItem{Level: lv, Target: lv > 0 || lv == 0 && k < len(testT), Source: s.File, Img: img}, scale)...)
		}
	}
	fit := slices.Concat(fitT, fitO)
	for li, lv := range fitLevels {
		if lv == 0 {
			continue
		}
		for k, s := range fit {
			img := AddNoise(s.Img, math.Abs(lv), rand.New(rand.NewPCG(seed^0x5eed, uint64(li)<<20|uint64(k))))
			for _, p := range placements(TaskItem{Img: img}, scale) {
				t.FitImgs = append(t.FitImgs, p.Img)
				t.FitLab = append(t.FitLab, b2i(k < len(fitT)))
			}
		}
	}
	return t, nil
}

// newDiscriminationTask is two-way discrimination of a (class 0) against
// b (class 1), intact images (Afraz et al. 2015 for gender): nTest test
// images of each and the rest, as many of each, to fit the readout; with
// scale > 0 every image is shown in each hemifield.
func newDiscriminationTask(a, b []vision.Stimulus, nTest int, scale float64, seed uint64) (*binaryTask, error) {
	testA, testB, fitA, fitB, ok := splitBinary(a, b, nTest, seed, discriminationStream)
	if !ok {
		return nil, fmt.Errorf("%d and %d images: too few for %d test images per class and a decoder set of at least 2 of each", len(a), len(b), nTest)
	}
	t := &binaryTask{Targets: b, Others: a}
	for k, s := range slices.Concat(testA, testB) {
		lv := -100.0
		if k >= len(testA) {
			lv = 100
		}
		t.Items = append(t.Items, placements(TaskItem{Level: lv, Target: lv > 0, Source: s.File, Img: s.Img}, scale)...)
	}
	for k, s := range slices.Concat(fitA, fitB) {
		for _, p := range placements(TaskItem{Img: s.Img}, scale) {
			t.FitImgs = append(t.FitImgs, p.Img)
			t.FitLab = append(t.FitLab, b2i(k >= len(fitA)))
		}
	}
	return t, nil
}

// placements returns the item in the full frame (scale 0) or shown in the
// left and then the right hemifield at scale.
func placements(it TaskItem, scale float64) []TaskItem {
	if scale == 0 {
		return []TaskItem{it}
	}
	out := make([]TaskItem, 0, 2)
	for _, side := range []Side{LeftField, RightField} {
		p := it
		p.Img, p.Placed, p.Side = PlaceInHemifield(it.Img, side, scale), true, side
		out = append(out, p)
	}
	return out
}

// newFaceTask is the noisy face-detection task of Afraz et al. 2006 on
// the pool's face-selectivity set.
func newFaceTask(c *Config, pool []vision.Stimulus) (*binaryTask, error) {
	faces, nonfaces := vision.FaceSelectivitySet(pool)
	t, err := newDetectionTask(c.Task.SignalLevels_pct, faces, nonfaces, c.Task.TestImages, 0, c.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: faces against non-faces: %w", c.Protocol, err)
	}
	return t, nil
}

// GenderItem is one test presentation of the gender task.
type GenderItem struct {
	File   string
	Female bool
	Side   Side
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// IdentityPair is one same/different trial type: two photos, of the same
// person or not.
type IdentityPair struct {
	A, B int // indices into the face list
	Same bool
}

// IdentityPairs returns every ordered pair of distinct photos of the same
// identity and every ordered pair of photos of different identities.
func IdentityPairs(ids []string) (same, different []IdentityPair) {
	for a := range ids {
		for b := range ids {
			switch {
			case a == b:
			case ids[a] == ids[b]:
				same = append(same, IdentityPair{a, b, true})
			default:
				different = append(different, IdentityPair{a, b, false})
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

// Task is one binary discrimination, category A against B.
type Task struct{ A, B int }

// AllPairs returns every unordered pair of n categories.
func AllPairs(n int) []Task {
	var out []Task
	for a := 0; a < n; a++ {
		for b := a + 1; b < n; b++ {
			out = append(out, Task{a, b})
		}
	}
	return out
}

// levelCounts sums "face" choices (class 1) per signal level.
func levelCounts(counts [][]int, items []TaskItem, idx map[float64]int) []int {
	k := make([]int, len(idx))
	for i, it := range items {
		k[idx[it.Level]] += counts[i][1]
	}
	return k
}

// faceDetectionTask is the noisy face/non-face task of Afraz, Kiani &
// Esteky (2006; docs/references.md#afraz2006): signal ±15–80 % and 0, 16
// face and 16 non-face test images per level, 10 trials per image,
// Brain-Score's fixed readout (C = 1e-3), 500 bootstrap resamples. The
// afraz2006 protocol and the hardware sweeps share it.
func faceDetectionTask() TaskConfig {
	return TaskConfig{SignalLevels_pct: []float64{-80, -50, -40, -25, -15, 0, 15, 25, 40, 50, 80},
		TestImages: 16, TrialsPerImage: 10, DecoderC: 1e-3, Lapse: 0, BootstrapReps: 500, Readout: ReadoutFixed}
}

// afrazMicrostim is the IT microstimulation of Afraz et al. (2006): 50 µA at
// 200 Hz, 0.2 ms per phase, 50 ms trains, spread by the Kumaravelu fit,
// multiplicative gain (docs/references.md#afraz2006, #kumaravelu2022).
func afrazMicrostim() PerturbationConfig {
	return PerturbationConfig{Kind: "microstim", Stage: "IT", SpreadLaw: "exp_kumaravelu2022",
		Current_uA: 50, Frequency_Hz: 200, PulseWidth_us: 200, Train_ms: 50, GainMode: "multiplicative",
		Expression: 1, OptoMode: "suppression"}
}
