package vision

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"time"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"

	"github.com/microstim/microstim/resultdir"
	"github.com/microstim/microstim/tflite"
)

// DistilConfig adds a distillation loss: a linear projection of IT,
// trained with the network, is pulled towards a teacher's embedding of the
// same augmented image by a cosine loss, 1 − cos(W·IT + b, teacher). The
// projection is training-only: the saved model does not contain it.
type DistilConfig struct {
	Teacher       string  `json:"teacher"`        // TFLite classifier file
	TeacherSHA256 string  `json:"teacher_sha256"` // its SHA-256, checked when it is read
	Embedding     string  `json:"embedding"`      // the teacher's embedding tensor
	Dims          int     `json:"dims"`           // embedding length
	Weight        float64 `json:"weight"`         // weight of the cosine loss
}

// MobileNetV2Distil distils MobileNet v2 (Sandler et al. 2018; ImageNet,
// TFLite uint8) from path with weight 1.
func MobileNetV2Distil(path string) *DistilConfig {
	return &DistilConfig{Teacher: path, TeacherSHA256: tflite.MobileNetV2SHA256, Embedding: tflite.EmbeddingTensor, Dims: 1280, Weight: 1}
}

// newDistilParams initialises the projection from IT to the teacher's
// embedding, U(−1/√fan_in, 1/√fan_in), from its own generator.
func newDistilParams(a Arch, cfg TrainConfig) []NamedTensor {
	r := rand.New(rand.NewPCG(cfg.Seed, 0x64697374))
	n, d := a.ITUnits(), cfg.Distil.Dims
	return []NamedTensor{{"w_distil", uniformFanIn(r, n, n, d)}, {"b_distil", uniformFanIn(r, n, d)}}
}

// trainables are the tensors the optimiser updates: the model's, then the
// training-only ones.
func (tr *Trainer) trainables() []NamedTensor {
	return append(tr.Model.Params.Learnable(), tr.distil...)
}

// addDistillation adds Weight × (1 − mean cosine) to t.cost.
func (tr *Trainer) addDistillation(g *G.ExprGraph, t *trainGraph, flatIT *G.Node) error {
	d := tr.Cfg.Distil
	if d == nil || d.Weight == 0 {
		return nil
	}
	for _, p := range tr.distil {
		t.distil = append(t.distil, G.NodeFromAny(g, p.T, G.WithName(p.Name)))
	}
	t.ty = G.NewMatrix(g, tensor.Float32, G.WithShape(tr.Cfg.Batch, d.Dims), G.WithName("teacher"))
	proj, err := linear(flatIT, t.distil[0], t.distil[1])
	if err != nil {
		return err
	}
	c := func(v float32, name string) *G.Node { return G.NewConstant(v, G.WithName("distil_"+name)) }
	dot := G.Must(G.Sum(G.Must(G.HadamardProd(proj, t.ty)), 1))
	norm := G.Must(G.Sqrt(G.Must(G.Add(G.Must(G.Sum(G.Must(G.Square(proj)), 1)), c(1e-8, "eps")))))
	loss := G.Must(G.Sub(c(1, "one"), G.Must(G.Mean(G.Must(G.HadamardDiv(dot, norm))))))
	G.Read(loss, &t.dlV)
	t.cost = G.Must(G.Add(t.cost, G.Must(G.HadamardProd(loss, c(float32(d.Weight), "w")))))
	return nil
}

// setTeacherTargets feeds the teacher's embeddings of the batch's views.
func (tr *Trainer) setTeacherTargets(t *trainGraph, idx, views []int) error {
	d := tr.Cfg.Distil.Dims
	ty := make([]float32, len(idx)*d)
	for b, i := range idx {
		k := i*tr.Cfg.Views + views[b]
		copy(ty[b*d:(b+1)*d], tr.teacher[k*d:(k+1)*d])
	}
	return G.Let(t.ty, tensor.New(tensor.WithShape(len(idx), d), tensor.WithBacking(ty)))
}

