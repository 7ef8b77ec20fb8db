package vision

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// tinyDataset has 4 classes; class k brightens horizontal band k (a
// pattern that survives the horizontal-flip augmentation).
func tinyDataset(n, side int, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 9))
	ds := &Dataset{Classes: []string{"q0", "q1", "q2", "q3"}, FilesHash: "tiny"}
	mk := func(k, side int) *Gray {
		g := &Gray{W: side, H: side, Pix: make([]float32, side*side)}
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				v := 0.3 + 0.2*r.Float32()
				if y*4/side == k {
					v += 0.4
				}
				g.Pix[y*side+x] = v
			}
		}
		return g
	}
	for i := 0; i < n; i++ {
		ds.Train = append(ds.Train, Sample{Img: mk(i%4, side), Class: i % 4, Gender: -1})
	}
	for i := 0; i < 16; i++ {
		ds.Heldout = append(ds.Heldout, Sample{Img: mk(i%4, 32), Class: i % 4, Gender: -1})
	}
	return ds
}

func tinyArch(classes []string) Arch {
	return Arch{Input: 32, Channels: [4]int{4, 8, 8, 16}, Kernels: [4]int{3, 3, 3, 3}, Classes: classes}
}

func tinyConfig() TrainConfig {
	cfg := DefaultTrainConfig("")
	cfg.SwapSteps, cfg.Batch, cfg.Epochs, cfg.TrainSide, cfg.Neighbours, cfg.LR = 50, 16, 6, 36, 12, 1e-2
	cfg.GenderWeight, cfg.Repeat = 0, nil
	cfg.LocalIT, cfg.FaceClasses, cfg.FaceWeight = false, nil, 0
	return cfg
}

