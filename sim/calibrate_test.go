package sim

import (
	"math"
	"math/rand/v2"
	"testing"
)

// On two overlapping Gaussian classes, expected accuracy rises from
// chance with C; a target between the most regularised and the best
// expected accuracy is met within a few percent, a target above reach
// picks the best C, and a bad target is refused.
func TestCalibrateC(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var x [][]float64
	var y []int
	for i := 0; i < 200; i++ {
		l := i % 2
		row := make([]float64, 20)
		for j := range row {
			row[j] = r.NormFloat64()
		}
		row[0] += 1.2 * float64(2*l-1) // the one informative feature
		x, y = append(x, row), append(y, l)
	}
	cal, err := CalibrateC(x, y, 2, 0.99, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	top := 0.0
	for _, a := range cal.Accs {
		top = math.Max(top, a)
	}
	if cal.Accuracy != top {
		t.Errorf("unreachable target: chose accuracy %.3f, want the best %.3f", cal.Accuracy, top)
	}
	lo := cal.Accs[0]
	top = cal.Accs[len(CalibrationGrid)-1]
	if lo > 0.55 || top < 0.75 {
		t.Fatalf("expected accuracy %.3f at C = %g, best %.3f: want near chance under the strongest regularisation and ≥ 0.75 at best", lo, cal.Grid[0], top)
	}
	target := (lo + top) / 2
	if cal, err = CalibrateC(x, y, 2, target, 5, 1); err != nil {
		t.Fatal(err)
	}
	t.Logf("target %.3f → C %g, accuracy %.3f (grid accuracies %.2f)", target, cal.C, cal.Accuracy, cal.Accs)
	if math.Abs(cal.Accuracy-target) > 0.01 {
		t.Errorf("target %.3f: chose C %g with accuracy %.3f", target, cal.C, cal.Accuracy)
	}
	if _, err := CalibrateC(x, y, 2, 85.9, 5, 1); err == nil {
		t.Error("target 85.9 (a percentage) accepted")
	}
}
