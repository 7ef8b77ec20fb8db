package tflite

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/microstim/microstim/gemm"
	"gonum.org/v1/gonum/blas"
)

// Net is a model prepared for float inference: constant tensors
// dequantised once. It is not safe for concurrent use.
type Net struct {
	M *Model
	// Float skips the re-quantisation of activations: every operator then
	// computes in float32 on the dequantised constants, as a float model
	// with the same weights would.
	Float bool

	w     map[int][]float32 // dequantised constants by tensor index
	act   map[int][]float32 // activations of the last Run
	shape map[int][]int     // activation shapes (NHWC)
	col   []float32         // im2col scratch
}

// NewNet checks that every operator is supported and dequantises the
// constant tensors.
func NewNet(m *Model) (*Net, error) {
	n := &Net{M: m, w: map[int][]float32{}, act: map[int][]float32{}, shape: map[int][]int{}}
	for i, op := range m.Operators {
		switch op.Code {
		case OpAdd, OpAveragePool2D, OpConv2D, OpDepthwiseConv, OpReshape, OpSoftmax:
		default:
			return nil, fmt.Errorf("tflite: operator %d has unsupported builtin code %d", i, op.Code)
		}
		if (op.Code == OpConv2D || op.Code == OpDepthwiseConv) && (op.DilationW != 1 || op.DilationH != 1) {
			return nil, fmt.Errorf("tflite: operator %d: dilated convolution is not supported", i)
		}
	}
	for i, t := range m.Tensors {
		if t.Data == nil {
			continue
		}
		v, err := dequantise(t)
		if err != nil {
			return nil, fmt.Errorf("tflite: tensor %d %q: %w", i, t.Name, err)
		}
		n.w[i] = v
	}
	return n, nil
}

// elements is the product of shape's dimensions, or −1 when a dimension
// is negative or the product exceeds 2³¹.
func elements(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 || d > 0 && n > (1<<31)/d {
			return -1
		}
		n *= d
	}
	return n
}

func dequantise(t Tensor) ([]float32, error) {
	n := elements(t.Shape)
	size := map[int]int{TypeUint8: 1, TypeInt32: 4, TypeFloat32: 4}[t.Type]
	if n < 0 || size == 0 || n > len(t.Data)/size {
		return nil, fmt.Errorf("shape %v of type %d does not fit its %d bytes", t.Shape, t.Type, len(t.Data))
	}
	out := make([]float32, n)
	switch t.Type {
	case TypeUint8:
		if len(t.Data) < n {
			return nil, fmt.Errorf("%d bytes for %d values", len(t.Data), n)
		}
		for i := range out {
			out[i] = t.Scale * float32(int32(t.Data[i])-t.ZeroPoint)
		}
	case TypeInt32:
		if len(t.Data) < 4*n {
			return nil, fmt.Errorf("%d bytes for %d values", len(t.Data), n)
		}
		for i := range out {
			q := int32(binary.LittleEndian.Uint32(t.Data[4*i:]))
			out[i] = t.Scale * float32(q-t.ZeroPoint)
		}
	case TypeFloat32:
		if len(t.Data) < 4*n {
			return nil, fmt.Errorf("%d bytes for %d values", len(t.Data), n)
		}
		for i := range out {
			out[i] = math.Float32frombits(binary.LittleEndian.Uint32(t.Data[4*i:]))
		}
	default:
		return nil, fmt.Errorf("unsupported constant type %d", t.Type)
	}
	return out, nil
}

// Run feeds the input tensor (NHWC, real values) and computes every
// operator in order. Tensor values of the run are read with Value.
func (n *Net) Run(input []float32) error {
	in := n.M.Inputs[0]
	shape := n.M.Tensors[in].Shape
	if len(input) != elements(shape) {
		return fmt.Errorf("tflite: input of %d values, want %v", len(input), shape)
	}
	n.act[in], n.shape[in] = input, shape
	n.quantise(in, 0)
	for i, op := range n.M.Operators {
		if err := n.apply(op); err != nil {
			return fmt.Errorf("tflite: operator %d: %w", i, err)
		}
		n.quantise(op.Outputs[0], op.Activation)
	}
	return nil
}

// Value returns tensor i's real values after the last Run (nil if the
// tensor is neither an activation nor a constant).
func (n *Net) Value(i int) []float32 {
	if v, ok := n.act[i]; ok {
		return v
	}
	return n.w[i]
}

func (n *Net) get(i int) ([]float32, []int) {
	if v, ok := n.act[i]; ok {
		return v, n.shape[i]
	}
	return n.w[i], n.M.Tensors[i].Shape
}

