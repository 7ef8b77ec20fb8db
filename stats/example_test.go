package stats_test

import (
	"fmt"

	"github.com/microstim/microstim/stats"
)

// A yes/no face-detection block: 45 of 50 faces called "face", and 15 of
// 50 non-faces too: d′ = z(0.9) − z(0.3), and a liberal criterion
// c = −(z(0.9) + z(0.3))/2 < 0.
func ExampleDetection() {
	s := stats.Detection(45, 50, 15, 50)
	fmt.Printf("hits %.2f, false alarms %.2f, d′ %.2f, c %.2f\n", s.HitRate, s.FalseAlarmRate, s.DPrime, s.Criterion)
	// Output: hits 0.90, false alarms 0.30, d′ 1.81, c -0.38
}

// Two conditions side by side: the difference of their means with a
// bootstrap 95 % CI (the printed CI is a regression guard: seeded resamples).
func ExampleMeanDifference() {
	patch := []float64{4.1, 5.0, 3.2, 6.3, 4.8, 5.5}
	outside := []float64{1.0, 0.4, 1.8, 0.9, 1.2, 0.1}
	d, lo, hi := stats.MeanDifference(patch, outside, 2000, 1)
	fmt.Printf("%.2f [%.1f, %.1f]\n", d, lo, hi)
	// Output: 3.92 [3.0, 4.8]
}
