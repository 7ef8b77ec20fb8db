package vision

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TrainConfig is everything that determines a training run.
type TrainConfig struct {
	Data         []string           `json:"data"`             // folders of category folders
	Exclude      []string           `json:"exclude"`          // categories never trained on
	Merge        map[string]string  `json:"merge"`            // category → class it is trained as
	CropFrac     map[string]float64 `json:"crop_frac"`        // centre crop (fraction of each side) before resizing
	HeldoutFrac  float64            `json:"heldout_frac"`     // default held-out fraction per category
	HeldoutFracs map[string]float64 `json:"heldout_fracs"`    // per-category overrides
	GenderLabels string             `json:"gender_labels"`    // CSV dataset,file,gender ("" for none)
	GenderWeight float64            `json:"gender_weight"`    // weight of the face-gender loss
	Repeat       map[string]int     `json:"repeat,omitempty"` // class → times each of its images is shown per epoch (default 1)
	Seed         uint64             `json:"seed"`
	Epochs       int                `json:"epochs"`
	Batch        int                `json:"batch"`
	LR           float64            `json:"lr"`           // Adam learning rate, cosine-decayed to 0
	WeightDecay  float64            `json:"weight_decay"` // decoupled (AdamW), on conv and head weights
	Alpha        [4]float64         `json:"alpha"`        // spatial-loss weight for V1, V2, V4, IT
	ClipNorm     float64            `json:"clip_norm"`    // global gradient-norm clip (0: none)
	Neighbours   int                `json:"neighbourhood_units"`
	SwapSteps    int                `json:"swap_steps"`         // pre-training swaps per stage
	TrainSide    int                `json:"train_side"`         // side before the random crop
	LocalIT      bool               `json:"local_it,omitempty"` // IT without weight sharing (Arch.LocalIT)
	// FaceClasses are the training classes that show faces, for an
	// auxiliary face-detection loss of weight FaceWeight (none when empty).
	FaceClasses []string `json:"face_classes,omitempty"`
	FaceWeight  float64  `json:"face_weight,omitempty"`
	// InputPx is the input side in pixels (0: 64, the v0.1 models).
	InputPx int `json:"input_px,omitempty"`
	// HemifieldFrac is the fraction of training images shown at half
	// scale in one half of a grey frame, as the hemifield tasks show them.
	HemifieldFrac float64 `json:"hemifield_frac,omitempty"`
	// Views is the number of augmented views of each training image: each
	// showing picks one of them, so a teacher's embeddings of all views can
	// be computed once (0: a fresh random view every time).
	Views int `json:"views,omitempty"`
	// Distil, when set, adds a distillation loss towards a teacher.
	Distil *DistilConfig `json:"distil,omitempty"`
	// Trunk, when set, computes V1–V4 with a pretrained, frozen trunk.
	Trunk *TrunkConfig `json:"trunk,omitempty"`
}

// Input returns the input side in pixels.
func (c TrainConfig) Input() int {
	if c.InputPx == 0 {
		return 64
	}
	return c.InputPx
}

// DefaultTrainConfig returns the default model's training configuration,
// with dataRoot the folder holding caltech101/, floc/ and labels/.
func DefaultTrainConfig(dataRoot string) TrainConfig {
	return TrainConfig{
		Data:        []string{filepath.Join(dataRoot, "caltech101/101_ObjectCategories"), filepath.Join(dataRoot, "floc/stimuli")},
		Exclude:     []string{"body"},
		Merge:       map[string]string{"adult": "Faces_easy"},
		CropFrac:    map[string]float64{"adult": 0.75, "body": 0.75},
		HeldoutFrac: 0.15, HeldoutFracs: map[string]float64{"adult": 0.5},
		GenderLabels: filepath.Join(dataRoot, "labels/faces_gender.csv"), GenderWeight: 0.5,
		Seed: 1, Epochs: 12, Batch: 64, LR: 1e-3, WeightDecay: 0,
		Alpha: [4]float64{0, 0, 0, 1}, ClipNorm: 5, Neighbours: 320, SwapSteps: 20000, TrainSide: 72,
		Repeat: map[string]int{"Faces_easy": 3}, LocalIT: true,
		FaceClasses: []string{"Faces_easy", "cougar_face"}, FaceWeight: 0.5,
	}
}

