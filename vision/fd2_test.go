package vision

import (
	"fmt"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func fdCheck(t *testing.T, name string, rows, cols int, build func(g *G.ExprGraph, x *G.Node) *G.Node) {
	r := rand.New(rand.NewPCG(3, 4))
	base := make([]float32, rows*cols)
	for i := range base {
		base[i] = r.Float32() + 0.2
	}
	eval := func(v []float32) (float64, []float32) {
		g := G.NewGraph()
		x := G.NewMatrix(g, tensor.Float32, G.WithShape(rows, cols), G.WithName("x"),
			G.WithValue(tensor.New(tensor.WithShape(rows, cols), tensor.WithBacking(append([]float32(nil), v...)))))
		out := build(g, x)
		var ov G.Value
		G.Read(out, &ov)
		if _, err := G.Grad(out, x); err != nil {
			t.Fatal(err)
		}
		vm := G.NewTapeMachine(g, G.BindDualValues(x))
		defer vm.Close()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		gv, _ := x.Grad()
		return float64(ov.Data().(float32)), append([]float32(nil), gv.Data().([]float32)...)
	}
	_, gr := eval(base)
	k := 5
	h := float32(1e-2)
	p := append([]float32(nil), base...)
	p[k] += h
	a, _ := eval(p)
	p[k] -= 2 * h
	b, _ := eval(p)
	fmt.Printf("%-12s autodiff %.5f  fd %.5f\n", name, gr[k], (a-b)/float64(2*h))
}

func TestFD2(t *testing.T) {
	const R, C = 6, 4
	kk := make([]float32, C*C)
	for i := range kk {
		kk[i] = float32(i%5) - 2
	}
	K := func(g *G.ExprGraph, n string) *G.Node {
		return G.NewConstant(tensor.New(tensor.WithShape(C, C), tensor.WithBacking(kk)), G.WithName(n))
	}
	fdCheck(t, "xtx", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		return G.Must(G.Sum(G.Must(G.HadamardProd(G.Must(G.Mul(G.Must(G.Transpose(x)), x)), K(g, "k")))))
	})
	fdCheck(t, "meancenter", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		m := G.Must(G.Mean(x, 0))
		c := G.Must(G.BroadcastSub(x, m, nil, []byte{0}))
		return G.Must(G.Sum(G.Must(G.Mul(G.Must(G.Square(c)), K(g, "k")))))
	})
	fdCheck(t, "invsqrt", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		ss := G.Must(G.Sum(G.Must(G.Square(x)), 0))
		inv := G.Must(G.InverseSqrt(ss))
		rn := G.Must(G.BroadcastHadamardProd(x, inv, nil, []byte{0}))
		return G.Must(G.Sum(G.Must(G.Mul(rn, K(g, "k")))))
	})
	fdCheck(t, "sumaxis", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		ss := G.Must(G.Sum(G.Must(G.Square(x)), 0))
		return G.Must(G.Sum(G.Must(G.Square(ss))))
	})
	fdCheck(t, "inv(sqrt)", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		ss := G.Must(G.Sum(G.Must(G.Square(x)), 0))
		inv := G.Must(G.Inverse(G.Must(G.Sqrt(ss))))
		rn := G.Must(G.BroadcastHadamardProd(x, inv, nil, []byte{0}))
		return G.Must(G.Sum(G.Must(G.Mul(rn, K(g, "k")))))
	})
	fdCheck(t, "bdiv", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		ss := G.Must(G.Sum(G.Must(G.Square(x)), 0))
		rn := G.Must(G.BroadcastHadamardDiv(x, G.Must(G.Sqrt(ss)), nil, []byte{0}))
		return G.Must(G.Sum(G.Must(G.Mul(rn, K(g, "k")))))
	})
	fdCheck(t, "invsqrtonly", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		return G.Must(G.Sum(G.Must(G.InverseSqrt(x))))
	})
	fdCheck(t, "invonly", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		return G.Must(G.Sum(G.Must(G.Inverse(G.Must(G.Sqrt(x))))))
	})
	fdCheck(t, "subscalar", R, C, func(g *G.ExprGraph, x *G.Node) *G.Node {
		s := G.Must(G.Sum(x))
		return G.Must(G.Sum(G.Must(G.Square(G.Must(G.Sub(x, s))))))
	})
}
