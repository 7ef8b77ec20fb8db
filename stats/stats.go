package stats

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
		bx, by := make([]float64, n), make([]float64, n)
		var rs []float64
		for _, v := range Bootstrap(n, reps, seed, 0x72, func(idx []int) float64 {
			for i, j := range idx {
				bx[i], by[i] = x[j], y[j]
			}
			return stat.Correlation(bx, by, nil)
		}) {
			if !math.IsNaN(v) {
				rs = append(rs, v)
			}
		}
		sort.Float64s(rs)
		if len(rs) > 0 {
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

// TTest is a t statistic with its degrees of freedom and two-sided p.
type TTest struct {
	T  float64 `json:"t"`
	DF float64 `json:"df"`
	P  float64 `json:"p"`
}

func tTestP(t, df float64) TTest {
	if math.IsNaN(t) || df <= 0 {
		return TTest{T: t, DF: df, P: math.NaN()}
	}
	if math.IsInf(t, 0) {
		return TTest{T: t, DF: df, P: 0}
	}
	return TTest{T: t, DF: df, P: 2 * distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.CDF(-math.Abs(t))}
}

// OneSampleT tests whether the mean of x differs from 0.
func OneSampleT(x []float64) TTest {
	m, sem := MeanSEM(x)
	if len(x) < 2 {
		return TTest{T: math.NaN(), P: math.NaN()}
	}
	if sem == 0 {
		switch {
		case m == 0:
			return TTest{T: 0, DF: float64(len(x) - 1), P: 1}
		default:
			return tTestP(math.Copysign(math.Inf(1), m), float64(len(x)-1))
		}
	}
	return tTestP(m/sem, float64(len(x)-1))
}

// WelchT tests whether the means of a and b differ (unequal variances,
// Welch–Satterthwaite degrees of freedom).
func WelchT(a, b []float64) TTest {
	if len(a) < 2 || len(b) < 2 {
		return TTest{T: math.NaN(), P: math.NaN()}
	}
	va, vb := stat.Variance(a, nil)/float64(len(a)), stat.Variance(b, nil)/float64(len(b))
	d := stat.Mean(a, nil) - stat.Mean(b, nil)
	if va+vb == 0 {
		if d == 0 {
			return TTest{T: 0, DF: float64(len(a) + len(b) - 2), P: 1}
		}
		return tTestP(math.Copysign(math.Inf(1), d), float64(len(a)+len(b)-2))
	}
	df := (va + vb) * (va + vb) / (va*va/float64(len(a)-1) + vb*vb/float64(len(b)-1))
	return tTestP(d/math.Sqrt(va+vb), df)
}

// PairedT tests whether the mean of a − b differs from 0.
func PairedT(a, b []float64) TTest {
	d := make([]float64, len(a))
	for i := range a {
		d[i] = a[i] - b[i]
	}
	return OneSampleT(d)
}

// TwoProportionZ tests whether k1/n1 and k2/n2 differ (pooled z-test,
// two-sided p).
func TwoProportionZ(k1, n1, k2, n2 int) (z, p float64) {
	if n1 == 0 || n2 == 0 {
		return math.NaN(), math.NaN()
	}
	p1, p2 := float64(k1)/float64(n1), float64(k2)/float64(n2)
	pp := float64(k1+k2) / float64(n1+n2)
	se := math.Sqrt(pp * (1 - pp) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		if p1 == p2 {
			return 0, 1
		}
		return math.Copysign(math.Inf(1), p1-p2), 0
	}
	z = (p1 - p2) / se
	return z, 2 * distuv.UnitNormal.CDF(-math.Abs(z))
}

// TQuantile975 is the 97.5th percentile of Student's t with df degrees of
// freedom (the half-width factor of a 95 % CI).
func TQuantile975(df float64) float64 {
	return distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(0.975)
}

// Bootstrap draws reps percentile-bootstrap resamples of n items (each an
// index list of n draws with replacement, from a PCG generator seeded with
// seed and stream) and returns the statistic of each, in draw order. idx
// is reused between calls.
func Bootstrap(n, reps int, seed, stream uint64, statistic func(idx []int) float64) []float64 {
	r := rand.New(rand.NewPCG(seed, stream))
	idx := make([]int, n)
	out := make([]float64, 0, reps)
	for k := 0; k < reps; k++ {
		for i := range idx {
			idx[i] = r.IntN(n)
		}
		out = append(out, statistic(idx))
	}
	return out
}

// BootstrapMean returns the mean of x and the 2.5th and 97.5th
// percentiles of reps bootstrap means (the ⌊p·reps⌋-th order statistic;
// NaN CI for fewer than 2 values or no resamples).
func BootstrapMean(x []float64, reps int, seed uint64) (mean, lo, hi float64) {
	if len(x) == 0 {
		return math.NaN(), math.NaN(), math.NaN()
	}
	for _, v := range x {
		mean += v / float64(len(x))
	}
	if reps == 0 || len(x) < 2 {
		return mean, math.NaN(), math.NaN()
	}
	ms := bootstrapMeans(x, reps, seed, 0x626f6f74)
	sort.Float64s(ms)
	q := func(p float64) float64 { return ms[int(math.Min(float64(reps-1), math.Floor(p*float64(reps))))] }
	return mean, q(0.025), q(0.975)
}

// MeanCI is the mean of x with its t-based 95 % confidence interval
// (NaN bounds for fewer than 2 values).
func MeanCI(x []float64) (float64, [2]float64) {
	m, sem := MeanSEM(x)
	if len(x) < 2 {
		return m, [2]float64{math.NaN(), math.NaN()}
	}
	q := TQuantile975(float64(len(x) - 1))
	return m, [2]float64{m - q*sem, m + q*sem}
}

// MeanDifference is mean(a) − mean(b) with the 2.5th and 97.5th
// percentiles of reps bootstrap differences, a and b resampled
// independently (two conditions of an experiment; NaN CI when either has
// fewer than 2 values or reps is 0).
func MeanDifference(a, b []float64, reps int, seed uint64) (diff, lo, hi float64) {
	ma, _ := MeanSEM(a)
	mb, _ := MeanSEM(b)
	diff = ma - mb
	if reps == 0 || len(a) < 2 || len(b) < 2 {
		return diff, math.NaN(), math.NaN()
	}
	da, db := bootstrapMeans(a, reps, seed, 0x6461), bootstrapMeans(b, reps, seed, 0x6462)
	d := make([]float64, reps)
	for k := range d {
		d[k] = da[k] - db[k]
	}
	sort.Float64s(d)
	return diff, stat.Quantile(0.025, stat.Empirical, d, nil), stat.Quantile(0.975, stat.Empirical, d, nil)
}

// bootstrapMeans are reps bootstrap means of x, in draw order.
func bootstrapMeans(x []float64, reps int, seed, stream uint64) []float64 {
	return Bootstrap(len(x), reps, seed, stream, func(idx []int) float64 {
		var s float64
		for _, j := range idx {
			s += x[j]
		}
		return s / float64(len(x))
	})
}
