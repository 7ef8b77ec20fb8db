package vision

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
	"sync"

	"github.com/chewxy/hm"
	"github.com/microstim/microstim/gemm"
	"gonum.org/v1/gonum/blas"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// stageOp is one stage as a single gorgonia op: k × k convolution with
// "same" zero padding, bias, ReLU and 2 × 2 max-pool, for x (B, Cin, H, W),
// w (Cout, Cin, k, k) and b (Cout), giving (B, Cout, H/2, W/2).
//
// Forward: x is unfolded into col (Cin·k·k × B·H·W, rows in gorgonia's
// (channel, kernel row, kernel column) order), pre = w·col + b is one
// product (package gemm) laid out channel-major, and one pass applies ReLU
// and the pool, so nothing is transposed. The product accumulates each
// element over the same k-ordered terms as gorgonia's Conv2d (im2col, then
// col·wᵀ), so the output equals the reference path (conv, BroadcastAdd,
// Rectify, MaxPool2D) exactly.
//
// Backward (stageGradOp): the pool's argmax and the ReLU's mask route dy to
// dpre; db sums dpre, dw = dpre·colᵀ and dx folds wᵀ·dpre back (col2im).
// The forward pass keeps col, pre and the argmax in a state shared with the
// gradient ops of the same graph; a graph runs on one goroutine at a time.
//
// Without pool (IT on a trunk model, which keeps V4's grid) the output is
// ReLU(pre + bias) at every position, (B, Cout, H, W).
type stageOp struct {
	name      string // e.g. "V2", for the hash and messages
	k         int
	inputGrad bool // whether x needs a gradient (not for the network's input)
	pool      bool // whether the 2 × 2 max-pool follows
	st        *stageState
}

// stageState is what a stage's forward pass leaves for its backward pass.
type stageState struct {
	b, cin, h, w, cout int
	col, pre           []float32
	arg                []int32 // per output element: the pre index of its window's max, −1 when ReLU zeroes it
	dpre               []float32
	run, gradRun       int  // forward runs, and the run whose dpre is computed
	keep               bool // a backward pass exists: keep col between passes
}

// applyStageOp adds the fused stage to the graph; inputGrad says whether
// x needs a gradient, pool whether the max-pool follows.
func applyStageOp(x, w, b *G.Node, name string, k int, inputGrad, pool bool) (*G.Node, error) {
	return G.ApplyOp(&stageOp{name: name, k: k, inputGrad: inputGrad, pool: pool, st: &stageState{}}, x, w, b)
}

func (op *stageOp) Arity() int { return 3 }

func (op *stageOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4, t1 := &G.TensorType{Dims: 4, Of: a}, &G.TensorType{Dims: 1, Of: a}
	return hm.NewFnType(t4, t4, t1, t4)
}

func (op *stageOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, ok1 := in[0].(tensor.Shape)
	ws, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(xs) != 4 || len(ws) != 4 {
		return nil, fmt.Errorf("vision: stage %s: want 4-d input and kernel shapes, got %v and %v", op.name, in[0], in[1])
	}
	if !op.pool {
		return tensor.Shape{xs[0], ws[0], xs[2], xs[3]}, nil
	}
	if xs[2]%2 != 0 || xs[3]%2 != 0 {
		return nil, fmt.Errorf("vision: stage %s: input %v: want an even height and width for the 2 × 2 pool", op.name, xs)
	}
	return tensor.Shape{xs[0], ws[0], xs[2] / 2, xs[3] / 2}, nil
}

func (op *stageOp) Do(in ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(op.outShape(in)...))
	return op.UsePreallocDo(out, in...)
}

func (op *stageOp) outShape(in []G.Value) tensor.Shape {
	xs, ws := in[0].Shape(), in[1].Shape()
	if !op.pool {
		return tensor.Shape{xs[0], ws[0], xs[2], xs[3]}
	}
	return tensor.Shape{xs[0], ws[0], xs[2] / 2, xs[3] / 2}
}

