package vision

import (
	"fmt"
	"os"
	"strings"

	"github.com/microstim/microstim/tflite"
	"gorgonia.org/tensor"
)

// MobileNetV2 names the pretrained trunk of model v3: MobileNet v2, width
// 1.0 (Sandler et al. 2018), ImageNet-trained, from
// mobilenet_v2_1.0_224_quant.tflite (google-coral/test_data; Apache-2.0).
const MobileNetV2 = "mobilenet_v2_1.0"

// mnBlockSpec is one inverted-residual block: expansion t, output
// channels, stride.
type mnBlockSpec struct{ t, out, stride int }

// mobileNetV2Blocks are MobileNet v2's 17 blocks (Sandler et al. 2018,
// table 2: t, c, n, s = 1/16/1/1, 6/24/2/2, 6/32/3/2, 6/64/4/2, 6/96/3/1,
// 6/160/3/2, 6/320/1/1), numbered 1–17 from the input.
var mobileNetV2Blocks = func() []mnBlockSpec {
	var out []mnBlockSpec
	for _, g := range [][4]int{{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}} {
		for i := 0; i < g[2]; i++ {
			s := 1
			if i == 0 {
				s = g[3]
			}
			out = append(out, mnBlockSpec{g[0], g[1], s})
		}
	}
	return out
}()

// mnStemChannels is the output width of MobileNet v2's first convolution
// (3 × 3, stride 2, ReLU6).
const mnStemChannels = 32

// trunkStageBlocks gives the blocks (1-based, inclusive) of each stage on
// the MobileNet v2 trunk: V1 at stride 4 (blocks 1–3, 24 channels), V2 at
// stride 8 (4–6, 32), V4 at stride 16 (7–13, 96: the last 96-channel block),
// and, for the post-hoc control only, IT as blocks 14–17 (160 and 320
// channels) with block 14's stride set to 1, so IT keeps V4's grid.
var trunkStageBlocks = [4][2]int{{1, 3}, {4, 6}, {7, 13}, {14, 17}}

// trunkStride is the map stride of each stage on the trunk.
var trunkStride = [4]int{4, 8, 16, 16}

// trunkChannels is the output width of each trunk stage.
func trunkChannels(s int) int { return mobileNetV2Blocks[trunkStageBlocks[s][1]-1].out }

// trunkTensorShapes lists the trunk tensors of stage s: the stem (V1
// only), then per block its expansion (absent when t = 1), depthwise and
// projection weights and biases. Weights are (out, in) for 1 × 1
// convolutions, (channels, 3, 3) for depthwise ones and (32, 1, 3, 3) for
// the stem, whose RGB kernel is summed over colour (grayscale input).
func trunkTensorShapes(s int) []TensorShape {
	var out []TensorShape
	if s == 0 {
		out = append(out, TensorShape{"mnv2_stem_w", []int{mnStemChannels, 1, 3, 3}}, TensorShape{"mnv2_stem_b", []int{mnStemChannels}})
	}
	for k := trunkStageBlocks[s][0]; k <= trunkStageBlocks[s][1]; k++ {
		in := mnBlockIn(k)
		b := mobileNetV2Blocks[k-1]
		hid := in * b.t
		p := fmt.Sprintf("mnv2_b%d_", k)
		if b.t != 1 {
			out = append(out, TensorShape{p + "expand_w", []int{hid, in}}, TensorShape{p + "expand_b", []int{hid}})
		}
		out = append(out, TensorShape{p + "dw_w", []int{hid, 3, 3}}, TensorShape{p + "dw_b", []int{hid}},
			TensorShape{p + "project_w", []int{b.out, hid}}, TensorShape{p + "project_b", []int{b.out}})
	}
	return out
}

// mnStride is the stride of the convolution whose weight tensor is named
// name: 2 for the stem, the block's for a depthwise layer, 1 otherwise.
func mnStride(name string) int {
	if name == "mnv2_stem_w" {
		return 2
	}
	for k, b := range mobileNetV2Blocks {
		if name == fmt.Sprintf("mnv2_b%d_dw_w", k+1) {
			return b.stride
		}
	}
	return 1
}

// mnBlockIn is the input width of block k (1-based).
func mnBlockIn(k int) int {
	if k == 1 {
		return mnStemChannels
	}
	return mobileNetV2Blocks[k-2].out
}

