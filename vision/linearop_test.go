package vision

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
)

// The fused head equals gorgonia's Mul then BroadcastAdd exactly in the
// forward pass and agrees in every gradient to float32 accuracy.
func TestLinearOpMatchesReference(t *testing.T) {
	for _, s := range [][3]int{{1, 5, 2}, {7, 33, 3}, {64, 4096, 100}} {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(s[1]), 7))
			xT, wT, bT, mT := randTensor(r, s[0], s[1]), randTensor(r, s[1], s[2]), randTensor(r, s[2]), randTensor(r, s[0], s[2])
			var y [2][]float32
			var g [2][][]float32
			for k, fused := range []bool{true, false} {
				y[k], g[k] = evalWithGrads(t, func(in ...*G.Node) (*G.Node, error) {
					if fused {
						return applyLinearOp(in[0], in[1], in[2])
					}
					return G.BroadcastAdd(G.Must(G.Mul(in[0], in[1])), in[2], nil, []byte{0})
				}, mT, xT, wT, bT)
			}
			checkAgainstReference(t, y[0], y[1], g[0], g[1])
		})
	}
}