// UsePreallocDo runs the forward pass into out.
func (op *stageOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	x, w, b, err := stageInputs(op.name, in)
	if err != nil {
		return nil, err
	}
	xs, ws := in[0].Shape(), in[1].Shape()
	if ws[1] != xs[1] || ws[2] != op.k || ws[3] != op.k || in[2].Shape().TotalSize() != ws[0] {
		return nil, fmt.Errorf("vision: stage %s: input %v, kernel %v, bias %v do not fit a %d × %d convolution", op.name, xs, ws, in[2].Shape(), op.k, op.k)
	}
	o, ok := out.(*tensor.Dense)
	if !ok || o.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("vision: stage %s: want a float32 output tensor", op.name)
	}
	st := op.st
	st.b, st.cin, st.h, st.w, st.cout = xs[0], xs[1], xs[2], xs[3], ws[0]
	st.run++
	op.forward(x, w, b, o.Data().([]float32))
	return out, nil
}

func stageInputs(name string, in []G.Value) (x, w, b []float32, err error) {
	var out [3][]float32
	for i := range out {
		d, ok := in[i].(*tensor.Dense)
		if !ok || d.Dtype() != tensor.Float32 {
			return nil, nil, nil, fmt.Errorf("vision: stage %s: input %d: want a float32 tensor", name, i)
		}
		out[i] = d.Data().([]float32)
	}
	return out[0], out[1], out[2], nil
}

func (op *stageOp) forward(x, w, bias, out []float32) {
	st := op.st
	k, n := op.k, st.b*st.h*st.w
	rows := st.cin * k * k
	if st.keep { // the backward pass needs col
		st.col, st.pre = grow(st.col, rows*n), grow(st.pre, st.cout*n)
	} else { // forward only: borrow the large buffers for this pass
		col, pre := getScratch(rows*n), getScratch(st.cout*n)
		defer putScratch(col)
		defer putScratch(pre)
		st.col, st.pre = *col, *pre
		defer func() { st.col, st.pre = nil, nil }()
	}
	st.arg = growInt32(st.arg, len(out))
	im2col(st, k, x)
	gemm.Sgemm(blas.NoTrans, blas.NoTrans, st.cout, n, rows, 1, w, rows, st.col, n, 0, st.pre, n)
	if !op.pool {
		st.rectify(bias, out)
		return
	}
	parallelFor(st.cout, func(co int) {
		pre := st.pre[co*n : (co+1)*n]
		bv := bias[co]
		hw, oh, ow, w := st.h*st.w, st.h/2, st.w/2, st.w
		for im := 0; im < st.b; im++ {
			for y := 0; y < oh; y++ {
				top := pre[im*hw+2*y*w : im*hw+2*y*w+w]
				bot := pre[im*hw+(2*y+1)*w : im*hw+(2*y+1)*w+w]
				base := (im*st.cout+co)*oh*ow + y*ow
				o, a := out[base:base+ow], st.arg[base:base+ow]
				for xx := range o {
					// pre + bias in window order, first maximum: gorgonia's
					// BroadcastAdd, Rectify and MaxPool2D, exactly.
					best, at := top[2*xx]+bv, 2*y*w+2*xx
					if v := top[2*xx+1] + bv; v > best {
						best, at = v, 2*y*w+2*xx+1
					}
					if v := bot[2*xx] + bv; v > best {
						best, at = v, (2*y+1)*w+2*xx
					}
					if v := bot[2*xx+1] + bv; v > best {
						best, at = v, (2*y+1)*w+2*xx+1
					}
					if best > 0 {
						o[xx], a[xx] = best, int32(co*n+im*hw+at)
					} else {
						o[xx], a[xx] = 0, -1
					}
				}
			}
		}
	})
}

// rectify writes ReLU(pre + bias) to out (B, Cout, H, W), recording each
// element's pre index (−1 where ReLU zeroes it) for the backward pass.
func (st *stageState) rectify(bias, out []float32) {
	hw, n := st.h*st.w, st.b*st.h*st.w
	parallelFor(st.cout, func(co int) {
		pre, bv := st.pre[co*n:(co+1)*n], bias[co]
		for im := 0; im < st.b; im++ {
			base := (im*st.cout + co) * hw
			o, a := out[base:base+hw], st.arg[base:base+hw]
			for p := range o {
				if v := pre[im*hw+p] + bv; v > 0 {
					o[p], a[p] = v, int32(co*n+im*hw+p)
				} else {
					o[p], a[p] = 0, -1
				}
			}
		}
	})
}