// teacherKey identifies the teacher targets of a run: everything that
// decides the augmented views and the teacher.
func (tr *Trainer) teacherKey() string {
	c := tr.Cfg
	b, _ := json.Marshal(struct {
		Files, Teacher, Embedding string
		Seed                      uint64
		Views, Input, Side        int
		Hemifield                 float64
		Crop                      map[string]float64
	}{tr.Data.FilesHash, c.Distil.TeacherSHA256, c.Distil.Embedding, c.Seed, c.Views, c.Input(), c.TrainSide, c.HemifieldFrac, c.CropFrac})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// TeacherCacheDir is where teacher targets are cached (a runs' shared
// cache: the α = 0 control reuses its recipe's targets).
var TeacherCacheDir = func() string {
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "microstim", "teacher")
}

const teacherChunk = 2048 // views per cache file

// prepareTeacher loads or computes the unit-norm teacher embedding of
// every (training sample, view), in cache files of teacherChunk views so
// an interrupted computation resumes.
func (tr *Trainer) prepareTeacher() error {
	d := tr.Cfg.Distil
	if d == nil || d.Weight == 0 || tr.teacher != nil {
		return nil
	}
	if tr.Cfg.Views < 1 {
		return fmt.Errorf("vision: distillation needs a fixed number of views per image (views ≥ 1)")
	}
	dir := filepath.Join(TeacherCacheDir(), tr.teacherKey()[:24])
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("vision: teacher cache: %w", err)
	}
	var cls *tflite.Classifier
	total := len(tr.Data.Train) * tr.Cfg.Views
	tr.teacher = make([]float32, total*d.Dims)
	bar := newBar(tr.Progress, total, 0)
	start := time.Now()
	for lo := 0; lo < total; lo += teacherChunk {
		hi := min(lo+teacherChunk, total)
		path := filepath.Join(dir, fmt.Sprintf("views-%07d-%07d.f32", lo, hi))
		dst := tr.teacher[lo*d.Dims : hi*d.Dims]
		if readFloats(path, dst) == nil {
			bar.update(hi, "teacher embeddings (cached)")
			continue
		}
		if cls == nil {
			var err error
			if cls, err = tflite.LoadClassifier(d.Teacher, d.Embedding); err != nil {
				return fmt.Errorf("vision: teacher: %w", err)
			}
			if cls.SHA256 != d.TeacherSHA256 {
				return fmt.Errorf("vision: teacher %s has SHA-256 %s, want %s", d.Teacher, cls.SHA256, d.TeacherSHA256)
			}
		}
		in := tr.Model.Arch.Input
		emb, err := cls.EmbedGrayAll(hi-lo, in, in, runtime.GOMAXPROCS(0), func(k int) []float32 {
			i, v := (lo+k)/tr.Cfg.Views, (lo+k)%tr.Cfg.Views
			return tr.view(tr.Data.Train[i].Img, tr.viewRand(i, v)).Pix
		})
		if err != nil {
			return fmt.Errorf("vision: teacher: %w", err)
		}
		for k, e := range emb {
			if len(e) != d.Dims {
				return fmt.Errorf("vision: teacher embedding of %d values, want %d", len(e), d.Dims)
			}
			var n2 float64
			for _, x := range e {
				n2 += float64(x) * float64(x)
			}
			inv := float32(1 / math.Sqrt(n2+1e-12))
			for j, x := range e {
				dst[k*d.Dims+j] = x * inv
			}
		}
		if err := writeFloats(path, dst); err != nil {
			return err
		}
		el := time.Since(start).Seconds()
		bar.update(hi, fmt.Sprintf("teacher embeddings %.0f ms/view", 1000*el/float64(hi-lo)))
		start = time.Now()
	}
	bar.done()
	return nil
}

func writeFloats(path string, v []float32) error {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return resultdir.WriteFile(path, b)
}

func readFloats(path string, dst []float32) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	b := make([]byte, 4*len(dst))
	if _, err := io.ReadFull(f, b); err != nil {
		return err
	}
	if n, _ := f.Read(make([]byte, 1)); n != 0 {
		return fmt.Errorf("%s: longer than %d values", path, len(dst))
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return nil
}
