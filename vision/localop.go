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

// localOp is the unshared IT layer as one gorgonia op: for x (B, C, H, W),
// w (P, C, C) and b (P, C) with P = H·W, out[:, :, p] = ReLU(x[:, :, p]·w[p]
// + b[p]). Each position gathers its (B × C) slice once, multiplies it by
// w[p] (package gemm) and adds the bias, applies ReLU and scatters the
// result, with no transposes. The products are gorgonia's BatchedMatMul's,
// so the output equals the reference path (Transpose, BatchedMatMul,
// BroadcastAdd, Rectify, Transpose) exactly.
type localOp struct{ st *localState }

// localState is what the forward pass leaves for the backward pass.
type localState struct {
	b, c, p int
	xp, yp  []float32 // per position: x gathered (B × C), and x·w + b
	run     int
	gradRun int
	dz      []float32 // per position: dy masked by the ReLU (B × C)
}

func applyLocalOp(x, w, b *G.Node) (*G.Node, error) {
	return G.ApplyOp(&localOp{st: &localState{}}, x, w, b)
}

func (op *localOp) Arity() int { return 3 }

func (op *localOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4, t3, t2 := &G.TensorType{Dims: 4, Of: a}, &G.TensorType{Dims: 3, Of: a}, &G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(t4, t3, t2, t4)
}

func (op *localOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, ok := in[0].(tensor.Shape)
	if !ok || len(xs) != 4 {
		return nil, fmt.Errorf("vision: unshared IT layer: want a 4-d input, got %v", in[0])
	}
	return xs.Clone(), nil
}

func (op *localOp) Do(in ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in[0].Shape().Clone()...))
	return op.UsePreallocDo(out, in...)
}

// UsePreallocDo runs the forward pass into out.
func (op *localOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	x, w, b, err := stageInputs("IT (unshared)", in)
	if err != nil {
		return nil, err
	}
	xs := in[0].Shape()
	st := op.st
	st.b, st.c, st.p = xs[0], xs[1], xs[2]*xs[3]
	if in[1].Shape().TotalSize() != st.p*st.c*st.c || in[2].Shape().TotalSize() != st.p*st.c {
		return nil, fmt.Errorf("vision: unshared IT layer: input %v, weights %v, bias %v do not fit", xs, in[1].Shape(), in[2].Shape())
	}
	o, ok := out.(*tensor.Dense)
	if !ok || o.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("vision: unshared IT layer: want a float32 output tensor")
	}
	st.run++
	bc := st.b * st.c
	st.xp, st.yp = grow(st.xp, st.p*bc), grow(st.yp, st.p*bc)
	y := o.Data().([]float32)
	parallelFor(st.p, func(p int) {
		xp, yp := st.xp[p*bc:(p+1)*bc], st.yp[p*bc:(p+1)*bc]
		for i := range xp { // xp[bi, ci] = x[bi, ci, p]
			xp[i] = x[i*st.p+p]
		}
		gemm.Sgemm(blas.NoTrans, blas.NoTrans, st.b, st.c, st.c, 1, xp, st.c, w[p*st.c*st.c:(p+1)*st.c*st.c], st.c, 0, yp, st.c)
		bias := b[p*st.c : (p+1)*st.c]
		for i := range yp {
			v := yp[i] + bias[i%st.c]
			yp[i] = v
			if v > 0 {
				y[i*st.p+p] = v
			} else {
				y[i*st.p+p] = 0
			}
		}
	})
	return out, nil
}

