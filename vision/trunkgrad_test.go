package vision

import (
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The trainable trunk stage (MobileNet v2's blocks 14–17 at stride 1, as
// candidate A's IT) gives the frozen op's output exactly, and its
// gradients of Σ y ⊙ m agree with central finite differences for the
// input and 10 random entries of each of its 29 weight tensors: the
// residual sums, both ReLU6 masks, the depthwise adjoint and the 1 × 1
// products. Weights are scaled by 0.05 and ε = 2e-4, small enough that a
// difference seldom crosses a ReLU6 kink (at ε = 1e-3 one depthwise bias
// of 29 × 10 does) yet above float32 noise.
func TestTrainTrunkOpGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	var ts []NamedTensor
	for _, s := range trunkTensorShapes(3) {
		v := randTensor(r, s.Shape...)
		for i, d := 0, Data(v); i < len(d); i++ {
			d[i] *= 0.05
		}
		ts = append(ts, NamedTensor{s.Name, v})
	}
	xT := randTensor(r, 2, 96, 3, 3)
	frozen, err := newTrunkOp(3, ts, 1)
	if err != nil {
		t.Fatal(err)
	}
	sh := frozen.outShape(xT.Shape())
	want := make([]float32, sh.TotalSize())
	frozen.forward(Data(xT), 2, 3, 3, want)
	mT := randTensor(r, sh...)
	in := []*tensor.Dense{xT}
	for _, nt := range ts {
		in = append(in, nt.T)
	}
	y, grads := evalWithGrads(t, func(n ...*G.Node) (*G.Node, error) {
		op, err := newTrunkOp(3, ts, 1)
		if err != nil {
			return nil, err
		}
		return applyTrainTrunkOp(n[0], n[1:], op)
	}, mT, in...)
	for i := range want {
		if y[i] != want[i] {
			t.Fatalf("output %d: trainable %g, frozen %g", i, y[i], want[i])
		}
	}
	loss := func() float64 {
		op, _ := newTrunkOp(3, ts, 1)
		out := make([]float32, sh.TotalSize())
		op.forward(Data(xT), 2, 3, 3, out)
		var s float64
		for i, v := range out {
			s += float64(v) * float64(Data(mT)[i])
		}
		return s
	}
	const eps = 2e-4
	for k, tt := range in {
		d := Data(tt)
		for trial := 0; trial < 10; trial++ {
			i := r.IntN(len(d))
			old := d[i]
			d[i] = old + eps
			up := loss()
			d[i] = old - eps
			down := loss()
			d[i] = old
			num := (up - down) / (2 * eps)
			if g := float64(grads[k][i]); math.Abs(g-num) > 2e-2*(1+math.Abs(num)) {
				name := "x"
				if k > 0 {
					name = ts[k-1].Name
				}
				t.Errorf("%s[%d]: gradient %g, finite difference %g", name, i, g, num)
			}
		}
	}
}
