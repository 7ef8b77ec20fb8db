package experiments

import (
	"fmt"
	"math"
	"math/rand/v2"

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

// TaskItem is one test image at one signal level.
type TaskItem struct {
	Level  float64 // % signal: + face source, − non-face source, 0 pure noise
	Face   bool    // source category
	Source string  // stimulus file
	Img    *vision.Gray
}

func taskImages(items []TaskItem) []*vision.Gray {
	out := make([]*vision.Gray, len(items))
	for i, it := range items {
		out[i] = it.Img
	}
	return out
}

// faceTask is the noisy face-detection task of Afraz et al. 2006: the test
// items at every signal level and the readout's fitting set.
type faceTask struct {
	Items           []TaskItem
	FitImgs         []*vision.Gray
	FitLab          []int             // 1 face, 0 non-face
	Faces, NonFaces []vision.Stimulus // the face-selectivity set, in the task's seeded order
}

// newFaceTask draws test_images_per_class faces and non-faces for testing
// (each with its own noise per level) and as many others, at every
// non-zero level, to fit the readout.
func newFaceTask(c *Config, pool []vision.Stimulus) (*faceTask, error) {
	faces, nonfaces := vision.FaceSelectivitySet(pool)
	r := rand.New(rand.NewPCG(c.Seed, 0x61667261))
	r.Shuffle(len(faces), func(i, j int) { faces[i], faces[j] = faces[j], faces[i] })
	r.Shuffle(len(nonfaces), func(i, j int) { nonfaces[i], nonfaces[j] = nonfaces[j], nonfaces[i] })
	nt := c.Task.TestImages
	if len(faces) < 2*nt || len(nonfaces) < 2*nt {
		return nil, fmt.Errorf("%s: %d faces and %d non-faces: too few for %d test images per class and a decoder set", c.Protocol, len(faces), len(nonfaces), nt)
	}
	testF, fitF := faces[:nt], faces[nt:]
	testN, fitN := nonfaces[:nt], nonfaces[nt:nt+len(fitF)]

	// Test items: per level, the face (level > 0), non-face (level < 0) or
	// both (level 0) test images with their own noise.
	var items []TaskItem
	for li, lv := range c.Task.SignalLevels_pct {
		var src []vision.Stimulus
		switch {
		case lv > 0:
			src = testF
		case lv < 0:
			src = testN
		default:
			src = append(append([]vision.Stimulus(nil), testF...), testN...)
		}
		for k, s := range src {
			nr := rand.New(rand.NewPCG(c.Seed, uint64(li)<<20|uint64(k)))
			items = append(items, TaskItem{Level: lv, Face: s.Face, Source: s.File, Img: AddNoise(s.Img, lv, nr)})
		}
	}
	// Decoder set: the other images at every non-zero level, labelled by source.
	var fitImgs []*vision.Gray
	var fitLab []int
	for li, lv := range c.Task.SignalLevels_pct {
		if lv == 0 {
			continue
		}
		for k, s := range append(append([]vision.Stimulus(nil), fitF...), fitN...) {
			nr := rand.New(rand.NewPCG(c.Seed^0x5eed, uint64(li)<<20|uint64(k)))
			fitImgs = append(fitImgs, AddNoise(s.Img, math.Abs(lv), nr))
			lab := 0
			if s.Face {
				lab = 1
			}
			fitLab = append(fitLab, lab)
		}
	}
	return &faceTask{Items: items, FitImgs: fitImgs, FitLab: fitLab, Faces: faces, NonFaces: nonfaces}, nil
}

// GenderItem is one test presentation of the gender task.
type GenderItem struct {
	File   string
	Female bool
	Side   Side
}

// genderSplit returns test and decoder-fit faces: nTest of each gender
// for testing, the rest (balanced between genders) for fitting.
func genderSplit(pool []vision.Stimulus, nTest int, seed uint64) (test, fit []vision.Stimulus, err error) {
	var male, female []vision.Stimulus
	for _, s := range pool {
		switch s.Gender {
		case "male":
			male = append(male, s)
		case "female":
			female = append(female, s)
		}
	}
	r := rand.New(rand.NewPCG(seed, 0x67656e64))
	r.Shuffle(len(male), func(i, j int) { male[i], male[j] = male[j], male[i] })
	r.Shuffle(len(female), func(i, j int) { female[i], female[j] = female[j], female[i] })
	if len(male) < nTest+2 || len(female) < nTest+2 {
		return nil, nil, fmt.Errorf("gender task: %d male and %d female labelled faces; test_images_per_class = %d needs %d of each",
			len(male), len(female), nTest, nTest+2)
	}
	nFit := min(len(male), len(female)) - nTest
	test = append(append(test, male[:nTest]...), female[:nTest]...)
	fit = append(append(fit, male[nTest:nTest+nFit]...), female[nTest:nTest+nFit]...)
	return test, fit, nil
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
