package vision

import (
	"fmt"
	"math"

	"github.com/microstim/microstim/topography"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// slNode is the graph form of topography.SpatialLoss for one neighbourhood
// of n units of one stage: sel (units×n, one-hot columns) picks the
// neighbourhood out of the flattened stage, tc is the target 1/(d+1) on the
// upper triangle, centred and scaled to unit norm (zero elsewhere).
type slNode struct {
	sel, tc *G.Node
	loss    *G.Node
	n       int
}

// slEps regularises each unit's norm across the batch, so nearly silent
// units (ReLU) do not get huge gradients through 1/σ.
// gorgonia's InverseSqrt has a wrong gradient (v0.9.18; see
// TestGorgoniaGradients), so the graph uses Inverse(Sqrt(·)).
const slEps = 1e-2

func newSLNode(g *G.ExprGraph, flat *G.Node, name string, n int) (*slNode, error) {
	units := flat.Shape()[1]
	s := &slNode{n: n}
	s.sel = G.NewMatrix(g, tensor.Float32, G.WithShape(units, n), G.WithName("sel_"+name))
	s.tc = G.NewMatrix(g, tensor.Float32, G.WithShape(n, n), G.WithName("tc_"+name))
	mask := make([]float32, n*n)
	m := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			mask[i*n+j] = 1
			m++
		}
	}
	maskN := G.NewConstant(tensor.New(tensor.WithShape(n, n), tensor.WithBacking(mask)), G.WithName("mask_"+name))
	c := func(v float32, suffix string) *G.Node { return G.NewConstant(v, G.WithName(name+"_"+suffix)) }

	r, err := G.Mul(flat, s.sel) // (B, n)
	if err != nil {
		return nil, fmt.Errorf("vision: spatial loss %s: %w", name, err)
	}
	mean := G.Must(G.Mean(r, 0))
	rc := G.Must(G.BroadcastSub(r, mean, nil, []byte{0}))
	ss := G.Must(G.Sum(G.Must(G.Square(rc)), 0))
	inv := G.Must(G.Inverse(G.Must(G.Sqrt(G.Must(G.Add(ss, c(slEps, "eps1")))))))
	rn := G.Must(G.BroadcastHadamardProd(rc, inv, nil, []byte{0}))
	corr := G.Must(G.Mul(G.Must(G.Transpose(rn)), rn)) // (n, n)
	cov := G.Must(G.Sum(G.Must(G.HadamardProd(corr, s.tc))))
	meanC := G.Must(G.Div(G.Must(G.Sum(G.Must(G.HadamardProd(corr, maskN)))), c(float32(m), "m")))
	cc := G.Must(G.HadamardProd(G.Must(G.Sub(corr, meanC)), maskN))
	varC := G.Must(G.Sum(G.Must(G.Square(cc))))
	rho := G.Must(G.Div(cov, G.Must(G.Sqrt(G.Must(G.Add(varC, c(1e-8, "eps2")))))))
	s.loss = G.Must(G.Div(G.Must(G.Sub(c(1, "one"), rho)), c(2, "two")))
	return s, nil
}

// set feeds the neighbourhood's selection matrix and centred target.
func (s *slNode) set(l *topography.Layout, units []int) error {
	n := s.n
	if len(units) != n {
		return fmt.Errorf("vision: spatial loss: neighbourhood of %d units, want %d", len(units), n)
	}
	sel := make([]float32, l.Units()*n)
	for k, u := range units {
		sel[u*n+k] = 1
	}
	t := l.InverseDistance(units)
	var mean float64
	cnt := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			mean += t[i*n+j]
			cnt++
		}
	}
	mean /= float64(cnt)
	var ss float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			d := t[i*n+j] - mean
			ss += d * d
		}
	}
	norm := math.Sqrt(ss)
	tc := make([]float32, n*n)
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if norm > 0 {
				tc[i*n+j] = float32((t[i*n+j] - mean) / norm)
			}
		}
	}
	if err := G.Let(s.sel, tensor.New(tensor.WithShape(l.Units(), n), tensor.WithBacking(sel))); err != nil {
		return err
	}
	return G.Let(s.tc, tensor.New(tensor.WithShape(n, n), tensor.WithBacking(tc)))
}
