package vision

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The fused head equals gorgonia's Mul then BroadcastAdd exactly in the
// forward pass and agrees in every gradient to float32 accuracy.
func TestLinearOpMatchesReference(t *testing.T) {
	for _, s := range [][3]int{{1, 5, 2}, {7, 33, 3}, {64, 4096, 100}} {
		t.Run(fmt.Sprint(s), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(s[1]), 7))
			xT, wT, bT, mT := randTensor(r, s[0], s[1]), randTensor(r, s[1], s[2]), randTensor(r, s[2]), randTensor(r, s[0], s[2])
			var res [2][4][]float32
			for k, fused := range []bool{true, false} {
				g := G.NewGraph()
				x := G.NodeFromAny(g, xT.Clone().(*tensor.Dense), G.WithName("x"))
				w := G.NodeFromAny(g, wT.Clone().(*tensor.Dense), G.WithName("w"))
				b := G.NodeFromAny(g, bT.Clone().(*tensor.Dense), G.WithName("b"))
				var out *G.Node
				var err error
				if fused {
					out, err = applyLinearOp(x, w, b)
				} else {
					out, err = G.BroadcastAdd(G.Must(G.Mul(x, w)), b, nil, []byte{0})
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
				if err := vm.RunAll(); err != nil {
					t.Fatal(err)
				}
				res[k][0] = append([]float32(nil), yv.Data().([]float32)...)
				for i, n := range []*G.Node{x, w, b} {
					gv, err := n.Grad()
					if err != nil {
						t.Fatal(err)
					}
					res[k][i+1] = append([]float32(nil), gv.Data().([]float32)...)
				}
				vm.Close()
			}
			for i := range res[1][0] {
				if res[0][0][i] != res[1][0][i] {
					t.Fatalf("output %d: fused %g, reference %g", i, res[0][0][i], res[1][0][i])
				}
			}
			for k, name := range []string{"dx", "dw", "db"} {
				a, b := res[0][k+1], res[1][k+1]
				for i := range b {
					if d := math.Abs(float64(a[i] - b[i])); d > 1e-4*(1+math.Abs(float64(b[i]))) {
						t.Fatalf("%s[%d]: fused %g, reference %g", name, i, a[i], b[i])
					}
				}
			}
		})
	}
}
