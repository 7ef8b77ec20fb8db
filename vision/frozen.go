package vision

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/microstim/microstim/tflite"
)

// TrunkConfig puts a training run on a pretrained, frozen trunk: MobileNet
// v2's blocks 1–13 compute V1, V2 and V4 (Arch.Trunk), and only IT and the
// heads train. Every training view's trunk output is computed once and
// cached, so views are fixed per image (TrainConfig.Views ≥ 1).
type TrunkConfig struct {
	File       string `json:"file"`                  // MobileNet v2 TFLite file (training time only)
	SHA256     string `json:"sha256"`                // its SHA-256, checked when it is read
	ITChannels int    `json:"it_channels,omitempty"` // IT width when IT trains
	// IT takes IT from the trunk too (blocks 14–17, first stride 1):
	// frozen, the post-hoc control, on which only the heads train and unit
	// positions come from the swap optimisation alone; with FineTuneIT,
	// candidate A, whose IT blocks start from ImageNet and train under the
	// spatial loss at LRScaleIT times the learning rate.
	IT         bool    `json:"it,omitempty"`
	FineTuneIT bool    `json:"fine_tune_it,omitempty"`
	LRScaleIT  float64 `json:"lr_scale_it,omitempty"`
}

// MobileNetV2Trunk is the trunk of model v3 from path, with an IT of
// itChannels trained on it.
func MobileNetV2Trunk(path string, itChannels int) *TrunkConfig {
	return &TrunkConfig{File: path, SHA256: tflite.MobileNetV2SHA256, ITChannels: itChannels}
}

// trunkArch is the architecture of a run on tc.
func trunkArch(cfg TrainConfig, classes []string) Arch {
	a := MobileNetV2Arch(classes, cfg.Input(), cfg.Trunk.ITChannels, cfg.Trunk.IT)
	a.LocalIT = cfg.LocalIT && !cfg.Trunk.IT
	a.FaceHead = len(cfg.FaceClasses) > 0 && cfg.FaceWeight > 0
	a.Gender = cfg.GenderWeight > 0
	return a
}

// checkTrunkConfig refuses what a frozen trunk cannot train.
func checkTrunkConfig(cfg TrainConfig) error {
	tc := cfg.Trunk
	switch {
	case cfg.Views < 1:
		return fmt.Errorf("vision: a frozen trunk needs a fixed number of views per image (views ≥ 1)")
	case cfg.Alpha[0] != 0 || cfg.Alpha[1] != 0 || cfg.Alpha[2] != 0:
		return fmt.Errorf("vision: spatial loss %v on a frozen trunk: only IT can take one", cfg.Alpha)
	case tc.IT && !tc.FineTuneIT && cfg.Alpha[3] != 0:
		return fmt.Errorf("vision: spatial loss on IT taken from the frozen trunk: nothing there trains")
	case tc.FineTuneIT && (!tc.IT || tc.LRScaleIT <= 0):
		return fmt.Errorf("vision: fine-tuning IT needs IT from the trunk and a learning-rate scale > 0")
	case !tc.IT && tc.ITChannels < 1:
		return fmt.Errorf("vision: trunk IT width %d: want ≥ 1", tc.ITChannels)
	case cfg.Distil != nil:
		return fmt.Errorf("vision: distillation on a frozen trunk is not supported")
	}
	return nil
}

// loadTrunk fills m's trunk tensors from tc's file, after checking its
// SHA-256.
func loadTrunk(m *Model, tc *TrunkConfig) error {
	data, err := os.ReadFile(tc.File)
	if err != nil {
		return fmt.Errorf("vision: trunk: %w", err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != tc.SHA256 {
		return fmt.Errorf("vision: trunk %s has SHA-256 %x, want %s", tc.File, sum, tc.SHA256)
	}
	ts, err := parseMobileNetV2(tc.File, data, tc.IT)
	if err != nil {
		return err
	}
	if err := m.Params.SetTrunk(ts); err != nil {
		return err
	}
	m.Params.TrainTrunk[3] = tc.FineTuneIT
	return nil
}

// frozenStage is the last stage the frozen trunk computes (−1: none):
// V4, or IT when IT is the trunk's and does not train.
func frozenStage(a Arch, p *Params) int {
	switch {
	case a.Trunk == "":
		return -1
	case a.TrunkIT && !p.TrainTrunk[3]:
		return 3
	}
	return 2
}

// frozenStage is the last stage the run's frozen trunk computes.
func (tr *Trainer) frozenStage() int { return frozenStage(tr.Model.Arch, tr.Model.Params) }

const frozenChunk = 1024 // views per cache file

// prepareFrozen loads or computes the frozen trunk's output for every
// (training sample, view), in cache files of frozenChunk views under
// TeacherCacheDir, so an interrupted computation resumes and a run's α = 0
// control reuses them.
func (tr *Trainer) prepareFrozen() error {
	a := tr.Model.Arch
	f := tr.frozenStage()
	if f < 0 || tr.frozen != nil {
		return nil
	}
	dir := filepath.Join(TeacherCacheDir(), "trunk-"+tr.frozenKey()[:24])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("vision: trunk cache: %w", err)
	}
	u := a.Units(f)
	total := len(tr.Data.Train) * tr.Cfg.Views
	tr.frozen = make([]float32, total*u)
	bar := newBar(tr.Progress, total, 0)
	start := time.Now()
	var keep [4]bool
	keep[f] = true
	for lo := 0; lo < total; lo += frozenChunk {
		hi := min(lo+frozenChunk, total)
		path := filepath.Join(dir, fmt.Sprintf("views-%07d-%07d.f32", lo, hi))
		dst := tr.frozen[lo*u : hi*u]
		if readFloats(path, dst) == nil {
			bar.update(hi, "trunk responses (cached)")
			continue
		}
		imgs := make([]*Gray, hi-lo)
		for k := range imgs {
			i, v := (lo+k)/tr.Cfg.Views, (lo+k)%tr.Cfg.Views
			imgs[k] = tr.view(tr.Data.Train[i].Img, tr.viewRand(i, v))
		}
		act, err := tr.Model.Run(imgs, keep)
		if err != nil {
			return fmt.Errorf("vision: trunk responses: %w", err)
		}
		for k, r := range act.Stages[f] {
			copy(dst[k*u:(k+1)*u], r)
		}
		if err := writeFloats(path, dst); err != nil {
			return err
		}
		bar.update(hi, fmt.Sprintf("trunk responses %.1f ms/view", 1000*time.Since(start).Seconds()/float64(hi-lo)))
		start = time.Now()
	}
	bar.done()
	return nil
}

// frozenKey identifies a run's cached trunk responses: everything that
// decides the augmented views and the trunk.
func (tr *Trainer) frozenKey() string {
	c := tr.Cfg
	b, _ := json.Marshal(struct {
		Files, Trunk string
		IT           bool // IT's responses are cached (not V4's)
		Seed         uint64
		Views, Input int
		Side         int
		Hemifield    float64
		Crop         map[string]float64
	}{tr.Data.FilesHash, c.Trunk.SHA256, tr.frozenStage() == 3, c.Seed, c.Views, c.Input(), c.TrainSide, c.HemifieldFrac, c.CropFrac})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// frozenInput copies the cached trunk responses of the batch's views into x.
func (tr *Trainer) frozenInput(x []float32, idx, views []int) {
	u := tr.Model.Arch.Units(tr.frozenStage())
	for b, i := range idx {
		k := i*tr.Cfg.Views + views[b]
		copy(x[b*u:(b+1)*u], tr.frozen[k*u:(k+1)*u])
	}
}
