package stats

import "math"

// FitExpDecay fits y ≈ a·exp(−x/λ) by least squares (λ on a log grid from
// 0.1 to 1000 mm refined by golden-section search, a in closed form).
func FitExpDecay(x, y []float64) (a, lambda float64) {
	if len(x) < 2 {
		return math.NaN(), math.NaN()
	}
	sse := func(l float64) (float64, float64) {
		var num, den float64
		for i := range x {
			e := math.Exp(-x[i] / l)
			num += y[i] * e
			den += e * e
		}
		amp := num / den
		var s float64
		for i := range x {
			d := y[i] - amp*math.Exp(-x[i]/l)
			s += d * d
		}
		return s, amp
	}
	best, bestS := 0.1, math.Inf(1)
	for lg := -1.0; lg <= 3; lg += 0.05 {
		if s, _ := sse(math.Pow(10, lg)); s < bestS {
			best, bestS = math.Pow(10, lg), s
		}
	}
	lo, hi := math.Log10(best)-0.05, math.Log10(best)+0.05
	const g = 0.6180339887
	for k := 0; k < 60; k++ {
		m1, m2 := hi-g*(hi-lo), lo+g*(hi-lo)
		s1, _ := sse(math.Pow(10, m1))
		s2, _ := sse(math.Pow(10, m2))
		if s1 < s2 {
			hi = m2
		} else {
			lo = m1
		}
	}
	lambda = math.Pow(10, (lo+hi)/2)
	_, a = sse(lambda)
	return a, lambda
}
