package stats

import (
	"math"
	"testing"

	"github.com/microstim/microstim/internal/testutil"
)

// Hand-computed cases: H = 0.84, F = 0.16 gives d′ = 2·0.9945 = 1.989 and
// c = 0; H = 0.5, F = 0.16 gives d′ = 0.9945 and c = +0.497 (conservative);
// perfect performance over 100 trials clips to d′ = 2·z(0.995) = 5.152;
// no trials give NaN.
func TestDetection(t *testing.T) {
	z84 := 0.994457883209753 // Φ⁻¹(0.84)
	for _, tc := range []struct {
		name             string
		h, nt, f, nd     int
		hit, fa, dp, crt float64
	}{
		{"unbiased", 84, 100, 16, 100, 0.84, 0.16, 2 * z84, 0},
		{"conservative", 50, 100, 16, 100, 0.5, 0.16, z84, z84 / 2},
		{"liberal", 84, 100, 50, 100, 0.84, 0.5, z84, -z84 / 2},
		{"perfect", 100, 100, 0, 100, 1, 0, 2 * 2.5758293035489004, 0},
	} {
		s := Detection(tc.h, tc.nt, tc.f, tc.nd)
		testutil.Near(t, tc.name+" hit rate", s.HitRate, tc.hit, 1e-12)
		testutil.Near(t, tc.name+" false-alarm rate", s.FalseAlarmRate, tc.fa, 1e-12)
		testutil.Near(t, tc.name+" d′", s.DPrime, tc.dp, 1e-9)
		testutil.Near(t, tc.name+" criterion", s.Criterion, tc.crt, 1e-9)
	}
	if s := Detection(3, 0, 1, 10); !math.IsNaN(s.DPrime) {
		t.Errorf("no target trials: %+v", s)
	}
}
