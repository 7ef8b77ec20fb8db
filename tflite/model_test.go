package tflite

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// Malformed files are refused with ErrFormat, never a panic: no
// identifier, truncated copies of the teacher, and random bytes behind the
// identifier.
func TestParseMalformed(t *testing.T) {
	for name, data := range map[string][]byte{
		"empty":         nil,
		"no identifier": []byte("12345678 not a model"),
		"header only":   []byte("\x10\x00\x00\x00TFL3"),
		"garbage":       append([]byte("\xff\xff\xff\x7fTFL3"), make([]byte, 64)...),
	} {
		if _, err := Parse(data); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: error %v, want ErrFormat", name, err)
		}
	}
	full, err := os.ReadFile(filepath.Join(teacherDir, "mobilenet_v2_1.0_224_quant.tflite"))
	if err != nil {
		t.Skipf("no teacher model: %v", err)
	}
	for _, n := range []int{16, 1000, 100000, len(full) / 2} {
		if m, err := Parse(full[:n]); err == nil {
			if _, err := NewNet(m); err == nil {
				t.Errorf("teacher truncated to %d bytes parsed and prepared without error", n)
			}
		}
	}
}

// The teacher's structure: one subgraph of 174 tensors and 66 operators
// (CONV_2D ×36, DEPTHWISE_CONV_2D ×17, ADD ×10, and one each of
// AVERAGE_POOL_2D, RESHAPE and SOFTMAX), input 1×224×224×3 uint8 with
// scale 1/128 and zero point 128, as its README lists.
func TestTeacherStructure(t *testing.T) {
	c := loadTeacher(t)
	m := c.Net.M
	if len(m.Tensors) != 174 || len(m.Operators) != 66 {
		t.Errorf("%d tensors, %d operators; want 174, 66", len(m.Tensors), len(m.Operators))
	}
	count := map[int]int{}
	for _, op := range m.Operators {
		count[op.Code]++
	}
	want := map[int]int{OpConv2D: 36, OpDepthwiseConv: 17, OpAdd: 10, OpAveragePool2D: 1, OpReshape: 1, OpSoftmax: 1}
	for code, n := range want {
		if count[code] != n {
			t.Errorf("operator %d: %d, want %d", code, count[code], n)
		}
	}
	in := m.Tensors[m.Inputs[0]]
	if in.Type != TypeUint8 || in.Scale != 1.0/128 || in.ZeroPoint != 128 {
		t.Errorf("input %v type %d scale %v zero point %d", in.Shape, in.Type, in.Scale, in.ZeroPoint)
	}
}

// FuzzParse: arbitrary bytes never panic the reader.
func FuzzParse(f *testing.F) {
	f.Add([]byte("\x10\x00\x00\x00TFL3\x00\x00\x00\x00"))
	if full, err := os.ReadFile(filepath.Join(teacherDir, "mobilenet_v2_1.0_224_quant.tflite")); err == nil {
		f.Add(full[:4096]) // the flatbuffer's tables, without most weights
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := Parse(data); err == nil {
			NewNet(m)
		}
	})
}
