package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/stat/distuv"
)

// Psychometric is the logistic psychometric function
// P(x) = 1/(1 + exp(−(αx + β))).
type Psychometric struct {
	Alpha, Beta float64
}

// P returns the probability of a "yes" (e.g. "face") choice at x.
func (p Psychometric) P(x float64) float64 { return 1 / (1 + math.Exp(-(p.Alpha*x + p.Beta))) }

// X50 returns the point of subjective equality, −β/α.
func (p Psychometric) X50() float64 { return -p.Beta / p.Alpha }

// FitPsychometric fits α and β by maximum likelihood to k "yes" choices out
// of n trials at each level x (Newton's method on the binomial
// log-likelihood, with a tiny ridge so that perfectly separated data stay
// finite).
func FitPsychometric(x []float64, k, n []int) (Psychometric, error) {
	if len(x) != len(k) || len(x) != len(n) || len(x) < 2 {
		return Psychometric{}, fmt.Errorf("psychometric fit: %d levels, %d counts, %d totals: want equal lengths ≥ 2", len(x), len(k), len(n))
	}
	for i := range x {
		if n[i] < 0 || k[i] < 0 || k[i] > n[i] {
			return Psychometric{}, fmt.Errorf("psychometric fit: level %d has %d of %d", i, k[i], n[i])
		}
	}
	const ridge = 1e-6
	a, b := 0.0, 0.0
	for it := 0; it < 100; it++ {
		var ga, gb, haa, hab, hbb float64
		for i := range x {
			p := 1 / (1 + math.Exp(-(a*x[i] + b)))
			r := float64(k[i]) - float64(n[i])*p
			w := float64(n[i]) * p * (1 - p)
			ga += r * x[i]
			gb += r
			haa += w * x[i] * x[i]
			hab += w * x[i]
			hbb += w
		}
		ga -= ridge * a
		gb -= ridge * b
		haa += ridge
		hbb += ridge
		det := haa*hbb - hab*hab
		if det <= 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a += da
		b += db
		if math.Abs(da) < 1e-12*(1+math.Abs(a)) && math.Abs(db) < 1e-12*(1+math.Abs(b)) {
			break
		}
	}
	if math.IsNaN(a) || math.IsNaN(b) || a == 0 {
		return Psychometric{}, fmt.Errorf("psychometric fit did not converge (α = %g, β = %g)", a, b)
	}
	return Psychometric{a, b}, nil
}

// Shift returns the horizontal shift of curve b relative to curve a at
// P = 0.5, a.X50 − b.X50: positive when b reaches 50 % "yes" at a lower
// level (a bias toward "yes").
func Shift(a, b Psychometric) float64 { return a.X50() - b.X50() }

// CI is a confidence interval.
type CI struct{ Lo, Hi float64 }

// ShiftBootstrap fits both curves and returns the shift of b against a with
// a percentile bootstrap CI (level, e.g. 0.95): each replicate redraws every
// level's k from a binomial with the observed proportion. Replicates are
// seeded and independent of the number of cores.
func ShiftBootstrap(x []float64, ka, na, kb, nb []int, reps int, level float64, seed uint64) (shift float64, ci CI, err error) {
	fa, err := FitPsychometric(x, ka, na)
	if err != nil {
		return 0, CI{}, err
	}
	fb, err := FitPsychometric(x, kb, nb)
	if err != nil {
		return 0, CI{}, err
	}
	shift = Shift(fa, fb)
	r := rand.New(rand.NewPCG(seed, 0x626f6f74))
	var samples []float64
	ra, rb := make([]int, len(x)), make([]int, len(x))
	for rep := 0; rep < reps; rep++ {
		for i := range x {
			ra[i] = binomial(r, na[i], float64(ka[i])/math.Max(1, float64(na[i])))
			rb[i] = binomial(r, nb[i], float64(kb[i])/math.Max(1, float64(nb[i])))
		}
		ba, e1 := FitPsychometric(x, ra, na)
		bb, e2 := FitPsychometric(x, rb, nb)
		if e1 != nil || e2 != nil {
			continue
		}
		samples = append(samples, Shift(ba, bb))
	}
	if len(samples) < reps/2 {
		return shift, CI{math.NaN(), math.NaN()}, fmt.Errorf("bootstrap: only %d of %d replicates could be fitted", len(samples), reps)
	}
	return shift, percentileCI(samples, level), nil
}

