package vision

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Speed benchmarks of the network at batch 64 against the PyTorch peer
// (../shared/bench/peer_pytorch.py, run by BenchmarkVsPyTorch in the same
// process, same threads, batch and shapes):
//
//	go test -run '^$' -bench VsPyTorch -benchtime 1x ./vision

// speedArch is the default model's architecture (100 classes, unshared IT,
// gender and face heads) at input side px: 64 px gives 4 × 4 IT positions,
// 128 px 8 × 8.
func speedArch(px int) Arch {
	classes := []string{"Faces_easy"}
	for len(classes) < 100 {
		classes = append(classes, "c"+strconv.Itoa(len(classes)))
	}
	a := DefaultArch(classes)
	a.Input, a.LocalIT, a.FaceHead = px, true, true
	return a
}

// forwardFLOPs counts the multiply-adds (× 2) of one image's forward pass.
func forwardFLOPs(a Arch) float64 {
	var f float64
	in := 1
	for s := 0; s < 4; s++ {
		side := a.Input >> s
		f += 2 * float64(a.Channels[s]*in*a.Kernels[s]*a.Kernels[s]*side*side)
		in = a.Channels[s]
	}
	m := a.MapSize(3)
	f += 2 * float64(m*m*a.Channels[3]*a.Channels[3])
	return f + 2*float64(a.ITUnits()*(len(a.Classes)+4))
}

// speedArchV3 is model v3 candidate B's architecture (recipe v3b) at
// 128 px: MobileNet v2 blocks 1–13 frozen, IT 3 × 3/256 on the 8 × 8
// stride-16 map, unshared IT, gender and face heads.
func speedArchV3() Arch {
	a := MobileNetV2Arch(speedArch(128).Classes, 128, 256, false)
	a.LocalIT, a.FaceHead = true, true
	return a
}

