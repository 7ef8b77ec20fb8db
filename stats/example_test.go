package stats_test

import (
	"fmt"

	"github.com/microstim/microstim/stats"
)

// A yes/no face-detection block: 42 of 50 faces called "face", 8 of 50
// non-faces too.
func ExampleDetection() {
	s := stats.Detection(42, 50, 8, 50)
	fmt.Printf("hits %.2f, false alarms %.2f, d′ %.2f, c %.2f\n", s.HitRate, s.FalseAlarmRate, s.DPrime, s.Criterion)
	// Output: hits 0.84, false alarms 0.16, d′ 1.99, c 0.00
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
