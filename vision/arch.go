package vision

import (
	"fmt"
	"math"
	"strings"
)

// Stage names, in order from the input.
var StageNames = [4]string{"V1", "V2", "V4", "IT"}

// Arch describes the network's shape.
type Arch struct {
	Input    int      // input side in pixels (square, grayscale)
	Channels [4]int   // output channels of V1, V2, V4, IT
	Kernels  [4]int   // square kernel side per stage (odd; padding keeps the size)
	Classes  []string // categorisation head labels
	Gender   bool     // whether an auxiliary face-gender head exists
	// LocalIT adds an IT layer without weight sharing: after IT's shared
	// convolution and pooling, every retinotopic position gets its own
	// channels × channels weights and bias, then ReLU. Its output is IT.
	LocalIT bool `json:"local_it,omitempty"`
	// FaceHead adds an auxiliary face-detection head (face or not) on IT.
	FaceHead bool `json:"face_head,omitempty"`
	// Trunk names a pretrained, frozen trunk that computes V1, V2 and V4
	// (MobileNetV2; "" for the network's own convolutions). IT then
	// convolves V4 without pooling, so it keeps V4's grid.
	Trunk string `json:"trunk,omitempty"`
	// TrunkIT makes IT the trunk's next blocks too (MobileNet v2's blocks
	// 14–17, first stride 1), frozen: the post-hoc control, whose IT was
	// never trained under the spatial loss.
	TrunkIT bool `json:"trunk_it,omitempty"`
}

// MobileNetV2Arch is model v3's shape: MobileNet v2's blocks 1–13 as
// V1 (stride 4, 24 channels), V2 (stride 8, 32) and V4 (stride 16, 96),
// then IT as a 3 × 3 convolution to itChannels on V4's grid. With
// trunkIT, IT is the trunk's blocks 14–17 instead (320 channels).
func MobileNetV2Arch(classes []string, input, itChannels int, trunkIT bool) Arch {
	a := Arch{Input: input, Kernels: [4]int{3, 3, 3, 3}, Classes: classes, Gender: true, Trunk: MobileNetV2, TrunkIT: trunkIT}
	for s := 0; s < 3; s++ {
		a.Channels[s] = trunkChannels(s)
	}
	a.Channels[3] = itChannels
	if trunkIT {
		a.Channels[3] = trunkChannels(3)
	}
	return a
}

// DefaultArch is the convolutional base of the default model: the
// prototype's conv5×5/32 → 3×3/64 → 3×3/128 → 3×3/256, each with ReLU and
// 2×2 max-pool, giving 256×4×4 = 4,096 IT units, with a gender head. The
// trainer adds LocalIT and FaceHead as its TrainConfig asks; the default
// model has both.
func DefaultArch(classes []string) Arch {
	return Arch{Input: 64, Channels: [4]int{32, 64, 128, 256}, Kernels: [4]int{5, 3, 3, 3}, Classes: classes, Gender: true}
}

// Describe summarises the architecture in one line, e.g. "conv 5×5/32 →
// 3×3/64 → 3×3/128 → 3×3/256, IT unshared per position; heads:
// categorisation (100), gender, face detection".
func (a Arch) Describe() string {
	var b strings.Builder
	first := 0
	switch {
	case a.TrunkIT:
		b.WriteString("MobileNet v2 (frozen): V1 blocks 1–3, V2 4–6, V4 7–13, IT 14–17 (stride 1)")
		first = 4
	case a.Trunk != "":
		b.WriteString("MobileNet v2 (frozen): V1 blocks 1–3, V2 4–6, V4 7–13; IT")
		first = 3
	default:
		b.WriteString("conv")
	}
	for s := first; s < 4; s++ {
		if s > first {
			b.WriteString(" →")
		}
		fmt.Fprintf(&b, " %d×%d/%d", a.Kernels[s], a.Kernels[s], a.Channels[s])
	}
	if a.LocalIT {
		b.WriteString(", IT unshared per position")
	}
	fmt.Fprintf(&b, "; heads: categorisation (%d)", len(a.Classes))
	if a.Gender {
		b.WriteString(", gender")
	}
	if a.FaceHead {
		b.WriteString(", face detection")
	}
	return b.String()
}

// MapSize returns the side of stage s's retinotopic map.
func (a Arch) MapSize(s int) int {
	if a.Trunk != "" {
		return a.Input / trunkStride[s]
	}
	return a.Input >> (s + 1)
}

// Units returns the number of units in stage s.
func (a Arch) Units(s int) int { m := a.MapSize(s); return a.Channels[s] * m * m }

// ITUnits returns the number of IT units.
func (a Arch) ITUnits() int { return a.Units(3) }

