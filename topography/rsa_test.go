package topography

import (
	"fmt"
	"math"
	"testing"
)

func TestRDM(t *testing.T) {
	// Centred rows: [−1 0 1], [1 0 −1], [−1 1 0]; correlations −1, 1/2, −1/2.
	resp := [][]float64{{1, 2, 3}, {3, 2, 1}, {1, 3, 2}, {4, 4, 4}}
	nan := math.NaN()
	want := [][]float64{
		{0, 2, 0.5, nan},
		{2, 0, 1.5, nan},
		{0.5, 1.5, 0, nan},
		{nan, nan, nan, 0},
	}
	got := RDM(resp)
	if len(got) != len(want) {
		t.Fatalf("RDM has %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		for j := range want[i] {
			if !closeOrBothNaN(got[i][j], want[i][j], 1e-12) {
				t.Errorf("RDM[%d][%d] = %v, want %v", i, j, got[i][j], want[i][j])
			}
		}
	}
	// Scaling and shifting an image leaves its correlations unchanged.
	if d := RDM([][]float64{{1, 2, 4}, {-5, 5, 25}}); math.Abs(d[0][1]) > 1e-12 {
		t.Errorf("affine copy: dissimilarity %v, want 0", d[0][1])
	}
	for _, bad := range [][][]float64{nil, {{1, 2}, {3}}, {{1}, {2}}} {
		if got := RDM(bad); got != nil {
			t.Errorf("RDM(%v) = %v, want nil", bad, got)
		}
	}
}

// upper returns the n×n matrix with strict upper triangle u (row-major) and
// its mirror below.
func upper(n int, u ...float64) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, n)
	}
	k := 0
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			m[i][j], m[j][i] = u[k], u[k]
			k++
		}
	}
	return m
}

func TestSpearmanUpper(t *testing.T) {
	nan := math.NaN()
	a := upper(4, 1, 2, 3, 4, 5, 6)
	for _, tc := range []struct {
		name string
		a, b [][]float64
		want float64
	}{
		{"identical", a, a, 1},
		{"monotone", a, upper(4, 0.1, 0.2, 1, 8, 9, 100), 1},
		{"reversed", a, upper(4, 6, 5, 4, 3, 2, 1), -1},
		// Ranks 2 1 4 3 6 5: Σd² = 6, ρ = 1 − 6·6/(6·35) = 29/35.
		{"swapped pairs", a, upper(4, 20, 10, 40, 30, 60, 50), 29.0 / 35},
		// Ranks 1.5 1.5 3.5 3.5 5.5 5.5: ρ = 16/sqrt(17.5·16).
		{"ties", a, upper(4, 1, 1, 2, 2, 3, 3), 16 / math.Sqrt(17.5*16)},
		// Diagonal and lower triangle are ignored.
		{"lower ignored", a, [][]float64{{9, 1, 2, 3}, {0, 9, 4, 5}, {0, 0, 9, 6}, {0, 0, 0, 9}}, 1},
		// NaN positions are dropped: 1 2 4 5 6 against 2 1 3 4 5.
		{"NaN skipped", a, upper(4, 2, 1, nan, 3, 4, 5), 0.9},
		{"constant", a, upper(4, 1, 1, 1, 1, 1, 1), nan},
		{"size mismatch", a, upper(3, 1, 2, 3), nan},
		{"not square", a, [][]float64{{1, 2}, {3, 4}, {5, 6}, {7, 8}}, nan},
		{"too small", upper(2, 1), upper(2, 1), nan},
	} {
		if got := SpearmanUpper(tc.a, tc.b); !closeOrBothNaN(got, tc.want, 1e-12) {
			t.Errorf("%s: ρ = %v, want %v", tc.name, got, tc.want)
		}
		if got := SpearmanUpper(tc.b, tc.a); !closeOrBothNaN(got, tc.want, 1e-12) {
			t.Errorf("%s (swapped): ρ = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAverageRanks(t *testing.T) {
	for _, tc := range []struct {
		x, want []float64
	}{
		{[]float64{3, 1, 2}, []float64{3, 1, 2}},
		{[]float64{5, 5, 5}, []float64{2, 2, 2}},
		{[]float64{2, 7, 2, 1, 7}, []float64{2.5, 4.5, 2.5, 1, 4.5}},
	} {
		if got := averageRanks(tc.x); fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("averageRanks(%v) = %v, want %v", tc.x, got, tc.want)
		}
	}
}

func ExampleSpearmanUpper() {
	model := RDM([][]float64{{1, 2, 3}, {3, 2, 1}, {1, 3, 2}, {2, 2, 3}})
	brain := RDM([][]float64{{1, 2, 4}, {4, 2, 1}, {1, 4, 2}, {2, 1, 4}})
	fmt.Printf("ρ = %.3f\n", SpearmanUpper(model, brain))
	// Output:
	// ρ = 0.941
}
