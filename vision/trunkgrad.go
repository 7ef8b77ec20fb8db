package vision

import (
	"errors"
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/microstim/microstim/gemm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// trainTrunkOp is a trunk stage that trains (model v3 candidate A, whose IT
// is MobileNet v2's blocks 14–17 fine-tuned): the blocks of a trunkOp with
// their weights as graph inputs, so gorgonia asks for their gradients.
// Inputs: x (B, C, H, W), then the stage's tensors in trunkTensorShapes
// order. The forward pass keeps each block's input and post-activation
// values (channel-major); trainTrunkGradOp runs the blocks backwards once
// per pass: projection (two products), the ReLU6 masks, the depthwise
// kernel's adjoint, expansion (two products) and the residual sum.
type trainTrunkOp struct {
	*trunkOp
	n  int // weight tensors
	st *trunkState
}

// trunkState is what the forward pass leaves for the backward pass.
type trunkState struct {
	b, h, w    int
	saved      []blockSaved
	run        int
	gradRun    int
	dx         []float32   // (B, C, H, W)
	dw         [][]float32 // per weight input, in input order
	outH, outW int
}

// blockSaved holds one block's forward values, channel-major.
type blockSaved struct {
	x, h1, h2 []float32 // input, expansion output (nil when t = 1), depthwise output
	h, w      int       // input side
}

func applyTrainTrunkOp(x *G.Node, ws []*G.Node, op *trunkOp) (*G.Node, error) {
	if op.stem != nil {
		return nil, errors.New("vision: the trunk's stem does not train")
	}
	t := &trainTrunkOp{trunkOp: op, n: len(ws), st: &trunkState{}}
	return G.ApplyOp(t, append(G.Nodes{x}, ws...)...)
}

func (op *trainTrunkOp) Arity() int { return 1 + op.n }

func (op *trainTrunkOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4 := &G.TensorType{Dims: 4, Of: a}
	ts := []hm.Type{t4}
	for _, s := range trunkTensorShapes(op.stage) {
		ts = append(ts, &G.TensorType{Dims: len(s.Shape), Of: a})
	}
	return hm.NewFnType(append(ts, t4)...)
}

func (op *trainTrunkOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	return op.trunkOp.InferShape(in[0])
}

func (op *trainTrunkOp) Do(in ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(op.outShape(in[0].Shape())...))
	return op.UsePreallocDo(out, in...)
}

// UsePreallocDo runs the stage into out, keeping what backward needs.
func (op *trainTrunkOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	if err := op.bind(in[1:]); err != nil {
		return nil, err
	}
	x, ok1 := in[0].(*tensor.Dense)
	o, ok2 := out.(*tensor.Dense)
	if !ok1 || !ok2 || x.Dtype() != tensor.Float32 || o.Dtype() != tensor.Float32 {
		return nil, errors.New("vision: trunk stage " + op.name + ": want float32 tensors")
	}
	xs := x.Shape()
	st := op.st
	st.b, st.h, st.w = xs[0], xs[2], xs[3]
	st.run++
	st.saved = st.saved[:0]
	c, h, w := xs[1], xs[2], xs[3]
	cur := make([]float32, x.Shape().TotalSize())
	toChannelMajor(cur, x.Data().([]float32), st.b, c, h*w)
	for i := range op.blocks {
		blk := &op.blocks[i]
		s := blockSaved{x: cur, h: h, w: w}
		cur, s.h1, s.h2, h, w = blk.forwardKeep(cur, st.b, h, w)
		c = blk.out
		st.saved = append(st.saved, s)
	}
	st.outH, st.outW = h, w
	fromChannelMajor(o.Data().([]float32), cur, st.b, c, h*w)
	return out, nil
}

// bind points the blocks' weights at the graph's input tensors.
func (op *trainTrunkOp) bind(ws []G.Value) error {
	var d [][]float32
	for _, v := range ws {
		t, ok := v.(*tensor.Dense)
		if !ok || t.Dtype() != tensor.Float32 {
			return errors.New("vision: trunk stage " + op.name + ": want float32 weights")
		}
		d = append(d, t.Data().([]float32))
	}
	for i := range op.blocks {
		b := &op.blocks[i]
		if b.expandW != nil {
			b.expandW, b.expandB, d = d[0], d[1], d[2:]
		}
		b.dwW, b.dwB, b.projW, b.projB, d = d[0], d[1], d[2], d[3], d[4:]
	}
	return nil
}

