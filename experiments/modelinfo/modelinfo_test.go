package modelinfo

import (
	"math"
	"testing"

	"github.com/microstim/microstim/experiments/paradigm"
	"github.com/microstim/microstim/topography"
)

// Hand-made responses: every unit gives 1 to an image in the field its
// hemisphere sees and 0.25 to one in the other field, so the ratio is
// 0.25; equal responses give 1.
func TestLateralRatio(t *testing.T) {
	l, err := topography.NewLayout("IT", 3, 2, 4, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	n := l.Units()
	left, right := [][]float32{make([]float32, n), make([]float32, n)}, [][]float32{make([]float32, n), make([]float32, n)}
	for u := 0; u < n; u++ {
		seesLeft := paradigm.Contralateral(l.Hemi[u]) == paradigm.LeftField
		for k := range left {
			if seesLeft {
				left[k][u], right[k][u] = 1, 0.25
			} else {
				left[k][u], right[k][u] = 0.25, 1
			}
		}
	}
	if got := lateralRatio(l, left, right); math.Abs(got-0.25) > 1e-12 {
		t.Errorf("lateral ratio %v, want 0.25", got)
	}
	if got := lateralRatio(l, left, left); math.Abs(got-1) > 1e-12 {
		t.Errorf("equal responses: ratio %v, want 1", got)
	}
	zero := [][]float32{make([]float32, n)}
	if got := lateralRatio(l, zero, zero); !math.IsNaN(got) {
		t.Errorf("silent units: ratio %v, want NaN", got)
	}
}

// Channel d′ is the d′ of each channel's response averaged over its two
// positions, by hand: channel 0's means are 3 and 5 for the faces and 1 and
// 2 for the non-faces, so d′ = (4 − 1.5) / √((2 + 0.5) / 2) = 2.236; channel
// 1 answers every image alike (d′ 0), so half of the channels exceed 1.
func TestChannelDPrimes(t *testing.T) {
	l, err := topography.NewLayout("IT", 2, 1, 2, 0, 1) // 2 channels × 1 × 2 positions
	if err != nil {
		t.Fatal(err)
	}
	resp := [][]float64{ // units: channel 0 at positions 0, 1, then channel 1
		{2, 4, 1, 1}, {4, 6, 1, 1}, // faces
		{0, 2, 1, 1}, {1, 3, 1, 1}, // non-faces
	}
	maxD, frac := channelDPrimes(l, resp, []bool{true, true, false, false})
	if want := 2.5 / math.Sqrt(1.25); math.Abs(maxD-want) > 1e-12 || frac != 0.5 {
		t.Errorf("max channel d′ %v, fraction %v; want %v and 0.5", maxD, frac, want)
	}
}
