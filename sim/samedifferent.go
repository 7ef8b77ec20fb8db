package sim

import (
	"fmt"
	"math"
)

// SameDifferent is a same/different decoder on the distance between two
// images' representations: P("same" | d) is a logistic function of the
// distance d, fitted by maximum likelihood on unperturbed pairs and then
// frozen (after the threshold decoder of the Brain-Score Moeller 2017
// benchmark, which compared L1 distances with a fitted threshold).
type SameDifferent struct {
	Metric string       // "l1" (mean absolute difference) or "correlation" (1 − Pearson r)
	Curve  Psychometric // P(same) against distance
}

// RepresentationDistance returns the distance between a and b under metric.
func RepresentationDistance(metric string, a, b []float32) (float64, error) {
	if len(a) != len(b) || len(a) == 0 {
		return 0, fmt.Errorf("distance between representations of %d and %d units", len(a), len(b))
	}
	switch metric {
	case "l1":
		var s float64
		for i := range a {
			s += math.Abs(float64(a[i] - b[i]))
		}
		return s / float64(len(a)), nil
	case "correlation":
		n := float64(len(a))
		var ma, mb float64
		for i := range a {
			ma += float64(a[i])
			mb += float64(b[i])
		}
		ma /= n
		mb /= n
		var sab, saa, sbb float64
		for i := range a {
			da, db := float64(a[i])-ma, float64(b[i])-mb
			sab += da * db
			saa += da * da
			sbb += db * db
		}
		if saa == 0 || sbb == 0 {
			return 1, nil
		}
		return 1 - sab/math.Sqrt(saa*sbb), nil
	}
	return 0, fmt.Errorf("metric %q: want \"l1\" or \"correlation\"", metric)
}

// FitSameDifferent fits the decoder on pairs (a[i], b[i]) labelled same[i].
func FitSameDifferent(metric string, a, b [][]float32, same []bool) (*SameDifferent, error) {
	if len(a) != len(b) || len(a) != len(same) || len(a) < 2 {
		return nil, fmt.Errorf("same/different fit: %d, %d pairs and %d labels", len(a), len(b), len(same))
	}
	x := make([]float64, len(a))
	k := make([]int, len(a))
	n := make([]int, len(a))
	for i := range a {
		d, err := RepresentationDistance(metric, a[i], b[i])
		if err != nil {
			return nil, err
		}
		x[i], n[i] = d, 1
		if same[i] {
			k[i] = 1
		}
	}
	c, err := FitPsychometric(x, k, n)
	if err != nil {
		return nil, fmt.Errorf("same/different fit: %w", err)
	}
	return &SameDifferent{Metric: metric, Curve: c}, nil
}

// PSame returns the probability of a "same" choice for the pair.
func (s *SameDifferent) PSame(a, b []float32) (float64, error) {
	d, err := RepresentationDistance(s.Metric, a, b)
	if err != nil {
		return 0, err
	}
	return s.Curve.P(d), nil
}