// forwardKeep is mnBlock.forward keeping fresh buffers: it returns the
// output, the expansion and depthwise outputs and the new side.
func (blk *mnBlock) forwardKeep(x []float32, b, h, w int) (y, h1, h2 []float32, ho, wo int) {
	n := b * h * w
	hid := x
	if blk.expandW != nil {
		h1 = make([]float32, blk.hid*n)
		pointwise(h1, x, blk.expandW, blk.expandB, blk.hid, blk.in, n, true)
		hid = h1
	}
	ho, wo = (h+blk.stride-1)/blk.stride, (w+blk.stride-1)/blk.stride
	no := b * ho * wo
	h2 = make([]float32, blk.hid*no)
	depthwise(h2, hid, blk.dwW, blk.dwB, blk.hid*b, h, w, blk.stride)
	y = make([]float32, blk.out*no)
	pointwise(y, h2, blk.projW, blk.projB, blk.out, blk.hid, no, false)
	if blk.stride == 1 && blk.in == blk.out {
		for i, v := range x {
			y[i] += v
		}
	}
	return y, h1, h2, ho, wo
}

func (op *trainTrunkOp) ReturnsPtr() bool      { return false }
func (op *trainTrunkOp) CallsExtern() bool     { return false }
func (op *trainTrunkOp) OverwritesInput() int  { return -1 }
func (op *trainTrunkOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%p", op, op.st) }
func (op *trainTrunkOp) Hashcode() uint32      { return hashOf(op) }
func (op *trainTrunkOp) String() string {
	return fmt.Sprintf("TrainTrunk%s{MobileNet v2, %d blocks}", op.name, len(op.blocks))
}

func (op *trainTrunkOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = true
	}
	return out
}

// SymDiff returns the gradient nodes of x and of every weight.
func (op *trainTrunkOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	var ret G.Nodes
	for wrt := range in {
		n, err := G.ApplyOp(&trainTrunkGradOp{op: op, wrt: wrt}, append(append(G.Nodes{}, in...), out, grad)...)
		if err != nil {
			return nil, err
		}
		ret = append(ret, n)
	}
	return ret, nil
}

// trainTrunkGradOp is the gradient of a trainTrunkOp with respect to input
// wrt; its inputs are the op's inputs, its output and dy.
type trainTrunkGradOp struct {
	op  *trainTrunkOp
	wrt int
}

func (g *trainTrunkGradOp) Arity() int { return g.op.Arity() + 2 }

func (g *trainTrunkGradOp) Type() hm.Type {
	fn := g.op.Type().(*hm.FunctionType)
	ts := fn.FlatTypes()
	in := ts[:len(ts)-1]
	t4 := ts[len(ts)-1]
	return hm.NewFnType(append(append(append([]hm.Type{}, in...), t4, t4), in[g.wrt])...)
}

func (g *trainTrunkGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[g.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("vision: trunk stage %s gradient: want a shape", g.op.name)
	}
	return s.Clone(), nil
}

func (g *trainTrunkGradOp) Do(in ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in[g.wrt].Shape().Clone()...))
	return g.UsePreallocDo(out, in...)
}

// UsePreallocDo computes the gradient into out (all of the stage's
// gradients once per forward pass, then this input's copy).
func (g *trainTrunkGradOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	dyT, ok1 := in[len(in)-1].(*tensor.Dense)
	o, ok2 := out.(*tensor.Dense)
	if !ok1 || !ok2 || dyT.Dtype() != tensor.Float32 || o.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("vision: trunk stage %s gradient: want float32 tensors", g.op.name)
	}
	st := g.op.st
	if st.gradRun != st.run {
		g.op.backward(dyT.Data().([]float32))
		st.gradRun = st.run
	}
	d := o.Data().([]float32)
	if g.wrt == 0 {
		copy(d, st.dx)
	} else {
		copy(d, st.dw[g.wrt-1])
	}
	return out, nil
}

// backward runs the blocks in reverse from dy (B, C', H', W').
func (op *trainTrunkOp) backward(dy []float32) {
	st := op.st
	last := op.blocks[len(op.blocks)-1]
	d := make([]float32, len(dy))
	toChannelMajor(d, dy, st.b, last.out, st.outH*st.outW)
	grads := make([][][]float32, len(op.blocks)) // per block, its tensors' gradients in input order
	for i := len(op.blocks) - 1; i >= 0; i-- {
		d, grads[i] = op.blocks[i].backward(&st.saved[i], d, st.b)
	}
	st.dw = st.dw[:0]
	for _, g := range grads {
		st.dw = append(st.dw, g...)
	}
	c := op.blocks[0].in
	st.dx = grow(st.dx, st.b*c*st.h*st.w)
	fromChannelMajor(st.dx, d, st.b, c, st.h*st.w)
}

