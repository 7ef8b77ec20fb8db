package experiments

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
