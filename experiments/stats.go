package experiments

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Correlation is Pearson's r with its two-sided p-value (t-test, n − 2
// degrees of freedom) and a percentile bootstrap CI over pairs.
type Correlation struct {
	R    float64 `json:"r"`
	P    float64 `json:"p"`
	N    int     `json:"n"`
	CILo float64 `json:"ci_lo"`
	CIHi float64 `json:"ci_hi"`
}

// Pearson computes r, p and a 95 % bootstrap CI (reps resamples, seeded).
func Pearson(x, y []float64, reps int, seed uint64) Correlation {
	n := len(x)
	c := Correlation{N: n, R: math.NaN(), P: math.NaN(), CILo: math.NaN(), CIHi: math.NaN()}
	if n < 3 {
		return c
	}
	c.R = stat.Correlation(x, y, nil)
	if math.IsNaN(c.R) {
		return c
	}
	df := float64(n - 2)
	if math.Abs(c.R) >= 1 {
		c.P = 0
	} else {
		t := c.R * math.Sqrt(df/(1-c.R*c.R))
		c.P = 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.CDF(-math.Abs(t))
	}
	if reps > 0 {
		r := rand.New(rand.NewPCG(seed, 0x72))
		bx, by := make([]float64, n), make([]float64, n)
		var rs []float64
		for k := 0; k < reps; k++ {
			for i := range bx {
				j := r.IntN(n)
				bx[i], by[i] = x[j], y[j]
			}
			if v := stat.Correlation(bx, by, nil); !math.IsNaN(v) {
				rs = append(rs, v)
			}
		}
		if len(rs) > 0 {
			sort.Float64s(rs)
			c.CILo = stat.Quantile(0.025, stat.Empirical, rs, nil)
			c.CIHi = stat.Quantile(0.975, stat.Empirical, rs, nil)
		}
	}
	return c
}

// MeanSEM returns the mean and the standard error of the mean (NaN for
// fewer than 2 values).
func MeanSEM(x []float64) (mean, sem float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN()
	}
	mean = stat.Mean(x, nil)
	if len(x) < 2 {
		return mean, math.NaN()
	}
	return mean, stat.StdDev(x, nil) / math.Sqrt(float64(len(x)))
}
