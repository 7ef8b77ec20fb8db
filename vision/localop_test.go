package vision

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// referenceLocal is the unshared layer built from gorgonia's own ops, the
// path localOp replaces.
func referenceLocal(x, w, b *G.Node) (*G.Node, error) {
	s := x.Shape().Clone()
	bs, c, np := s[0], s[1], s[2]*s[3]
	h, err := G.Reshape(x, tensor.Shape{bs, c, np})
	if err != nil {
		return nil, err
	}
	if h, err = G.Transpose(h, 2, 0, 1); err != nil { // (P, B, C)
		return nil, err
	}
	if h, err = G.BatchedMatMul(h, w); err != nil {
		return nil, err
	}
	if h, err = G.BroadcastAdd(h, b, nil, []byte{1}); err != nil {
		return nil, err
	}
	if h, err = G.Rectify(h); err != nil {
		return nil, err
	}
	if h, err = G.Transpose(h, 1, 2, 0); err != nil { // (B, C, P)
		return nil, err
	}
	return G.Reshape(h, s)
}

// localRun evaluates the layer (fused or reference) with the loss Σ y ⊙ m
// and returns y and the gradients for x, w and b.
func localRun(t *testing.T, fused bool, xT, wT, bT, mT *tensor.Dense) (y, dx, dw, db []float32) {
	t.Helper()
	g := G.NewGraph()
	x := G.NodeFromAny(g, xT.Clone().(*tensor.Dense), G.WithName("x"))
	w := G.NodeFromAny(g, wT.Clone().(*tensor.Dense), G.WithName("w"))
	b := G.NodeFromAny(g, bT.Clone().(*tensor.Dense), G.WithName("b"))
	var out *G.Node
	var err error
	if fused {
		out, err = applyLocalOp(x, w, b)
	} else {
		out, err = referenceLocal(x, w, b)
	}
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, G.NodeFromAny(g, mT, G.WithName("m"))))))
	if _, err := G.Grad(loss, x, w, b); err != nil {
		t.Fatal(err)
	}
	var yv G.Value
	G.Read(out, &yv)
	vm := G.NewTapeMachine(g, G.BindDualValues(x, w, b))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	grad := func(n *G.Node) []float32 {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		return append([]float32(nil), gv.Data().([]float32)...)
	}
	return append([]float32(nil), yv.Data().([]float32)...), grad(x), grad(w), grad(b)
}

// The fused unshared layer equals the reference path exactly in the forward
// pass and agrees in every gradient to float32 accuracy, at batch 1 and
// odd sizes as well as the default model's 64 × 256 × 4 × 4.
func TestLocalOpMatchesReference(t *testing.T) {
	for _, s := range [][4]int{{1, 3, 2, 2}, {5, 7, 3, 2}, {64, 256, 4, 4}} {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			bs, c, h, w := s[0], s[1], s[2], s[3]
			r := rand.New(rand.NewPCG(uint64(bs*c), 5))
			xT, wT, bT := randTensor(r, bs, c, h, w), randTensor(r, h*w, c, c), randTensor(r, h*w, c)
			mT := randTensor(r, bs, c, h, w)
			y1, dx1, dw1, db1 := localRun(t, true, xT, wT, bT, mT)
			y0, dx0, dw0, db0 := localRun(t, false, xT, wT, bT, mT)
			for i := range y0 {
				if y1[i] != y0[i] {
					t.Fatalf("output %d: fused %g, reference %g", i, y1[i], y0[i])
				}
			}
			for _, cmp := range []struct {
				name string
				a, b []float32
			}{{"dx", dx1, dx0}, {"dw", dw1, dw0}, {"db", db1, db0}} {
				for i := range cmp.b {
					if d := math.Abs(float64(cmp.a[i] - cmp.b[i])); d > 1e-4*(1+math.Abs(float64(cmp.b[i]))) {
						t.Fatalf("%s[%d]: fused %g, reference %g", cmp.name, i, cmp.a[i], cmp.b[i])
					}
				}
			}
		})
	}
}
