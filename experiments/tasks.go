package experiments

import (
	"fmt"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/vision"
)

// newFaceTask is the noisy face-detection task of Afraz et al. 2006 on
// the pool's face-selectivity set.
func newFaceTask(c *Config, pool []vision.Stimulus) (*paradigm.Binary, error) {
	faces, nonfaces := vision.FaceSelectivitySet(pool)
	t, err := paradigm.Detection(c.Task.SignalLevels_pct, faces, nonfaces, c.Task.TestImages, 0, c.Seed)
	if err != nil {
		return nil, fmt.Errorf("%s: faces against non-faces: %w", c.Protocol, err)
	}
	return t, nil
}

// faceTaskProtocol gives a protocol on the face-detection task (Afraz 2006
// and the hardware sweeps) that task's keys, stimulus check and work.
type faceTaskProtocol struct{ named }

func (p faceTaskProtocol) TaskKeys(*Config) ([]string, string) { return faceTaskKeys, p.reader() }

func (faceTaskProtocol) CheckStimuli(c *Config, pool []vision.Stimulus) error {
	_, err := newFaceTask(c, pool)
	return err
}

// faceTaskKeys are the [task] keys of the face-detection task.
var faceTaskKeys = []string{"signal_levels_pct", "test_images_per_class", "trials_per_image", "decoder_C", "readout", "lapse_rate", "bootstrap_reps"}

// faceTaskWork is the face-detection task's work: both classes at every
// signal level, two psychometric fits per site and their bootstraps.
func faceTaskWork(c *Config, sites int) Work {
	w := BaseWork()
	w.ImagesPerSite = 2 * c.Task.TestImages * len(c.Task.SignalLevels_pct)
	w.Fits = float64(sites) * (2 + 2*float64(c.Task.BootstrapReps))
	return w
}

// hemifieldTaskProtocol gives a protocol on a task shown in one hemifield
// and read out by a logistic readout (Afraz 2015, Rajalingham 2019) that
// task's keys and its calibration.
type hemifieldTaskProtocol struct{ named }

// hemifieldTaskKeys are the [task] keys of a hemifield task.
var hemifieldTaskKeys = []string{"test_images_per_class", "trials_per_image", "decoder_C", "readout", "control_accuracy_pct", "lapse_rate", "image_scale"}

func (p hemifieldTaskProtocol) TaskKeys(*Config) ([]string, string) {
	return hemifieldTaskKeys, p.reader()
}

// Calibratable: when the paper gives a control accuracy to match.
func (hemifieldTaskProtocol) Calibratable(c *Config) bool { return c.Task.ControlAccuracy_pct > 0 }

// GenderItem is one test presentation of the gender task.
type GenderItem struct {
	File   string
	Female bool
	Side   paradigm.Side
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// levelCounts sums "face" choices (class 1) per signal level.
func levelCounts(counts [][]int, items []paradigm.Item, idx map[float64]int) []int {
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