// LoadMobileNetV2 reads MobileNet v2's weights from its TFLite file
// (uint8-quantised, batch norm folded in), dequantised to float32, in the
// order and shapes of the trunk's tensors for the stages that use it
// (V1–V4, and IT when withIT). The stem's RGB kernel is summed over its
// three input channels: a grayscale image copied to three channels gives
// the same output, at a third of the stem's cost.
func LoadMobileNetV2(path string, withIT bool) ([]NamedTensor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("MobileNet v2 trunk: %w", err)
	}
	return parseMobileNetV2(path, data, withIT)
}

// parseMobileNetV2 is LoadMobileNetV2 on the file's content; name labels
// errors.
func parseMobileNetV2(name string, data []byte, withIT bool) ([]NamedTensor, error) {
	m, err := tflite.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ts, err := mobileNetV2Tensors(m, withIT)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return ts, nil
}

// mobileNetV2Tensors reads the trunk's tensors from a parsed model.
func mobileNetV2Tensors(m *tflite.Model, withIT bool) ([]NamedTensor, error) {
	net, err := tflite.NewNet(m)
	if err != nil {
		return nil, err
	}
	convs, err := mnConvs(m)
	if err != nil {
		return nil, err
	}
	stages := 3
	if withIT {
		stages = 4
	}
	var shapes []TensorShape
	for s := 0; s < stages; s++ {
		shapes = append(shapes, trunkTensorShapes(s)...)
	}
	var out []NamedTensor
	next := 0
	for i := 0; i < len(shapes); i += 2 {
		op := convs[next]
		next++
		w, b := net.Value(op.Inputs[1]), net.Value(op.Inputs[2])
		ws, bs := shapes[i].Shape, shapes[i+1].Shape
		ts := m.Tensors[op.Inputs[1]].Shape
		if i == 0 { // stem (32, 3, 3, 3) NHWC-ordered kernel: sum over colour, to (32, 1, 3, 3)
			w = sumColour(w)
		} else if len(ts) == 4 && ts[0] == 1 { // depthwise (1, 3, 3, C) → (C, 3, 3)
			w = transposeDepthwise(w, ts)
		}
		wantAct := 3 // ReLU6
		if strings.HasSuffix(shapes[i].Name, "project_w") {
			wantAct = 0
		}
		if op.Activation != wantAct {
			return nil, fmt.Errorf("operator for %s has fused activation %d, want %d", shapes[i].Name, op.Activation, wantAct)
		}
		if want := mnStride(shapes[i].Name); op.StrideH != want || op.StrideW != want || op.Padding != 0 {
			return nil, fmt.Errorf("operator for %s has stride %d × %d, padding %d; want stride %d, SAME", shapes[i].Name, op.StrideH, op.StrideW, op.Padding, want)
		}
		if len(w) != tensorSize(ws) || len(b) != tensorSize(bs) {
			return nil, fmt.Errorf("operator for %s has %d weights and %d biases, want %v and %v", shapes[i].Name, len(w), len(b), ws, bs)
		}
		out = append(out, NamedTensor{shapes[i].Name, tensorOf(ws, w)}, NamedTensor{shapes[i+1].Name, tensorOf(bs, b)})
	}
	return out, nil
}

// mnConvs returns the model's convolutions (CONV_2D and
// DEPTHWISE_CONV_2D) in graph order.
func mnConvs(m *tflite.Model) ([]tflite.Operator, error) {
	var out []tflite.Operator
	for _, op := range m.Operators {
		if op.Code == tflite.OpConv2D || op.Code == tflite.OpDepthwiseConv {
			out = append(out, op)
		}
	}
	want := 1
	for _, b := range mobileNetV2Blocks {
		want += 2
		if b.t != 1 {
			want++
		}
	}
	if len(out) < want {
		return nil, fmt.Errorf("%d convolutions, want at least MobileNet v2's %d", len(out), want)
	}
	return out, nil
}

// sumColour sums an NHWC-ordered RGB kernel over its three input channels.
func sumColour(w []float32) []float32 {
	out := make([]float32, len(w)/3)
	for i := range out {
		out[i] = w[3*i] + w[3*i+1] + w[3*i+2]
	}
	return out
}

// transposeDepthwise reorders a (1, kh, kw, C) depthwise kernel to (C, kh, kw).
func transposeDepthwise(w []float32, shape []int) []float32 {
	kk, c := shape[1]*shape[2], shape[3]
	out := make([]float32, len(w))
	for k := 0; k < kk; k++ {
		for ch := 0; ch < c; ch++ {
			out[ch*kk+k] = w[k*c+ch]
		}
	}
	return out
}

func tensorOf(shape []int, v []float32) *tensor.Dense {
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(v))
}
