package tflite

import (
	"errors"
	"fmt"

	fb "github.com/google/flatbuffers/go"
)

// Operator codes (BuiltinOperator in the schema) that Run supports.
const (
	OpAdd           = 0
	OpAveragePool2D = 1
	OpConv2D        = 3
	OpDepthwiseConv = 4
	OpReshape       = 22
	OpSoftmax       = 25
)

// Tensor element types (TensorType in the schema).
const (
	TypeFloat32 = 0
	TypeInt32   = 2
	TypeUint8   = 3
)

// Tensor is one tensor of the graph: its shape, element type, constant
// data (nil for activations) and per-tensor affine quantisation
// real = Scale·(q − ZeroPoint).
type Tensor struct {
	Name      string
	Shape     []int
	Type      int
	Data      []byte
	Scale     float32
	ZeroPoint int32
}

// Operator is one node: its builtin code, input and output tensor indices
// (−1 for an absent optional input) and options.
type Operator struct {
	Code        int
	Inputs      []int
	Outputs     []int
	Padding     int // 0 SAME, 1 VALID
	StrideW     int
	StrideH     int
	FilterW     int // pooling window
	FilterH     int
	DepthMult   int
	Activation  int // 0 none, 1 ReLU, 3 ReLU6
	SoftmaxBeta float32
	DilationW   int
	DilationH   int
}

// Model is the first subgraph of a TFLite file.
type Model struct {
	Tensors   []Tensor
	Operators []Operator
	Inputs    []int
	Outputs   []int
}

// ErrFormat reports a file that is not a well-formed TFLite model.
var ErrFormat = errors.New("tflite: malformed model")

// field returns the vtable slot of field i.
func field(i int) fb.VOffsetT { return fb.VOffsetT(4 + 2*i) }

// table is the table at field i of t (ok false if absent).
func table(t *fb.Table, i int) (fb.Table, bool) {
	o := fb.UOffsetT(t.Offset(field(i)))
	if o == 0 {
		return fb.Table{}, false
	}
	return fb.Table{Bytes: t.Bytes, Pos: t.Indirect(o + t.Pos)}, true
}

// vector returns the start and length of the vector at field i, whose
// elements are elem bytes each. A vector that runs past the end of the
// file panics (Parse turns that into ErrFormat) before anything is
// allocated for it.
func vector(t *fb.Table, i, elem int) (start fb.UOffsetT, n int) {
	o := fb.UOffsetT(t.Offset(field(i)))
	if o == 0 {
		return 0, 0
	}
	start, n = t.Vector(o), t.VectorLen(o)
	if n < 0 || int64(start)+int64(n)*int64(elem) > int64(len(t.Bytes)) {
		panic(fmt.Sprintf("vector of %d × %d bytes at %d runs past the end (%d bytes)", n, elem, start, len(t.Bytes)))
	}
	return start, n
}

// tables lists the tables of the vector at field i.
func tables(t *fb.Table, i int) []fb.Table {
	start, n := vector(t, i, 4)
	out := make([]fb.Table, n)
	for k := range out {
		p := start + fb.UOffsetT(4*k)
		out[k] = fb.Table{Bytes: t.Bytes, Pos: t.Indirect(p)}
	}
	return out
}

func ints(t *fb.Table, i int) []int {
	start, n := vector(t, i, 4)
	out := make([]int, n)
	for k := range out {
		out[k] = int(t.GetInt32(start + fb.UOffsetT(4*k)))
	}
	return out
}

func int32Slot(t *fb.Table, i int, d int32) int {
	return int(t.GetInt32Slot(field(i), d))
}

