package sim

import (
	"fmt"
	"math"
)

// CalibrationGrid are the decoder C values a calibration chooses from:
// half-decades from 1e-6 to 1e2.
var CalibrationGrid = func() []float64 {
	var out []float64
	for k := -12; k <= 4; k++ {
		out = append(out, math.Pow(10, float64(k)/2))
	}
	return out
}()

// Calibration is the outcome of CalibrateC.
type Calibration struct {
	C        float64   // chosen inverse regularisation strength
	Accuracy float64   // its cross-validated expected accuracy (fraction)
	Target   float64   // the accuracy aimed at (fraction)
	Grid     []float64 // the C values tried: CalibrationGrid, then bisections
	Accs     []float64 // their cross-validated expected accuracies
}

// CalibrateC sets a logistic readout's regularisation from unperturbed
// behaviour: of CalibrationGrid, the C whose k-fold cross-validated
// expected accuracy (CrossValidateExpected: the % correct of choices
// drawn from the decoder's probabilities, as the protocols draw them) on
// the unperturbed samples (x, y) is nearest target, a fraction such as the
// monkeys' control performance. Ties go to the smaller C (the stronger
// regularisation).
func CalibrateC(x [][]float64, y []int, classes int, target float64, k int, seed uint64) (*Calibration, error) {
	if !(target > 0 && target <= 1) {
		return nil, fmt.Errorf("sim: calibration target accuracy %g, want in (0, 1]", target)
	}
	cal := &Calibration{Target: target, Accuracy: math.NaN()}
	try := func(C float64) (float64, error) {
		acc, err := CrossValidateExpected(x, y, classes, C, k, seed)
		if err == nil {
			cal.Grid, cal.Accs = append(cal.Grid, C), append(cal.Accs, acc)
		}
		return acc, err
	}
	lo := -1 // last grid index below target
	for i, C := range CalibrationGrid {
		acc, err := try(C)
		if err != nil {
			return nil, err
		}
		if acc < target {
			lo = i
		}
	}
	if lo >= 0 && lo+1 < len(CalibrationGrid) { // bisect the bracketing half-decade in log C
		a, b := math.Log10(CalibrationGrid[lo]), math.Log10(CalibrationGrid[lo+1])
		for step := 0; step < calibrationBisections; step++ {
			mid := (a + b) / 2
			acc, err := try(math.Pow(10, mid))
			if err != nil {
				return nil, err
			}
			if acc < target {
				a = mid
			} else {
				b = mid
			}
		}
	}
	best := math.Inf(1)
	for i, acc := range cal.Accs {
		d := math.Abs(acc - target)
		if d < best-1e-12 || (math.Abs(d-best) <= 1e-12 && cal.Grid[i] < cal.C) {
			best, cal.C, cal.Accuracy = d, cal.Grid[i], acc
		}
	}
	return cal, nil
}

// calibrationBisections refine the bracketing half-decade to 1/32 decade.
const calibrationBisections = 4