// im2col fills st.col: row (ci, ky, kx), column (image, y, x) holds
// x[image, ci, y+ky−pad, x+kx−pad], zero outside the image.
func im2col(st *stageState, k int, x []float32) {
	pad, hw, n := (k-1)/2, st.h*st.w, st.b*st.h*st.w
	parallelFor(st.cin*k*k, func(r int) {
		ci, ky, kx := r/(k*k), r/k%k, r%k
		row := st.col[r*n : (r+1)*n]
		for im := 0; im < st.b; im++ {
			src := x[(im*st.cin+ci)*hw : (im*st.cin+ci+1)*hw]
			dst := row[im*hw : (im+1)*hw]
			for y := 0; y < st.h; y++ {
				sy := y + ky - pad
				d := dst[y*st.w : (y+1)*st.w]
				if sy < 0 || sy >= st.h {
					clear(d)
					continue
				}
				s := src[sy*st.w : (sy+1)*st.w]
				lo, hi := max(0, pad-kx), min(st.w, st.w+pad-kx) // columns whose source is inside
				clear(d[:lo])
				copy(d[lo:hi], s[lo+kx-pad:hi+kx-pad])
				clear(d[hi:])
			}
		}
	})
}

func (op *stageOp) ReturnsPtr() bool     { return false }
func (op *stageOp) CallsExtern() bool    { return false }
func (op *stageOp) OverwritesInput() int { return -1 }
func (op *stageOp) WriteHash(h hash.Hash) {
	fmt.Fprintf(h, "%s-%p", op, op.st)
}
func (op *stageOp) Hashcode() uint32 { return hashOf(op) }
func (op *stageOp) String() string {
	if !op.pool {
		return fmt.Sprintf("Stage%s{conv %d×%d, bias, ReLU}", op.name, op.k, op.k)
	}
	return fmt.Sprintf("Stage%s{conv %d×%d, bias, ReLU, max-pool 2×2}", op.name, op.k, op.k)
}

func (op *stageOp) DiffWRT(int) []bool { return []bool{op.inputGrad, true, true} }

// SymDiff returns the gradient nodes for x (nil without inputGrad), w and b.
func (op *stageOp) SymDiff(in G.Nodes, out, grad *G.Node) (G.Nodes, error) {
	op.st.keep = true
	ret := G.Nodes{nil}
	for wrt := 0; wrt < 3; wrt++ {
		if wrt == 0 && !op.inputGrad {
			continue
		}
		n, err := G.ApplyOp(&stageGradOp{op: op, wrt: wrt}, in[0], in[1], in[2], out, grad)
		if err != nil {
			return nil, err
		}
		if wrt == 0 {
			ret[0] = n
			continue
		}
		ret = append(ret, n)
	}
	return ret, nil
}

// stageGradOp is the gradient of a stageOp with respect to input wrt (0 x,
// 1 w, 2 b); its inputs are the stage's inputs, its output and dy.
type stageGradOp struct {
	op  *stageOp
	wrt int
}

func (g *stageGradOp) Arity() int { return 5 }

func (g *stageGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4, t1 := &G.TensorType{Dims: 4, Of: a}, &G.TensorType{Dims: 1, Of: a}
	ret := hm.Type(t4)
	if g.wrt == 2 {
		ret = t1
	}
	return hm.NewFnType(t4, t4, t1, t4, t4, ret)
}

func (g *stageGradOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[g.wrt].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("vision: stage %s gradient: want a shape", g.op.name)
	}
	return s.Clone(), nil
}

func (g *stageGradOp) Do(in ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(in[g.wrt].Shape().Clone()...))
	return g.UsePreallocDo(out, in...)
}