// Parse reads a TFLite model from its bytes.
func Parse(data []byte) (m *Model, err error) {
	if len(data) < 8 || string(data[4:8]) != "TFL3" {
		return nil, fmt.Errorf("%w: no TFL3 identifier", ErrFormat)
	}
	defer func() { // the flatbuffers runtime panics on out-of-range offsets
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("%w: %v", ErrFormat, r)
		}
	}()
	root := fb.Table{Bytes: data, Pos: fb.GetUOffsetT(data)}
	var codes []int
	for _, oc := range tables(&root, 1) {
		dep := int(oc.GetInt8Slot(field(0), 0))
		code := int32Slot(&oc, 3, 0)
		codes = append(codes, max(dep, code))
	}
	buffers := tables(&root, 4)
	subs := tables(&root, 2)
	if len(subs) == 0 {
		return nil, fmt.Errorf("%w: no subgraph", ErrFormat)
	}
	sg := subs[0]
	m = &Model{Inputs: ints(&sg, 1), Outputs: ints(&sg, 2)}
	for _, tt := range tables(&sg, 0) {
		t := Tensor{Shape: ints(&tt, 0), Type: int(tt.GetInt8Slot(field(1), 0))}
		if o := fb.UOffsetT(tt.Offset(field(3))); o != 0 {
			t.Name = tt.String(o + tt.Pos)
		}
		if b := int(tt.GetUint32Slot(field(2), 0)); b > 0 && b < len(buffers) {
			bt := buffers[b]
			if o := fb.UOffsetT(bt.Offset(field(0))); o != 0 {
				t.Data = bt.ByteVector(o + bt.Pos)
			}
		}
		if q, ok := table(&tt, 4); ok {
			if start, n := vector(&q, 2, 4); n > 0 {
				t.Scale = q.GetFloat32(start)
			}
			if start, n := vector(&q, 3, 8); n > 0 {
				t.ZeroPoint = int32(q.GetInt64(start))
			}
		}
		m.Tensors = append(m.Tensors, t)
	}
	for _, ot := range tables(&sg, 3) {
		oi := int(ot.GetUint32Slot(field(0), 0))
		if oi >= len(codes) {
			return nil, fmt.Errorf("%w: operator code %d of %d", ErrFormat, oi, len(codes))
		}
		op := Operator{Code: codes[oi], Inputs: ints(&ot, 1), Outputs: ints(&ot, 2), StrideW: 1, StrideH: 1, DilationW: 1, DilationH: 1, DepthMult: 1, SoftmaxBeta: 1}
		if opt, ok := table(&ot, 4); ok {
			readOptions(&op, &opt)
		}
		for _, x := range append(append([]int{}, op.Inputs...), op.Outputs...) {
			if x >= len(m.Tensors) {
				return nil, fmt.Errorf("%w: tensor index %d of %d", ErrFormat, x, len(m.Tensors))
			}
		}
		m.Operators = append(m.Operators, op)
	}
	return m, nil
}

// readOptions decodes the builtin options of the supported operators.
func readOptions(op *Operator, t *fb.Table) {
	switch op.Code {
	case OpConv2D: // padding, stride_w, stride_h, activation, dilation_w, dilation_h
		op.Padding = int(t.GetInt8Slot(field(0), 0))
		op.StrideW, op.StrideH = int32Slot(t, 1, 1), int32Slot(t, 2, 1)
		op.Activation = int(t.GetInt8Slot(field(3), 0))
		op.DilationW, op.DilationH = int32Slot(t, 4, 1), int32Slot(t, 5, 1)
	case OpDepthwiseConv: // padding, stride_w, stride_h, depth_multiplier, activation, dilation_w, dilation_h
		op.Padding = int(t.GetInt8Slot(field(0), 0))
		op.StrideW, op.StrideH = int32Slot(t, 1, 1), int32Slot(t, 2, 1)
		op.DepthMult = int32Slot(t, 3, 1)
		op.Activation = int(t.GetInt8Slot(field(4), 0))
		op.DilationW, op.DilationH = int32Slot(t, 5, 1), int32Slot(t, 6, 1)
	case OpAveragePool2D: // padding, stride_w, stride_h, filter_width, filter_height, activation
		op.Padding = int(t.GetInt8Slot(field(0), 0))
		op.StrideW, op.StrideH = int32Slot(t, 1, 1), int32Slot(t, 2, 1)
		op.FilterW, op.FilterH = int32Slot(t, 3, 1), int32Slot(t, 4, 1)
		op.Activation = int(t.GetInt8Slot(field(5), 0))
	case OpAdd: // activation
		op.Activation = int(t.GetInt8Slot(field(0), 0))
	case OpSoftmax: // beta
		op.SoftmaxBeta = t.GetFloat32Slot(field(0), 1)
	}
}

// TensorByName returns the index of the named tensor, or −1.
func (m *Model) TensorByName(name string) int {
	for i, t := range m.Tensors {
		if t.Name == name {
			return i
		}
	}
	return -1
}
