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

// trunkOp is one stage of the frozen pretrained trunk (MobileNet v2's
// stem and inverted-residual blocks, batch norm folded) as one gorgonia
// op, for x (B, C, H, W). Each block is a 1 × 1 expansion with ReLU6
// (absent when t = 1), a 3 × 3 depthwise convolution with ReLU6 and
// TensorFlow's SAME padding (at stride 2 on an even side: none before, one
// after), a linear 1 × 1 projection, and the residual sum when the stride
// is 1 and the width is kept. The stage works channel-major over the batch
// (C, B·H·W), so every 1 × 1 convolution is one product (package gemm).
//
// The trunk is frozen: the op has no gradient, and training graphs start
// after it (Trainer caches its output per view).
type trunkOp struct {
	name   string
	stage  int
	stem   []float32 // (32, 1, 3, 3) then its bias; nil except for V1
	stemB  []float32
	blocks []mnBlock
}

// mnBlock is one inverted-residual block with its weights.
type mnBlock struct {
	in, hid, out, stride   int
	expandW, expandB       []float32 // nil when t = 1
	dwW, dwB, projW, projB []float32
}

// newTrunkOp builds stage s from its tensors (trunkTensorShapes order);
// firstStride overrides the first block's stride (the post-hoc control's
// IT keeps V4's grid with 1), 0 keeps it.
func newTrunkOp(s int, ts []NamedTensor, firstStride int) (*trunkOp, error) {
	shapes := trunkTensorShapes(s)
	if len(ts) != len(shapes) {
		return nil, fmt.Errorf("vision: trunk stage %s: %d tensors, want %d", StageNames[s], len(ts), len(shapes))
	}
	op := &trunkOp{name: StageNames[s], stage: s}
	next := func() []float32 { d := Data(ts[0].T); ts = ts[1:]; return d }
	if s == 0 {
		op.stem, op.stemB = next(), next()
	}
	for k := trunkStageBlocks[s][0]; k <= trunkStageBlocks[s][1]; k++ {
		spec := mobileNetV2Blocks[k-1]
		b := mnBlock{in: mnBlockIn(k), out: spec.out, stride: spec.stride}
		if k == trunkStageBlocks[s][0] && firstStride > 0 {
			b.stride = firstStride
		}
		b.hid = b.in * spec.t
		if spec.t != 1 {
			b.expandW, b.expandB = next(), next()
		}
		b.dwW, b.dwB, b.projW, b.projB = next(), next(), next(), next()
		op.blocks = append(op.blocks, b)
	}
	return op, nil
}

func applyTrunkOp(x *G.Node, op *trunkOp) (*G.Node, error) { return G.ApplyOp(op, x) }

func (op *trunkOp) Arity() int { return 1 }

func (op *trunkOp) Type() hm.Type {
	t4 := &G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t4, t4)
}

// outShape is the stage's output shape for an input of shape xs.
func (op *trunkOp) outShape(xs tensor.Shape) tensor.Shape {
	h, w := xs[2], xs[3]
	if op.stem != nil {
		h, w = (h+1)/2, (w+1)/2
	}
	for _, b := range op.blocks {
		h, w = (h+b.stride-1)/b.stride, (w+b.stride-1)/b.stride
	}
	return tensor.Shape{xs[0], op.blocks[len(op.blocks)-1].out, h, w}
}

func (op *trunkOp) inChannels() int {
	if op.stem != nil {
		return 1
	}
	return op.blocks[0].in
}

func (op *trunkOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	xs, ok := in[0].(tensor.Shape)
	if !ok || len(xs) != 4 || xs[1] != op.inChannels() {
		return nil, fmt.Errorf("vision: trunk stage %s: want a (B, %d, H, W) input, got %v", op.name, op.inChannels(), in[0])
	}
	return op.outShape(xs), nil
}

func (op *trunkOp) Do(in ...G.Value) (G.Value, error) {
	out := tensor.New(tensor.Of(tensor.Float32), tensor.WithShape(op.outShape(in[0].Shape())...))
	return op.UsePreallocDo(out, in...)
}