// speedModel is a model of a with random weights, trunk included (speed
// does not depend on the values).
func speedModel(tb testing.TB, a Arch) *Model {
	m, err := NewModel(a, 1)
	if err != nil {
		tb.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	for _, ts := range m.Params.Trunk {
		for _, t := range ts {
			for i, d := 0, Data(t.T); i < len(d); i++ {
				d[i] = float32(r.NormFloat64() * 0.1)
			}
		}
	}
	return m
}

// forwardRate runs n forward passes of 64 random images.
func forwardRate(tb testing.TB, a Arch, n int) float64 {
	m := speedModel(tb, a)
	imgs := randomImages(64, a.Input, 1)
	if _, err := m.Run(imgs, [4]bool{false, false, false, true}); err != nil { // builds the graph
		tb.Fatal(err)
	}
	start := time.Now()
	for i := 0; i < n; i++ {
		if _, err := m.Run(imgs, [4]bool{false, false, false, true}); err != nil {
			tb.Fatal(err)
		}
	}
	return float64(64*n) / time.Since(start).Seconds()
}

// trainRate runs n training steps at batch 64 with the default recipe's
// losses (categorisation, gender, face detection, IT spatial loss) and
// AdamW, on random images.
func trainRate(tb testing.TB, a Arch, n int) float64 {
	r := rand.New(rand.NewPCG(2, 2))
	cfg := DefaultTrainConfig("")
	cfg.SwapSteps, cfg.Repeat, cfg.TrainSide, cfg.FaceClasses = 0, nil, a.Input+8, []string{"Faces_easy"}
	cfg.Views = 1
	ds := &Dataset{Classes: a.Classes, FilesHash: "speed"}
	for i := 0; i < 128; i++ {
		img := &Gray{W: cfg.TrainSide, H: cfg.TrainSide, Pix: make([]float32, cfg.TrainSide*cfg.TrainSide)}
		for k := range img.Pix {
			img.Pix[k] = r.Float32()
		}
		ds.Train = append(ds.Train, Sample{Img: img, Class: i % len(a.Classes), Gender: i%3 - 1})
	}
	tr, err := newTrainer(cfg, a, ds, tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	if a.TrunkIT { // candidate A (v3a): IT's trunk blocks train
		tr.Cfg.Trunk = &TrunkConfig{IT: true, FineTuneIT: true, LRScaleIT: 0.1}
		tr.Model = speedModel(tb, a)
		tr.Model.Params.TrainTrunk[3] = true
		tr.m, tr.v = nil, nil
		for _, nt := range tr.trainables() {
			tr.m = append(tr.m, make([]float32, len(Data(nt.T))))
			tr.v = append(tr.v, make([]float32, len(Data(nt.T))))
		}
	}
	if f := tr.frozenStage(); f >= 0 { // the frozen trunk's cached responses: random
		u := a.Units(f)
		tr.frozen = make([]float32, len(ds.Train)*u)
		for i := range tr.frozen {
			tr.frozen[i] = r.Float32()
		}
	}
	t, err := tr.buildGraph()
	if err != nil {
		tb.Fatal(err)
	}
	defer t.vm.Close()
	perm := tr.permutation(0)
	step := func(s int) {
		if _, err := tr.batch(t, 0, s%2, perm); err != nil {
			tb.Fatal(err)
		}
		if err := t.vm.RunAll(); err != nil {
			tb.Fatal(err)
		}
		if err := tr.adam(t); err != nil {
			tb.Fatal(err)
		}
		t.vm.Reset()
	}
	step(0)
	start := time.Now()
	for i := 0; i < n; i++ {
		step(i + 1)
	}
	return float64(64*n) / time.Since(start).Seconds()
}

func BenchmarkForward128(b *testing.B) {
	b.ReportMetric(forwardRate(b, speedArch(128), max(b.N, 3)), "images/s")
}

func BenchmarkTrainStep(b *testing.B) {
	b.ReportMetric(trainRate(b, speedArch(64), max(b.N, 3)), "images/s")
}

func BenchmarkTrainStep128(b *testing.B) {
	b.ReportMetric(trainRate(b, speedArch(128), max(b.N, 3)), "images/s")
}

// peer runs the PyTorch peer on arch a; it skips without the script or
// without a Python that has torch (Debian: apt-get install python3-torch).
func peer(b *testing.B, a Arch) (fwd, train float64) {
	script := "../../shared/bench/peer_pytorch.py"
	args := []string{"--input", strconv.Itoa(a.Input), "--local-it", "--classes", strconv.Itoa(len(a.Classes))}
	if a.Trunk != "" { // the same network, trunk stopped at block 13 (testdata/peer_mobilenet_v3b.py)
		script = "testdata/peer_mobilenet_v3b.py"
		args = []string{"--input", strconv.Itoa(a.Input), "--it-channels", strconv.Itoa(a.Channels[3]), "--classes", strconv.Itoa(len(a.Classes))}
	}
	if _, err := os.Stat(script); err != nil {
		b.Skip("no PyTorch peer script at", script)
	}
	py := "/usr/bin/python3"
	if p := os.Getenv("MICROSTIM_PEER_PYTHON"); p != "" {
		py = p
	}
	out, err := exec.Command(py, append(append([]string{script}, args...), "--batch", "64", "--threads", "2", "--json")...).Output()
	if err != nil {
		b.Skipf("PyTorch peer did not run (%v); install python3-torch or set MICROSTIM_PEER_PYTHON", err)
	}
	var res struct {
		Forward float64 `json:"forward_images_per_s"`
		Train   float64 `json:"train_images_per_s"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		b.Fatalf("peer output %q: %v", out, err)
	}
	return res.Forward, res.Train
}

// BenchmarkVsPyTorch measures our forward pass and training step and the
// PyTorch peer's on the same architecture, batch 64 and 2 threads, in one
// run, and reports both rates, their ratio and GFLOP/s (training counted as
// three forward passes).
//
// The v3 case is model v3 candidate B (recipe v3b): forward is the whole
// network from the image; a training step starts from the frozen trunk's
// cached V4 responses for both, as v3b trains.
func BenchmarkVsPyTorch(b *testing.B) {
	for _, c := range []struct {
		name string
		a    Arch
	}{{"64px", speedArch(64)}, {"128px", speedArch(128)}, {"v3b-128px", speedArchV3()}} {
		b.Run(c.name, func(b *testing.B) {
			a := c.a
			fwd, train := forwardRate(b, a, 10), trainRate(b, a, 5)
			pf, pt := peer(b, a)
			b.ReportMetric(fwd, "fwd-img/s")
			b.ReportMetric(pf, "peer-fwd-img/s")
			b.ReportMetric(fwd/pf, "fwd-ratio")
			if a.Trunk == "" { // forwardFLOPs counts the network's own convolutions only
				gf := forwardFLOPs(a) / 1e9
				b.ReportMetric(fwd*gf, "fwd-GFLOP/s")
				b.ReportMetric(pf*gf, "peer-fwd-GFLOP/s")
			}
			b.ReportMetric(train, "train-img/s")
			b.ReportMetric(pt, "peer-train-img/s")
			b.ReportMetric(train/pt, "train-ratio")
		})
	}
}