// A few training steps on a tiny network lower the loss, with the spatial
// loss on.
func TestTrainingLowersLoss(t *testing.T) {
	ds := tinyDataset(64, 36, 1)
	tr, err := newTrainer(tinyConfig(), tinyArch(ds.Classes), ds, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	ep := tr.Record.Epochs
	first, last := ep[0].TaskLoss, ep[len(ep)-1].TaskLoss
	if last > 0.5*first {
		t.Errorf("task loss %.3f → %.3f over %d epochs: want at least halved", first, last, len(ep))
	}
	if ep[len(ep)-1].HeldoutTop1 < 0.9 {
		t.Errorf("held-out top-1 %.3f on the band task, want ≥ 0.9", ep[len(ep)-1].HeldoutTop1)
	}
}

// The unshared IT layer trains: the loss falls and its weights move.
func TestTrainingLocalIT(t *testing.T) {
	ds := tinyDataset(64, 36, 1)
	a := tinyArch(ds.Classes)
	a.LocalIT = true
	tr, err := newTrainer(tinyConfig(), a, ds, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	w0 := append([]float32(nil), Data(tr.Model.Params.LocalW)...)
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	ep := tr.Record.Epochs
	if first, last := ep[0].TaskLoss, ep[len(ep)-1].TaskLoss; last > 0.5*first {
		t.Errorf("task loss %.3f → %.3f: want at least halved", first, last)
	}
	moved := 0
	for i, v := range Data(tr.Model.Params.LocalW) {
		if v != w0[i] {
			moved++
		}
	}
	if moved < len(w0)/2 {
		t.Errorf("%d of %d unshared IT weights changed in training", moved, len(w0))
	}
}

// The face-detection head trains on the classes named as faces: after
// training it tells them from the other classes.
func TestTrainingFaceHead(t *testing.T) {
	ds := tinyDataset(64, 36, 1)
	cfg := tinyConfig()
	cfg.FaceClasses, cfg.FaceWeight = []string{ds.Classes[1]}, 1
	a := tinyArch(ds.Classes)
	a.FaceHead = true
	tr, err := newTrainer(cfg, a, ds, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	act, err := tr.Model.Run(sampleImages(ds.Heldout), [4]bool{false, false, false, true})
	if err != nil {
		t.Fatal(err)
	}
	w, b := Data(tr.Model.Params.FaceW), Data(tr.Model.Params.FaceB)
	correct := 0
	for i, smp := range ds.Heldout {
		z := [2]float64{float64(b[0]), float64(b[1])}
		for k, v := range act.Stages[3][i] {
			z[0] += float64(v) * float64(w[2*k])
			z[1] += float64(v) * float64(w[2*k+1])
		}
		if (z[1] > z[0]) == (smp.Class == 1) {
			correct++
		}
	}
	if correct < len(ds.Heldout)*9/10 {
		t.Errorf("face head right on %d of %d held-out images", correct, len(ds.Heldout))
	}
	cfg.FaceClasses = []string{"nope"}
	if _, err := newTrainer(cfg, a, ds, t.TempDir()); err == nil {
		t.Error("unknown face class accepted")
	}
}

// Stopping a run and resuming it from its checkpoint gives the same weights,
// bit for bit, as an uninterrupted run.
func TestResumeIsExact(t *testing.T) {
	ds := tinyDataset(64, 36, 2)
	cfg := tinyConfig()
	cfg.Epochs = 3
	// The default recipe's extras: unshared IT and the face-detection loss.
	cfg.LocalIT, cfg.FaceClasses, cfg.FaceWeight = true, []string{ds.Classes[1]}, 0.5
	a := tinyArch(ds.Classes)
	a.LocalIT, a.FaceHead = true, true
	full := t.TempDir()
	tr, err := newTrainer(cfg, a, ds, full)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	split := t.TempDir()
	tr1, _ := newTrainer(cfg, a, ds, split)
	tr1.stopAtStep = 5 // mid-epoch (4 steps per epoch)
	if err := tr1.Run(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(split, "model.mstw")); err == nil {
		t.Fatal("interrupted run wrote final weights")
	}
	tr2, err := ResumeTrainer(cfg, ds, split)
	if err != nil {
		t.Fatal(err)
	}
	if tr2.epoch != 1 || tr2.step != 1 {
		t.Fatalf("resumed at epoch %d step %d, want 1, 1", tr2.epoch, tr2.step)
	}
	if err := tr2.Run(); err != nil {
		t.Fatal(err)
	}
	wa, _ := os.ReadFile(filepath.Join(full, "model.mstw"))
	wb, _ := os.ReadFile(filepath.Join(split, "model.mstw"))
	if len(wa) == 0 || !bytes.Equal(wa, wb) {
		t.Error("resumed run's weights differ from the uninterrupted run's")
	}
	other := cfg
	other.LR = 5e-3
	if _, err := ResumeTrainer(other, ds, split); err == nil {
		t.Error("resuming with a different config was accepted")
	}
}

// Repeat shows a class's images several times per epoch, in a shuffled
// order that covers each repeated image exactly that often.
func TestRepeatFaceDiet(t *testing.T) {
	ds := tinyDataset(64, 36, 1)
	cfg := tinyConfig()
	cfg.Repeat = map[string]int{"q1": 3}
	tr, err := newTrainer(cfg, tinyArch(ds.Classes), ds, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	perm := tr.permutation(0)
	if len(perm) != 64+2*16 {
		t.Fatalf("epoch has %d items, want %d", len(perm), 96)
	}
	count := map[int]int{}
	for _, i := range perm {
		count[i]++
	}
	for i, s := range ds.Train {
		want := 1
		if s.Class == 1 {
			want = 3
		}
		if count[i] != want {
			t.Fatalf("sample %d (class %d) shown %d times, want %d", i, s.Class, count[i], want)
		}
	}
	cfg.Repeat = map[string]int{"faces": 2}
	if _, err := newTrainer(cfg, tinyArch(ds.Classes), ds, t.TempDir()); err == nil {
		t.Fatal("unknown repeat class accepted")
	}
}

func sampleImages(s []Sample) []*Gray {
	out := make([]*Gray, len(s))
	for i := range s {
		out[i] = s[i].Img
	}
	return out
}

// The default recipe (DefaultRecipe) is the embedded default model's
// recorded configuration and architecture, so `microstim train`
// reproduces it.
func TestDefaultRecipeMatchesEmbeddedRecord(t *testing.T) {
	b, err := DefaultTrainingRecord()
	if err != nil {
		t.Fatal(err)
	}
	var rec struct {
		Config json.RawMessage `json:"config"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	var got, want any
	json.Unmarshal(rec.Config, &got)
	def, err := Recipe(DefaultRecipe, "../shared/data")
	if err != nil {
		t.Fatal(err)
	}
	w, _ := json.Marshal(def)
	json.Unmarshal(w, &want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("embedded record's config\n  %s\nrecipe %s\n  %s", rec.Config, DefaultRecipe, w)
	}
	m, _, _, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	cfg := def
	if m.Arch.Input != cfg.Input() || m.Arch.LocalIT != cfg.LocalIT || m.Arch.FaceHead != (len(cfg.FaceClasses) > 0 && cfg.FaceWeight > 0) {
		t.Errorf("embedded architecture %s does not match the default recipe", m.Arch.Describe())
	}
}

// On the frozen MobileNet v2 trunk only IT and the heads train (only the
// heads for the post-hoc control, IT from the trunk): the trunk's tensors
// keep the pretrained values, the trained ones move, the band task is
// learnt, and the saved model gives the trainer's own held-out predictions.
func TestTrainingOnFrozenTrunk(t *testing.T) {
	dir := frozenTrunkTest(t)
	for _, c := range []struct{ trunkIT, fineTune bool }{{false, false}, {true, false}, {true, true}} {
		trunkIT := c.trunkIT
		ds := tinyDataset(64, 36, 1)
		cfg := tinyConfig()
		cfg.InputPx, cfg.Views, cfg.Epochs = 32, 2, 4
		cfg.Trunk = MobileNetV2Trunk(mobileNetFile, 8)
		if trunkIT {
			cfg.Trunk.IT, cfg.Alpha = true, [4]float64{}
		}
		if c.fineTune { // candidate A: IT's trunk blocks train, under the spatial loss
			cfg.Trunk.FineTuneIT, cfg.Trunk.LRScaleIT, cfg.Alpha[3] = true, 0.1, 1
		}
		run := filepath.Join(dir, fmt.Sprint("run", trunkIT, c.fineTune))
		tr, err := NewTrainer(cfg, ds, run)
		if err != nil {
			t.Fatal(err)
		}
		trunk0 := append([]float32(nil), Data(tr.Model.Params.Trunk[2][0].T)...)
		head0 := append([]float32(nil), Data(tr.Model.Params.HeadW)...)
		var it0 []float32
		if c.fineTune {
			it0 = append(it0, Data(tr.Model.Params.Trunk[3][0].T)...)
		}
		if err := tr.Run(); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(trunk0, Data(tr.Model.Params.Trunk[2][0].T)) {
			t.Errorf("trunk IT %v: training changed the frozen trunk", trunkIT)
		}
		if reflect.DeepEqual(head0, Data(tr.Model.Params.HeadW)) {
			t.Errorf("trunk IT %v: the head did not train", trunkIT)
		}
		if c.fineTune && reflect.DeepEqual(it0, Data(tr.Model.Params.Trunk[3][0].T)) {
			t.Error("fine-tuned IT blocks did not train")
		}
		ep := tr.Record.Epochs
		switch top1 := ep[len(ep)-1].HeldoutTop1; {
		case c.fineTune: // 20,480 signed units and the IT blocks' gradients in the clipped norm: slower on this tiny task
			if ep[len(ep)-1].TaskLoss > 0.5*ep[0].TaskLoss {
				t.Errorf("fine-tuned IT: task loss %.3f → %.3f, want at least halved", ep[0].TaskLoss, ep[len(ep)-1].TaskLoss)
			}
		case top1 < 0.9:
			t.Errorf("trunk IT %v: held-out top-1 %.3f on the band task, want ≥ 0.9", trunkIT, top1)
		}
		m, meta, _, err := Load(filepath.Join(run, "model.mstw"))
		if err != nil {
			t.Fatal(err)
		}
		if meta["trunk_sha256"] != cfg.Trunk.SHA256 || m.Arch.Trunk != MobileNetV2 || m.Arch.TrunkIT != trunkIT || m.Arch.MapSize(3) != 2 {
			t.Errorf("saved model: trunk %q (%s), IT from the trunk %v, IT grid %d", m.Arch.Trunk, meta["trunk_sha256"], m.Arch.TrunkIT, m.Arch.MapSize(3))
		}
		imgs := []*Gray{ds.Heldout[0].Img, ds.Heldout[1].Img}
		a, err := m.Run(imgs, [4]bool{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := tr.Model.Run(imgs, [4]bool{})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(a.Logits, b.Logits) {
			t.Errorf("trunk IT %v: the saved model's logits differ from the trainer's", trunkIT)
		}
	}
}

// A frozen-trunk run stopped mid-epoch and resumed gives the uninterrupted
// run's weights bit for bit (the cached trunk responses are read back).
func TestResumeOnFrozenTrunkIsExact(t *testing.T) {
	dir := frozenTrunkTest(t)
	ds := tinyDataset(64, 36, 2)
	cfg := tinyConfig()
	cfg.InputPx, cfg.Views, cfg.Epochs = 32, 2, 2
	cfg.Trunk = MobileNetV2Trunk(mobileNetFile, 8)
	full, split := filepath.Join(dir, "full"), filepath.Join(dir, "split")
	tr, err := NewTrainer(cfg, ds, full)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	tr1, _ := NewTrainer(cfg, ds, split)
	tr1.stopAtStep = 5
	if err := tr1.Run(); err != nil {
		t.Fatal(err)
	}
	tr2, err := ResumeTrainer(cfg, ds, split)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr2.Run(); err != nil {
		t.Fatal(err)
	}
	wa, _ := os.ReadFile(filepath.Join(full, "model.mstw"))
	wb, _ := os.ReadFile(filepath.Join(split, "model.mstw"))
	if len(wa) == 0 || !bytes.Equal(wa, wb) {
		t.Error("resumed frozen-trunk run's weights differ from the uninterrupted run's")
	}
}

// frozenTrunkTest skips without the MobileNet v2 file and points the trunk
// cache into a temporary folder, which it returns.
func frozenTrunkTest(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(mobileNetFile); err != nil {
		t.Skipf("no MobileNet v2 file: %v", err)
	}
	old := TeacherCacheDir
	dir := t.TempDir()
	TeacherCacheDir = func() string { return filepath.Join(dir, "cache") }
	t.Cleanup(func() { TeacherCacheDir = old })
	return dir
}

// A trunk file that is not the recorded one, or a frozen-trunk config the
// trunk cannot train, is refused before any work, saying why.
func TestFrozenTrunkRefusals(t *testing.T) {
	ds := tinyDataset(16, 36, 1)
	base := func() TrainConfig {
		cfg := tinyConfig()
		cfg.InputPx, cfg.Views = 32, 2
		cfg.Trunk = MobileNetV2Trunk("train_test.go", 8) // not MobileNet v2
		return cfg
	}
	for _, tc := range []struct {
		name string
		edit func(c *TrainConfig)
		want string
	}{
		{"another file", func(c *TrainConfig) {}, "has SHA-256"},
		{"missing file", func(c *TrainConfig) { c.Trunk.File = "nope.tflite" }, "no such file"},
		{"fresh views", func(c *TrainConfig) { c.Views = 0 }, "views ≥ 1"},
		{"spatial loss on V4", func(c *TrainConfig) { c.Alpha[2] = 1 }, "only IT can take one"},
		{"spatial loss on a frozen IT", func(c *TrainConfig) { c.Trunk.IT = true }, "nothing there trains"},
	} {
		cfg := base()
		tc.edit(&cfg)
		if _, err := NewTrainer(cfg, ds, t.TempDir()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