// Upper bounds of an architecture read from a file: far above any model we
// train, low enough that sizes computed from them cannot overflow.
const (
	MaxInput     = 1024    // input side, px
	MaxChannels  = 4096    // channels per stage
	MaxKernel    = 15      // kernel side
	MaxClasses   = 10000   // categorisation classes
	maxClassName = 256     // bytes per class name
	MaxParams    = 1 << 30 // float32 values over all tensors (4 GiB)
)

// Validate checks the architecture for shapes the network supports, within
// the bounds above.
func (a Arch) Validate() error {
	if a.Input < 32 || a.Input > MaxInput || a.Input%16 != 0 {
		return fmt.Errorf("vision: input side %d px: want a multiple of 16 in [32, %d]", a.Input, MaxInput)
	}
	for s := range a.Channels {
		if a.Channels[s] < 1 || a.Channels[s] > MaxChannels || a.Kernels[s] < 1 || a.Kernels[s] > MaxKernel || a.Kernels[s]%2 == 0 {
			return fmt.Errorf("vision: stage %s: %d channels, kernel %d: want 1–%d channels and an odd kernel of 1–%d",
				StageNames[s], a.Channels[s], a.Kernels[s], MaxChannels, MaxKernel)
		}
	}
	if err := a.validateTrunk(); err != nil {
		return err
	}
	if len(a.Classes) < 2 || len(a.Classes) > MaxClasses {
		return fmt.Errorf("vision: %d classes: want 2–%d", len(a.Classes), MaxClasses)
	}
	for _, c := range a.Classes {
		if c == "" || len(c) > maxClassName {
			return fmt.Errorf("vision: class name %.40q: want 1–%d bytes", c, maxClassName)
		}
	}
	if n := a.ParamCount(); n > MaxParams {
		return fmt.Errorf("vision: %d parameters: at most %d", n, MaxParams)
	}
	return nil
}

// validateTrunk checks a trunk architecture's stage widths.
func (a Arch) validateTrunk() error {
	switch {
	case a.Trunk == "" && !a.TrunkIT:
		return nil
	case a.Trunk != MobileNetV2:
		return fmt.Errorf("vision: trunk %q: want %q", a.Trunk, MobileNetV2)
	}
	last := 2
	if a.TrunkIT {
		last = 3
		if a.LocalIT {
			return fmt.Errorf("vision: an IT taken from the trunk has no unshared layer")
		}
	}
	for s := 0; s <= last; s++ {
		if a.Channels[s] != trunkChannels(s) {
			return fmt.Errorf("vision: stage %s on the MobileNet v2 trunk has %d channels, want %d", StageNames[s], a.Channels[s], trunkChannels(s))
		}
	}
	return nil
}

// TensorShape is a parameter tensor's name and shape.
type TensorShape struct {
	Name  string
	Shape []int
}

// TensorShapes lists the architecture's parameter tensors in weight-file
// order (the order of Params.Named), without allocating them.
func (a Arch) TensorShapes() []TensorShape {
	var out []TensorShape
	in := 1
	for s := 0; s < 4; s++ {
		if a.trunkStage(s) {
			out = append(out, trunkTensorShapes(s)...)
			in = a.Channels[s]
			continue
		}
		k := a.Kernels[s]
		out = append(out, TensorShape{"w_" + StageNames[s], []int{a.Channels[s], in, k, k}}, TensorShape{"b_" + StageNames[s], []int{a.Channels[s]}})
		in = a.Channels[s]
	}
	if a.LocalIT {
		c, m := a.Channels[3], a.MapSize(3)
		out = append(out, TensorShape{"w_IT_local", []int{m * m, c, c}}, TensorShape{"b_IT_local", []int{m * m, c}})
	}
	n := a.ITUnits()
	out = append(out, TensorShape{"w_head", []int{n, len(a.Classes)}}, TensorShape{"b_head", []int{len(a.Classes)}})
	if a.Gender {
		out = append(out, TensorShape{"w_gender", []int{n, 2}}, TensorShape{"b_gender", []int{2}})
	}
	if a.FaceHead {
		out = append(out, TensorShape{"w_face", []int{n, 2}}, TensorShape{"b_face", []int{2}})
	}
	return out
}

// trunkStage reports whether stage s is computed by the frozen trunk.
func (a Arch) trunkStage(s int) bool { return a.Trunk != "" && (s < 3 || a.TrunkIT) }

// ParamCount returns the number of float32 parameters (saturating at
// math.MaxInt64 rather than overflowing).
func (a Arch) ParamCount() int64 {
	var total int64
	for _, t := range a.TensorShapes() {
		n := int64(1)
		for _, d := range t.Shape {
			if d < 0 || (d > 0 && n > math.MaxInt64/int64(d)) {
				return math.MaxInt64
			}
			n *= int64(d)
		}
		if total > math.MaxInt64-n {
			return math.MaxInt64
		}
		total += n
	}
	return total
}