// UsePreallocDo runs the stage into out.
func (op *trunkOp) UsePreallocDo(out G.Value, in ...G.Value) (G.Value, error) {
	x, ok1 := in[0].(*tensor.Dense)
	o, ok2 := out.(*tensor.Dense)
	if !ok1 || !ok2 || x.Dtype() != tensor.Float32 || o.Dtype() != tensor.Float32 {
		return nil, errors.New("vision: trunk stage " + op.name + ": want float32 tensors")
	}
	xs := x.Shape()
	if len(xs) != 4 || xs[1] != op.inChannels() {
		return nil, fmt.Errorf("vision: trunk stage %s: input %v", op.name, xs)
	}
	op.forward(x.Data().([]float32), xs[0], xs[2], xs[3], o.Data().([]float32))
	return out, nil
}

// forward computes the stage for x (b, C, h, w) into out (b, C', h', w').
func (op *trunkOp) forward(x []float32, b, h, w int, out []float32) {
	c := op.inChannels()
	cur := getScratch(len(x))
	toChannelMajor(*cur, x, b, c, h*w)
	if op.stem != nil {
		next := getScratch(mnStemChannels * b * ((h + 1) / 2) * ((w + 1) / 2))
		stemConv(*next, *cur, op.stem, op.stemB, b, h, w)
		putScratch(cur)
		cur, c, h, w = next, mnStemChannels, (h+1)/2, (w+1)/2
	}
	for _, blk := range op.blocks {
		var ho, wo int
		cur, ho, wo = blk.forward(cur, b, h, w)
		c, h, w = blk.out, ho, wo
	}
	fromChannelMajor(out, *cur, b, c, h*w)
	putScratch(cur)
}

// forward runs the block on x (in, b·h·w), channel-major; it releases x
// and returns its output (out, b·h'·w') with the new side.
func (blk *mnBlock) forward(x *[]float32, b, h, w int) (*[]float32, int, int) {
	n := b * h * w
	hid := x
	if blk.expandW != nil {
		hid = getScratch(blk.hid * n)
		pointwise(*hid, *x, blk.expandW, blk.expandB, blk.hid, blk.in, n, true)
	}
	ho, wo := (h+blk.stride-1)/blk.stride, (w+blk.stride-1)/blk.stride
	dw := getScratch(blk.hid * b * ho * wo)
	depthwise(*dw, *hid, blk.dwW, blk.dwB, blk.hid*b, h, w, blk.stride)
	if hid != x {
		putScratch(hid)
	}
	no := b * ho * wo
	y := getScratch(blk.out * no)
	pointwise(*y, *dw, blk.projW, blk.projB, blk.out, blk.hid, no, false)
	putScratch(dw)
	if blk.stride == 1 && blk.in == blk.out {
		r := *y
		for i, v := range (*x)[:len(r)] {
			r[i] += v
		}
	}
	putScratch(x)
	return y, ho, wo
}

// pointwise is y (cout × n) = w (cout × cin) · x (cin × n) + bias, with
// ReLU6 when relu6.
func pointwise(y, x, w, bias []float32, cout, cin, n int, relu6 bool) {
	gemm.Sgemm(blas.NoTrans, blas.NoTrans, cout, n, cin, 1, w, cin, x, n, 0, y[:cout*n], n)
	parallelFor(cout, func(co int) {
		row, bv := y[co*n:(co+1)*n], bias[co]
		if relu6 {
			for i, v := range row {
				row[i] = min(max(v+bv, 0), 6)
			}
			return
		}
		for i := range row {
			row[i] += bv
		}
	})
}

// samePadBefore is TensorFlow's SAME padding before the first row for a
// 3 × 3 window at stride s over side n.
func samePadBefore(n, s int) int {
	out := (n + s - 1) / s
	return max((out-1)*s+3-n, 0) / 2
}

