package testutil

import (
	"math"
	"testing"
)

// Near reports a test error when got is NaN or differs from want by more
// than tol; name says which quantity was checked.
func Near(t testing.TB, name string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.6g, want %.6g ± %g", name, got, want, tol)
	}
}