// EpochRecord is one epoch's metrics.
type EpochRecord struct {
	Epoch        int     `json:"epoch"`
	Loss         float64 `json:"loss"`
	TaskLoss     float64 `json:"task_loss"`
	SpatialLoss  float64 `json:"spatial_loss_it"`
	DistilLoss   float64 `json:"distil_loss,omitempty"`
	TrainTop1    float64 `json:"train_top1"`
	HeldoutTop1  float64 `json:"heldout_top1"`
	Seconds      float64 `json:"seconds"`
	ImagesPerSec float64 `json:"images_per_s"`
}

// TrainRecord is saved beside the weights.
type TrainRecord struct {
	Recipe    string        `json:"recipe,omitempty"` // the named recipe the config came from
	Config    TrainConfig   `json:"config"`
	Classes   []string      `json:"classes"`
	FilesHash string        `json:"files_sha256"`
	NTrain    int           `json:"n_train"`
	NHeldout  int           `json:"n_heldout"`
	SwapsKept [4]int        `json:"swaps_kept"`
	Epochs    []EpochRecord `json:"epochs"`
	GoVersion string        `json:"go_version"`
	BLAS      string        `json:"blas"`
}

// checkpoint is the resumable state of a run.
type checkpoint struct {
	Weights []byte // weight file
	M, V    [][]float32
	T       int // Adam steps taken
	Epoch   int // next epoch
	Step    int // next step within the epoch
	Sums    [6]float64
	Record  TrainRecord
	Distil  [][]float32 // distillation projection (training only)
}

// Trainer trains a model on a dataset with checkpoints.
type Trainer struct {
	Cfg       TrainConfig
	Data      *Dataset
	Model     *Model
	Record    TrainRecord
	Dir       string        // output folder (weights, record, checkpoint)
	Progress  io.Writer     // progress bar target (nil for none)
	CkptEvery time.Duration // checkpoint interval
	StopAfter time.Duration // stop (after a checkpoint) when exceeded; 0 for none

	m, v       [][]float32
	distil     []NamedTensor // training-only distillation projection
	teacher    []float32     // unit-norm teacher embeddings by (sample, view)
	frozen     []float32     // the frozen trunk's responses by (sample, view)
	t          int
	stopAtStep int // stop (with a checkpoint) after this many steps; for tests
	epoch      int
	step       int
	sums       [6]float64 // loss, task, sl, correct, count, distillation within the epoch
}

// BLAS names the matrix-product kernel or BLAS in use (set at init by
// blas_gemm.go, or by blas_netlib.go with the netlib build tag).
var BLAS = "gonum-native"

// NewTrainer prepares a fresh run: model from cfg.Seed and the swap
// optimisation of every stage's channel offsets on sine-grating responses.
func NewTrainer(cfg TrainConfig, ds *Dataset, dir string) (*Trainer, error) {
	if cfg.Trunk != nil {
		return newTrainer(cfg, trunkArch(cfg, ds.Classes), ds, dir)
	}
	a := DefaultArch(ds.Classes)
	a.Input = cfg.Input()
	a.LocalIT = cfg.LocalIT
	a.FaceHead = len(cfg.FaceClasses) > 0 && cfg.FaceWeight > 0
	return newTrainer(cfg, a, ds, dir)
}