// out allocates (or reuses) output tensor i with the given shape.
func (n *Net) out(i int, shape []int) []float32 {
	size := elements(shape)
	v := n.act[i]
	if cap(v) < size {
		v = make([]float32, size)
	}
	v = v[:size]
	n.act[i], n.shape[i] = v, shape
	return v
}

// quantise applies the fused activation act (0 none, 1 ReLU, 3 ReLU6) to
// tensor i and rounds it to its uint8 grid, when it has one.
func (n *Net) quantise(i, act int) {
	v := n.act[i]
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	switch act {
	case 1:
		lo = 0
	case 3:
		lo, hi = 0, 6
	}
	t := n.M.Tensors[i]
	if n.Float || t.Type != TypeUint8 || t.Scale == 0 {
		for k, x := range v {
			v[k] = min(max(x, lo), hi)
		}
		return
	}
	inv, zp := 1/t.Scale, int32(t.ZeroPoint)
	for k, x := range v {
		x = min(max(x, lo), hi)
		q := int32(x*inv+0.5) + zp // round half up; negatives clamp to 0 below
		if x < 0 {
			q = int32(x*inv-0.5) + zp
		}
		q = min(max(q, 0), 255)
		v[k] = t.Scale * float32(q-zp)
	}
}

// samePad returns the output size and leading padding of TensorFlow's
// SAME (or VALID) padding.
func samePad(in, k, stride, padding int) (out, before int) {
	if padding == 1 {
		return (in-k)/stride + 1, 0
	}
	out = (in + stride - 1) / stride
	total := max((out-1)*stride+k-in, 0)
	return out, total / 2
}

func (n *Net) apply(op Operator) error {
	switch op.Code {
	case OpConv2D:
		return n.conv(op)
	case OpDepthwiseConv:
		return n.depthwise(op)
	case OpAdd:
		a, sa := n.get(op.Inputs[0])
		b, _ := n.get(op.Inputs[1])
		if len(a) != len(b) {
			return fmt.Errorf("ADD of %d and %d values (no broadcasting)", len(a), len(b))
		}
		o := n.out(op.Outputs[0], sa)
		for i := range o {
			o[i] = a[i] + b[i]
		}
	case OpAveragePool2D:
		return n.avgPool(op)
	case OpReshape:
		a, _ := n.get(op.Inputs[0])
		o := n.out(op.Outputs[0], n.M.Tensors[op.Outputs[0]].Shape)
		if len(a) != len(o) {
			return fmt.Errorf("RESHAPE of %d values into %v", len(a), n.M.Tensors[op.Outputs[0]].Shape)
		}
		copy(o, a)
	case OpSoftmax:
		a, sa := n.get(op.Inputs[0])
		o := n.out(op.Outputs[0], sa)
		c := sa[len(sa)-1]
		for r := 0; r < len(a); r += c {
			softmax(o[r:r+c], a[r:r+c], op.SoftmaxBeta)
		}
	}
	return nil
}

func softmax(dst, x []float32, beta float32) {
	m := x[0]
	for _, v := range x {
		m = max(m, v)
	}
	var sum float64
	for i, v := range x {
		e := math.Exp(float64(beta * (v - m)))
		dst[i] = float32(e)
		sum += e
	}
	for i := range dst {
		dst[i] = float32(float64(dst[i]) / sum)
	}
}

// conv computes CONV_2D: input (1, H, W, Cin), filter (Cout, kh, kw, Cin),
// bias (Cout), as one matrix product over unfolded patches.
func (n *Net) conv(op Operator) error {
	x, sx := n.get(op.Inputs[0])
	w, sw := n.get(op.Inputs[1])
	if len(sx) != 4 || len(sw) != 4 || sw[3] != sx[3] {
		return fmt.Errorf("CONV_2D input %v, filter %v", sx, sw)
	}
	h, wd, cin := sx[1], sx[2], sx[3]
	cout, kh, kw := sw[0], sw[1], sw[2]
	ho, pt := samePad(h, kh, op.StrideH, op.Padding)
	wo, pl := samePad(wd, kw, op.StrideW, op.Padding)
	o := n.out(op.Outputs[0], []int{1, ho, wo, cout})
	k := kh * kw * cin
	a := x
	if kh != 1 || kw != 1 || op.StrideH != 1 || op.StrideW != 1 {
		if cap(n.col) < ho*wo*k {
			n.col = make([]float32, ho*wo*k)
		}
		a = n.col[:ho*wo*k]
		for oy := 0; oy < ho; oy++ {
			for ox := 0; ox < wo; ox++ {
				row := a[(oy*wo+ox)*k:]
				for ky := 0; ky < kh; ky++ {
					iy := oy*op.StrideH - pt + ky
					for kx := 0; kx < kw; kx++ {
						ix := ox*op.StrideW - pl + kx
						dst := row[(ky*kw+kx)*cin : (ky*kw+kx+1)*cin]
						if iy < 0 || iy >= h || ix < 0 || ix >= wd {
							clear(dst)
							continue
						}
						copy(dst, x[(iy*wd+ix)*cin:(iy*wd+ix+1)*cin])
					}
				}
			}
		}
	}
	bias := n.bias(op, cout)
	for p := 0; p < ho*wo; p++ {
		copy(o[p*cout:(p+1)*cout], bias)
	}
	gemm.Sgemm(blas.NoTrans, blas.Trans, ho*wo, cout, k, 1, a, k, w, k, 1, o, cout)
	return nil
}

