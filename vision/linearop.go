package vision

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/microstim/microstim/gemm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// linearOp is a head as one gorgonia op: y = x·w + b for x (B, U), w
// (U, K) and b (K). The product is gorgonia's Mul's (package gemm), and the
// bias is added in place rather than broadcast into a new tensor, so the
// output equals Mul then BroadcastAdd exactly. Backward: dx = dy·wᵀ,
// dw = xᵀ·dy, db = the column sums of dy.
type linearOp struct{ name string }

func applyLinearOp(x, w, b *G.Node) (*G.Node, error) {
	return G.ApplyOp(linearOp{name: w.Name()}, x, w, b)
}

func (op linearOp) Arity() int { return 3 }

func (op linearOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t2, t1 := &G.TensorType{Dims: 2, Of: a}, &G.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(t2, t2, t1, t2)
}

func (op linearOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, ok1 := in[0].(tensor.Shape)
	ws, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(xs) != 2 || len(ws) != 2 || xs[1] != ws[0] {
		return nil, fmt.Errorf("vision: head %s: input %v and weights %v do not fit", op.name, in[0], in[1])
	}
	return tensor.Shape{xs[0], ws[1]}, nil
}

func (op linearOp) Do(in ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in[0].Shape()[0], in[1].Shape()[1]))
	return op.UsePreallocDo(out, in...)
}

// UsePreallocDo computes x·w + b into out.
func (op linearOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	x, w, b, err := stageInputs("head "+op.name, in)
	if err != nil {
		return nil, err
	}
	o, ok := out.(*tensor.Dense)
	if !ok || o.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("vision: head %s: want a float32 output tensor", op.name)
	}
	bs, u, k := in[0].Shape()[0], in[0].Shape()[1], in[1].Shape()[1]
	y := o.Data().([]float32)
	gemm.Sgemm(blas.NoTrans, blas.NoTrans, bs, k, u, 1, x, u, w, k, 0, y, k)
	for i := 0; i < bs; i++ {
		row := y[i*k : (i+1)*k]
		for j := range row {
			row[j] += b[j]
		}
	}
	return out, nil
}

func (op linearOp) ReturnsPtr() bool      { return false }
func (op linearOp) CallsExtern() bool     { return false }
func (op linearOp) OverwritesInput() int  { return -1 }
func (op linearOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op linearOp) Hashcode() uint32      { return hashOf(op) }
func (op linearOp) String() string        { return "Linear{" + op.name + "}" }
func (op linearOp) DiffWRT(int) []bool    { return []bool{true, true, true} }

// SymDiff returns the gradient nodes for x, w and b.
func (op linearOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	var ret G.Nodes
	for wrt := 0; wrt < 3; wrt++ {
		n, err := G.ApplyOp(linearGradOp{name: op.name, wrt: wrt}, in[0], in[1], grad)
		if err != nil {
			return nil, err
		}
		ret = append(ret, n)
	}
	return ret, nil
}

// linearGradOp is the gradient of a linearOp with respect to input wrt
// (0 x, 1 w, 2 b); its inputs are x, w and dy.
type linearGradOp struct {
	name string
	wrt  int
}

func (g linearGradOp) Arity() int { return 3 }

func (g linearGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t2, t1 := &G.TensorType{Dims: 2, Of: a}, &G.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(t2, t2, t2, [3]hm.Type{t2, t2, t1}[g.wrt])
}

func (g linearGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if g.wrt == 2 {
		dy, ok := in[2].(tensor.Shape)
		if !ok {
			return nil, fmt.Errorf("vision: head %s gradient: want a shape", g.name)
		}
		return tensor.Shape{dy[1]}, nil
	}
	s, ok := in[g.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("vision: head %s gradient: want a shape", g.name)
	}
	return s.Clone(), nil
}

func (g linearGradOp) Do(in ...G.Value) (G.Value, error) {
	shape := in[g.wrt%2].Shape().Clone()
	if g.wrt == 2 {
		shape = tensor.Shape{in[2].Shape()[1]}
	}
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(shape...))
	return g.UsePreallocDo(out, in...)
}

// UsePreallocDo computes the gradient into out.
func (g linearGradOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	x, w, dy, err := stageInputs("head "+g.name+" gradient", in)
	if err != nil {
		return nil, err
	}
	o, ok := out.(*tensor.Dense)
	if !ok || o.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("vision: head %s gradient: want a float32 output tensor", g.name)
	}
	bs, u, k := in[0].Shape()[0], in[0].Shape()[1], in[1].Shape()[1]
	d := o.Data().([]float32)
	switch g.wrt {
	case 0:
		gemm.Sgemm(blas.NoTrans, blas.Trans, bs, u, k, 1, dy, k, w, k, 0, d, u)
	case 1:
		gemm.Sgemm(blas.Trans, blas.NoTrans, u, k, bs, 1, x, u, dy, k, 0, d, k)
	case 2:
		clear(d)
		for i := 0; i < bs; i++ {
			for j, v := range dy[i*k : (i+1)*k] {
				d[j] += v
			}
		}
	}
	return out, nil
}

func (g linearGradOp) ReturnsPtr() bool      { return false }
func (g linearGradOp) CallsExtern() bool     { return false }
func (g linearGradOp) OverwritesInput() int  { return -1 }
func (g linearGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, g.String()) }
func (g linearGradOp) Hashcode() uint32      { return hashOf(g) }
func (g linearGradOp) String() string {
	return fmt.Sprintf("LinearGrad{%s, %s}", g.name, [3]string{"x", "w", "b"}[g.wrt])
}
