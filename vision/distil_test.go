package vision

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// distilConfig is the tiny training config with 2 views per image and a
// distillation loss towards an 8-value teacher embedding.
func distilConfig() TrainConfig {
	cfg := tinyConfig()
	cfg.Views, cfg.HemifieldFrac = 2, 0.3
	cfg.Distil = &DistilConfig{Dims: 8, Weight: 1}
	return cfg
}

// classTeacher is a fake teacher whose unit-norm embedding of a view
// encodes the sample's class: learnable from IT.
func classTeacher(ds *Dataset, views, dims int) []float32 {
	out := make([]float32, len(ds.Train)*views*dims)
	for i, s := range ds.Train {
		for v := 0; v < views; v++ {
			e := out[(i*views+v)*dims : (i*views+v+1)*dims]
			e[s.Class] = 0.8
			e[dims-1] = 0.6
		}
	}
	return out
}

// The distillation projection learns the teacher's embedding: the cosine
// loss falls well below its start, and the saved model holds no
// projection.
func TestDistillationLearnsTeacher(t *testing.T) {
	ds := tinyDataset(64, 36, 1)
	cfg := distilConfig()
	cfg.Epochs = 8
	dir := t.TempDir()
	tr, err := newTrainer(cfg, tinyArch(ds.Classes), ds, dir)
	if err != nil {
		t.Fatal(err)
	}
	tr.teacher = classTeacher(ds, cfg.Views, cfg.Distil.Dims)
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	ep := tr.Record.Epochs
	first, last := ep[0].DistilLoss, ep[len(ep)-1].DistilLoss
	t.Logf("distillation loss %.3f → %.3f", first, last)
	if !(last < 0.5*first) || last > 0.2 {
		t.Errorf("distillation loss %.3f → %.3f: want at least halved and below 0.2", first, last)
	}
	m, _, _, err := Load(filepath.Join(dir, "model.mstw"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(m.Params.Named()), len(tr.Model.Params.Named()); got != want {
		t.Errorf("saved model has %d tensors, want the model's %d (no projection)", got, want)
	}
}

// A distilling run stopped mid-epoch and resumed gives the uninterrupted
// run's weights bit for bit (projection and its optimiser state included).
func TestResumeDistillationIsExact(t *testing.T) {
	ds := tinyDataset(64, 36, 2)
	cfg := distilConfig()
	cfg.Epochs = 2
	teacher := classTeacher(ds, cfg.Views, cfg.Distil.Dims)
	full, split := t.TempDir(), t.TempDir()
	tr, _ := newTrainer(cfg, tinyArch(ds.Classes), ds, full)
	tr.teacher = teacher
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	tr1, _ := newTrainer(cfg, tinyArch(ds.Classes), ds, split)
	tr1.teacher, tr1.stopAtStep = teacher, 5
	if err := tr1.Run(); err != nil {
		t.Fatal(err)
	}
	tr2, err := ResumeTrainer(cfg, ds, split)
	if err != nil {
		t.Fatal(err)
	}
	tr2.teacher = teacher
	if err := tr2.Run(); err != nil {
		t.Fatal(err)
	}
	wa, _ := os.ReadFile(filepath.Join(full, "model.mstw"))
	wb, _ := os.ReadFile(filepath.Join(split, "model.mstw"))
	if len(wa) == 0 || !bytes.Equal(wa, wb) {
		t.Error("resumed distilling run's weights differ from the uninterrupted run's")
	}
}

// Views are fixed per (sample, view): the same view twice is the same
// image; with HemifieldFrac 1 every view is a half-scale image in one half
// of a grey frame.
func TestViews(t *testing.T) {
	ds := tinyDataset(8, 36, 1)
	cfg := tinyConfig()
	cfg.Views, cfg.HemifieldFrac = 3, 1
	tr, err := newTrainer(cfg, tinyArch(ds.Classes), ds, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a := tr.view(ds.Train[2].Img, tr.viewRand(2, 1))
	b := tr.view(ds.Train[2].Img, tr.viewRand(2, 1))
	if !slicesEqual(a.Pix, b.Pix) {
		t.Error("one view drawn twice differs")
	}
	sides := map[bool]int{}
	for i := range ds.Train {
		for v := 0; v < cfg.Views; v++ {
			g := tr.view(ds.Train[i].Img, tr.viewRand(i, v))
			greyLeft, greyRight := true, true
			for y := 0; y < g.H; y++ {
				for x := 0; x < g.W; x++ {
					grey := math.Abs(float64(g.Pix[y*g.W+x]-HemifieldBackground)) < 1e-6
					if x < g.W/2 && !grey {
						greyLeft = false
					}
					if x >= g.W/2 && !grey {
						greyRight = false
					}
				}
			}
			if greyLeft == greyRight {
				t.Fatalf("sample %d view %d: want exactly one grey half (left %v, right %v)", i, v, greyLeft, greyRight)
			}
			sides[greyLeft]++
		}
	}
	if sides[true] == 0 || sides[false] == 0 {
		t.Errorf("images shown on one side only: %v", sides)
	}
}

func slicesEqual(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A snapshot of a checkpoint is the checkpoint's model as a weight file.
func TestSnapshotCheckpoint(t *testing.T) {
	ds := tinyDataset(64, 36, 2)
	dir := t.TempDir()
	tr, _ := newTrainer(tinyConfig(), tinyArch(ds.Classes), ds, dir)
	tr.stopAtStep = 3
	if err := tr.Run(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snap.mstw")
	if err := SnapshotCheckpoint(dir, path); err != nil {
		t.Fatal(err)
	}
	m, _, _, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slicesEqual(Data(m.Params.W[0]), Data(tr.Model.Params.W[0])) {
		t.Error("snapshot weights differ from the trainer's")
	}
	if err := SnapshotCheckpoint(t.TempDir(), path); err == nil {
		t.Error("folder without a checkpoint accepted")
	}
}