func percentileCI(s []float64, level float64) CI {
	sort.Float64s(s)
	q := func(p float64) float64 {
		i := p * float64(len(s)-1)
		lo := int(math.Floor(i))
		hi := min(lo+1, len(s)-1)
		return s[lo] + (i-float64(lo))*(s[hi]-s[lo])
	}
	return CI{q((1 - level) / 2), q((1 + level) / 2)}
}

// binomial draws from Binomial(n, p) by summing Bernoulli trials.
func binomial(r *rand.Rand, n int, p float64) int {
	k := 0
	for i := 0; i < n; i++ {
		if r.Float64() < p {
			k++
		}
	}
	return k
}

// DPrime returns the yes/no sensitivity Φ⁻¹(H) − Φ⁻¹(F) from hits out of
// signal trials and false alarms out of noise trials, with the log-linear
// correction (k + 0.5)/(n + 1) (Hautus 1995) so that perfect rates stay
// finite.
func DPrime(hits, signal, falseAlarms, noise int) float64 {
	h := (float64(hits) + 0.5) / (float64(signal) + 1)
	f := (float64(falseAlarms) + 0.5) / (float64(noise) + 1)
	z := distuv.UnitNormal
	return z.Quantile(h) - z.Quantile(f)
}

// SampleChoice draws a choice from class probabilities p: with probability
// lapse a uniformly random class, otherwise a class drawn from p.
func SampleChoice(r *rand.Rand, p []float64, lapse float64) int {
	if lapse > 0 && r.Float64() < lapse {
		return r.IntN(len(p))
	}
	u := r.Float64()
	acc := 0.0
	for c, v := range p {
		acc += v
		if u < acc {
			return c
		}
	}
	return len(p) - 1
}

// FitBootstrap fits one curve and returns percentile bootstrap CIs of α and
// β (binomial resampling of each level, as in ShiftBootstrap).
func FitBootstrap(x []float64, k, n []int, reps int, level float64, seed uint64) (fit Psychometric, alpha, beta CI, err error) {
	if fit, err = FitPsychometric(x, k, n); err != nil {
		return fit, CI{}, CI{}, err
	}
	r := rand.New(rand.NewPCG(seed, 0x66697462))
	var as, bs []float64
	rk := make([]int, len(x))
	for rep := 0; rep < reps; rep++ {
		for i := range x {
			rk[i] = binomial(r, n[i], float64(k[i])/math.Max(1, float64(n[i])))
		}
		b, e := FitPsychometric(x, rk, n)
		if e != nil {
			continue
		}
		as = append(as, b.Alpha)
		bs = append(bs, b.Beta)
	}
	if len(as) < reps/2 {
		return fit, CI{}, CI{}, fmt.Errorf("bootstrap: only %d of %d replicates could be fitted", len(as), reps)
	}
	return fit, percentileCI(as, level), percentileCI(bs, level), nil
}

// SimulateChoices runs trials repetitions of each item: item i's choice is
// drawn from probs[i] (with lapses). It returns the count of each choice per
// item. Item i uses its own generator seeded by (seed, i), so counts do not
// depend on the order or the number of cores.
func SimulateChoices(probs [][]float64, trials int, lapse float64, seed uint64) [][]int {
	out := make([][]int, len(probs))
	for i, p := range probs {
		r := rand.New(rand.NewPCG(seed, uint64(i)))
		c := make([]int, len(p))
		for t := 0; t < trials; t++ {
			c[SampleChoice(r, p, lapse)]++
		}
		out[i] = c
	}
	return out
}