// backward returns the gradient of the block's input (channel-major) and
// of its tensors (expansion w, b when present, depthwise w, b, projection
// w, b) from dy, the gradient of its output.
func (blk *mnBlock) backward(s *blockSaved, dy []float32, b int) (dx []float32, dws [][]float32) {
	n := b * s.h * s.w
	ho, wo := (s.h+blk.stride-1)/blk.stride, (s.w+blk.stride-1)/blk.stride
	no := b * ho * wo
	dProjW := make([]float32, blk.out*blk.hid)
	gemm.Sgemm(blas.NoTrans, blas.Trans, blk.out, blk.hid, no, 1, dy, no, s.h2, no, 0, dProjW, blk.hid)
	dProjB := rowSums(dy, blk.out, no)
	dh2 := make([]float32, blk.hid*no)
	gemm.Sgemm(blas.Trans, blas.NoTrans, blk.hid, no, blk.out, 1, blk.projW, blk.hid, dy, no, 0, dh2, no)
	relu6Mask(dh2, s.h2)
	hid := s.x
	if s.h1 != nil {
		hid = s.h1
	}
	dDwW, dDwB, dh1 := depthwiseBackward(dh2, hid, blk.dwW, blk.hid, b, s.h, s.w, blk.stride)
	if s.h1 == nil {
		dx = dh1
		dws = [][]float32{dDwW, dDwB, dProjW, dProjB}
	} else {
		relu6Mask(dh1, s.h1)
		dExpW := make([]float32, blk.hid*blk.in)
		gemm.Sgemm(blas.NoTrans, blas.Trans, blk.hid, blk.in, n, 1, dh1, n, s.x, n, 0, dExpW, blk.in)
		dx = make([]float32, blk.in*n)
		gemm.Sgemm(blas.Trans, blas.NoTrans, blk.in, n, blk.hid, 1, blk.expandW, blk.in, dh1, n, 0, dx, n)
		dws = [][]float32{dExpW, rowSums(dh1, blk.hid, n), dDwW, dDwB, dProjW, dProjB}
	}
	if blk.stride == 1 && blk.in == blk.out {
		for i, v := range dy {
			dx[i] += v
		}
	}
	return dx, dws
}

// rowSums sums each of rows rows of x (rows × n).
func rowSums(x []float32, rows, n int) []float32 {
	out := make([]float32, rows)
	parallelFor(rows, func(r int) {
		var s float32
		for _, v := range x[r*n : (r+1)*n] {
			s += v
		}
		out[r] = s
	})
	return out
}

// relu6Mask zeroes d where ReLU6's output y sits on a clamp (0 or 6).
func relu6Mask(d, y []float32) {
	for i, v := range y {
		if v <= 0 || v >= 6 {
			d[i] = 0
		}
	}
}

// depthwiseBackward is the adjoint of depthwise for dy (channels·b planes
// of ho × wo, already masked by its ReLU6) and the layer's input x: the
// kernel and bias gradients and the input gradient. Like depthwise it
// walks each kernel tap along output rows, over the columns whose source
// is inside the image.
func depthwiseBackward(dy, x, w []float32, channels, b, h, w0, s int) (dw, db, dx []float32) {
	ho, wo := (h+s-1)/s, (w0+s-1)/s
	pt, pl := samePadBefore(h, s), samePadBefore(w0, s)
	dw, db, dx = make([]float32, channels*9), make([]float32, channels), make([]float32, channels*b*h*w0)
	parallelFor(channels, func(ch int) {
		k, dk := w[ch*9:ch*9+9], dw[ch*9:ch*9+9]
		for im := 0; im < b; im++ {
			p := ch*b + im
			src, dsrc := x[p*h*w0:(p+1)*h*w0], dx[p*h*w0:(p+1)*h*w0]
			g := dy[p*ho*wo : (p+1)*ho*wo]
			for _, v := range g {
				db[ch] += v
			}
			for oy := 0; oy < ho; oy++ {
				gr := g[oy*wo : (oy+1)*wo]
				for ky := 0; ky < 3; ky++ {
					iy := oy*s - pt + ky
					if iy < 0 || iy >= h {
						continue
					}
					row, drow := src[iy*w0:(iy+1)*w0], dsrc[iy*w0:(iy+1)*w0]
					for kx := 0; kx < 3; kx++ {
						kv, off := k[ky*3+kx], kx-pl // ix = ox·s + off
						lo, hi := max(0, (-off+s-1)/s), min(wo, (w0-1-off)/s+1)
						var acc float32
						for ox := lo; ox < hi; ox++ {
							v := gr[ox]
							acc += v * row[ox*s+off]
							drow[ox*s+off] += kv * v
						}
						dk[ky*3+kx] += acc
					}
				}
			}
		}
	})
	return dw, db, dx
}

func (g *trainTrunkGradOp) ReturnsPtr() bool      { return false }
func (g *trainTrunkGradOp) CallsExtern() bool     { return false }
func (g *trainTrunkGradOp) OverwritesInput() int  { return -1 }
func (g *trainTrunkGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%p", g, g.op.st) }
func (g *trainTrunkGradOp) Hashcode() uint32      { return hashOf(g) }
func (g *trainTrunkGradOp) String() string        { return fmt.Sprintf("TrainTrunkGrad{%d}", g.wrt) }
