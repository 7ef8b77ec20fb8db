package vision

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/microstim/microstim/topography"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func slValueGrad(t *testing.T, l *topography.Layout, units []int, resp []float32, bs, n int) (float64, []float32) {
	g := G.NewGraph()
	x := G.NewMatrix(g, tensor.Float32, G.WithShape(bs, l.Units()), G.WithName("resp"),
		G.WithValue(tensor.New(tensor.WithShape(bs, l.Units()), tensor.WithBacking(append([]float32(nil), resp...)))))
	sl, _ := newSLNode(g, x, "t", n)
	var lv G.Value
	G.Read(sl.loss, &lv)
	G.Grad(sl.loss, x)
	sl.set(l, units)
	vm := G.NewTapeMachine(g, G.BindDualValues(x))
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	gv, _ := x.Grad()
	return float64(lv.Data().(float32)), append([]float32(nil), gv.Data().([]float32)...)
}

func TestFD(t *testing.T) {
	l, _ := topography.NewLayout("IT", 8, 4, 4, 0.25, 3)
	const bs, n = 16, 20
	r := rand.New(rand.NewPCG(1, 2))
	resp := make([]float32, bs*l.Units())
	for i := range resp {
		resp[i] = float32(math.Max(0, r.NormFloat64()))
	}
	units := l.Neighbourhood(topography.Left, 5, 5, n)
	_, grad := slValueGrad(t, l, units, resp, bs, n)
	for _, k := range []int{units[0], units[5], units[7] + l.Units()*3} {
		h := float32(1e-2)
		rp := append([]float32(nil), resp...)
		rp[k] += h
		vp, _ := slValueGrad(t, l, units, rp, bs, n)
		rp[k] -= 2 * h
		vm, _ := slValueGrad(t, l, units, rp, bs, n)
		fmt.Println(k, grad[k], (vp-vm)/float64(2*h))
	}
}
