package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/microstim/microstim/internal/testutil"
)

// t-tests and the z-test against hand-computed values and scipy.
func TestTTests(t *testing.T) {
	one := OneSampleT([]float64{1, 2, 3, 4, 5})
	testutil.Near(t, "one-sample t", one.T, 3/math.Sqrt(0.5), 1e-12)
	testutil.Near(t, "one-sample p (scipy 0.013236)", one.P, 0.0132356, 1e-6)
	// equal n and variances: Welch's t is Student's, df = 8; t = −2 → p = 0.0805
	w := WelchT([]float64{1, 2, 3, 4, 5}, []float64{3, 4, 5, 6, 7})
	testutil.Near(t, "Welch t", w.T, -2, 1e-12)
	testutil.Near(t, "Welch df", w.DF, 8, 1e-12)
	testutil.Near(t, "Welch p", w.P, 0.0805162, 1e-6)
	p := PairedT([]float64{2, 4, 6}, []float64{1, 2, 3})
	testutil.Near(t, "paired t = one-sample t of the differences", p.T, OneSampleT([]float64{1, 2, 3}).T, 1e-12)
	z, pz := TwoProportionZ(60, 100, 40, 100)
	testutil.Near(t, "z", z, 0.2/math.Sqrt(0.25*0.02), 1e-12)
	testutil.Near(t, "p(z)", pz, 0.0046777, 1e-6)
}

// Pearson: uncorrelated data are not significant, a perfect line gives
// r = 1, p = 0 and a degenerate CI at 1; r = 0.7746 on five points has
// p = 0.124 (t = 2.121, df = 3; scipy.stats.pearsonr).
func TestPearsonPValue(t *testing.T) {
	// r = 0.55 with n = 86 gives t = 6.04 (Afraz et al. 2006, docs/references.md#afraz2006: t = 6.1), p ≈ 4e-8.
	x := make([]float64, 86)
	y := make([]float64, 86)
	r := rand.New(rand.NewPCG(5, 5))
	for i := range x {
		x[i] = r.NormFloat64()
		y[i] = r.NormFloat64()
	}
	c := Pearson(x, y, 0, 1)
	if c.P < 0.01 && math.Abs(c.R) < 0.25 {
		t.Errorf("uncorrelated data: r %v p %v", c.R, c.P)
	}
	c = Pearson([]float64{1, 2, 3, 4, 5}, []float64{2, 4, 6, 8, 10}, 100, 1)
	if c.R != 1 || c.P != 0 || c.CILo != 1 {
		t.Errorf("perfect correlation: %+v", c)
	}
	c = Pearson([]float64{1, 2, 3, 4, 5}, []float64{2, 4, 5, 4, 5}, 0, 1)
	testutil.Near(t, "r", c.R, 0.7745966692414834, 1e-12)
	testutil.Near(t, "p", c.P, 0.12402706265755456, 1e-9)
}

// The bootstrap is reproducible for a seed, resamples with replacement,
// and the bootstrap mean's CI brackets the mean of a sample; NaN values
// give NaN, fewer than two values no CI.
func TestBootstrap(t *testing.T) {
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	a := Bootstrap(len(x), 50, 3, 7, func(idx []int) float64 { return float64(idx[0]) })
	b := Bootstrap(len(x), 50, 3, 7, func(idx []int) float64 { return float64(idx[0]) })
	for i := range a {
		if a[i] != b[i] || a[i] < 0 || a[i] >= 8 {
			t.Fatalf("resample %d: %v vs %v", i, a[i], b[i])
		}
	}
	m, lo, hi := BootstrapMean(x, 1000, 1)
	if m != 4.5 || !(lo < m && m < hi) || lo < 1 || hi > 8 {
		t.Errorf("bootstrap mean %v [%v, %v]", m, lo, hi)
	}
	if _, lo, hi := BootstrapMean([]float64{3}, 100, 1); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("one value: CI [%v, %v], want NaN", lo, hi)
	}
	if m, _, _ := BootstrapMean([]float64{1, math.NaN()}, 100, 1); !math.IsNaN(m) {
		t.Errorf("NaN value: mean %v, want NaN", m)
	}
}

// The difference of two conditions: its value is the difference of means,
// its CI brackets it and excludes 0 for well-separated samples, and
// includes 0 for samples drawn alike.
func TestMeanDifference(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	a, b, c := make([]float64, 30), make([]float64, 30), make([]float64, 30)
	for i := range a {
		a[i], b[i], c[i] = 2+r.NormFloat64(), r.NormFloat64(), r.NormFloat64()
	}
	ma, _ := MeanSEM(a)
	mb, _ := MeanSEM(b)
	d, lo, hi := MeanDifference(a, b, 2000, 1)
	testutil.Near(t, "difference", d, ma-mb, 1e-12)
	if !(lo < d && d < hi && lo > 0) {
		t.Errorf("separated samples: %v [%v, %v]", d, lo, hi)
	}
	if _, lo, hi := MeanDifference(b, c, 2000, 1); !(lo < 0 && hi > 0) {
		t.Errorf("alike samples: CI [%v, %v] excludes 0", lo, hi)
	}
	if _, lo, _ := MeanDifference(a, b[:1], 100, 1); !math.IsNaN(lo) {
		t.Errorf("one value: CI %v, want NaN", lo)
	}
}
