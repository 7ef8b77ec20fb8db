package vision

import (
	"fmt"
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
			var y [2][]float32
			var g [2][][]float32
			for k, fused := range []bool{true, false} {
				y[k], g[k] = evalWithGrads(t, func(in ...*G.Node) (*G.Node, error) {
					if fused {
						return applyLocalOp(in[0], in[1], in[2])
					}
					return referenceLocal(in[0], in[1], in[2])
				}, mT, xT, wT, bT)
			}
			checkAgainstReference(t, y[0], y[1], g[0], g[1])
		})
	}
}
