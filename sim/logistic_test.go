package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// newtonBinary is an independent reference: Newton's method (IRLS) on the
// same penalised objective for two classes, written with the binary
// parameterisation w = w1 − w0 (the multinomial optimum with ½‖W‖² splits
// w symmetrically: w1 = −w0 = w/2, so the binary penalty is ¼‖w‖²).
func newtonBinary(z [][]float64, y []int, C float64) ([]float64, float64) {
	d := len(z[0])
	w := make([]float64, d+1) // last entry is the intercept
	for it := 0; it < 50; it++ {
		g := mat.NewVecDense(d+1, nil)
		h := mat.NewSymDense(d+1, nil)
		for j := 0; j < d; j++ {
			g.SetVec(j, 0.5*w[j])
			h.SetSym(j, j, 0.5)
		}
		for i, zi := range z {
			s := w[d]
			for j, v := range zi {
				s += w[j] * v
			}
			p := 1 / (1 + math.Exp(-s))
			r := C * (p - float64(y[i]))
			q := C * p * (1 - p)
			xi := append(append([]float64(nil), zi...), 1)
			for a := range xi {
				g.SetVec(a, g.AtVec(a)+r*xi[a])
				for b := a; b < len(xi); b++ {
					h.SetSym(a, b, h.At(a, b)+q*xi[a]*xi[b])
				}
			}
		}
		var step mat.VecDense
		var ch mat.Cholesky
		if !ch.Factorize(h) {
			panic("hessian not positive definite")
		}
		ch.SolveVecTo(&step, g)
		for a := range w {
			w[a] -= step.AtVec(a)
		}
	}
	return w[:d], w[d]
}

func TestLogisticMatchesNewtonReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	const n, d = 80, 5
	x := make([][]float64, n)
	y := make([]int, n)
	for i := range x {
		x[i] = make([]float64, d)
		for j := range x[i] {
			x[i][j] = r.NormFloat64()*float64(j+1) + 3
		}
		if x[i][0]-3+0.5*(x[i][1]-3)+r.NormFloat64() > 0 {
			y[i] = 1
		}
	}
	for _, C := range []float64{1e-2, 1, 100} {
		m, err := FitLogistic(x, y, 2, C)
		if err != nil {
			t.Fatal(err)
		}
		z := make([][]float64, n)
		for i := range x {
			z[i] = m.standardise(x[i])
		}
		wRef, bRef := newtonBinary(z, y, C)
		for j := 0; j < d; j++ {
			if got := m.W[1][j] - m.W[0][j]; math.Abs(got-wRef[j]) > 1e-4*(1+math.Abs(wRef[j])) {
				t.Errorf("C=%g: w[%d] = %.6f, Newton reference %.6f", C, j, got, wRef[j])
			}
		}
		if got := m.B[1] - m.B[0]; math.Abs(got-bRef) > 1e-4*(1+math.Abs(bRef)) {
			t.Errorf("C=%g: intercept %.6f, Newton reference %.6f", C, got, bRef)
		}
	}
}

func TestLogisticRejectsBadInput(t *testing.T) {
	x := [][]float64{{1}, {2}}
	for _, tc := range []struct {
		name    string
		y       []int
		classes int
		C       float64
	}{
		{"C zero", []int{0, 1}, 2, 0},
		{"label out of range", []int{0, 2}, 2, 1},
		{"one class", []int{0, 0}, 1, 1},
		{"length mismatch", []int{0}, 2, 1},
	} {
		if _, err := FitLogistic(x, tc.y, tc.classes, tc.C); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}

func TestCrossValidateSeparable(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	var x [][]float64
	var y []int
	for i := 0; i < 60; i++ {
		c := i % 3
		x = append(x, []float64{float64(c)*5 + r.NormFloat64(), r.NormFloat64()})
		y = append(y, c)
	}
	acc, err := CrossValidate(x, y, 3, 1, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	if acc < 0.95 {
		t.Errorf("accuracy on well-separated classes = %.3f, want ≥ 0.95", acc)
	}
	noise := make([][]float64, len(x))
	for i := range noise {
		noise[i] = []float64{r.NormFloat64(), r.NormFloat64()}
	}
	acc, _ = CrossValidate(noise, y, 3, 1, 5, 1)
	if acc > 0.6 {
		t.Errorf("accuracy on pure noise = %.3f, want near chance (1/3)", acc)
	}
}

func ExampleFitLogistic() {
	x := [][]float64{{0}, {1}, {2}, {3}, {4}, {5}}
	y := []int{0, 0, 0, 1, 1, 1}
	m, _ := FitLogistic(x, y, 2, 10)
	fmt.Println(m.Predict([]float64{0.5}), m.Predict([]float64{4.5}))
	// Output: 0 1
}

// BenchmarkFitLogistic fits a face/non-face-sized readout: 1,600 samples ×
// 4,096 features, two classes, at Brain-Score's C and at C = 1.
func BenchmarkFitLogistic(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x := make([][]float64, 1600)
	y := make([]int, len(x))
	for i := range x {
		y[i] = i % 2
		x[i] = make([]float64, 4096)
		for j := range x[i] {
			x[i][j] = math.Max(0, r.NormFloat64()+0.1*float64(y[i])*float64(j%3))
		}
	}
	for _, C := range []float64{1e-3, 1} {
		b.Run(fmt.Sprintf("C=%g", C), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := FitLogistic(x, y, 2, C); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