func newTrainer(cfg TrainConfig, a Arch, ds *Dataset, dir string) (*Trainer, error) {
	for c, n := range cfg.Repeat {
		if !slices.Contains(ds.Classes, c) || n < 1 {
			return nil, fmt.Errorf("vision: repeat %q = %d: want a training class and a count ≥ 1", c, n)
		}
	}
	for _, c := range cfg.FaceClasses {
		if !slices.Contains(ds.Classes, c) {
			return nil, fmt.Errorf("vision: face class %q is not a training class", c)
		}
	}
	if cfg.Trunk != nil {
		if err := checkTrunkConfig(cfg); err != nil {
			return nil, err
		}
	}
	m, err := NewModel(a, cfg.Seed)
	if err != nil {
		return nil, err
	}
	if cfg.Trunk != nil {
		if err := loadTrunk(m, cfg.Trunk); err != nil {
			return nil, err
		}
	}
	tr := &Trainer{Cfg: cfg, Data: ds, Model: m, Dir: dir, CkptEvery: 3 * time.Minute}
	tr.Record = TrainRecord{Config: cfg, Classes: ds.Classes, FilesHash: ds.FilesHash, NTrain: len(ds.Train),
		NHeldout: len(ds.Heldout), GoVersion: runtime.Version(), BLAS: BLAS}
	if cfg.SwapSteps > 0 {
		kept, err := SwapOptimizeLayouts(m, cfg.SwapSteps, cfg.Seed)
		if err != nil {
			return nil, err
		}
		tr.Record.SwapsKept = kept
	}
	if cfg.Distil != nil {
		tr.distil = newDistilParams(a, cfg)
	}
	for _, nt := range tr.trainables() {
		n := len(Data(nt.T))
		tr.m = append(tr.m, make([]float32, n))
		tr.v = append(tr.v, make([]float32, n))
	}
	return tr, nil
}

// lossTerms names every term of the loss with its value, and whether the
// class logits are finite, for a divergence report.
func (t *trainGraph) lossTerms() string {
	var parts []string
	for _, x := range []struct {
		name string
		v    G.Value
	}{{"task", t.taskV}, {"gender", t.genderV}, {"face", t.faceV}, {"distillation", t.dlV}, {"IT spatial", t.slV}} {
		if x.v != nil {
			parts = append(parts, fmt.Sprintf("%s %v", x.name, x.v))
		}
	}
	finite := true
	if t.logitsV != nil {
		for _, v := range t.logitsV.Data().([]float32) {
			finite = finite && !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0)
		}
	}
	return strings.Join(append(parts, fmt.Sprintf("class logits finite: %t", finite)), ", ")
}

// trainGraph is the training graph for one batch size.
type trainGraph struct {
	x, y, gy, fy *G.Node
	ty           *G.Node   // unit-norm teacher embeddings, nil without distillation
	distil       []*G.Node // w_distil, b_distil
	dlV          G.Value   // distillation loss
	genderV      G.Value   // gender head's cross-entropy
	faceV        G.Value   // face head's cross-entropy
	n            *nodes
	sl           [4][2]*slNode
	cost, task   *G.Node
	slIT         *G.Node
	costV        G.Value
	taskV        G.Value
	slV          G.Value
	logitsV      G.Value
	vm           G.VM
}