func (n *Net) bias(op Operator, c int) []float32 {
	if len(op.Inputs) > 2 && op.Inputs[2] >= 0 {
		if b, _ := n.get(op.Inputs[2]); len(b) == c {
			return b
		}
	}
	return make([]float32, c)
}

// depthwise computes DEPTHWISE_CONV_2D with depth multiplier 1: filter
// (1, kh, kw, C).
func (n *Net) depthwise(op Operator) error {
	x, sx := n.get(op.Inputs[0])
	w, sw := n.get(op.Inputs[1])
	if len(sx) != 4 || len(sw) != 4 || op.DepthMult != 1 || sw[3] != sx[3] {
		return fmt.Errorf("DEPTHWISE_CONV_2D input %v, filter %v, multiplier %d: want multiplier 1", sx, sw, op.DepthMult)
	}
	h, wd, c := sx[1], sx[2], sx[3]
	kh, kw := sw[1], sw[2]
	ho, pt := samePad(h, kh, op.StrideH, op.Padding)
	wo, pl := samePad(wd, kw, op.StrideW, op.Padding)
	o := n.out(op.Outputs[0], []int{1, ho, wo, c})
	bias := n.bias(op, c)
	for oy := 0; oy < ho; oy++ {
		for ox := 0; ox < wo; ox++ {
			dst := o[(oy*wo+ox)*c : (oy*wo+ox+1)*c]
			copy(dst, bias)
			for ky := 0; ky < kh; ky++ {
				iy := oy*op.StrideH - pt + ky
				if iy < 0 || iy >= h {
					continue
				}
				for kx := 0; kx < kw; kx++ {
					ix := ox*op.StrideW - pl + kx
					if ix < 0 || ix >= wd {
						continue
					}
					src := x[(iy*wd+ix)*c : (iy*wd+ix+1)*c]
					f := w[(ky*kw+kx)*c : (ky*kw+kx+1)*c]
					src, f = src[:len(dst)], f[:len(dst)]
					for ch, d := range dst {
						dst[ch] = d + src[ch]*f[ch]
					}
				}
			}
		}
	}
	return nil
}

// avgPool computes AVERAGE_POOL_2D (VALID padding or SAME counting only
// the in-image pixels).
func (n *Net) avgPool(op Operator) error {
	x, sx := n.get(op.Inputs[0])
	if len(sx) != 4 {
		return fmt.Errorf("AVERAGE_POOL_2D input %v", sx)
	}
	h, wd, c := sx[1], sx[2], sx[3]
	ho, pt := samePad(h, op.FilterH, op.StrideH, op.Padding)
	wo, pl := samePad(wd, op.FilterW, op.StrideW, op.Padding)
	o := n.out(op.Outputs[0], []int{1, ho, wo, c})
	clear(o)
	for oy := 0; oy < ho; oy++ {
		for ox := 0; ox < wo; ox++ {
			dst := o[(oy*wo+ox)*c : (oy*wo+ox+1)*c]
			cnt := 0
			for iy := max(oy*op.StrideH-pt, 0); iy < min(oy*op.StrideH-pt+op.FilterH, h); iy++ {
				for ix := max(ox*op.StrideW-pl, 0); ix < min(ox*op.StrideW-pl+op.FilterW, wd); ix++ {
					src := x[(iy*wd+ix)*c : (iy*wd+ix+1)*c]
					for ch := range dst {
						dst[ch] += src[ch]
					}
					cnt++
				}
			}
			for ch := range dst {
				dst[ch] /= float32(cnt)
			}
		}
	}
	return nil
}