// depthwise convolves each of planes (h × w) images of x with its
// channel's 3 × 3 kernel (planes run channel-major: plane p has channel
// p / B), adds the bias and applies ReLU6, into y (planes × h' × w').
func depthwise(y, x, w, bias []float32, planes, h, w0, s int) {
	ho, wo := (h+s-1)/s, (w0+s-1)/s
	pt, pl := samePadBefore(h, s), samePadBefore(w0, s)
	b := planes / (len(bias))
	parallelFor(planes, func(p int) {
		ch := p / b
		k := w[ch*9 : ch*9+9]
		src := x[p*h*w0 : (p+1)*h*w0]
		dst := y[p*ho*wo : (p+1)*ho*wo]
		for oy := 0; oy < ho; oy++ {
			o := dst[oy*wo : (oy+1)*wo]
			for i := range o {
				o[i] = bias[ch]
			}
			for ky := 0; ky < 3; ky++ {
				iy := oy*s - pt + ky
				if iy < 0 || iy >= h {
					continue
				}
				row := src[iy*w0 : (iy+1)*w0]
				for kx := 0; kx < 3; kx++ {
					kv := k[ky*3+kx]
					off := kx - pl // ix = ox·s + off
					lo := max(0, (-off+s-1)/s)
					hi := min(wo, (w0-1-off)/s+1)
					if s == 1 {
						r := row[lo+off : hi+off]
						for i, v := range r {
							o[lo+i] += kv * v
						}
						continue
					}
					for ox := lo; ox < hi; ox++ {
						o[ox] += kv * row[ox*s+off]
					}
				}
			}
			for i, v := range o {
				o[i] = min(max(v, 0), 6)
			}
		}
	})
}

// stemConv is MobileNet v2's first layer on a grayscale batch x (b × h ×
// w): 3 × 3 convolution at stride 2 with SAME padding, bias, ReLU6, into y
// (32, b, h', w').
func stemConv(y, x, w, bias []float32, b, h, w0 int) {
	ho, wo := (h+1)/2, (w0+1)/2
	pt, pl := samePadBefore(h, 2), samePadBefore(w0, 2)
	parallelFor(mnStemChannels*b, func(p int) {
		co, im := p/b, p%b
		k := w[co*9 : co*9+9]
		src := x[im*h*w0 : (im+1)*h*w0]
		dst := y[p*ho*wo : (p+1)*ho*wo]
		for oy := 0; oy < ho; oy++ {
			for ox := 0; ox < wo; ox++ {
				v := bias[co]
				for ky := 0; ky < 3; ky++ {
					iy := 2*oy - pt + ky
					if iy < 0 || iy >= h {
						continue
					}
					for kx := 0; kx < 3; kx++ {
						ix := 2*ox - pl + kx
						if ix >= 0 && ix < w0 {
							v += k[ky*3+kx] * src[iy*w0+ix]
						}
					}
				}
				dst[oy*wo+ox] = min(max(v, 0), 6)
			}
		}
	})
}

// toChannelMajor copies x (b, c, n) into y (c, b, n).
func toChannelMajor(y, x []float32, b, c, n int) {
	for im := 0; im < b; im++ {
		for ch := 0; ch < c; ch++ {
			copy(y[(ch*b+im)*n:(ch*b+im+1)*n], x[(im*c+ch)*n:(im*c+ch+1)*n])
		}
	}
}

// fromChannelMajor copies y (c, b, n) into x (b, c, n).
func fromChannelMajor(x, y []float32, b, c, n int) {
	for im := 0; im < b; im++ {
		for ch := 0; ch < c; ch++ {
			copy(x[(im*c+ch)*n:(im*c+ch+1)*n], y[(ch*b+im)*n:(ch*b+im+1)*n])
		}
	}
}

func (op *trunkOp) ReturnsPtr() bool      { return false }
func (op *trunkOp) CallsExtern() bool     { return false }
func (op *trunkOp) OverwritesInput() int  { return -1 }
func (op *trunkOp) WriteHash(h hash.Hash) { fmt.Fprintf(h, "%s-%p", op, op) }
func (op *trunkOp) Hashcode() uint32      { return hashOf(op) }
func (op *trunkOp) String() string {
	return fmt.Sprintf("Trunk%s{MobileNet v2, %d blocks, frozen}", op.name, len(op.blocks))
}