func (tr *Trainer) buildGraph() (*trainGraph, error) {
	a := tr.Model.Arch
	bs := tr.Cfg.Batch
	g := G.NewGraph()
	t := &trainGraph{}
	from := tr.frozenStage()
	t.x = G.NewTensor(g, tensor.Float32, 4, G.WithShape(append([]int{bs}, tr.Model.inputShape(from)...)...), G.WithName("x"))
	t.y = G.NewMatrix(g, tensor.Float32, G.WithShape(bs, len(a.Classes)), G.WithName("y"))
	t.n = bind(g, tr.Model.Params)
	out, err := trainedStages(t.x, t.n, a, from)
	if err != nil {
		return nil, err
	}
	flatIT, err := flatten(out[3])
	if err != nil {
		return nil, err
	}
	logits, err := linear(flatIT, t.n.headW, t.n.headB)
	if err != nil {
		return nil, err
	}
	G.Read(logits, &t.logitsV)
	if t.task, err = xent(logits, t.y); err != nil {
		return nil, err
	}
	G.Read(t.task, &t.taskV)
	t.cost = t.task
	if a.Gender && tr.Cfg.GenderWeight > 0 {
		t.gy = G.NewMatrix(g, tensor.Float32, G.WithShape(bs, 2), G.WithName("gy"))
		gl, err := linear(flatIT, t.n.gW, t.n.gB)
		if err != nil {
			return nil, err
		}
		gx, err := xent(gl, t.gy)
		if err != nil {
			return nil, err
		}
		G.Read(gx, &t.genderV)
		t.cost = G.Must(G.Add(t.cost, G.Must(G.HadamardProd(gx, G.NewConstant(float32(tr.Cfg.GenderWeight), G.WithName("gender_w"))))))
	}
	if a.FaceHead && tr.Cfg.FaceWeight > 0 {
		t.fy = G.NewMatrix(g, tensor.Float32, G.WithShape(bs, 2), G.WithName("fy"))
		fl, err := linear(flatIT, t.n.fW, t.n.fB)
		if err != nil {
			return nil, err
		}
		fx, err := xent(fl, t.fy)
		if err != nil {
			return nil, err
		}
		G.Read(fx, &t.faceV)
		t.cost = G.Must(G.Add(t.cost, G.Must(G.HadamardProd(fx, G.NewConstant(float32(tr.Cfg.FaceWeight), G.WithName("face_w"))))))
	}
	if err := tr.addDistillation(g, t, flatIT); err != nil {
		return nil, err
	}
	for s := 0; s < 4; s++ {
		if tr.Cfg.Alpha[s] == 0 {
			continue
		}
		flat := flatIT
		if s < 3 {
			if flat, err = flatten(out[s]); err != nil {
				return nil, err
			}
		}
		var sum *G.Node
		for h := 0; h < 2; h++ {
			sn, err := newSLNode(g, flat, fmt.Sprintf("%s_%d", StageNames[s], h), tr.Cfg.Neighbours)
			if err != nil {
				return nil, err
			}
			t.sl[s][h] = sn
			if sum == nil {
				sum = sn.loss
			} else {
				sum = G.Must(G.Add(sum, sn.loss))
			}
		}
		w := G.NewConstant(float32(tr.Cfg.Alpha[s]/2), G.WithName("alpha_"+StageNames[s]))
		t.cost = G.Must(G.Add(t.cost, G.Must(G.HadamardProd(sum, w))))
		if s == 3 {
			t.slIT = G.Must(G.Div(sum, G.NewConstant(float32(2), G.WithName("half_IT"))))
			G.Read(t.slIT, &t.slV)
		}
	}
	G.Read(t.cost, &t.costV)
	learn := append(t.n.learnables(), t.distil...)
	if _, err := G.Grad(t.cost, learn...); err != nil {
		return nil, fmt.Errorf("vision: gradient: %w", err)
	}
	t.vm = G.NewTapeMachine(g, G.BindDualValues(learn...))
	return t, nil
}

