package vision

import (
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/microstim/microstim/tflite"
)

var mobileNetFile = filepath.Join("..", "..", "shared", "models", "mobilenet_v2", "mobilenet_v2_1.0_224_quant.tflite")

func loadMobileNet(tb testing.TB) []NamedTensor {
	tb.Helper()
	if _, err := os.Stat(mobileNetFile); err != nil {
		tb.Skipf("no MobileNet v2 file: %v", err)
	}
	ts, err := LoadMobileNetV2(mobileNetFile, true)
	if err != nil {
		tb.Fatal(err)
	}
	return ts
}

// blockOutputs returns the TFLite tensor holding each block's output (the
// projection, or the residual sum that follows it).
func blockOutputs(m *tflite.Model) []int {
	var out []int
	convs := 0
	for i, op := range m.Operators {
		if op.Code != tflite.OpConv2D && op.Code != tflite.OpDepthwiseConv {
			continue
		}
		convs++
		if convs == 1 || op.Activation != 0 { // the stem, expansions, depthwise layers
			continue
		}
		t := op.Outputs[0]
		if i+1 < len(m.Operators) && m.Operators[i+1].Code == tflite.OpAdd {
			t = m.Operators[i+1].Outputs[0]
		}
		out = append(out, t)
	}
	return out
}

// The trunk's stages reproduce an independent reader (package tflite's
// direct NHWC loops, in float, the image copied to three channels) at the
// outputs of blocks 3, 6, 13 and 17 of a 224-px image, within 1e-4 of the
// tensor's largest value: the stem's summed kernel, the layout changes,
// the SAME padding at stride 2 and the residual sums are all exercised.
func TestMobileNetTrunkMatchesTFLite(t *testing.T) {
	ts := loadMobileNet(t)
	data, err := os.ReadFile(mobileNetFile)
	if err != nil {
		t.Fatal(err)
	}
	m, err := tflite.Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := tflite.NewNet(m)
	if err != nil {
		t.Fatal(err)
	}
	ref.Float = true
	const side = 224
	r := rand.New(rand.NewPCG(1, 2))
	pix := make([]float32, side*side)
	for i := range pix { // smooth structure plus noise
		y, x := i/side, i%side
		pix[i] = float32(0.5+0.3*math.Sin(float64(x)/9)*math.Cos(float64(y)/13)) + 0.2*float32(r.Float64()-0.5)
	}
	x := make([]float32, len(pix))
	normalise(x, pix, true)
	rgb := make([]float32, 3*len(x))
	for i, v := range x {
		rgb[3*i], rgb[3*i+1], rgb[3*i+2] = v, v, v
	}
	if err := ref.Run(rgb); err != nil {
		t.Fatal(err)
	}
	outs := blockOutputs(m)
	h := side
	cur := x
	for s := 0; s < 4; s++ {
		n := len(trunkTensorShapes(s))
		op, err := newTrunkOp(s, ts[:n], 0)
		if err != nil {
			t.Fatal(err)
		}
		ts = ts[n:]
		sh := op.outShape([]int{1, op.inChannels(), h, h})
		next := make([]float32, sh.TotalSize())
		op.forward(cur, 1, h, h, next)
		cur, h = next, sh[2]
		want := ref.Value(outs[trunkStageBlocks[s][1]-1])
		c := sh[1]
		if len(want) != len(cur) {
			t.Fatalf("stage %s: %d values, reference %d", StageNames[s], len(cur), len(want))
		}
		var peak, worst float64
		for _, v := range want {
			peak = math.Max(peak, math.Abs(float64(v)))
		}
		for ch := 0; ch < c; ch++ {
			for p := 0; p < h*h; p++ {
				worst = math.Max(worst, math.Abs(float64(cur[ch*h*h+p]-want[p*c+ch])))
			}
		}
		t.Logf("stage %s (%d × %d × %d): largest |Δ| %.2g, largest |value| %.3g", StageNames[s], h, h, c, worst, peak)
		if worst > 1e-4*peak {
			t.Errorf("stage %s: largest |Δ| %g against values up to %g", StageNames[s], worst, peak)
		}
	}
}

// A model that is not MobileNet v2's shape is refused with the reason, not
// read into the wrong tensors.
func TestMobileNetV2TensorsRefuses(t *testing.T) {
	if _, err := os.Stat(mobileNetFile); err != nil {
		t.Skipf("no MobileNet v2 file: %v", err)
	}
	data, err := os.ReadFile(mobileNetFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		edit func(m *tflite.Model)
		want string
	}{
		{"too few operators", func(m *tflite.Model) { m.Operators = m.Operators[:20] }, "convolutions, want at least"},
		{"a projection with ReLU6", func(m *tflite.Model) { m.Operators[2].Activation = 3 }, "mnv2_b1_project_w has fused activation 3"},
		{"stride 1 where the block has 2", func(m *tflite.Model) {
			for i := range m.Operators {
				if m.Operators[i].Code == tflite.OpDepthwiseConv && m.Operators[i].StrideH == 2 {
					m.Operators[i].StrideH = 1
					return
				}
			}
		}, "mnv2_b2_dw_w has stride 1 × 2"},
	} {
		m, err := tflite.Parse(data)
		if err != nil {
			t.Fatal(err)
		}
		tc.edit(m)
		if _, err := mobileNetV2Tensors(m, true); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}