// UsePreallocDo computes the gradient into out.
func (g *stageGradOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	_, w, _, err := stageInputs(g.op.name, in)
	if err != nil {
		return nil, err
	}
	dyT, ok1 := in[4].(*tensor.Dense)
	o, ok2 := out.(*tensor.Dense)
	if !ok1 || !ok2 || dyT.Dtype() != tensor.Float32 || o.Dtype() != tensor.Float32 {
		return nil, fmt.Errorf("vision: stage %s gradient: want float32 tensors", g.op.name)
	}
	st := g.op.st
	if st.gradRun != st.run {
		st.routeGradient(dyT.Data().([]float32))
		st.gradRun = st.run
	}
	k, n := g.op.k, st.b*st.h*st.w
	rows := st.cin * k * k
	d := o.Data().([]float32)
	switch g.wrt {
	case 0: // dx: fold wᵀ·dpre back onto the image
		dcol := getScratch(rows * n)
		defer putScratch(dcol)
		gemm.Sgemm(blas.Trans, blas.NoTrans, rows, n, st.cout, 1, w, rows, st.dpre, n, 0, *dcol, n)
		col2im(st, k, *dcol, d)
	case 1: // dw = dpre · colᵀ
		gemm.Sgemm(blas.NoTrans, blas.Trans, st.cout, rows, n, 1, st.dpre, n, st.col, n, 0, d, rows)
	case 2: // db: the sum of dpre over images and positions
		parallelFor(st.cout, func(co int) {
			var s float32
			for _, v := range st.dpre[co*n : (co+1)*n] {
				s += v
			}
			d[co] = s
		})
	}
	return out, nil
}

// routeGradient sends dy (B, Cout, H/2, W/2) through the pool and the ReLU
// to dpre (Cout × B·H·W).
func (st *stageState) routeGradient(dy []float32) {
	st.dpre = grow(st.dpre, st.cout*st.b*st.h*st.w)
	clear(st.dpre)
	for i, at := range st.arg {
		if at >= 0 {
			st.dpre[at] = dy[i]
		}
	}
}

// col2im adds every column entry of dcol back onto its source pixel of dx
// (B, Cin, H, W): the adjoint of im2col.
func col2im(st *stageState, k int, dcol, dx []float32) {
	pad, hw, n := (k-1)/2, st.h*st.w, st.b*st.h*st.w
	clear(dx)
	parallelFor(st.cin, func(ci int) {
		for r := ci * k * k; r < (ci+1)*k*k; r++ {
			ky, kx := r/k%k, r%k
			row := dcol[r*n : (r+1)*n]
			for im := 0; im < st.b; im++ {
				dst := dx[(im*st.cin+ci)*hw : (im*st.cin+ci+1)*hw]
				src := row[im*hw : (im+1)*hw]
				for y := 0; y < st.h; y++ {
					sy := y + ky - pad
					if sy < 0 || sy >= st.h {
						continue
					}
					lo, hi := max(0, pad-kx), min(st.w, st.w+pad-kx)
					d := dst[sy*st.w+lo+kx-pad : sy*st.w+hi+kx-pad]
					for i, v := range src[y*st.w+lo : y*st.w+hi] {
						d[i] += v
					}
				}
			}
		}
	})
}

func (g *stageGradOp) ReturnsPtr() bool      { return false }
func (g *stageGradOp) CallsExtern() bool     { return false }
func (g *stageGradOp) OverwritesInput() int  { return -1 }
func (g *stageGradOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%p", g, g.op.st) }
func (g *stageGradOp) Hashcode() uint32      { return hashOf(g) }
func (g *stageGradOp) String() string {
	return fmt.Sprintf("Stage%sGrad{%s}", g.op.name, [3]string{"x", "w", "b"}[g.wrt])
}

func hashOf(op G.Op) uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

func growInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

var scratch sync.Pool

func getScratch(n int) *[]float32 {
	if p, ok := scratch.Get().(*[]float32); ok && cap(*p) >= n {
		*p = (*p)[:n]
		return p
	}
	b := make([]float32, n)
	return &b
}

func putScratch(p *[]float32) { scratch.Put(p) }

// parallelFor runs f(0..n−1) on GOMAXPROCS goroutines; each index runs
// once, so results do not depend on the number of cores.
func parallelFor(n int, f func(int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