// adam applies one AdamW step (β1 0.9, β2 0.999, ε 1e-8) with the
// cosine-decayed learning rate.
func (tr *Trainer) adam(t *trainGraph) error {
	total := tr.Cfg.Epochs * tr.stepsPerEpoch()
	lr := tr.Cfg.LR * 0.5 * (1 + math.Cos(math.Pi*float64(tr.t)/float64(total)))
	tr.t++
	const b1, b2, eps = 0.9, 0.999, 1e-8
	c1 := 1 - math.Pow(b1, float64(tr.t))
	c2 := 1 - math.Pow(b2, float64(tr.t))
	named := tr.trainables()
	grads := make([][]float32, len(named))
	var norm2 float64
	for k, nd := range append(t.n.learnables(), t.distil...) {
		gv, err := nd.Grad()
		if err != nil {
			return fmt.Errorf("vision: no gradient for %s: %w", nd.Name(), err)
		}
		grads[k] = gv.Data().([]float32)
		for _, v := range grads[k] {
			norm2 += float64(v) * float64(v)
		}
	}
	scale := float32(1)
	if c := tr.Cfg.ClipNorm; c > 0 && math.Sqrt(norm2) > c {
		scale = float32(c / math.Sqrt(norm2))
	}
	for k := range named {
		g := grads[k]
		w := Data(named[k].T)
		m, v := tr.m[k], tr.v[k]
		decay := float32(0)
		if strings.HasPrefix(named[k].Name, "w_") {
			decay = float32(lr * tr.Cfg.WeightDecay)
		}
		lrK := lr
		if strings.HasPrefix(named[k].Name, "mnv2_") { // a pretrained trunk block that trains
			lrK *= tr.Cfg.Trunk.LRScaleIT
		}
		parallelRange(len(w), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				gi := g[i] * scale
				m[i] = b1*m[i] + (1-b1)*gi
				v[i] = b2*v[i] + (1-b2)*gi*gi
				mh := float64(m[i]) / c1
				vh := float64(v[i]) / c2
				w[i] -= float32(lrK*mh/(math.Sqrt(vh)+eps)) + decay*w[i]
			}
		})
		// gorgonia accumulates gradients across runs of the tape machine
		// (its own solvers zero them after each step), so clear them here.
		clear(g)
	}
	return nil
}

// Run trains until all epochs are done or StopAfter has passed. It
// checkpoints every CkptEvery and at every epoch end, and writes the final
// weights and record into Dir.
func (tr *Trainer) Run() error {
	if err := os.MkdirAll(tr.Dir, 0o755); err != nil {
		return err
	}
	if err := tr.prepareTeacher(); err != nil {
		return err
	}
	if err := tr.prepareFrozen(); err != nil {
		return err
	}
	t, err := tr.buildGraph()
	if err != nil {
		return err
	}
	defer t.vm.Close()
	start := time.Now()
	lastCkpt := start
	spe := tr.stepsPerEpoch()
	bar := newBar(tr.Progress, tr.Cfg.Epochs*spe, tr.epoch*spe+tr.step)
	for tr.epoch < tr.Cfg.Epochs {
		perm := tr.permutation(tr.epoch)
		epochStart := time.Now()
		for tr.step < spe {
			labels, err := tr.batch(t, tr.epoch, tr.step, perm)
			if err != nil {
				return err
			}
			if err := t.vm.RunAll(); err != nil {
				return fmt.Errorf("vision: training step: %w", err)
			}
			if c := float64(t.costV.Data().(float32)); math.IsNaN(c) || math.IsInf(c, 0) {
				return fmt.Errorf("vision: training diverged at epoch %d step %d: loss %v (%s)", tr.epoch+1, tr.step, t.costV, t.lossTerms())
			}
			if err := tr.adam(t); err != nil {
				return err
			}
			tr.sums[0] += float64(t.costV.Data().(float32))
			tr.sums[1] += float64(t.taskV.Data().(float32))
			if t.slV != nil {
				tr.sums[2] += float64(t.slV.Data().(float32))
			}
			if t.dlV != nil {
				tr.sums[5] += float64(t.dlV.Data().(float32))
			}
			lg := t.logitsV.Data().([]float32)
			nc := len(tr.Model.Arch.Classes)
			for b, lab := range labels {
				row := lg[b*nc : (b+1)*nc]
				best := 0
				for k := range row {
					if row[k] > row[best] {
						best = k
					}
				}
				if best == lab {
					tr.sums[3]++
				}
			}
			tr.sums[4] += float64(len(labels))
			t.vm.Reset()
			tr.step++
			steps := float64(tr.step)
			bar.update(tr.epoch*spe+tr.step, fmt.Sprintf("epoch %d/%d loss %.3f SL %.3f acc %.3f", tr.epoch+1, tr.Cfg.Epochs,
				tr.sums[0]/steps, tr.sums[2]/steps, tr.sums[3]/tr.sums[4]))
			if time.Since(lastCkpt) > tr.CkptEvery {
				if err := tr.saveCheckpoint(); err != nil {
					return err
				}
				lastCkpt = time.Now()
			}
			if tr.StopAfter > 0 && time.Since(start) > tr.StopAfter || tr.stopAtStep > 0 && tr.t >= tr.stopAtStep {
				bar.done()
				return tr.saveCheckpoint()
			}
		}
		top1, err := tr.HeldoutTop1()
		if err != nil {
			return err
		}
		steps := float64(spe)
		secs := time.Since(epochStart).Seconds()
		tr.Record.Epochs = append(tr.Record.Epochs, EpochRecord{Epoch: tr.epoch + 1, Loss: tr.sums[0] / steps,
			TaskLoss: tr.sums[1] / steps, SpatialLoss: tr.sums[2] / steps, DistilLoss: tr.sums[5] / steps, TrainTop1: tr.sums[3] / tr.sums[4],
			HeldoutTop1: top1, Seconds: secs, ImagesPerSec: tr.sums[4] / secs})
		bar.log(fmt.Sprintf("epoch %d: loss %.4f task %.4f SL(IT) %.4f distil %.4f train top-1 %.3f held-out top-1 %.3f (%.0f s)",
			tr.epoch+1, tr.sums[0]/steps, tr.sums[1]/steps, tr.sums[2]/steps, tr.sums[5]/steps, tr.sums[3]/tr.sums[4], top1, secs))
		tr.epoch++
		tr.step = 0
		tr.sums = [6]float64{}
		if err := tr.saveCheckpoint(); err != nil {
			return err
		}
		lastCkpt = time.Now()
	}
	bar.done()
	return tr.writeFinal()
}

