package vision

import (
	"math/rand/v2"
	"testing"
)

// tinyDataset has 4 classes; class k brightens image quadrant k.
func tinyDataset(n, side int, seed uint64) *Dataset {
	r := rand.New(rand.NewPCG(seed, 9))
	ds := &Dataset{Classes: []string{"q0", "q1", "q2", "q3"}}
	for i := 0; i < n; i++ {
		k := i % 4
		g := &Gray{W: side, H: side, Pix: make([]float32, side*side)}
		for y := 0; y < side; y++ {
			for x := 0; x < side; x++ {
				v := 0.3 + 0.2*r.Float32()
				if (y*2/side)*2+(x*2/side) == k {
					v += 0.4
				}
				g.Pix[y*side+x] = v
			}
		}
		ds.Train = append(ds.Train, Sample{Img: g, Class: k, Gender: -1})
	}
	return ds
}

func tinyArch(classes []string) Arch {
	return Arch{Input: 32, Channels: [4]int{4, 8, 8, 16}, Kernels: [4]int{3, 3, 3, 3}, Classes: classes}
}

// A few training steps on a tiny network lower the loss.
func TestTrainingLowersLoss(t *testing.T) {
	ds := tinyDataset(64, 36, 1)
	cfg := DefaultTrainConfig("")
	cfg.SwapSteps, cfg.Batch, cfg.Epochs, cfg.TrainSide, cfg.Neighbours, cfg.LR = 0, 16, 10, 36, 12, 3e-3
	tr, err := newTrainer(cfg, tinyArch(ds.Classes), ds, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	g, err := tr.buildGraph()
	if err != nil {
		t.Fatal(err)
	}
	defer g.vm.Close()
	var first, last float64
	spe := tr.stepsPerEpoch()
	for e := 0; e < cfg.Epochs; e++ {
		perm := tr.permutation(e)
		var sum float64
		for s := 0; s < spe; s++ {
			if _, err := tr.batch(g, e, s, perm); err != nil {
				t.Fatal(err)
			}
			if err := g.vm.RunAll(); err != nil {
				t.Fatal(err)
			}
			sum += float64(g.taskV.Data().(float32))
			if err := tr.adam(g); err != nil {
				t.Fatal(err)
			}
			g.vm.Reset()
		}
		if e == 0 {
			first = sum / float64(spe)
		}
		last = sum / float64(spe)
		t.Logf("epoch %d task loss %.4f", e, sum/float64(spe))
	}
	if last > 0.5*first {
		t.Errorf("task loss %.3f → %.3f: want at least halved", first, last)
	}
}
