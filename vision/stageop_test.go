package vision

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// referenceStage is the stage built from gorgonia's own ops, the path the
// fused stageOp replaces: Conv2d, BroadcastAdd, Rectify, MaxPool2D.
func referenceStage(x, w, b *G.Node, k int) (*G.Node, error) {
	return referenceStagePool(x, w, b, k, true)
}

// referenceStagePool is referenceStage with or without the pool.
func referenceStagePool(x, w, b *G.Node, k int, pool bool) (*G.Node, error) {
	pad := (k - 1) / 2
	c, err := G.Conv2d(x, w, tensor.Shape{k, k}, []int{pad, pad}, []int{1, 1}, []int{1, 1})
	if err != nil {
		return nil, err
	}
	if c, err = G.BroadcastAdd(c, b, nil, []byte{0, 2, 3}); err != nil {
		return nil, err
	}
	if c, err = G.Rectify(c); err != nil || !pool {
		return c, err
	}
	return G.MaxPool2D(c, tensor.Shape{2, 2}, []int{0, 0}, []int{2, 2})
}

func randTensor(r *rand.Rand, shape ...int) *tensor.Dense {
	d := make([]float32, tensor.Shape(shape).TotalSize())
	for i := range d {
		d[i] = float32(r.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}

// evalWithGrads binds the tensors in as nodes of a new graph, applies f
// and returns f's output and the gradients of Σ output ⊙ m with respect to
// each input.
func evalWithGrads(t *testing.T, f func(in ...*G.Node) (*G.Node, error), m *tensor.Dense, in ...*tensor.Dense) (y []float32, grads [][]float32) {
	t.Helper()
	g := G.NewGraph()
	var nodes G.Nodes
	for i, x := range in {
		nodes = append(nodes, G.NodeFromAny(g, x.Clone().(*tensor.Dense), G.WithName(fmt.Sprintf("in%d", i))))
	}
	out, err := f(nodes...)
	if err != nil {
		t.Fatal(err)
	}
	loss := G.Must(G.Sum(G.Must(G.HadamardProd(out, G.NodeFromAny(g, m, G.WithName("m"))))))
	if _, err := G.Grad(loss, nodes...); err != nil {
		t.Fatal(err)
	}
	var yv G.Value
	G.Read(out, &yv)
	vm := G.NewTapeMachine(g, G.BindDualValues(nodes...))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		gv, err := n.Grad()
		if err != nil {
			t.Fatal(err)
		}
		grads = append(grads, append([]float32(nil), gv.Data().([]float32)...))
	}
	return append([]float32(nil), yv.Data().([]float32)...), grads
}

// checkAgainstReference requires the outputs to be equal and every
// gradient to agree to |Δ| ≤ 1e-4 · (1 + |g|).
func checkAgainstReference(t *testing.T, y1, y0 []float32, g1, g0 [][]float32) {
	t.Helper()
	for i := range y0 {
		if y1[i] != y0[i] {
			t.Fatalf("output %d: fused %g, reference %g", i, y1[i], y0[i])
		}
	}
	for k := range g0 {
		for i := range g0[k] {
			if d := math.Abs(float64(g1[k][i] - g0[k][i])); d > 1e-4*(1+math.Abs(float64(g0[k][i]))) {
				t.Fatalf("gradient of input %d, element %d: fused %g, reference %g", k, i, g1[k][i], g0[k][i])
			}
		}
	}
}

// stageRun evaluates one stage (fused or reference) with its gradients.
func stageRun(t *testing.T, fused bool, xT, wT, bT, mT *tensor.Dense, k int) (y, dx, dw, db []float32) {
	return stageRunPool(t, fused, xT, wT, bT, mT, k, true)
}

func stageRunPool(t *testing.T, fused bool, xT, wT, bT, mT *tensor.Dense, k int, pool bool) (y, dx, dw, db []float32) {
	t.Helper()
	y, g := evalWithGrads(t, func(in ...*G.Node) (*G.Node, error) {
		if fused {
			return applyStageOp(in[0], in[1], in[2], "T", k, true, pool)
		}
		return referenceStagePool(in[0], in[1], in[2], k, pool)
	}, mT, xT, wT, bT)
	return y, g[0], g[1], g[2]
}

var stageShapes = []struct{ b, cin, h, w, cout, k int }{
	{1, 1, 4, 4, 1, 1},
	{1, 1, 8, 6, 3, 5},    // batch 1, V1's 5 × 5 kernel, a non-square image
	{3, 2, 6, 10, 5, 3},   // odd channel counts
	{2, 7, 8, 8, 13, 3},   // odd output channels
	{4, 16, 16, 16, 9, 3}, // several product blocks
}

// The fused stage equals the reference path exactly in the forward pass
// (the product sums the same terms in the same order) and agrees in every
// gradient to float32 accuracy (|Δ| ≤ 1e-4 · (1 + |g|); the bias and
// kernel gradients sum in another order).
func TestStageOpMatchesReference(t *testing.T) {
	for _, s := range stageShapes {
		t.Run(fmt.Sprintf("%v", s), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(s.b*1000+s.cin*10+s.k), 3))
			xT, wT, bT := randTensor(r, s.b, s.cin, s.h, s.w), randTensor(r, s.cout, s.cin, s.k, s.k), randTensor(r, s.cout)
			mT := randTensor(r, s.b, s.cout, s.h/2, s.w/2)
			y1, dx1, dw1, db1 := stageRun(t, true, xT, wT, bT, mT, s.k)
			y0, dx0, dw0, db0 := stageRun(t, false, xT, wT, bT, mT, s.k)
			checkAgainstReference(t, y1, y0, [][]float32{dx1, dw1, db1}, [][]float32{dx0, dw0, db0})
		})
	}
}