// HeldoutTop1 is the top-1 accuracy on the held-out images.
func (tr *Trainer) HeldoutTop1() (float64, error) {
	imgs := make([]*Gray, len(tr.Data.Heldout))
	for i, s := range tr.Data.Heldout {
		imgs[i] = s.Img
	}
	act, err := tr.Model.Run(imgs, [4]bool{})
	if err != nil {
		return 0, err
	}
	correct := 0
	for i, p := range act.Predict() {
		if p == tr.Data.Heldout[i].Class {
			correct++
		}
	}
	return float64(correct) / float64(len(imgs)), nil
}

// Meta returns the weight-file metadata of the run.
func (tr *Trainer) Meta() map[string]string {
	alpha, _ := json.Marshal(tr.Cfg.Alpha)
	meta := map[string]string{
		"seed": fmt.Sprint(tr.Cfg.Seed), "alpha": string(alpha), "epochs_done": fmt.Sprint(len(tr.Record.Epochs)),
		"files_sha256": tr.Data.FilesHash, "blas": BLAS,
	}
	if tc := tr.Cfg.Trunk; tc != nil {
		meta["trunk"], meta["trunk_sha256"] = MobileNetV2+" (Sandler et al. 2018; ImageNet; Apache-2.0)", tc.SHA256
	}
	if n := len(tr.Record.Epochs); n > 0 {
		meta["heldout_top1"] = fmt.Sprintf("%.4f", tr.Record.Epochs[n-1].HeldoutTop1)
	}
	return meta
}

// parallelRange calls f on GOMAXPROCS contiguous parts of [0, n) at once
// (one call when n is small). Each index is visited once, so elementwise
// updates are the same however the range is split.
func parallelRange(n int, f func(lo, hi int)) {
	workers := runtime.GOMAXPROCS(0)
	if n < 1<<16 || workers < 2 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for k := 0; k < workers; k++ {
		lo, hi := n*k/workers, n*(k+1)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(lo, hi)
		}()
	}
	wg.Wait()
}
