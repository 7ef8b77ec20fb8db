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
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(bs, l.Units()), G.WithName("resp"),
		G.WithValue(tensor.New(tensor.WithShape(bs, l.Units()), tensor.WithBacking(resp))))
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
	ref := make([][]float64, bs)
	for b := range ref {
		ref[b] = make([]float64, n)
		for k, u := range units {
			ref[b][k] = float64(resp[b*l.Units()+u])
		}
	}
	want := topography.SpatialLoss(ref, l.InverseDistance(units))
	got := float64(lv.Data().(float32))
	if math.Abs(got-want) > 1e-4 {
		t.Errorf("graph SL = %.6f, reference %.6f", got, want)
	}
	gv, err := x.Grad()
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range gv.Data().([]float32) {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			t.Fatalf("gradient[%d] = %v", i, v)
		}
	}
}
