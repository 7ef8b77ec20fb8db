package topography

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// RDM returns the representational dissimilarity matrix of resp, indexed
// [image][unit]: entry (i, j) is 1 − the Pearson correlation of images i
// and j across units. The diagonal is 0; entries involving an image with
// the same response in every unit are NaN. RDM returns nil if resp is empty
// or ragged, or has fewer than two units.
func RDM(resp [][]float64) [][]float64 {
	units, ok := respUnits(resp)
	if !ok || units < 2 {
		return nil
	}
	// Centre each image and scale it to unit norm; correlations are then
	// dot products.
	z := make([][]float64, len(resp))
	for i, row := range resp {
		m := stat.Mean(row, nil)
		v := make([]float64, units)
		ss := 0.0
		for u, x := range row {
			v[u] = x - m
			ss += v[u] * v[u]
		}
		if ss == 0 || math.IsNaN(ss) {
			continue
		}
		s := 1 / math.Sqrt(ss)
		for u := range v {
			v[u] *= s
		}
		z[i] = v
	}
	d := make([][]float64, len(resp))
	for i := range d {
		d[i] = make([]float64, len(resp))
	}
	for i := range d {
		for j := i + 1; j < len(d); j++ {
			v := math.NaN()
			if z[i] != nil && z[j] != nil {
				c := 0.0
				for u := range z[i] {
					c += z[i][u] * z[j][u]
				}
				v = 1 - math.Max(-1, math.Min(1, c))
			}
			d[i][j], d[j][i] = v, v
		}
	}
	return d
}

// SpearmanUpper returns the Spearman rank correlation between the strict
// upper triangles of the square matrices a and b (for example two RDMs),
// giving tied values their average rank. Positions where either matrix is
// NaN are skipped. SpearmanUpper returns NaN if a and b are not square
// matrices of the same size, if fewer than two positions remain, or if
// either triangle is constant.
func SpearmanUpper(a, b [][]float64) float64 {
	n := len(a)
	if n != len(b) {
		return math.NaN()
	}
	for i := range a {
		if len(a[i]) != n || len(b[i]) != n {
			return math.NaN()
		}
	}
	var x, y []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			if math.IsNaN(a[i][j]) || math.IsNaN(b[i][j]) {
				continue
			}
			x = append(x, a[i][j])
			y = append(y, b[i][j])
		}
	}
	if len(x) < 2 {
		return math.NaN()
	}
	rx, ry := averageRanks(x), averageRanks(y)
	_, vx := stat.MeanVariance(rx, nil)
	_, vy := stat.MeanVariance(ry, nil)
	if vx == 0 || vy == 0 {
		return math.NaN()
	}
	return stat.Correlation(rx, ry, nil)
}

// averageRanks returns the 1-based ranks of x, ties sharing their mean rank.
func averageRanks(x []float64) []float64 {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return x[idx[i]] < x[idx[j]] })
	r := make([]float64, len(x))
	for i := 0; i < len(idx); {
		j := i + 1
		for j < len(idx) && x[idx[j]] == x[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			r[idx[k]] = avg
		}
		i = j
	}
	return r
}
