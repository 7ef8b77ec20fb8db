package vision

import (
	"fmt"
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
	b.WriteString("conv")
	for s := range a.Channels {
		if s > 0 {
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
func (a Arch) MapSize(s int) int { return a.Input >> (s + 1) }

// Units returns the number of units in stage s.
func (a Arch) Units(s int) int { m := a.MapSize(s); return a.Channels[s] * m * m }

// ITUnits returns the number of IT units.
func (a Arch) ITUnits() int { return a.Units(3) }

// Validate checks the architecture for shapes the network supports.
func (a Arch) Validate() error {
	if a.Input < 32 || a.Input%16 != 0 {
		return fmt.Errorf("vision: input side %d px: want a multiple of 16, ≥ 32", a.Input)
	}
	for s := range a.Channels {
		if a.Channels[s] < 1 || a.Kernels[s] < 1 || a.Kernels[s]%2 == 0 {
			return fmt.Errorf("vision: stage %s: %d channels, kernel %d: want ≥ 1 channel and an odd kernel", StageNames[s], a.Channels[s], a.Kernels[s])
		}
	}
	if len(a.Classes) < 2 {
		return fmt.Errorf("vision: %d classes: want at least 2", len(a.Classes))
	}
	return nil
}