// Without the pool (IT on a trunk model) the fused stage equals conv, bias
// and ReLU, forward and backward.
func TestStageOpWithoutPool(t *testing.T) {
	for _, s := range stageShapes {
		t.Run(fmt.Sprintf("%v", s), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(s.b*1000+s.cin*10+s.k), 5))
			xT, wT, bT := randTensor(r, s.b, s.cin, s.h, s.w), randTensor(r, s.cout, s.cin, s.k, s.k), randTensor(r, s.cout)
			mT := randTensor(r, s.b, s.cout, s.h, s.w)
			y1, dx1, dw1, db1 := stageRunPool(t, true, xT, wT, bT, mT, s.k, false)
			y0, dx0, dw0, db0 := stageRunPool(t, false, xT, wT, bT, mT, s.k, false)
			checkAgainstReference(t, y1, y0, [][]float32{dx1, dw1, db1}, [][]float32{dx0, dw0, db0})
		})
	}
}

// The gradients agree with central finite differences of the loss.
func TestStageOpNumericGradient(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 11))
	s := stageShapes[2]
	xT, wT, bT := randTensor(r, s.b, s.cin, s.h, s.w), randTensor(r, s.cout, s.cin, s.k, s.k), randTensor(r, s.cout)
	mT := randTensor(r, s.b, s.cout, s.h/2, s.w/2)
	_, dx, dw, db := stageRun(t, true, xT, wT, bT, mT, s.k)
	loss := func() float64 {
		y, _, _, _ := stageRun(t, true, xT, wT, bT, mT, s.k)
		var l float64
		for i, v := range y {
			l += float64(v) * float64(mT.Data().([]float32)[i])
		}
		return l
	}
	const eps = 1e-4
	l0 := loss()
	checked := 0
	for _, c := range []struct {
		name string
		t    *tensor.Dense
		g    []float32
	}{{"x", xT, dx}, {"w", wT, dw}, {"b", bT, db}} {
		d := c.t.Data().([]float32)
		for i := range d {
			v := d[i]
			d[i] = v + eps
			lp := loss()
			d[i] = v - eps
			lm := loss()
			d[i] = v
			if math.Abs((lp-l0)-(l0-lm)) > 0.02*math.Abs(lp-lm)+1e-5 {
				continue // a pool or ReLU kink within ±eps: no derivative to compare
			}
			checked++
			num := (lp - lm) / (2 * eps)
			if math.Abs(num-float64(c.g[i])) > 2e-2*(1+math.Abs(num)) {
				t.Errorf("d loss / d %s[%d]: analytic %g, numeric %g", c.name, i, c.g[i], num)
			}
		}
	}
	if n := len(dx) + len(dw) + len(db); checked < n*8/10 {
		t.Errorf("only %d of %d derivatives away from kinks", checked, n)
	}
}

// Forward and gradients are bit-identical on 1 and 2 cores.
func TestStageOpDeterministic(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	r := rand.New(rand.NewPCG(12, 12))
	s := stageShapes[4]
	xT, wT, bT := randTensor(r, s.b, s.cin, s.h, s.w), randTensor(r, s.cout, s.cin, s.k, s.k), randTensor(r, s.cout)
	mT := randTensor(r, s.b, s.cout, s.h/2, s.w/2)
	var first [4][]float32
	for _, procs := range []int{1, 2} {
		runtime.GOMAXPROCS(procs)
		y, dx, dw, db := stageRun(t, true, xT, wT, bT, mT, s.k)
		got := [4][]float32{y, dx, dw, db}
		if first[0] == nil {
			first = got
			continue
		}
		for k := range got {
			for i := range got[k] {
				if math.Float32bits(got[k][i]) != math.Float32bits(first[k][i]) {
					t.Fatalf("output %d element %d differs between 1 and 2 cores", k, i)
				}
			}
		}
	}
}