func (op *localOp) ReturnsPtr() bool      { return false }
func (op *localOp) CallsExtern() bool     { return false }
func (op *localOp) OverwritesInput() int  { return -1 }
func (op *localOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%p", op, op.st) }
func (op *localOp) Hashcode() uint32      { return hashOf(op) }
func (op *localOp) String() string        { return "LocalIT{x·w[p] + b[p], ReLU}" }
func (op *localOp) DiffWRT(int) []bool    { return []bool{true, true, true} }

// SymDiff returns the gradient nodes for x, w and b.
func (op *localOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	var ret G.Nodes
	for wrt := 0; wrt < 3; wrt++ {
		n, err := G.ApplyOp(&localGradOp{op: op, wrt: wrt}, in[0], in[1], in[2], out, grad)
		if err != nil {
			return nil, err
		}
		ret = append(ret, n)
	}
	return ret, nil
}

// localGradOp is the gradient of a localOp with respect to input wrt.
type localGradOp struct {
	op  *localOp
	wrt int
}

func (g *localGradOp) Arity() int { return 5 }

func (g *localGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4, t3, t2 := &G.TensorType{Dims: 4, Of: a}, &G.TensorType{Dims: 3, Of: a}, &G.TensorType{Dims: 2, Of: a}
	return hm.NewFnType(t4, t3, t2, t4, t4, [3]hm.Type{t4, t3, t2}[g.wrt])
}

func (g *localGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[g.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("vision: unshared IT layer gradient: want a shape")
	}
	return s.Clone(), nil
}

func (g *localGradOp) Do(in ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in[g.wrt].Shape().Clone()...))
	return g.UsePreallocDo(out, in...)
}

// UsePreallocDo computes the gradient into out.
func (g *localGradOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	_, w, _, err := stageInputs("IT (unshared) gradient", in)
	if err != nil {
		return nil, err
	}
	dyT, ok1 := in[4].(*tensor.Dense)
	o, ok2 := out.(*tensor.Dense)
	if !ok1 || !ok2 || dyT.Dtype() != tensor.Float32 || o.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("vision: unshared IT layer gradient: want float32 tensors")
	}
	st := g.op.st
	bc := st.b * st.c
	if st.gradRun != st.run { // dz[p][bi, ci] = dy[bi, ci, p] where x·w + b > 0
		dy := dyT.Data().([]float32)
		st.dz = grow(st.dz, st.p*bc)
		parallelFor(st.p, func(p int) {
			dz, yp := st.dz[p*bc:(p+1)*bc], st.yp[p*bc:(p+1)*bc]
			for i := range dz {
				if yp[i] > 0 {
					dz[i] = dy[i*st.p+p]
				} else {
					dz[i] = 0
				}
			}
		})
		st.gradRun = st.run
	}
	d := o.Data().([]float32)
	cc := st.c * st.c
	parallelFor(st.p, func(p int) {
		dz := st.dz[p*bc : (p+1)*bc]
		switch g.wrt {
		case 0: // dx[:, :, p] = dz · w[p]ᵀ
			buf := getScratch(bc)
			defer putScratch(buf)
			gemm.Sgemm(blas.NoTrans, blas.Trans, st.b, st.c, st.c, 1, dz, st.c, w[p*cc:(p+1)*cc], st.c, 0, *buf, st.c)
			for i, v := range *buf {
				d[i*st.p+p] = v
			}
		case 1: // dw[p] = x[:, :, p]ᵀ · dz
			gemm.Sgemm(blas.Trans, blas.NoTrans, st.c, st.c, st.b, 1, st.xp[p*bc:(p+1)*bc], st.c, dz, st.c, 0, d[p*cc:(p+1)*cc], st.c)
		case 2: // db[p] = Σ over the batch of dz
			db := d[p*st.c : (p+1)*st.c]
			clear(db)
			for bi := 0; bi < st.b; bi++ {
				for ci, v := range dz[bi*st.c : (bi+1)*st.c] {
					db[ci] += v
				}
			}
		}
	})
	return out, nil
}

func (g *localGradOp) ReturnsPtr() bool      { return false }
func (g *localGradOp) CallsExtern() bool     { return false }
func (g *localGradOp) OverwritesInput() int  { return -1 }
func (g *localGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%p", g, g.op.st) }
func (g *localGradOp) Hashcode() uint32      { return hashOf(g) }
func (g *localGradOp) String() string {
	return fmt.Sprintf("LocalITGrad{%s}", [3]string{"x", "w", "b"}[g.wrt])
}
