package testutil

import (
	"math"
	"testing"
)

// recorder captures Errorf calls so that Near's verdicts can be checked.
type recorder struct {
	testing.TB
	failed bool
}

func (r *recorder) Helper()                        {}
func (r *recorder) Errorf(format string, a ...any) { r.failed = true }

func TestNear(t *testing.T) {
	for _, c := range []struct {
		got, want, tol float64
		fail           bool
	}{
		{1.0, 1.05, 0.1, false},
		{1.0, 1.2, 0.1, true},
		{-2, -2, 0, false},
		{math.NaN(), 0, math.Inf(1), true},
		{math.Inf(1), 0, 1, true},
	} {
		r := &recorder{TB: t}
		Near(r, "x", c.got, c.want, c.tol)
		if r.failed != c.fail {
			t.Errorf("Near(%v, %v, ±%v) failed = %v, want %v", c.got, c.want, c.tol, r.failed, c.fail)
		}
	}
}
