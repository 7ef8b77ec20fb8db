package vision

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/microstim/microstim/topography"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The graph spatial loss equals topography.SpatialLoss (the float64
// reference) and its gradient is finite, including with silent units.
func TestSpatialLossGraphMatchesReference(t *testing.T) {
	l, err := topography.NewLayout("IT", 8, 4, 4, 0.25, 3)
	if err != nil {
		t.Fatal(err)
	}
	const bs, n = 16, 20
	r := rand.New(rand.NewPCG(1, 2))
	resp := make([]float32, bs*l.Units())
	for i := range resp {
		resp[i] = float32(math.Max(0, r.NormFloat64()))
	}
	units := l.Neighbourhood(topography.Left, 5, 5, n)
	for b := 0; b < bs; b++ { // silence one unit of the neighbourhood
		resp[b*l.Units()+units[3]] = 0
	}
	got, grad := slValueGrad(t, l, units, resp, bs, n)
	ref := make([][]float64, bs)
	for b := range ref {
		ref[b] = make([]float64, n)
		for k, u := range units {
			ref[b][k] = float64(resp[b*l.Units()+u])
		}
	}
	want := topography.SpatialLoss(ref, l.InverseDistance(units))
	if math.Abs(got-want) > 1e-4 {
		t.Errorf("graph SL = %.6f, reference %.6f", got, want)
	}
	for i, v := range grad {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("gradient[%d] = %v", i, v)
		}
	}
}

// slValueGrad evaluates the graph spatial loss and its gradient with
// respect to the responses.
func slValueGrad(t *testing.T, l *topography.Layout, units []int, resp []float32, bs, n int) (float64, []float32) {
	t.Helper()
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(bs, l.Units()), G.WithName("resp"),
		G.WithValue(tensor.New(tensor.WithShape(bs, l.Units()), tensor.WithBacking(append([]float32(nil), resp...)))))
	sl, err := newSLNode(g, x, "t", n)
	if err != nil {
		t.Fatal(err)
	}
	var lv G.Value
	G.Read(sl.loss, &lv)
	if _, err := G.Grad(sl.loss, x); err != nil {
		t.Fatal(err)
	}
	if err := sl.set(l, units); err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(g, G.BindDualValues(x))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv, _ := x.Grad()
	return float64(lv.Data().(float32)), append([]float32(nil), gv.Data().([]float32)...)
}

// The spatial-loss gradient matches central finite differences. (It did
// not while the graph used gorgonia's InverseSqrt, whose gradient is wrong in
// v0.9.18.)
func TestSpatialLossGradientMatchesFiniteDifferences(t *testing.T) {
	l, _ := topography.NewLayout("IT", 8, 4, 4, 0.25, 3)
	const bs, n = 16, 20
	r := rand.New(rand.NewPCG(1, 2))
	resp := make([]float32, bs*l.Units())
	for i := range resp {
		resp[i] = float32(math.Max(0, r.NormFloat64()) + 0.1)
	}
	units := l.Neighbourhood(topography.Left, 5, 5, n)
	_, grad := slValueGrad(t, l, units, resp, bs, n)
	for _, k := range []int{units[0], units[5], units[7] + l.Units()*3, units[19] + l.Units()*15} {
		const h = 1e-2
		p := append([]float32(nil), resp...)
		p[k] += h
		a, _ := slValueGrad(t, l, units, p, bs, n)
		p[k] -= 2 * h
		b, _ := slValueGrad(t, l, units, p, bs, n)
		fd := (a - b) / (2 * h)
		if math.Abs(float64(grad[k])-fd) > 2e-3*math.Max(1e-2, math.Abs(fd))+1e-5 {
			t.Errorf("d SL / d r[%d]: autodiff %.6g, finite difference %.6g", k, grad[k], fd)
		}
	}
}
