package vision

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gorgonia.org/tensor"
)

// Params holds the learnable tensors. Graphs bind these tensors directly, so
// every graph built on one Params sees the same weights.
type Params struct {
	W, B    [4]*tensor.Dense // conv kernels (out, in, k, k) and biases (out)
	HeadW   *tensor.Dense    // (ITUnits, classes)
	HeadB   *tensor.Dense    // (classes)
	GenderW *tensor.Dense    // (ITUnits, 2), nil without a gender head
	GenderB *tensor.Dense    // (2)
	LocalW  *tensor.Dense    // (positions, C, C) unshared IT weights, nil without LocalIT
	LocalB  *tensor.Dense    // (positions, C)
	FaceW   *tensor.Dense    // (ITUnits, 2) face-detection head, nil without Arch.FaceHead
	FaceB   *tensor.Dense    // (2)
	// Trunk holds the frozen trunk's tensors of each stage it computes
	// (Arch.Trunk; nil otherwise), in trunkTensorShapes order; W and B are
	// nil for those stages.
	Trunk [4][]NamedTensor
	// TrainTrunk marks trunk stages that train (candidate A's IT): they are
	// learnable and their graphs take their tensors as inputs. Not stored
	// in weight files.
	TrainTrunk [4]bool
}

// NewParams initialises parameters as PyTorch does by default for Conv2d
// and Linear (weights and biases U(−1/√fan_in, 1/√fan_in), i.e. Kaiming-uniform
// with a = √5), which the prototype used; He-normal weights without batch
// normalisation blew IT activations up and stalled training. Values come from
// a PCG generator seeded with seed (never gorgonia's clock-seeded
// initialisers).
func NewParams(a Arch, seed uint64) *Params {
	r := rand.New(rand.NewPCG(seed, 0x77656967))
	p := &Params{}
	in := 1
	for s := 0; s < 4; s++ {
		if a.trunkStage(s) { // filled from the pretrained file (LoadMobileNetV2)
			for _, t := range trunkTensorShapes(s) {
				p.Trunk[s] = append(p.Trunk[s], NamedTensor{t.Name, zeros(t.Shape...)})
			}
			in = a.Channels[s]
			continue
		}
		k := a.Kernels[s]
		p.W[s] = uniformFanIn(r, in*k*k, a.Channels[s], in, k, k)
		p.B[s] = uniformFanIn(r, in*k*k, a.Channels[s])
		in = a.Channels[s]
	}
	n := a.ITUnits()
	p.HeadW = uniformFanIn(r, n, n, len(a.Classes))
	p.HeadB = uniformFanIn(r, n, len(a.Classes))
	if a.Gender {
		p.GenderW = uniformFanIn(r, n, n, 2)
		p.GenderB = uniformFanIn(r, n, 2)
	}
	if a.LocalIT {
		c, m := a.Channels[3], a.MapSize(3)
		p.LocalW = uniformFanIn(r, c, m*m, c, c)
		p.LocalB = uniformFanIn(r, c, m*m, c)
	}
	if a.FaceHead {
		p.FaceW = uniformFanIn(r, n, n, 2)
		p.FaceB = uniformFanIn(r, n, 2)
	}
	return p
}

// uniformFanIn draws U(−1/√fanIn, 1/√fanIn), PyTorch's default for linear
// layers; it keeps the initial logits small.
func uniformFanIn(r *rand.Rand, fanIn int, shape ...int) *tensor.Dense {
	d := make([]float32, tensor.Shape(shape).TotalSize())
	b := 1 / math.Sqrt(float64(fanIn))
	for i := range d {
		d[i] = float32((2*r.Float64() - 1) * b)
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}

func zeros(shape ...int) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(make([]float32, tensor.Shape(shape).TotalSize())))
}

// Named returns the tensors with their names, in file order.
func (p *Params) Named() []NamedTensor { return p.named(true) }

// Learnable returns the tensors that training changes: Named without the
// frozen trunk.
func (p *Params) Learnable() []NamedTensor { return p.named(false) }

func (p *Params) named(trunk bool) []NamedTensor {
	var out []NamedTensor
	for s := 0; s < 4; s++ {
		if p.Trunk[s] != nil {
			if trunk || p.TrainTrunk[s] {
				out = append(out, p.Trunk[s]...)
			}
			continue
		}
		out = append(out, NamedTensor{"w_" + StageNames[s], p.W[s]}, NamedTensor{"b_" + StageNames[s], p.B[s]})
	}
	if p.LocalW != nil {
		out = append(out, NamedTensor{"w_IT_local", p.LocalW}, NamedTensor{"b_IT_local", p.LocalB})
	}
	out = append(out, NamedTensor{"w_head", p.HeadW}, NamedTensor{"b_head", p.HeadB})
	if p.GenderW != nil {
		out = append(out, NamedTensor{"w_gender", p.GenderW}, NamedTensor{"b_gender", p.GenderB})
	}
	if p.FaceW != nil {
		out = append(out, NamedTensor{"w_face", p.FaceW}, NamedTensor{"b_face", p.FaceB})
	}
	return out
}

// SetTrunk copies pretrained trunk tensors (LoadMobileNetV2's, in its
// order) into p's trunk stages; names and shapes must match.
func (p *Params) SetTrunk(ts []NamedTensor) error {
	for s := 0; s < 4; s++ {
		for _, t := range p.Trunk[s] {
			if len(ts) == 0 {
				return fmt.Errorf("vision: trunk file ends before %s", t.Name)
			}
			if ts[0].Name != t.Name || !ts[0].T.Shape().Eq(t.T.Shape()) {
				return fmt.Errorf("vision: trunk tensor %s %v, want %s %v", ts[0].Name, ts[0].T.Shape(), t.Name, t.T.Shape())
			}
			copy(Data(t.T), Data(ts[0].T))
			ts = ts[1:]
		}
	}
	return nil
}

// NamedTensor pairs a parameter tensor with its name.
type NamedTensor struct {
	Name string
	T    *tensor.Dense
}

// Data returns the float32 backing slice of t.
func Data(t *tensor.Dense) []float32 { return t.Data().([]float32) }

// CopyFrom copies every tensor of q into p; shapes must match.
func (p *Params) CopyFrom(q *Params) error {
	a, b := p.Named(), q.Named()
	if len(a) != len(b) {
		return fmt.Errorf("vision: parameter sets differ: %d vs %d tensors", len(a), len(b))
	}
	for i := range a {
		if !a[i].T.Shape().Eq(b[i].T.Shape()) {
			return fmt.Errorf("vision: %s: shape %v vs %v", a[i].Name, a[i].T.Shape(), b[i].T.Shape())
		}
		copy(Data(a[i].T), Data(b[i].T))
	}
	return nil
}
