package topography

import (
	"math"
	"math/rand/v2"
	"sort"
)

// Neighbourhood returns the n units of hemisphere h nearest to (x_mm, y_mm),
// nearest first. Neighbourhoods never cross hemispheres.
func (l *Layout) Neighbourhood(h Hemisphere, x_mm, y_mm float64, n int) []int {
	type ud struct {
		i int
		d float64
	}
	var c []ud
	for i, hh := range l.Hemi {
		if hh == h {
			c = append(c, ud{i, math.Hypot(l.X_mm[i]-x_mm, l.Y_mm[i]-y_mm)})
		}
	}
	sort.SliceStable(c, func(a, b int) bool { return c[a].d < c[b].d })
	if n > len(c) {
		n = len(c)
	}
	out := make([]int, n)
	for k := range out {
		out[k] = c[k].i
	}
	return out
}

// RandomNeighbourhood draws a centre uniformly on hemisphere h's sheet and
// returns the n units nearest to it.
func (l *Layout) RandomNeighbourhood(r *rand.Rand, h Hemisphere, n int) []int {
	x := r.Float64() * l.Sheet.Width_mm
	y := r.Float64() * l.Sheet.Height_mm
	return l.Neighbourhood(h, x, y, n)
}

// InverseDistance returns the TDANN target similarity 1/(d+1) for every pair
// of the given units (d in mm), as a row-major n×n matrix.
func (l *Layout) InverseDistance(units []int) []float64 {
	n := len(units)
	t := make([]float64, n*n)
	for a, i := range units {
		for b, j := range units {
			t[a*n+b] = 1 / (l.Distance(i, j) + 1)
		}
	}
	return t
}

// SpatialLoss is the TDANN relative spatial correlation loss (Margalit et al.
// 2024, spacetorch/losses/losses_torch.py):
//
//	SL = (1 − corr(r_ij, 1/(d_ij + 1)))/2
//
// over the pairs i<j of a neighbourhood, where r_ij is the Pearson correlation
// of units i and j across the images of resp ([image][k], k indexing units)
// and target[i*n+j] = 1/(d_ij + 1). Units with zero variance get r = 0 with
// every other unit. SL lies in [0, 1]; 0 means response similarity falls
// off with distance exactly like the target.
func SpatialLoss(resp [][]float64, target []float64) float64 {
	b := len(resp)
	n := len(resp[0])
	// standardise each unit across images
	z := make([][]float64, n)
	for k := 0; k < n; k++ {
		var m float64
		for i := 0; i < b; i++ {
			m += resp[i][k]
		}
		m /= float64(b)
		col := make([]float64, b)
		var ss float64
		for i := 0; i < b; i++ {
			col[i] = resp[i][k] - m
			ss += col[i] * col[i]
		}
		s := math.Sqrt(ss)
		for i := range col {
			if s > 0 {
				col[i] /= s
			} else {
				col[i] = 0
			}
		}
		z[k] = col
	}
	var xs, ys []float64
	for i := 0; i < n; i++ {
		for j := i + 1; j < n; j++ {
			var r float64
			for t := 0; t < b; t++ {
				r += z[i][t] * z[j][t]
			}
			xs = append(xs, r)
			ys = append(ys, target[i*n+j])
		}
	}
	return (1 - pearson(xs, ys)) / 2
}

func pearson(x, y []float64) float64 {
	n := float64(len(x))
	var mx, my float64
	for i := range x {
		mx += x[i]
		my += y[i]
	}
	mx /= n
	my /= n
	var sxy, sxx, syy float64
	for i := range x {
		dx, dy := x[i]-mx, y[i]-my
		sxy += dx * dy
		sxx += dx * dx
		syy += dy * dy
	}
	if sxx == 0 || syy == 0 {
		return 0
	}
	return sxy / math.Sqrt(sxx*syy)
}
